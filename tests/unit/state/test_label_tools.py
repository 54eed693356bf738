"""Label mode's tool state is a Qt-free evented model: each real change is announced once,
and the rules between its fields (picking a class leaves the eraser) hold without a GUI."""

from __future__ import annotations

import subprocess
import sys

from fcn_studio.data.labels import generic_labels
from fcn_studio.state.label_tools import MAX_RADIUS, FillSource, LabelState, LayerView, Tool


def test_the_state_announces_only_real_changes():
    state = LabelState()
    seen: list[tuple] = []
    state.class_changed.connect(lambda c: seen.append(("class", c)))
    state.radius_changed.connect(lambda r: seen.append(("radius", r)))
    state.set_label_set(generic_labels(3))
    assert state.class_id == 1  # the first class after the background
    state.set_class(7)  # not in the set: ignored
    state.set_class(1)  # unchanged: silent
    state.set_radius(state.radius)
    state.set_radius(10_000)  # clamped
    assert seen == [("class", 1), ("radius", float(MAX_RADIUS))]
    state.set_label_set(generic_labels(1))  # the class painted is gone
    assert state.class_id == 0


def test_picking_a_class_leaves_the_eraser_for_the_brush():
    state = LabelState()
    tools = []
    state.tool_changed.connect(tools.append)
    state.set_label_set(generic_labels(4))
    state.set_tool("eraser")
    state.set_class(3)
    assert tools == [Tool.ERASER, Tool.BRUSH] and state.class_id == 3


def test_views_cycle_and_values_arrive_as_their_enums():
    state = LabelState()
    views, sources, live = [], [], []
    state.view_changed.connect(views.append)
    state.fill_source_changed.connect(sources.append)
    state.live_changed.connect(live.append)
    for _ in range(3):
        state.cycle_view()
    state.set_fill_source("prediction")
    state.set_fill_source(FillSource.PREDICTION)
    state.set_live(1)
    state.set_live(True)
    assert views == [LayerView.LABELS, LayerView.PREDICTION, LayerView.BOTH]
    assert sources == [FillSource.PREDICTION] and live == [True]


def test_brush_steps_are_at_least_a_pixel():
    state = LabelState()
    state.set_radius(2)
    state.grow(1.25)
    assert state.radius == 3
    state.grow(1 / 1.25)
    assert state.radius == 2


def test_the_model_needs_no_qt():
    code = "import sys, fcn_studio.state.label_tools; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
