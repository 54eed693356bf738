"""The labels as their own layer on the canvas, redrawn only where they changed.

The layer keeps a premultiplied ARGB copy of the labels' colours in a numpy buffer that a
QImage reads directly; an edit recolours its box of that buffer and asks Qt to repaint that
box alone, so a stroke on a 10000 x 8000 image costs the stroke's pixels, not the image.
Labelled pixels are drawn striped and stronger than the model's overlay, unlabelled ones
(255) not at all, so the two are told apart at a glance.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from fcn_studio.labelling.edits import Box
from fcn_studio.labels import IGNORE_INDEX, LabelSet

_STRONG, _WEAK = 235, 150  # alpha of the two stripes
_STRIPE = 4  # stripe width in image pixels


def stripe_luts(label_set: LabelSet) -> tuple[np.ndarray, np.ndarray]:
    """Two 256-entry premultiplied ARGB tables (strong and weak stripe); 255 transparent."""
    palette = label_set.palette().astype(np.uint32)
    luts = []
    for alpha in (_STRONG, _WEAK):
        rgb = palette * alpha // 255
        lut = (alpha << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        lut = lut.astype(np.uint32)
        lut[label_set.num_classes :] = 0
        lut[IGNORE_INDEX] = 0
        luts.append(lut)
    return luts[0], luts[1]


def colour_box(mask: np.ndarray, box: Box, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """The ARGB pixels of ``box`` of ``mask``: diagonal stripes of the two tables."""
    window = mask[box.slices]
    ys = np.arange(box.y0, box.y1, dtype=np.int32)[:, None]
    xs = np.arange(box.x0, box.x1, dtype=np.int32)[None, :]
    stripe = ((xs + ys) // _STRIPE) % 2 == 0
    return np.where(stripe, strong[window], weak[window])


class LabelLayer(QGraphicsItem):
    """A scene item over the image (scene units = image pixels) showing a label mask."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(2)  # above the model's overlay
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)  # exposedRect
        self.mask: np.ndarray | None = None
        self._argb: np.ndarray | None = None
        self._image: QImage | None = None
        self._luts: tuple[np.ndarray, np.ndarray] | None = None

    def set_mask(self, mask: np.ndarray | None, label_set: LabelSet | None) -> None:
        """Show ``mask`` (the editor's array, read at each redraw) in ``label_set``'s colours."""
        self.prepareGeometryChange()
        self.mask = mask
        if mask is None or label_set is None:
            self._argb = self._image = self._luts = None
            self.update()
            return
        h, w = mask.shape
        self._argb = np.zeros((h, w), dtype=np.uint32)
        # QImage reads the numpy buffer in place (nothing is copied at a redraw)
        self._image = QImage(self._argb.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        self.set_label_set(label_set)

    def set_label_set(self, label_set: LabelSet) -> None:
        """New colours (a class recoloured or added): the whole layer is recoloured once."""
        self._luts = stripe_luts(label_set)
        if self.mask is not None:
            h, w = self.mask.shape
            self.redraw(Box(0, 0, h, w))

    def redraw(self, box: Box | None) -> None:
        """Recolour ``box`` from the mask and repaint only that rectangle."""
        if box is None or self.mask is None or self._argb is None or self._luts is None:
            return
        box = box.clip(self.mask.shape)
        if box is None:
            return
        self._argb[box.slices] = colour_box(self.mask, box, *self._luts)
        self.update(QRectF(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0))

    def pixel(self, x: int, y: int) -> int:
        """The ARGB value shown at image pixel (x, y) (tests and screenshots)."""
        return 0 if self._argb is None else int(self._argb[y, x])

    # -- QGraphicsItem ------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        if self.mask is None:
            return QRectF()
        h, w = self.mask.shape
        return QRectF(0, 0, w, h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self._image is None:
            return
        exposed = option.exposedRect.toAlignedRect() & QRect(0, 0, self._image.width(), self._image.height())
        if not exposed.isEmpty():
            painter.drawImage(exposed, self._image, exposed)
