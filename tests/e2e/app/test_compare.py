"""Comparing FCN-32s/16s/8s: agreement maths, ground truth discovery, CLI and the view."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from fcn_studio.cli.main import main
from fcn_studio.data.labels import voc_labels
from fcn_studio.gui.compare.highlights import HIGHLIGHT_LABELS
from fcn_studio.inference.compare import (
    compose_grid,
    disagreement_mask,
    error_mask,
    find_ground_truth,
    pairwise_agreement,
)
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage import weights

ARCHS = ("fcn32s", "fcn16s", "fcn8s")


@pytest.fixture(scope="module")
def voc_home(tmp_path_factory, caffe_layout_file):
    """The three published ids 'installed' with random weights (symlinked, not copied)."""
    home = tmp_path_factory.mktemp("voc-weights")
    for arch in ARCHS:
        (home / weights.manifest_entry(f"{arch}-voc").filename).symlink_to(caffe_layout_file(arch))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FCN_STUDIO_WEIGHTS", str(home))
        yield home


@pytest.fixture()
def scene(tmp_path):
    """An image with a ground-truth mask in a sibling SegmentationClass/ folder."""
    rng = np.random.default_rng(4)
    (tmp_path / "JPEGImages").mkdir()
    (tmp_path / "SegmentationClass").mkdir()
    rgb = rng.integers(0, 255, (34, 46, 3), dtype=np.uint8)
    rgb[:17] = (200, 50, 40)
    Image.fromarray(rgb).save(tmp_path / "JPEGImages" / "x1.png")
    gt = np.zeros((34, 46), dtype=np.uint8)
    gt[:17] = 15
    gt[0, :] = 255
    m = Image.fromarray(gt, mode="P")
    m.putpalette(voc_labels().palette().reshape(-1).tolist())
    m.save(tmp_path / "SegmentationClass" / "x1.png")
    return tmp_path / "JPEGImages" / "x1.png", gt


def test_agreement_and_masks_equal_direct_numpy():
    rng = np.random.default_rng(0)
    maps = {k: rng.integers(0, 3, (20, 30)) for k in "abc"}
    for (x, y), v in pairwise_agreement(maps).items():
        assert v == pytest.approx((maps[x] == maps[y]).mean())
    dis = disagreement_mask(list(maps.values()))
    assert np.array_equal(dis, ~((maps["a"] == maps["b"]) & (maps["b"] == maps["c"])))
    gt = maps["a"].copy()
    gt[0] = 255
    err = error_mask(maps["b"], gt)
    assert not err[0].any() and np.array_equal(err[1:], maps["b"][1:] != maps["a"][1:])


def test_ground_truth_is_found_next_to_the_image(scene, tmp_path):
    image, _ = scene
    assert find_ground_truth(image) == tmp_path / "SegmentationClass" / "x1.png"
    (tmp_path / "photos").mkdir()
    (tmp_path / "masks").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "photos" / "cat.jpg")
    Image.new("L", (4, 4)).save(tmp_path / "masks" / "cat_mask.png")
    assert find_ground_truth(tmp_path / "photos" / "cat.jpg") == tmp_path / "masks" / "cat_mask.png"
    assert find_ground_truth(tmp_path / "photos" / "dog.jpg") is None


def test_grid_has_one_tile_per_pane():
    rgb = np.zeros((40, 50, 3), dtype=np.uint8)
    grid = compose_grid(rgb, [("a", np.zeros((40, 50), np.uint8), voc_labels())] * 3)
    assert grid.shape[1] == 3 * 50 + 4 * 6 and grid.shape[0] > 40
    assert compose_grid(rgb, [("a", None, None)] * 4, columns=2).shape[1] == 2 * 50 + 3 * 6


def test_cli_compare_writes_grid_and_scores(capsys, voc_home, scene, tmp_path):
    image, gt = scene
    out = tmp_path / "cmp.png"
    code = main(
        [
            "compare",
            str(image),
            "--models",
            "fcn32s-voc,fcn16s-voc,fcn8s-voc",
            "--out",
            str(out),
            "--gt",
            str(tmp_path / "SegmentationClass" / "x1.png"),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert Image.open(out).size[0] == 4 * 46 + 5 * 6  # three models + ground truth
    preds = {a: Predictor(weights.resolve_model(f"{a}-voc"), "cpu").predict(image).labels for a in ARCHS}
    for a in ARCHS:
        valid = gt != 255
        acc = (preds[a][valid] == gt[valid]).mean()
        line = next(line for line in text.splitlines() if line.startswith(f"{a}-voc"))
        assert f"{100 * acc:.2f}" in line
    for x, y in itertools.combinations(ARCHS, 2):
        assert f"agreement {x}-voc vs {y}-voc: {100 * (preds[x] == preds[y]).mean():.2f} %" in text


def test_compare_view_fills_panes_syncs_and_exports(qtbot, voc_home, scene, tmp_path, monkeypatch):
    from fcn_studio.gui.main_window import MainWindow
    from fcn_studio.gui.settings import Settings

    image, gt = scene
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    win.tabs.setCurrentWidget(win.compare)
    win.open_paths([str(image)])
    view = win.compare
    qtbot.waitUntil(lambda: all(p.result is not None for p in view.panes), timeout=120_000)
    expected = {a: Predictor(weights.resolve_model(f"{a}-voc"), "cpu").predict(image).labels for a in ARCHS}
    for pane, arch in zip(view.panes, ARCHS, strict=True):
        assert pane.model_key == f"{arch}-voc"
        assert np.array_equal(pane.result.labels, expected[arch]), "each pane shows its own model's result"
        assert "mIoU" in pane.title.text()
    assert view.gt is not None and np.array_equal(view.gt, gt)
    # agreement figures equal a direct numpy computation
    text = view.agreement.text()
    for x, y in itertools.combinations(ARCHS, 2):
        assert f"{100 * (expected[x] == expected[y]).mean():.1f} %" in text
    view.show_mode.setCurrentText("Disagreement")
    overlay = view.panes[0].canvas.overlay_pixmap().toImage()
    dis = disagreement_mask(list(expected.values()))
    y, x = np.argwhere(dis)[0] if dis.any() else np.argwhere(~dis)[0]
    assert (overlay.pixelColor(x, y).alpha() > 0) == bool(dis[y, x])
    first, second = view.panes[0].canvas, view.panes[2].canvas
    # hovering one pane reads out every model at that point
    first.hovered.emit(10, 20)  # mouse-to-pixel mapping itself is tested in test_gui.py
    qtbot.waitUntil(lambda: "x 10, y 20" in view.panes[1].readout.text(), timeout=2000)
    for pane, arch in zip(view.panes, ARCHS, strict=True):
        assert voc_labels().classes[expected[arch][20, 10]] in pane.readout.text()
    # zoom and pan in one pane move all of them
    first.zoom_by(3.0)
    assert second.scale_factor() == pytest.approx(first.scale_factor())
    first.horizontalScrollBar().setValue(first.horizontalScrollBar().maximum())
    assert second.view_state()[1].x() == pytest.approx(first.view_state()[1].x(), abs=1.0)
    out = tmp_path / "grid.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    view.export()  # written on a background thread
    qtbot.waitUntil(lambda: out.is_file() and not view.runner.busy(), timeout=10_000)
    grid = np.asarray(Image.open(out).convert("RGB"))
    assert grid.shape[1] == 2 * 46 + 3 * 6  # 3 panes + ground truth in a 2x2 grid
    # what is exported is what the screen shows: in Disagreement, the disagreeing pixels
    shown = [
        (p.title.text().replace("  ·  ", "  "), np.where(dis, 1, 255).astype(np.uint8), HIGHLIGHT_LABELS)
        for p in view.panes
    ] + [("ground truth", gt, voc_labels())]
    rgb = np.asarray(Image.open(image).convert("RGB"))
    assert np.array_equal(grid, compose_grid(rgb, shown, columns=2))
    win.close()


def test_compare_defaults_to_installed_models_of_each_architecture_and_remembers(
    qtbot, weights_home, caffe_layout_file, tmp_path
):
    from fcn_studio.gui.compare.view import CompareView
    from fcn_studio.gui.settings import Settings

    weights.import_weights(caffe_layout_file("fcn32s"), "mine32")
    weights.import_weights(caffe_layout_file("fcn16s"), "mine16")
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    view = CompareView(settings=settings)
    qtbot.addWidget(view)
    assert [p.model_key for p in view.panes] == ["mine32", "mine16", "fcn8s-voc"], "installed first, by architecture"
    view.panes[2].picker.setCurrentIndex(view.panes[2].picker.findData("mine32"))
    view.shutdown()
    again = CompareView(settings=settings)
    qtbot.addWidget(again)
    assert again.panes[2].model_key == "mine32", "the panes' picks are remembered"
    again.shutdown()


def test_choosing_ground_truth_scores_known_results_without_running_the_models(
    qtbot, voc_home, scene, tmp_path, monkeypatch
):
    from fcn_studio.gui.compare.view import CompareView

    image, _gt = scene
    (tmp_path / "SegmentationClass").rename(tmp_path / "truth")  # not found by itself: chosen below
    calls = []
    original = Predictor.predict
    # counted by image size: a window of an earlier test may still be finishing its own work
    monkeypatch.setattr(
        Predictor,
        "predict",
        lambda self, im, **kw: (calls.append(np.asarray(im).shape[:2] == (34, 46)), original(self, im, **kw))[1],
    )
    view = CompareView()
    qtbot.addWidget(view)
    rgb = np.asarray(Image.open(image).convert("RGB"))
    view.set_image(str(image), rgb)
    qtbot.waitUntil(lambda: all(p.result is not None for p in view.panes), timeout=60_000)
    assert sum(calls) == 3 and "mIoU" not in view.panes[0].title.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "truth" / "x1.png"), ""))
    view._choose_gt()
    assert all("mIoU" in p.title.text() for p in view.panes)
    qtbot.wait(300)
    assert sum(calls) == 3, "no model ran again"
    view.shutdown()


def test_binary_ground_truth_means_foreground_in_eval_and_compare(capsys, tmp_path):
    """One mask reader: 0/255 masks are background/foreground everywhere, never 'ignore'."""
    from fcn_studio.data.dataset import read_mask

    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    gt = np.zeros((20, 20), dtype=np.uint8)
    gt[:, 10:] = 255  # foreground on the right half
    pred = (gt > 0).astype(np.uint8)
    pred[:, 15:] = 0  # half the foreground missed
    Image.fromarray(gt, mode="L").save(tmp_path / "gt" / "a.png")
    Image.fromarray(pred, mode="P").save(tmp_path / "pred" / "a.png")
    assert np.array_equal(read_mask(tmp_path / "gt" / "a.png"), (gt > 0).astype(np.uint8))
    code = main(["eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    import json

    scores = json.loads(out)
    assert scores["pixel_accuracy"] == pytest.approx(0.75), "the missed foreground counts as an error"


def test_two_panes_on_one_model_still_report_their_agreement(qtbot, voc_home, scene):
    from fcn_studio.gui.compare.view import CompareView

    image, _gt = scene
    view = CompareView()
    qtbot.addWidget(view)
    view.count.setValue(2)
    for pane in view.panes:
        pane.picker.setCurrentIndex(pane.picker.findData("fcn8s-voc"))
    view.set_image(str(image), np.asarray(Image.open(image).convert("RGB")))
    qtbot.waitUntil(lambda: all(p.result is not None for p in view.panes), timeout=60_000)
    view.count.setValue(3)  # a pane added later shows the image too
    assert view.panes[2].canvas.has_image()
    qtbot.waitUntil(lambda: all(p.result is not None for p in view.panes), timeout=60_000)
    assert "100.0 %" in view.agreement.text()
    view.shutdown()


def test_panes_on_versions_of_one_model_are_titled_with_the_version(qtbot, weights_home, random_model, tmp_path):
    """#26: three versions of one FCN-8s were all titled "FCN-8s"; each pane names its model."""
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.gui.compare.view import CompareView
    from fcn_studio.labelling.versions import install_head_version
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from tests.unit.storage.test_heads import install_base, new_head

    base = install_base(random_model, weights_home, "toy", arch="fcn8s", classes=3)
    for seed in (1, 2):
        install_head_version(base, new_head(base, 3, seed), generic_labels(3), CAFFE_BGR, {}, "toy")
    view = CompareView()
    qtbot.addWidget(view)
    for pane, model_id in zip(view.panes, ("toy", "toy-v2", "toy-v3"), strict=True):
        pane.picker.setCurrentIndex(pane.picker.findData(model_id))
    rgb = np.random.default_rng(0).integers(0, 255, (34, 46, 3), dtype=np.uint8)
    view.set_image(str(tmp_path / "x.png"), rgb)
    qtbot.waitUntil(lambda: all(p.result is not None for p in view.panes), timeout=60_000)
    titles = [p.title.text() for p in view.panes]
    assert len(set(titles)) == 3 and all("FCN-8s" in t for t in titles), titles
    for title, model_id in zip(titles, ("toy", "toy-v2", "toy-v3"), strict=True):
        assert title.split("  ·  ")[0] == model_id, title
    assert [t for t, _, _ in view.export_panes()][1].startswith("toy-v2"), "exported captions name it too"
    view.shutdown()
