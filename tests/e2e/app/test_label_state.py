"""One Label-mode state, many views of it: keys and menu actions, the panel's widgets and
the canvas tools all read and write the same LabelState, so none can disagree."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fcn_studio.state.label_tools import LayerView, Tool
from tests.e2e.app.label_kit import key, open_and_label


def test_keys_actions_panel_and_canvas_follow_one_state(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    state, panel, actions = lm.state, lm.panel, lm.actions
    key(qtbot, win, Qt.Key.Key_E)
    assert state.tool is Tool.ERASER and actions.eraser.isChecked()
    key(qtbot, win, Qt.Key.Key_3)  # picking a class means painting it
    assert state.tool is Tool.BRUSH and actions.brush.isChecked() and panel.classes.currentRow() == 3
    panel.classes.setCurrentRow(5)  # a click in the list
    assert state.class_id == 5 and panel.active.text().split(":")[1].split()[0] == "5"

    state.set_radius(10)
    key(qtbot, win, Qt.Key.Key_BracketRight)
    assert state.radius > 10 and panel.radius.value() == round(state.radius)
    assert panel.radius_label.text().startswith(str(round(state.radius)))

    key(qtbot, win, Qt.Key.Key_V)  # both -> labels only
    assert state.view is LayerView.LABELS and panel.layer_view.currentData() == LayerView.LABELS
    assert lm.layer.isVisible() and not win.canvas._overlay_item.isVisible()  # the prediction hidden
    panel.layer_view.setCurrentIndex(panel.layer_view.findData(LayerView.PREDICTION))
    assert state.view is LayerView.PREDICTION and not lm.layer.isVisible()

    actions.live.trigger()
    assert state.live and panel.live.isChecked()
    panel.live.click()
    assert not state.live and not actions.live.isChecked()
