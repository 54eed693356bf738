"""Label mode across quits and restarts: quitting right after a live stroke, the fine-tune
line after going back to a version and after a restart, the tool settings remembered, the
Labels dock after a restart, and the panel at the default window size."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from fcn_studio.gui import settings as keys
from fcn_studio.labelling.versions import install_version
from fcn_studio.state.label_tools import FillSource, LayerView
from fcn_studio.storage.weights import resolve_model
from tests.e2e.app.label_kit import MODEL_ID, drag, key, make_window, open_and_label

QUIT = (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_q_right_after_a_stroke_with_live_on_quits_at_once_and_keeps_the_stroke(qtbot, win, folder):
    if win.actions_.quit.shortcut().isEmpty():  # the offscreen platform binds no Quit key
        win.actions_.quit.setShortcut(QKeySequence("Ctrl+Q"))
    image = folder / "p0.png"
    lm = open_and_label(qtbot, win, image)
    lm.panel.live.click()  # Live on
    lm.state.set_radius(2)
    drag(qtbot, win, [(10, 10), (40, 10)])  # a first update: the live head is made
    qtbot.waitUntil(lambda: lm.live.last_latency is not None, timeout=60_000)
    lm.live.steps = 10**7  # the next update would run for minutes (a big image on a slow CPU)
    drag(qtbot, win, [(10, 20), (40, 20)])
    qtbot.waitUntil(lambda: lm.live.busy, timeout=5000)
    time.sleep(0.3)  # well inside the update
    started = time.monotonic()
    key(qtbot, win, QUIT)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=90_000)
    assert time.monotonic() - started < 3, "the window closes without waiting for the live update"
    mask = np.array(Image.open(folder / "masks" / "p0.png"))
    assert (mask[20, 10:41] == 1).all()  # the stroke was written before anything stopped


def _versions(base_id: str, scores: list[float]) -> list[str]:
    """Fine-tuned versions of ``base_id`` as a round installs them, with their scores."""
    ids = []
    for miou in scores:
        ckpt = resolve_model(base_id)
        ckpt.metrics = {"mean_iou": miou}
        ids.append(install_version(ckpt, base_id).id)
    return ids


def test_the_fine_tune_line_follows_the_version_in_use(qtbot, win, folder, tmp_path):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    assert "No fine-tuning yet" in lm.panel.scores.text()
    v2, v3 = _versions(MODEL_ID, [0.41, 0.63])
    lm.ctx.use_model(v3)  # as a round that made it current does
    qtbot.waitUntil(lambda: lm.panel.versions.count() == 3)
    assert v3 in lm.panel.scores.text() and "63.0" in lm.panel.scores.text()

    lm.panel.versions.setCurrentIndex(lm.panel.versions.findData(v2))  # go back to v2
    lm.panel.versions.activated.emit(lm.panel.versions.currentIndex())
    assert v2 in lm.panel.scores.text() and "41.0" in lm.panel.scores.text()
    assert v3 not in lm.panel.scores.text()

    win.settings.write(keys.MODEL, v2)
    win.close()  # a restart
    again = make_window(qtbot, tmp_path / "settings.ini")
    lm = open_and_label(qtbot, again, folder / "p0.png")
    assert lm.panel.versions.currentData() == v2
    assert v2 in lm.panel.scores.text() and "No fine-tuning yet" not in lm.panel.scores.text()
    again.close()


def test_tool_settings_are_remembered_and_the_labels_dock_follows_label_mode(qtbot, win, folder, tmp_path):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    lm.panel.radius.setValue(17)
    lm.panel.fill_source.setCurrentIndex(lm.panel.fill_source.findData(FillSource.PREDICTION))
    lm.panel.layer_view.setCurrentIndex(lm.panel.layer_view.findData(LayerView.LABELS))
    lm.panel.live.click()
    assert lm.panel.isVisible()
    win.close()  # closed in Label mode: the saved layout has the Labels dock shown

    again = make_window(qtbot, tmp_path / "settings.ini")
    lm = again.label_mode
    assert not lm.active and not lm.panel.isVisible(), "no Labels dock while Label mode is off"
    assert lm.state.radius == 17 and lm.state.fill_source is FillSource.PREDICTION
    assert lm.state.view is LayerView.LABELS and lm.state.live
    open_and_label(qtbot, again, folder / "p1.png")
    assert lm.panel.radius.value() == 17 and lm.panel.live.isChecked() and lm.actions.live.isChecked()
    assert lm.panel.fill_source.currentData() == FillSource.PREDICTION
    assert lm.panel.classes.count() == again.workspace.current_result.label_set.num_classes
    again.close()


def test_keys_pick_the_class_of_their_number(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    for k, cid in ((Qt.Key.Key_0, 0), (Qt.Key.Key_7, 7), (Qt.Key.Key_1, 1)):
        key(qtbot, win, k)
        assert lm.state.class_id == cid
        row = lm.panel.classes.item(cid).text()
        assert row.split()[0] == str(cid)  # the list reads the number the key has
        assert lm.panel.active.text().split(":")[1].split()[0] == str(cid)


def test_the_labels_panel_and_the_legend_fit_the_default_window(qtbot, win, folder):
    win.resize(1280, 820)
    lm = open_and_label(qtbot, win, folder / "p0.png")
    qtbot.wait(50)
    scroll = lm.panel.widget()
    assert scroll.verticalScrollBar().maximum() == 0, "the Labels panel fits without scrolling"
    rows = win.legend.table.rowCount() if hasattr(win.legend, "table") else None
    assert rows is None or rows > 0
    assert np.all(np.array([lm.panel.height(), win.legend.height()]) > 0)
