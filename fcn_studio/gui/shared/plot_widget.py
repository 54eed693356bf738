"""A small line plot (QPainter): live training loss and validation mean IoU.

Kept rather than pyqtgraph: two curves of a few hundred points do not need a plotting
library that the app would import and ship for them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class LinePlot(QWidget):
    def __init__(
        self,
        title: str,
        color: str = "#2a7ab8",
        y_range: tuple[float, float] | None = None,
        parent=None,
        value_format: str = "{:.4g}",
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.color = QColor(color)
        self.y_range = y_range
        self.value_format = value_format  # e.g. "{:.1%}" for a mean IoU
        self.points: list[tuple[float, float]] = []
        self.x_label = ""
        self.x_range: tuple[float, float] | None = None  # e.g. (0, epochs) for the whole run
        self.setMinimumSize(260, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self) -> None:
        self.points.clear()
        self.update()

    def add(self, x: float, y: float) -> None:
        self.points.append((x, y))
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#fbfbfc"))
        m_left, m_right, m_top, m_bottom = 46, 10, 22, 22
        frame = QRectF(m_left, m_top, self.width() - m_left - m_right, self.height() - m_top - m_bottom)
        area = frame.adjusted(5, 5, -5, -5)  # points on the edges (first/last epoch) stay whole
        p.setPen(QColor("#333"))
        last = self.tr("   last {value:.4g}").format(value=self.points[-1][1]) if self.points else ""
        p.drawText(QRectF(0, 2, self.width(), 18), Qt.AlignmentFlag.AlignHCenter, self.title + last)
        p.setPen(QPen(QColor("#bbb"), 1))
        p.drawRect(frame)
        if not self.points:
            p.setPen(QColor("#999"))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self.tr("waiting for data"))
            return
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        if self.x_range:
            x0, x1 = min(self.x_range[0], *xs), max(self.x_range[1], *xs)
        else:
            x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        y0, y1 = self.y_range or (min(ys), max(ys))
        if y1 <= y0:
            y0, y1 = y0 - 0.5, y1 + 0.5
        p.setPen(QColor("#666"))
        for frac in (0.0, 0.5, 1.0):
            y = area.bottom() - frac * area.height()
            p.drawText(QRectF(0, y - 8, m_left - 4, 16), Qt.AlignmentFlag.AlignRight, f"{y0 + frac * (y1 - y0):.3g}")
        p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 18), Qt.AlignmentFlag.AlignRight, f"{x1:g}")
        p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 18), Qt.AlignmentFlag.AlignLeft, f"{x0:g}")
        if self.x_label:
            p.drawText(
                QRectF(area.left(), area.bottom() + 2, area.width(), 18), Qt.AlignmentFlag.AlignHCenter, self.x_label
            )

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(
                area.left() + (x - x0) / (x1 - x0) * area.width(), area.bottom() - (y - y0) / (y1 - y0) * area.height()
            )

        path = QPainterPath(to_px(*self.points[0]))
        for pt in self.points[1:]:
            path.lineTo(to_px(*pt))
        p.setPen(QPen(self.color, 2))
        p.drawPath(path)
        if len(self.points) < 50:
            p.setBrush(self.color)
            for pt in self.points:
                p.drawEllipse(to_px(*pt), 3, 3)
