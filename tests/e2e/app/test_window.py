"""The image workspace with pytest-qt: real worker thread, real model (random weights)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QFileDialog

from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.overlay import OverlayMode, blend_visible
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage import weights

MODEL_ID = "rand8s"


@pytest.fixture(scope="module")
def model_home(tmp_path_factory, caffe_layout_file):
    """A weights directory with one imported (random) FCN-8s, shared by this module."""
    home = tmp_path_factory.mktemp("gui-weights")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FCN_STUDIO_WEIGHTS", str(home))
        weights.import_weights(caffe_layout_file("fcn8s"), MODEL_ID)
        yield home


@pytest.fixture(scope="module")
def reference(model_home):
    """Labels computed directly with the predictor, to compare with what the GUI shows."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FCN_STUDIO_WEIGHTS", str(model_home))
        predictor = Predictor(weights.resolve_model(MODEL_ID), "cpu")
    return lambda path: predictor.predict(path).labels


@pytest.fixture()
def window(qtbot, model_home, monkeypatch, tmp_path):
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(model_home))
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def images(folder, n: int, base=(36, 28)) -> list[str]:
    """n distinct images, each of a different size so a stale result cannot fit another."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        w, h = base[0] + i, base[1] + (i % 5)
        arr = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        arr[: h // 2, : w // 3] = (220, 40, 40)
        path = folder / f"img_{i:02d}.png"
        Image.fromarray(arr).save(path)
        paths.append(str(path))
    return paths


def wait_for_result(qtbot, win, timeout=60_000):
    qtbot.waitUntil(lambda: win.workspace.current_result is not None, timeout=timeout)
    return win.workspace.current_result


def test_opened_image_gets_the_overlay_of_its_own_prediction(qtbot, window, tmp_path, reference):
    (path,) = images(tmp_path / "one", 1)
    window.open_paths([path])
    result = wait_for_result(qtbot, window)
    assert np.array_equal(result.labels, reference(path))
    assert not window.canvas.overlay_pixmap().isNull()
    assert window.legend.tree.topLevelItemCount() == len(np.unique(result.labels))
    assert "inference" in window.status.timing.text()
    assert window.banner.isHidden()


def test_rapid_switching_ends_on_the_last_image_without_stale_draws(qtbot, window, tmp_path, reference):
    paths = images(tmp_path / "many", 30)
    drawn = []

    def on_result(result):
        if result is not None:  # record what is drawn and over which image
            drawn.append((str(window.workspace.current_path), result.labels.copy()))

    window.workspace.result_shown.connect(on_result)
    window.open_paths([paths[0]])
    for _ in range(29):
        window.actions_.next.trigger()
        qtbot.wait(5)
    assert str(window.workspace.current_path) == paths[-1]
    result = wait_for_result(qtbot, window)
    assert np.array_equal(result.labels, reference(paths[-1]))
    for path, labels in drawn:  # every overlay ever drawn belonged to the image on screen
        assert np.array_equal(labels, reference(path)), f"stale overlay drawn over {path}"
    # going back is instant: the result is cached
    window.actions_.previous.trigger()
    window.actions_.next.trigger()
    assert window.workspace.current_result is result


def test_toggles_opacity_and_modes_never_rerun_inference(qtbot, window, tmp_path):
    (path,) = images(tmp_path / "t", 1)
    window.open_paths([path])
    result = wait_for_result(qtbot, window)
    calls = []
    window.workspace.worker._request.connect(lambda *a: calls.append(a))
    cid = int(np.bincount(result.labels.ravel()).argmax())
    y, x = np.argwhere(result.labels == cid)[0]
    assert window.canvas.overlay_pixmap().toImage().pixelColor(x, y).alpha() == 255
    window.legend.set_hidden(frozenset({cid}))
    assert window.canvas.overlay_pixmap().toImage().pixelColor(x, y).alpha() == 0
    window.legend.show_only(cid)
    assert window.canvas.overlay_pixmap().toImage().pixelColor(x, y).alpha() == 255
    window.opacity.setValue(20)
    assert window.canvas._overlay_item.opacity() == pytest.approx(0.2)
    for mode in (OverlayMode.CONTOUR, OverlayMode.UNCERTAINTY, OverlayMode.OFF, OverlayMode.FILLED):
        window.set_overlay_mode(mode)
    qtbot.wait(50)
    assert calls == [] and window.workspace.current_result is result


def test_hover_readout_reports_the_class_under_the_cursor(qtbot, window, tmp_path):
    (path,) = images(tmp_path / "h", 1)
    window.open_paths([path])
    result = wait_for_result(qtbot, window)
    for y, x in ((3, 2), (20, 30)):
        cid = int(result.labels[y, x])
        pos = window.canvas.mapFromScene(x + 0.5, y + 0.5)
        qtbot.mouseMove(window.canvas.viewport(), QPoint(pos.x(), pos.y()))
        qtbot.waitUntil(lambda x=x: f"x {x}," in window.status.hover.text(), timeout=2000)
        text = window.status.hover.text()
        assert f"x {x}, y {y}" in text and result.label_set.classes[cid] in text


def test_exports_are_palette_pngs_and_csv(qtbot, window, tmp_path, monkeypatch):
    (path,) = images(tmp_path / "e", 1)
    window.open_paths([path])
    result = wait_for_result(qtbot, window)
    targets = iter([str(tmp_path / "mask.png"), str(tmp_path / "overlay.png"), str(tmp_path / "stats.csv")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (next(targets), ""))
    window.actions_.save_mask.trigger()
    window.actions_.export_overlay.trigger()
    window.actions_.export_stats.trigger()
    # written on background threads: the window never waits for the encoder
    qtbot.waitUntil(
        lambda: all((tmp_path / n).is_file() for n in ("mask.png", "overlay.png", "stats.csv")), timeout=10_000
    )
    qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=10_000)
    mask = Image.open(tmp_path / "mask.png")
    assert mask.mode == "P" and np.array_equal(np.asarray(mask), result.labels)
    visible = set(range(result.label_set.num_classes)) - set(window.overlay.hidden)
    expected = blend_visible(
        window.workspace.current_rgb, result.labels, result.label_set, visible, window.opacity.value() / 100.0
    )
    assert np.array_equal(np.asarray(Image.open(tmp_path / "overlay.png").convert("RGB")), expected)
    lines = (tmp_path / "stats.csv").read_text().splitlines()
    assert lines[0].startswith("class_id,class_name,pixels,percent") and len(lines) == 1 + len(np.unique(result.labels))


def test_settings_persist(qtbot, window, tmp_path):
    window.opacity.setValue(33)
    window.set_overlay_mode(OverlayMode.CONTOUR)
    window.close()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.opacity.value() == 33 and again.overlay.mode is OverlayMode.CONTOUR
    assert again.models.current_id() == MODEL_ID
    again.close()


def test_no_weights_offers_download_and_import(qtbot, tmp_path, monkeypatch, caffe_layout_file):
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(tmp_path / "empty"))
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    assert win.banner.isVisible() and "MB" in win.banner.download_button.text()
    assert win.models.current_id() == "" and "No model" in win.status.model.text()
    (path,) = images(tmp_path / "n", 1)
    win.open_paths([path])
    qtbot.waitUntil(lambda: win.workspace.current_rgb is not None, timeout=10_000)
    assert win.workspace.current_result is None  # the image shows; nothing to segment with
    # two files chosen at once: both are imported, neither is dropped
    chosen = [str(caffe_layout_file("fcn8s")), str(caffe_layout_file("fcn32s"))]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (chosen, ""))
    win.import_weights()
    qtbot.waitUntil(lambda: win.models.count() == 2, timeout=60_000)
    assert {win.models.itemData(i) for i in range(2)} == {"fcn8s-21_from_caffe", "fcn32s-21_from_caffe"}
    assert win.banner.isHidden()
    wait_for_result(qtbot, win)
    win.close()


def test_bad_image_gives_a_message_and_the_app_keeps_running(qtbot, window, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    window.open_paths([str(bad)])
    qtbot.waitUntil(lambda: window.error_box is not None and window.error_box.isVisible(), timeout=10_000)
    assert "bad.png" in window.error_box.text() and not window.error_box.isModal()
    (good,) = images(tmp_path / "g", 1)
    window.open_paths([good])
    wait_for_result(qtbot, window)


def test_a_task_ending_while_its_progress_is_drawn_is_not_an_error(qtbot):
    """A modal QProgressDialog's setValue runs the event loop, in which the task can finish
    and drop its dialog: the rest of that progress update must not reach the dropped one."""
    import threading

    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    release = threading.Event()
    task = BackgroundTask(lambda progress, cancelled: release.wait(10), parent, "Segment folder", "Segmenting").start(
        TaskRunner(parent)
    )
    dialog = task.dialog
    set_value = dialog.setValue

    def set_value_and_finish(value):  # the task's end, run by the events setValue processes,
        set_value(value)
        task.dialog = None  # drops its dialog (as _cleanup does)
        dialog.close()

    dialog.setValue = set_value_and_finish
    try:
        task._on_progress(1, 2, "0.jpg")  # must not raise
        assert task.dialog is None
    finally:
        release.set()
        qtbot.waitUntil(lambda: task.thread.isFinished(), timeout=10_000)


def test_what_is_open_is_the_windows_one_document(qtbot, window, tmp_path):
    """The workspace writes the Qt-free document (state/document.py); Previous and Next
    follow it, and the image's size is there once it decoded."""
    paths = images(tmp_path / "doc", 2)
    seen = []
    window.document.changed.connect(seen.append)
    window.open_paths([paths[0]])
    qtbot.waitUntil(lambda: window.document.image_size is not None, timeout=30_000)
    doc = window.document.document
    assert doc.files == tuple(window.workspace.files) and doc.index == 0 and doc.image_size == (36, 28)
    assert window.workspace.document is window.document and str(doc.folder) == str(tmp_path / "doc")
    assert window.actions_.next.isEnabled() and not window.actions_.previous.isEnabled()
    window.actions_.next.trigger()
    qtbot.waitUntil(lambda: window.document.image_size == (37, 29), timeout=30_000)
    assert window.actions_.previous.isEnabled() and not window.actions_.next.isEnabled()
    assert seen and seen[-1].index == 1


def test_every_window_task_has_the_one_runner(qtbot, window, tmp_path):
    """The fine-tune window's and the Models dialog's work goes to the window's runner,
    which the exit path stops: there is no second, shared one."""
    assert not hasattr(TaskRunner, "shared")
    dialog = window.fine_tune_dialog()
    assert dialog.runner is window.tasks
    assert window.model_actions.weights_dialog().runner is window.tasks
