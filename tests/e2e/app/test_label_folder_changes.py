"""Label mode when the folder or a mask changes outside the app (issue 26): a renamed or
deleted folder is never created again, a mask deleted outside is never written again
silently; the user is asked, their choice is honoured, and no stroke is lost."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from tests.e2e.app.label_kit import drag, open_and_label, saved


def _asked(qtbot, lm):
    qtbot.waitUntil(lambda: lm.at_risk.box is not None and lm.at_risk.box.isVisible(), timeout=5000)
    return lm.at_risk


def _mask(path):
    with Image.open(path) as im:
        return np.array(im)


def test_a_renamed_open_folder_is_not_recreated_and_its_labels_are_kept_where_the_user_says(
    qtbot, win, folder, tmp_path, monkeypatch
):
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    lm.state.set_radius(2)
    drag(qtbot, win, [(10, 10), (30, 10)])
    saved(qtbot, lm, image)
    renamed = folder.with_name("photos renamed")
    folder.rename(renamed)
    drag(qtbot, win, [(10, 30), (30, 30)])  # autosave finds the folder gone
    question = _asked(qtbot, lm)
    assert not folder.exists(), "no ghost folder"
    assert lm.session.dirty, "the stroke is held in memory"
    elsewhere = tmp_path / "kept"
    elsewhere.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(elsewhere))
    question.keep_button.click()
    kept = _mask(elsewhere / "masks" / "p0.png")
    assert (kept[8:13, 10:31] == 1).all() and (kept[28:33, 10:31] == 1).all(), "both strokes kept"
    assert (elsewhere / "classes.txt").is_file()
    assert not lm.session.dirty and not folder.exists()
    assert (_mask(renamed / "masks" / "p0.png")[28:33, 10:31] == 255).all(), "the moved folder is not written"


def test_labels_of_a_deleted_folder_are_discarded_only_when_the_user_says_so(qtbot, win, folder, tmp_path):
    image = folder / "p1.png"
    lm = open_and_label(qtbot, win, image)
    drag(qtbot, win, [(10, 10), (30, 10)])
    saved(qtbot, lm, image)
    folder.rename(tmp_path / "elsewhere")  # gone from where it was opened
    drag(qtbot, win, [(10, 30), (30, 30)])
    question = _asked(qtbot, lm)
    question.discard_button.click()
    assert not lm.session.dirty and not folder.exists()


def test_labels_held_when_the_window_closes_are_recovered_not_lost(qtbot, win, folder, tmp_path, weights_home):
    image = folder / "p2.png"
    lm = open_and_label(qtbot, win, image)
    drag(qtbot, win, [(10, 10), (30, 10)])
    saved(qtbot, lm, image)
    folder.rename(tmp_path / "moved")
    drag(qtbot, win, [(10, 30), (30, 30)])
    _asked(qtbot, lm)
    win.close()  # before answering
    assert not folder.exists()
    (recovered,) = (weights_home.parent / "recovered-labels").glob("photos */masks/p2.png")
    assert (_mask(recovered)[28:33, 10:31] == 1).all()


def test_a_mask_deleted_outside_is_not_rewritten_silently_and_the_choice_is_honoured(qtbot, win, folder):
    image = folder / "p0.png"
    mask_path = folder / "masks" / "p0.png"
    lm = open_and_label(qtbot, win, image)
    drag(qtbot, win, [(10, 10), (30, 10)])
    saved(qtbot, lm, image)
    mask_path.unlink()  # deleted in a file manager
    drag(qtbot, win, [(10, 30), (30, 30)])
    question = _asked(qtbot, lm)
    assert not mask_path.exists(), "not written again before the user answers"
    question.keep_button.click()  # "Write them again"
    mask = _mask(mask_path)
    assert (mask[8:13, 10:31] == 1).all() and (mask[28:33, 10:31] == 1).all(), "nothing lost"

    mask_path.unlink()
    drag(qtbot, win, [(10, 50), (30, 50)])
    question = _asked(qtbot, lm)
    question.discard_button.click()  # "Leave it deleted"
    assert not mask_path.exists()
    qtbot.waitUntil(lambda: lm.session is not None and not lm.session.dirty)
    assert (lm.session.mask == 255).all(), "the image starts again unlabelled, as on disk"
    drag(qtbot, win, [(40, 60), (60, 60)])  # a new stroke makes a new mask, without asking
    assert (saved(qtbot, lm, image)[58:63, 40:61] == 1).all()
    assert lm.at_risk.box is None


def test_labels_kept_in_the_renamed_folder_itself_update_its_mask(qtbot, win, folder, monkeypatch):
    image = folder / "p3.png"
    lm = open_and_label(qtbot, win, image)
    lm.state.set_radius(2)
    drag(qtbot, win, [(10, 10), (30, 10)])
    saved(qtbot, lm, image)
    renamed = folder.with_name("photos 2")
    folder.rename(renamed)
    drag(qtbot, win, [(10, 30), (30, 30)])
    question = _asked(qtbot, lm)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(renamed))
    question.keep_button.click()  # the user points at where they moved the folder
    mask = _mask(renamed / "masks" / "p3.png")
    assert (mask[8:13, 10:31] == 1).all() and (mask[28:33, 10:31] == 1).all()
    moved = renamed / "p3.png"
    qtbot.waitUntil(lambda: lm.session is not None and lm.session.image == moved, timeout=10_000)  # it follows
    assert win.workspace.current_path == moved
    drag(qtbot, win, [(10, 50), (30, 50)])  # labelling goes on in the renamed folder, unasked
    mask = saved(qtbot, lm, moved)
    assert (mask[28:33, 10:31] == 1).all() and (mask[48:53, 10:31] == 1).all()
    assert lm.at_risk.box is None and not folder.exists()
