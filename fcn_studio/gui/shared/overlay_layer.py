"""Keeps the canvas's overlay in step with the result, mode, visible classes and opacity."""

from __future__ import annotations

from PySide6.QtGui import QImage

from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.overlay import (
    OverlayMode,
    class_color_table,
    indexed_image,
    overlay_index,
    uncertainty_color_table,
)
from fcn_studio.gui.shared.results import SegmentationResult


class OverlayLayer:
    def __init__(self, canvas: ImageCanvas) -> None:
        self.canvas = canvas
        self.result: SegmentationResult | None = None
        self.mode = OverlayMode.FILLED
        self.hidden: frozenset[int] = frozenset()
        self._image: QImage | None = None  # the index image of (result, mode)

    def set_result(self, result: SegmentationResult | None) -> None:
        self.result = result
        self._rebuild_index()

    def set_mode(self, mode: OverlayMode) -> None:
        if mode is not self.mode:
            self.mode = mode
            self._rebuild_index()

    def set_hidden(self, hidden: frozenset[int]) -> None:
        self.hidden = hidden
        self._recolor()

    def set_opacity(self, opacity: float) -> None:
        self.canvas.set_overlay_opacity(opacity)

    def _rebuild_index(self) -> None:
        r = self.result
        index = None if r is None else overlay_index(r.labels, r.confidence, self.mode)
        self._image = None if index is None else indexed_image(index)
        self._recolor()

    def _recolor(self) -> None:
        if self._image is None or self.result is None:
            self.canvas.set_overlay(None)
            return
        if self.mode is OverlayMode.UNCERTAINTY:
            table = uncertainty_color_table()
        else:
            visible = set(range(self.result.label_set.num_classes)) - set(self.hidden)
            table = class_color_table(self.result.label_set, visible)
        self._image.setColorTable(table)
        self.canvas.set_overlay(self._image)
