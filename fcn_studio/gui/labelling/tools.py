"""The painting tools on the canvas: brush, eraser, fill and polygon/lasso.

An event filter on the canvas's viewport turns left-button presses, drags and releases
into edits (the view's own drag-to-pan is off in Label mode); holding Space gives the
hand back to the view, so Space + drag still pans, and the wheel still zooms.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsView

from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.labelling import edits
from fcn_studio.labelling.edits import Box, Change
from fcn_studio.labelling.history import LabelEditor
from fcn_studio.state.label_tools import FillSource, LabelState, Tool

_LASSO_PIXELS = 4  # a press that moves further than this (on screen) draws a lasso


class PaintTools(QObject):
    """Emits ``changed(box)`` after each edit (redraw that box) and ``stroke_done()`` when a
    stroke, fill or polygon is finished (save soon, update the live prediction).

    The tool, radius, fill source and class come from the :class:`LabelState`; the labels
    edited are those of the image on screen when the stroke began (``editor()`` is asked
    once per stroke), so a stroke never spills onto an image shown while it was drawn."""

    changed = Signal(object)
    stroke_done = Signal()

    def __init__(
        self,
        canvas: ImageCanvas,
        state: LabelState,
        editor: Callable[[], LabelEditor | None],
        prediction: Callable[[], np.ndarray | None],
    ) -> None:
        super().__init__(canvas)
        self.canvas, self.state = canvas, state
        self._editor, self._prediction = editor, prediction
        self.enabled = False
        self._space = False
        self._target: LabelEditor | None = None  # the editor of the stroke being drawn
        self._stroke: list[tuple[int, int]] | None = None  # brush/eraser/lasso points of the drag
        self._press_at: QPointF | None = None
        self._polygon: list[tuple[int, int]] = []
        self._cursor = QGraphicsEllipseItem()
        self._cursor.setZValue(3)
        self._cursor.setPen(_cosmetic_pen(QColor(255, 255, 255), Qt.PenStyle.DashLine))
        self._cursor.setVisible(False)
        self._path = QGraphicsPathItem()
        self._path.setZValue(3)
        self._path.setPen(_cosmetic_pen(QColor(255, 235, 59), Qt.PenStyle.SolidLine))
        for item in (self._cursor, self._path):
            canvas.scene().addItem(item)
        canvas.viewport().installEventFilter(self)
        canvas.installEventFilter(self)
        state.tool_changed.connect(self._tool_changed)

    # -- settings ------------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.finish_stroke()
        self._cursor.setVisible(False)
        self.canvas.setDragMode(QGraphicsView.DragMode.NoDrag if enabled else QGraphicsView.DragMode.ScrollHandDrag)
        if enabled:
            self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.canvas.viewport().unsetCursor()

    def _tool_changed(self, _tool: Tool) -> None:
        self.finish_stroke()
        self._cursor.setVisible(False)

    def finish_stroke(self) -> None:
        """End a drag or polygon in progress where it is (the image is about to change, or
        the tool): what was painted stays, as one undo step of its own image; the rest of
        the drag paints nothing."""
        target, self._target = self._target, None
        if target is not None and self._stroke is not None and self.state.tool in (Tool.BRUSH, Tool.ERASER):
            target.end_stroke()
        self.cancel_polygon()

    # -- edits ---------------------------------------------------------------------------

    def _apply(self, change: Change | None, editor: LabelEditor) -> Box | None:
        box = editor.apply(change)
        if box is not None:
            self.changed.emit(box)
        return box

    def _paint(self, points: list[tuple[int, int]]) -> None:
        target, state = self._target, self.state
        if target is None:
            return
        shape = target.mask.shape
        if state.tool is Tool.ERASER:
            self._apply(edits.erase(shape, points, state.radius), target)
        else:
            self._apply(edits.brush(shape, points, state.radius, state.class_id), target)

    def fill(self, x: int, y: int) -> None:
        editor = self._editor()
        if editor is None:
            return
        source = editor.mask
        if self.state.fill_source is FillSource.PREDICTION:
            prediction = self._prediction()
            if prediction is None or prediction.shape != source.shape:
                return  # no prediction of this image yet
            source = prediction
        editor.begin_stroke()
        self._apply(edits.flood_fill(source, (x, y), self.state.class_id), editor)
        editor.end_stroke()
        self.stroke_done.emit()

    def fill_polygon(self, points: list[tuple[int, int]]) -> None:
        editor = self._editor()
        if editor is None or len(points) < 3:
            return
        editor.begin_stroke()
        self._apply(edits.polygon_fill(editor.mask.shape, points, self.state.class_id), editor)
        editor.end_stroke()
        self.stroke_done.emit()

    def close_polygon(self) -> None:
        points, self._polygon = self._polygon, []
        self._path.setPath(QPainterPath())
        self.fill_polygon(points)

    def cancel_polygon(self) -> None:
        self._polygon = []
        self._stroke = None
        self._path.setPath(QPainterPath())

    # -- events --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.enabled:
            return False
        kind = event.type()
        if watched is self.canvas:
            return self._key(event) if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) else False
        if kind == QEvent.Type.MouseButtonPress:
            return self._press(event)
        if kind == QEvent.Type.MouseMove:
            self._move(event)
            return False  # the canvas still reports the hovered pixel
        if kind == QEvent.Type.MouseButtonRelease:
            return self._release(event)
        if kind == QEvent.Type.MouseButtonDblClick and self.state.tool is Tool.POLYGON:
            self.close_polygon()
            return True
        if kind == QEvent.Type.Enter:
            self.canvas.setFocus()  # Space pans, Enter closes a polygon: the canvas hears them
        if kind == QEvent.Type.Leave:
            self._cursor.setVisible(False)
        return False

    def _key(self, event) -> bool:
        key, press = event.key(), event.type() == QEvent.Type.KeyPress
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = press  # Space + drag pans, as in image editors
            self.canvas.setDragMode(QGraphicsView.DragMode.ScrollHandDrag if press else QGraphicsView.DragMode.NoDrag)
            if not press:
                self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return False
        if press and self.state.tool is Tool.POLYGON and self._polygon:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.close_polygon()
                return True
            if key == Qt.Key.Key_Escape:
                self.cancel_polygon()
                return True
        return False

    def _pixel(self, event) -> tuple[int, int]:
        pos = self.canvas.mapToScene(event.position().toPoint())
        return int(np.floor(pos.x())), int(np.floor(pos.y()))

    def _press(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or self._space:
            return False  # Space + drag, middle and right buttons: the view's
        self.canvas.setFocus()
        p = self._pixel(event)
        editor = self._editor()
        if editor is None:
            return True
        if self.state.tool in (Tool.BRUSH, Tool.ERASER):
            editor.begin_stroke()
            self._target, self._stroke = editor, [p]
            self._paint([p])
        elif self.state.tool is Tool.FILL:
            self.fill(*p)
        elif self.state.tool is Tool.POLYGON:
            self._press_at = event.position()
            self._stroke = [p]
        return True

    def _move(self, event) -> None:
        p = self._pixel(event)
        self._show_cursor(p)
        if self._stroke is None or not event.buttons() & Qt.MouseButton.LeftButton:
            if self.state.tool is Tool.POLYGON and self._polygon:
                self._draw_path([*self._polygon, p])
            return
        if p == self._stroke[-1]:
            return
        if self.state.tool in (Tool.BRUSH, Tool.ERASER):
            self._paint([self._stroke[-1], p])  # the segment since the last event
            self._stroke.append(p)
        elif self.state.tool is Tool.POLYGON:
            self._stroke.append(p)
            if self._press_at is not None and _moved(self._press_at, event.position()):
                self._draw_path(self._stroke, closed=True)

    def _release(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or self._stroke is None:
            return False
        stroke, self._stroke = self._stroke, None
        if self.state.tool in (Tool.BRUSH, Tool.ERASER):
            target, self._target = self._target, None
            if target is None:
                return True  # ended when the image changed under it: nothing more to do
            target.end_stroke()
            self.stroke_done.emit()
        elif self.state.tool is Tool.POLYGON:
            if self._press_at is not None and _moved(self._press_at, event.position()) and len(stroke) >= 3:
                self._path.setPath(QPainterPath())
                self.fill_polygon(stroke)  # a lasso: filled as soon as the button is released
            elif self._polygon and len(self._polygon) >= 3 and _near(self._polygon[0], stroke[0], self.canvas):
                self.close_polygon()  # a click on the first vertex closes the polygon
            else:
                self._polygon.append(stroke[0])
                self._draw_path(self._polygon)
        return True

    # -- feedback ------------------------------------------------------------------------

    def _show_cursor(self, p: tuple[int, int]) -> None:
        if self.state.tool not in (Tool.BRUSH, Tool.ERASER):
            self._cursor.setVisible(False)
            return
        r = self.state.radius + 0.5
        self._cursor.setRect(QRectF(p[0] + 0.5 - r, p[1] + 0.5 - r, 2 * r, 2 * r))
        self._cursor.setVisible(True)

    def _draw_path(self, points: list[tuple[int, int]], closed: bool = False) -> None:
        path = QPainterPath()
        if points:
            path.moveTo(points[0][0] + 0.5, points[0][1] + 0.5)
            for x, y in points[1:]:
                path.lineTo(x + 0.5, y + 0.5)
            if closed:
                path.closeSubpath()
        self._path.setPath(path)


def _cosmetic_pen(color: QColor, style: Qt.PenStyle) -> QPen:
    pen = QPen(color, 1.5, style)
    pen.setCosmetic(True)  # the same width on screen at every zoom
    return pen


def _moved(a: QPointF, b: QPointF) -> bool:
    return abs(a.x() - b.x()) + abs(a.y() - b.y()) > _LASSO_PIXELS


def _near(a: tuple[int, int], b: tuple[int, int], canvas: ImageCanvas) -> bool:
    """Within a few screen pixels of each other, at the current zoom."""
    reach = 6 / max(canvas.scale_factor(), 1e-6)
    return abs(a[0] - b[0]) <= reach and abs(a[1] - b[1]) <= reach
