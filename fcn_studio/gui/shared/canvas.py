"""The image view: zoom to cursor, pan, fit, 1:1, and an overlay that stays aligned."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

_ZOOM_STEP = 1.25
_MIN_SCALE, _MAX_SCALE = 0.02, 64.0


class ImageCanvas(QGraphicsView):
    """Image and overlay as two pixmap items in one scene, so they can never drift apart.

    Emits ``hovered(x, y)`` in image pixel coordinates (-1, -1 outside the image) and
    ``zoom_changed(scale)``.
    """

    hovered = Signal(int, int)
    zoom_changed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(38, 38, 42))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setMouseTracking(True)
        self.setAcceptDrops(False)  # the main window takes drops
        self._image_item = QGraphicsPixmapItem()
        self._overlay_item = QGraphicsPixmapItem()
        self._overlay_item.setZValue(1)
        for item in (self._image_item, self._overlay_item):
            item.setTransformationMode(Qt.TransformationMode.FastTransformation)  # crisp pixels when zoomed
            self.scene().addItem(item)
        self._fit_on_resize = True
        self._image_size = (0, 0)

    # -- content ---------------------------------------------------------------------

    def set_image(self, image: QImage | None, keep_view: bool = False) -> None:
        if image is None:
            self._image_item.setPixmap(QPixmap())
            self._overlay_item.setPixmap(QPixmap())
            self._image_size = (0, 0)
            return
        new_size = (image.width(), image.height())
        self._image_item.setPixmap(QPixmap.fromImage(image))
        self._overlay_item.setPixmap(QPixmap())
        self.scene().setSceneRect(0, 0, *new_size)
        if not (keep_view and new_size == self._image_size):
            self.fit()
        self._image_size = new_size

    def set_overlay(self, image: QImage | None) -> None:
        self._overlay_item.setPixmap(QPixmap() if image is None else QPixmap.fromImage(image))

    def set_overlay_visible(self, visible: bool) -> None:
        """Label mode shows the labels alone, the prediction alone, or both."""
        self._overlay_item.setVisible(visible)

    def set_overlay_opacity(self, opacity: float) -> None:
        self._overlay_item.setOpacity(opacity)

    def has_image(self) -> bool:
        return self._image_size != (0, 0)

    def overlay_pixmap(self) -> QPixmap:
        return self._overlay_item.pixmap()

    # -- zoom ------------------------------------------------------------------------

    def scale_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor_under_mouse: bool = True) -> None:
        target = min(max(self.scale_factor() * factor, _MIN_SCALE), _MAX_SCALE)
        factor = target / self.scale_factor()
        self.setTransformationAnchor(
            QGraphicsView.ViewportAnchor.AnchorUnderMouse
            if anchor_under_mouse
            else QGraphicsView.ViewportAnchor.AnchorViewCenter
        )
        self.scale(factor, factor)
        self._fit_on_resize = False
        self.zoom_changed.emit(self.scale_factor())

    def set_scale(self, scale: float) -> None:
        self.resetTransform()
        self.scale(scale, scale)
        self._fit_on_resize = False
        self.zoom_changed.emit(scale)

    def fit(self) -> None:
        if self.has_image() or not self.sceneRect().isEmpty():
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_on_resize = True
        self.zoom_changed.emit(self.scale_factor())

    def actual_size(self) -> None:
        self.set_scale(1.0)

    def view_state(self) -> tuple[float, QPointF]:
        """Scale and scene centre, to copy the view to another canvas."""
        return self.scale_factor(), self.mapToScene(self.viewport().rect().center())

    def set_view_state(self, scale: float, center: QPointF) -> None:
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(center)
        self._fit_on_resize = False

    # -- events ----------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(_ZOOM_STEP ** (delta / 120.0))
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_on_resize:
            self.fit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        pos = self.mapToScene(event.position().toPoint())
        x, y = int(pos.x() // 1), int(pos.y() // 1)
        w, h = self._image_size
        self.hovered.emit(x, y) if 0 <= x < w and 0 <= y < h else self.hovered.emit(-1, -1)

    def leaveEvent(self, event) -> None:
        self.hovered.emit(-1, -1)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Space + drag pans as in image editors; plain drag pans too (ScrollHandDrag).
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)
