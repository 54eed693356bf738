"""Label mode with pytest-qt: real mouse events on the canvas's viewport, checked on the
mask saved to F/masks/<stem>.png; retraining installs a version the open image switches to;
rolling back; the uncertainty ranking."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fcn_studio.inference.predictor import UNCERTAINTY_STEP, Predictor
from fcn_studio.labelling.versions import current_version
from fcn_studio.storage import weights
from fcn_studio.training.head_trainer import HeadTrainConfig
from tests.e2e.app.label_kit import LEFT, MODEL_ID, at, click, drag, key, open_and_label, saved


def test_brush_class_keys_eraser_undo_redo_are_saved(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    assert win.canvas.scale_factor() > 4  # fitted: an image pixel is several screen pixels
    lm.state.set_radius(2)
    key(qtbot, win, Qt.Key.Key_1)  # class 1: the key reads as the class number
    drag(qtbot, win, [(10, 20), (20, 20), (40, 20)])
    mask = saved(qtbot, lm, image)
    assert (mask[18:23, 10:41] == 1).all()
    assert mask[17, 25] == 255 and mask[24, 25] == 255 and mask[20, 45] == 255
    assert (mask == 1).sum() == np.count_nonzero(mask != 255)

    key(qtbot, win, Qt.Key.Key_3)  # class 3
    assert lm.state.class_id == 3 and "bird" in lm.panel.active.text()  # the panel says what is painted
    drag(qtbot, win, [(60, 60), (70, 60)])
    mask = saved(qtbot, lm, image)
    assert (mask[58:63, 60:71] == 3).all()

    key(qtbot, win, Qt.Key.Key_E)  # eraser
    lm.state.set_radius(0)
    drag(qtbot, win, [(25, 15), (25, 25)])
    mask = saved(qtbot, lm, image)
    assert (mask[18:23, 25] == 255).all() and mask[20, 24] == 1 and mask[20, 26] == 1

    key(qtbot, win, (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier))  # undo the eraser
    mask = saved(qtbot, lm, image)
    assert (mask[18:23, 25] == 1).all()
    key(qtbot, win, (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier))  # and the class-3 stroke
    assert (saved(qtbot, lm, image) == 3).sum() == 0
    key(qtbot, win, (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
    key(qtbot, win, (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
    mask = saved(qtbot, lm, image)
    assert (mask[58:63, 60:71] == 3).all() and (mask[18:23, 25] == 255).all()
    # the layer shows what was saved: labelled pixels drawn, unlabelled ones transparent
    assert lm.layer.pixel(30, 20) >> 24 > 0 and lm.layer.pixel(30, 40) == 0


def test_fill_polygon_and_lasso(qtbot, win, folder):
    image = folder / "p1.png"
    lm = open_and_label(qtbot, win, image)
    lm.state.set_class(1)
    key(qtbot, win, Qt.Key.Key_P)  # polygon: click corners, double-click closes
    for x, y in [(10, 10), (40, 10), (40, 30)]:
        click(qtbot, win, x, y)
    click(qtbot, win, 10, 30)
    qtbot.mouseDClick(win.canvas.viewport(), LEFT, pos=at(win, 10, 30))
    mask = saved(qtbot, lm, image)
    assert (mask[10:31, 10:41] == 1).all() and mask[9, 20] == 255 and mask[20, 41] == 255

    lm.state.set_class(2)  # a lasso: one drag around a region, filled on release
    drag(qtbot, win, [(60, 50), (80, 50), (80, 70), (60, 70), (60, 52)])
    mask = saved(qtbot, lm, image)
    assert (mask[52:69, 61:80] == 2).all() and mask[45, 70] == 255

    lm.state.set_class(3)  # fill the unlabelled region of the labels: everything but the two shapes
    key(qtbot, win, Qt.Key.Key_G)
    click(qtbot, win, 5, 75)
    mask = saved(qtbot, lm, image)
    assert (mask == 255).sum() == 0 and (mask[10:31, 10:41] == 1).all() and mask[60, 70] == 2

    # a region of the prediction: the 4-connected component of the model's labels at the seed
    lm.start_blank()
    lm.panel.fill_source.setCurrentIndex(lm.panel.fill_source.findData("prediction"))
    pred = win.workspace.current_result.labels
    seed = (48, 40)
    lm.state.set_class(4)
    click(qtbot, win, *seed)
    _, comps = cv2.connectedComponents((pred == pred[seed[1], seed[0]]).astype(np.uint8), connectivity=4)
    expected = comps == comps[seed[1], seed[0]]
    mask = saved(qtbot, lm, image)
    assert np.array_equal(mask == 4, expected) and (mask[~expected] == 255).all()


def test_start_from_prediction_or_scribbles(qtbot, win, folder):
    image = folder / "p2.png"
    lm = open_and_label(qtbot, win, image)
    lm.panel.prediction_button.click()
    assert np.array_equal(saved(qtbot, lm, image), win.workspace.current_result.labels)
    lm.panel.blank_button.click()  # nothing labelled is no label: the mask file goes
    mask_path = folder / "masks" / "p2.png"
    qtbot.waitUntil(lambda: not lm.session.dirty and not mask_path.exists(), timeout=5000)
    key(qtbot, win, (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier))
    assert np.array_equal(saved(qtbot, lm, image), win.workspace.current_result.labels)


def test_new_classes_are_written_to_classes_txt(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    lm.classes.new_label_set(["background", "crack"])
    lines = (folder / "classes.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["background", "crack"]
    lm.classes.add_class("rust", (200, 100, 0))
    assert (folder / "classes.txt").read_text().splitlines()[-1] == "rust 200 100 0"
    assert lm.state.class_id == 2 and lm.panel.classes.count() == 3
    lm.classes.rename_class(1, "fissure")
    lm.classes.recolour_class(1, (10, 20, 30))
    assert (folder / "classes.txt").read_text().splitlines()[1] == "fissure 10 20 30"
    key(qtbot, win, Qt.Key.Key_2)  # the new class (2) by its number key
    lm.state.set_radius(1)
    drag(qtbot, win, [(30, 30), (35, 30)])
    mask = saved(qtbot, lm, image)
    assert (mask[30, 30:36] == 2).all()
    # its colour in the layer is the one chosen for it
    argb = lm.layer.pixel(32, 30)
    alpha = argb >> 24
    assert ((argb >> 16) & 255) == round(200 * alpha / 255) or ((argb >> 16) & 255) == 200 * alpha // 255


def test_existing_masks_are_edited_and_pending_labels_saved_on_switch(qtbot, win, folder):
    image = folder / "p3.png"
    (folder / "masks").mkdir()
    old = np.full((80, 96), 255, np.uint8)
    old[:10, :10] = 5
    Image.fromarray(old, mode="L").save(folder / "masks" / "p3.png")
    lm = open_and_label(qtbot, win, image)
    assert lm.session.mask[5, 5] == 5  # loaded for editing
    lm.state.set_class(1)
    lm.state.set_radius(1)
    drag(qtbot, win, [(50, 50), (55, 50)])
    win.workspace.go_to(0)  # at once, before the autosave timer fires
    qtbot.waitUntil(lambda: lm.session is not None and lm.session.image.name == "p0.png", timeout=30_000)
    with Image.open(folder / "masks" / "p3.png") as im:
        mask = np.array(im)
    assert mask[5, 5] == 5 and (mask[50, 50:56] == 1).all()
    assert not (folder / "masks" / "p0.png").exists()  # visiting an image writes nothing
    drag(qtbot, win, [(20, 20), (25, 20)])
    win.close()  # at once: closing writes the last stroke
    with Image.open(folder / "masks" / "p0.png") as im:
        assert (np.array(im)[20, 20:26] == 1).all()


def labelled_folder(qtbot, win, folder) -> None:
    """Strokes of two classes on three images, painted in the window."""
    for i in range(3):
        image = folder / f"p{i}.png"
        lm = open_and_label(qtbot, win, image)
        lm.state.set_radius(3)
        lm.state.set_class(1)
        drag(qtbot, win, [(5, 5), (40, 5), (40, 35), (5, 35)])  # the red block (top left)
        lm.state.set_class(15)
        drag(qtbot, win, [(60, 50), (90, 50), (90, 75), (60, 75)])  # the blue block
        saved(qtbot, lm, image)


def test_retrain_installs_a_version_the_open_image_switches_to_and_rolling_back(qtbot, win, folder):
    labelled_folder(qtbot, win, folder)
    lm = win.label_mode
    before = win.workspace.current_result.labels.copy()
    lm.fine_tune.train_config = HeadTrainConfig(epochs=8, lr=3e-2, flip=False)
    lm.actions.retrain.trigger()
    assert lm.fine_tune.task is not None
    qtbot.waitUntil(lambda: lm.fine_tune.task is None, timeout=120_000)
    assert lm.fine_tune.last_round is not None and lm.fine_tune.last_round.version.id == f"{MODEL_ID}-v2"
    assert win.models.current_id() == f"{MODEL_ID}-v2" and current_version(MODEL_ID) == f"{MODEL_ID}-v2"
    qtbot.waitUntil(
        lambda: win.workspace.current_result is not None and win.workspace.current_result.model_key == f"{MODEL_ID}-v2",
        timeout=60_000,
    )
    after = win.workspace.current_result.labels
    assert win.overlay.result is win.workspace.current_result
    assert not np.array_equal(before, after)
    with Image.open(folder / "masks" / "p2.png") as im:  # the open image's strokes
        painted = np.array(im)
    hit = after[painted != 255] == painted[painted != 255]
    assert hit.mean() > 0.9  # it learnt the two painted classes where they were painted
    assert "v2" in lm.panel.scores.text()
    assert [lm.panel.versions.itemData(i) for i in range(lm.panel.versions.count())] == [MODEL_ID, f"{MODEL_ID}-v2"]

    lm.panel.versions.setCurrentIndex(0)  # roll back, as the combo does when chosen
    lm.panel.versions.activated.emit(0)
    assert win.models.current_id() == MODEL_ID and current_version(MODEL_ID) == MODEL_ID
    qtbot.waitUntil(
        lambda: win.workspace.current_result is not None and win.workspace.current_result.model_key == MODEL_ID,
        timeout=60_000,
    )
    assert np.array_equal(win.workspace.current_result.labels, before)


def test_live_mode_refreshes_the_overlay_after_a_stroke(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    model_result = win.workspace.current_result
    assert not (model_result.labels[5:36, 5:41] == 1).any()
    lm.actions.live.trigger()
    lm.live.lr, lm.live.steps = 3e-2, 10
    lm.state.set_radius(3)
    for i in range(6):  # a few strokes over the red block: the overlay follows them
        lm.state.set_class(1)
        drag(qtbot, win, [(5, 5 + 6 * i), (40, 5 + 6 * i)])
        lm.state.set_class(15)
        drag(qtbot, win, [(60, 50 + 5 * i), (90, 50 + 5 * i)])
        qtbot.waitUntil(lambda: not lm.live.busy and win.overlay.result is not model_result, timeout=60_000)
        if (win.overlay.result.labels[5:36, 5:41] == 1).mean() > 0.5:
            break
    live = win.overlay.result
    assert lm.live.last_latency is not None and live.labels.shape == model_result.labels.shape
    assert (live.labels[5:36, 5:41] == 1).mean() > 0.5, "the live prediction learnt the painted class"
    assert win.workspace.current_result is model_result  # the model itself is unchanged


def test_live_mode_reuses_the_features_of_the_displayed_prediction(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    lm.prefetch.wait()  # p0 was drawn before Label mode was on: its features are computed in the background
    lm.cache.backbone_runs = 0
    open_and_label(qtbot, win, folder / "p1.png")  # segmented while in Label mode
    lm.actions.live.trigger()
    drag(qtbot, win, [(5, 5), (40, 5)])
    qtbot.waitUntil(lambda: lm.live.last_latency is not None, timeout=60_000)
    assert lm.cache.backbone_runs == 0 and lm.cache.hits >= 1
    lm.actions.live.trigger()  # off: the model's own prediction again
    assert win.overlay.result is win.workspace.current_result


def test_next_uncertain_ranks_unlabelled_images_by_mean_uncertainty(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    lm.state.set_radius(2)
    drag(qtbot, win, [(10, 10), (20, 10)])
    saved(qtbot, lm, folder / "p0.png")
    lm.actions.next_uncertain.trigger()
    qtbot.waitUntil(lambda: lm.uncertain.task is None and bool(lm.uncertain.dock.ranking), timeout=60_000)
    predictor = Predictor(weights.resolve_model(MODEL_ID), "cpu", max_size=win.workspace.max_size)
    step = UNCERTAINTY_STEP  # ranking reads every 4th pixel of each row and column
    scores = {
        p.name: float(1 - predictor.predict(folder / p.name).confidence[::step, ::step].mean(dtype="float64"))
        for p in folder.glob("p*.png")
        if p.name != "p0.png"
    }
    expected = sorted(scores, key=lambda n: -scores[n])
    assert [r.image.name for r in lm.uncertain.dock.ranking] == expected
    assert [lm.uncertain.dock.tree.topLevelItem(i).text(0) for i in range(3)] == expected
    for r in lm.uncertain.dock.ranking:
        assert r.uncertainty == pytest.approx(scores[r.image.name], abs=1e-6)
    qtbot.waitUntil(lambda: win.workspace.current_path.name == expected[0], timeout=10_000)
    # label it: the next N opens the next of the same ranking, without segmenting the folder again
    qtbot.waitUntil(lambda: lm.session is not None and lm.session.image.name == expected[0], timeout=10_000)
    drag(qtbot, win, [(10, 10), (20, 10)])
    saved(qtbot, lm, folder / expected[0])
    assert [r.image.name for r in lm.uncertain.dock.ranking] == expected[1:]
    lm.actions.next_uncertain.trigger()
    assert lm.uncertain.task is None
    qtbot.waitUntil(lambda: win.workspace.current_path.name == expected[1], timeout=10_000)


def test_space_drag_pans_and_paints_nothing(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    win.canvas.set_scale(20.0)  # zoomed in: there is room to pan
    bar = win.canvas.horizontalScrollBar()
    start = bar.value()
    key_press = (Qt.Key.Key_Space,)
    win.canvas.setFocus()
    qtbot.keyPress(win.canvas, *key_press)
    drag(qtbot, win, [(30, 30), (25, 30), (20, 30)])
    qtbot.keyRelease(win.canvas, *key_press)
    assert bar.value() != start
    assert (lm.session.mask == 255).all() and not lm.session.dirty


def test_an_edit_redraws_only_its_box():
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.gui.labelling.label_layer import LabelLayer
    from fcn_studio.labelling.edits import Box

    mask = np.full((8000, 10000), 255, np.uint8)
    layer = LabelLayer()
    layer.set_mask(mask, generic_labels(3))
    mask[100:110, 200:230] = 1
    mask[4000, 5000] = 2  # changed, but outside the box said to have changed: not redrawn yet
    layer.redraw(Box(100, 200, 110, 230))
    assert layer.pixel(5000, 4000) == 0
    inside, edge = layer.pixel(215, 105), layer.pixel(200, 105)
    assert inside >> 24 > 0 and inside != 0xFFFFFFFF  # the class colour, semi-opaque
    assert edge == 0xFFFFFFFF  # a white outline where the labels meet unlabelled pixels
    assert layer.pixel(215, 99) == 0 and layer.pixel(231, 105) == 0  # unlabelled: transparent


def test_fine_tuning_can_be_cancelled_and_installs_nothing(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    drag(qtbot, win, [(10, 10), (30, 10)])
    lm.fine_tune.train_config = HeadTrainConfig(epochs=10_000, lr=1e-3, flip=False)  # far longer than the test
    lm.panel.retrain_button.click()
    assert lm.panel.retrain_button.text() == "Cancel fine-tuning"
    lm.panel.retrain_button.click()
    qtbot.waitUntil(lambda: lm.fine_tune.task is None, timeout=60_000)
    assert lm.fine_tune.last_round is None and sorted(p.name for p in win_weights(win)) == [f"{MODEL_ID}.safetensors"]
    assert lm.panel.retrain_button.text() == "Fine-tune on my labels"


def win_weights(win) -> list[Path]:
    from fcn_studio.storage.weights import weights_dir

    return list(weights_dir().glob("*.safetensors"))
