"""Label mode's tool state: the tool, the class painted, the brush radius, where a fill
reads its regions, what the canvas shows, live mode and the label set.

One Qt-free evented object (as napari keeps a labels layer's mode, selected label and
brush size on the layer; psygnal's signals, emitted on the thread that changes it, the
GUI's): the panel, the actions and the canvas tools only write it and listen to its
signals, so none of them is kept in step with another by hand. Each setter emits only when
the value really changes. What is remembered between sessions is the GUI's business
(gui/labelling/state.py writes it to the injected settings).
"""

from __future__ import annotations

from enum import StrEnum

from psygnal import Signal

from fcn_studio.data.labels import LabelSet

MAX_RADIUS = 500
DEFAULT_RADIUS = 6.0  # image pixels


class Tool(StrEnum):
    BRUSH = "brush"
    ERASER = "eraser"
    FILL = "fill"
    POLYGON = "polygon"


class FillSource(StrEnum):
    LABELS = "labels"
    PREDICTION = "prediction"


class LayerView(StrEnum):
    """What the canvas shows in Label mode."""

    BOTH = "both"
    LABELS = "labels"
    PREDICTION = "prediction"


_VIEW_ORDER = (LayerView.BOTH, LayerView.LABELS, LayerView.PREDICTION)


class LabelState:
    tool_changed = Signal(object)  # Tool
    class_changed = Signal(int)
    radius_changed = Signal(float)
    fill_source_changed = Signal(object)  # FillSource
    view_changed = Signal(object)  # LayerView
    live_changed = Signal(bool)
    label_set_changed = Signal(object)  # LabelSet or None

    def __init__(self) -> None:
        self._tool = Tool.BRUSH
        self._class = -1  # none yet: the first label set picks its first class after the background
        self._radius = DEFAULT_RADIUS
        self._fill_source = FillSource.LABELS
        self._view = LayerView.BOTH
        self._live = False
        self._label_set: LabelSet | None = None

    # -- reading ---------------------------------------------------------------------------

    @property
    def tool(self) -> Tool:
        return self._tool

    @property
    def class_id(self) -> int:
        return self._class

    @property
    def radius(self) -> float:
        return self._radius

    @property
    def fill_source(self) -> FillSource:
        return self._fill_source

    @property
    def view(self) -> LayerView:
        return self._view

    @property
    def live(self) -> bool:
        return self._live

    @property
    def label_set(self) -> LabelSet | None:
        return self._label_set

    # -- writing ---------------------------------------------------------------------------

    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool != self._tool:
            self._tool = tool
            self.tool_changed.emit(tool)

    def set_class(self, class_id: int) -> None:
        """Pick a class of the label set (others are ignored); picking a class means
        painting it, so the eraser gives way to the brush."""
        labels = self._label_set
        if labels is None or not 0 <= class_id < labels.num_classes:
            return
        if self._tool is Tool.ERASER:
            self.set_tool(Tool.BRUSH)
        if class_id != self._class:
            self._class = class_id
            self.class_changed.emit(class_id)

    def set_radius(self, radius: float) -> None:
        radius = float(min(max(radius, 0.0), MAX_RADIUS))
        if radius != self._radius:
            self._radius = radius
            self.radius_changed.emit(radius)

    def grow(self, factor: float) -> None:
        """``[`` and ``]``: at least one pixel a step, proportionally for big brushes."""
        r = self._radius
        self.set_radius(max(r * factor, r + 1) if factor > 1 else min(r * factor, r - 1))

    def set_fill_source(self, source: FillSource | str) -> None:
        source = FillSource(source)
        if source != self._fill_source:
            self._fill_source = source
            self.fill_source_changed.emit(source)

    def set_view(self, view: LayerView | str) -> None:
        view = LayerView(view)
        if view != self._view:
            self._view = view
            self.view_changed.emit(view)

    def cycle_view(self) -> None:
        self.set_view(_VIEW_ORDER[(_VIEW_ORDER.index(self._view) + 1) % len(_VIEW_ORDER)])

    def set_live(self, on: bool) -> None:
        on = bool(on)
        if on != self._live:
            self._live = on
            self.live_changed.emit(on)

    def set_label_set(self, labels: LabelSet | None) -> None:
        """A new (or edited) label set; the class painted stays if it still exists, else
        the first class after the background."""
        if labels == self._label_set:
            return
        self._label_set = labels
        self.label_set_changed.emit(labels)
        if labels is not None and not 0 <= self._class < labels.num_classes:
            self._class = 1 if labels.num_classes > 1 else 0
            self.class_changed.emit(self._class)
