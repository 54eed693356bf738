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

from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.labelling.edits import Box

_STRONG, _WEAK = 235, 150  # alpha of the two stripes
_STRIPE = 4  # stripe width in image pixels
_OUTLINE = np.uint32(0xFFFFFFFF)  # opaque white


def stripe_luts(label_set: LabelSet) -> np.ndarray:
    """A 512-entry premultiplied ARGB table: index ``class id + 256 * weak stripe``;
    255 and ids past the label set are transparent."""
    palette = label_set.palette().astype(np.uint32)
    luts = []
    for alpha in (_STRONG, _WEAK):
        rgb = palette * alpha // 255
        lut = ((alpha << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)
        lut[label_set.num_classes :] = 0
        lut[IGNORE_INDEX] = 0
        luts.append(lut)
    return np.concatenate(luts)


_BAND = 256  # rows coloured at a time: the temporaries stay small on huge images


def colour_box(mask: np.ndarray, box: Box, lut: np.ndarray) -> np.ndarray:
    """The ARGB pixels of ``box`` of ``mask``: diagonal stripes of the class colours, and
    a white outline where a labelled region meets another class or unlabelled pixels (so
    labels stand out even over a prediction of the same colour)."""
    out = np.empty(box.shape, dtype=np.uint32)
    for top in range(box.y0, box.y1, _BAND):
        band = Box(top, box.x0, min(top + _BAND, box.y1), box.x1)
        out[top - box.y0 : band.y1 - box.y0] = _colour_band(mask, band, lut)
    return out


def _colour_band(mask: np.ndarray, box: Box, lut: np.ndarray) -> np.ndarray:
    window = mask[box.slices]
    if window.min() == IGNORE_INDEX:  # nothing labelled here (a blank start): transparent
        return np.zeros(box.shape, dtype=np.uint32)
    ys = np.arange(box.y0, box.y1, dtype=np.int32)[:, None]
    xs = np.arange(box.x0, box.x1, dtype=np.int32)[None, :]
    index = window.astype(np.uint16)
    index += (((xs + ys) // _STRIPE) % 2 * 256).astype(np.uint16)
    out = lut[index]
    # the window with a one-pixel border (edge pixels repeated at the image's border)
    h, w = mask.shape
    y0, y1, x0, x1 = max(box.y0 - 1, 0), min(box.y1 + 1, h), max(box.x0 - 1, 0), min(box.x1 + 1, w)
    pads = ((box.y0 - y0 == 0, y1 - box.y1 == 0), (box.x0 - x0 == 0, x1 - box.x1 == 0))
    padded = np.pad(mask[y0:y1, x0:x1], tuple((int(a), int(b)) for a, b in pads), mode="edge")
    edge = padded[:-2, 1:-1] != window
    edge |= padded[2:, 1:-1] != window
    edge |= padded[1:-1, :-2] != window
    edge |= padded[1:-1, 2:] != window
    edge &= out != 0
    out[edge] = _OUTLINE
    return out


class LabelLayer(QGraphicsItem):
    """A scene item over the image (scene units = image pixels) showing a label mask."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(2)  # above the model's overlay
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)  # exposedRect
        self.mask: np.ndarray | None = None
        self._argb: np.ndarray | None = None
        self._image: QImage | None = None
        self._lut: np.ndarray | None = None

    def set_mask(self, mask: np.ndarray | None, label_set: LabelSet | None) -> None:
        """Show ``mask`` (the editor's array, read at each redraw) in ``label_set``'s colours."""
        self.prepareGeometryChange()
        self.mask = mask
        if mask is None or label_set is None:
            self._argb = self._image = self._lut = None
            self.update()
            return
        h, w = mask.shape
        self._argb = np.zeros((h, w), dtype=np.uint32)
        # QImage reads the numpy buffer in place (nothing is copied at a redraw)
        self._image = QImage(self._argb.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        self._lut = stripe_luts(label_set)
        if mask.min() != IGNORE_INDEX:  # a blank start ("scribbles") is transparent as it is
            self.redraw(Box(0, 0, h, w))
        self.update()

    def set_label_set(self, label_set: LabelSet) -> None:
        """New colours (a class recoloured or added): the whole layer is recoloured once."""
        self._lut = stripe_luts(label_set)
        if self.mask is not None:
            h, w = self.mask.shape
            self.redraw(Box(0, 0, h, w))

    def redraw(self, box: Box | None) -> None:
        """Recolour ``box`` from the mask and repaint only that rectangle."""
        if box is None or self.mask is None or self._argb is None or self._lut is None:
            return
        # one pixel more on each side: the outline of the neighbours may change too
        box = Box(box.y0 - 1, box.x0 - 1, box.y1 + 1, box.x1 + 1).clip(self.mask.shape)
        if box is None:
            return
        self._argb[box.slices] = colour_box(self.mask, box, self._lut)
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
