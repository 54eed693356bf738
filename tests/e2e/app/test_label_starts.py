"""How an image's labels start and where a stroke lands: "From prediction" with a label set
that shares no class with the model, an undone start that leaves nothing labelled, and a
stroke that began before the view moved to another image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fcn_studio.labelling.label_store import LabelStore
from tests.e2e.app.label_kit import LEFT, at, key, open_and_label, saved

UNDO = (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_from_prediction_then_undo_leaves_no_label(qtbot, win, folder):
    image = folder / "p1.png"
    lm = open_and_label(qtbot, win, image)
    lm.panel.prediction_button.click()
    assert np.array_equal(saved(qtbot, lm, image), win.workspace.current_result.labels)
    key(qtbot, win, UNDO)  # back to nothing labelled
    mask_path = folder / "masks" / "p1.png"
    qtbot.waitUntil(lambda: not lm.session.dirty, timeout=5000)
    assert not mask_path.exists(), "a mask with no labelled pixel is no label"
    assert LabelStore(folder).labelled_images() == []  # what train and Next Uncertain count
    assert image in LabelStore(folder).unlabelled_images()


def test_from_prediction_asks_how_the_models_classes_map_when_none_is_in_the_set(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    lm.classes.new_label_set(["sky", "crack"])  # none of the model's (VOC) class names
    pred = win.workspace.current_result.labels
    lm.panel.prediction_button.click()
    dialog = lm.class_map_dialog
    assert dialog is not None and dialog.isVisible(), "the user is told, not left with nothing"
    assert not (folder / "masks" / "p0.png").exists()
    present = sorted(int(c) for c in np.unique(pred))
    assert sorted(dialog.combos) == present  # one row per class predicted on this image
    first, *others = present
    dialog.combos[first].setCurrentIndex(dialog.combos[first].findData(1))  # -> crack
    for cid in others:
        dialog.combos[cid].setCurrentIndex(dialog.combos[cid].findData(0))  # -> sky
    qtbot.mouseClick(dialog.ok_button, LEFT)
    expected = np.where(pred == first, 1, 0)
    assert np.array_equal(saved(qtbot, lm, image), expected)

    lm.start_blank()
    lm.panel.prediction_button.click()  # the mapping is asked once per pair of label sets
    assert lm.class_map_dialog is None
    assert np.array_equal(saved(qtbot, lm, image), expected)


def test_from_prediction_can_take_the_models_classes_for_the_folder(qtbot, win, folder):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    lm.classes.new_label_set(["sky", "crack"])
    lm.panel.prediction_button.click()
    qtbot.mouseClick(lm.class_map_dialog.use_model_button, LEFT)
    result = win.workspace.current_result
    assert lm.state.label_set.classes == result.label_set.classes
    assert (folder / "classes.txt").read_text().split()[0] == result.label_set.classes[0]
    assert np.array_equal(saved(qtbot, lm, image), result.labels)


def test_a_stroke_lands_on_the_image_shown_when_it_began(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    lm.state.set_radius(1)
    lm.state.set_class(1)
    vp = win.canvas.viewport()
    qtbot.mousePress(vp, LEFT, pos=at(win, 10, 10))
    QTest.mouseMove(vp, at(win, 20, 10))
    with qtbot.waitSignal(win.workspace.image_shown, timeout=30_000):
        win.workspace.go_to(1)  # the view moves on in the middle of the drag (a late key press)
    qtbot.waitUntil(lambda: lm.session is not None and lm.session.image.name == "p1.png")
    QTest.mouseMove(vp, at(win, 40, 40))
    QTest.mouseMove(vp, at(win, 60, 40))
    qtbot.mouseRelease(vp, LEFT, pos=at(win, 60, 40))
    assert not (lm.session.mask != 255).any(), "nothing of the drag lands on the image shown later"
    assert not lm.session.editor.can_undo
    with_first = LabelStore(folder).load_mask(folder / "p0.png")
    assert with_first is not None and (with_first[9:12, 10:21] == 1).all()
    assert (with_first[20:, :] == 255).all()
    key(qtbot, win, UNDO)  # nothing to undo here, and nothing breaks
    assert not (folder / "masks" / "p1.png").exists()
