"""Turning a label map into overlay images without re-running anything.

The label map becomes an 8-bit indexed QImage once; showing, hiding or soloing classes
only swaps its 256-entry colour table, and opacity is the item's opacity, so every
display change is a palette lookup done by Qt.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from PySide6.QtGui import QImage

from fcn_studio.data.labels import LabelSet

TRANSPARENT = 0x00000000
_NONE = 255  # index used for "no overlay here" in contour mode (never a predicted class)


class OverlayMode(StrEnum):
    FILLED = "filled"
    CONTOUR = "contour"
    UNCERTAINTY = "uncertainty"
    OFF = "off"


def indexed_image(index: np.ndarray) -> QImage:
    """A Format_Indexed8 QImage over a (H, W) uint8 array (the array is kept alive)."""
    index = np.ascontiguousarray(index, dtype=np.uint8)
    h, w = index.shape
    image = QImage(index.data, w, h, w, QImage.Format.Format_Indexed8)
    image._keep = index  # type: ignore[attr-defined]  # QImage does not own the buffer
    return image


def rgb_image(rgb: np.ndarray) -> QImage:
    """A Format_RGB888 QImage over a (H, W, 3) uint8 array (zero copy; array kept alive)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
    image._keep = rgb  # type: ignore[attr-defined]
    return image


def boundaries(labels: np.ndarray) -> np.ndarray:
    """Labels on class boundaries (4-neighbourhood, two pixels wide), ``_NONE`` elsewhere."""
    edge = np.zeros(labels.shape, dtype=bool)
    dy = labels[1:, :] != labels[:-1, :]
    dx = labels[:, 1:] != labels[:, :-1]
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    return np.where(edge, labels, _NONE).astype(np.uint8)


def class_color_table(label_set: LabelSet, visible: set[int] | None) -> list[int]:
    """ARGB entries: a class's colour where visible, transparent where hidden."""
    palette = label_set.palette()
    table = []
    for cid in range(256):
        r, g, b = (int(v) for v in palette[cid])
        shown = cid < label_set.num_classes and (visible is None or cid in visible)
        table.append((0xFF << 24 | r << 16 | g << 8 | b) if shown else TRANSPARENT)
    return table


def uncertainty_color_table() -> list[int]:
    """Index = uncertainty 0-255: transparent when certain, to opaque magenta when not."""
    return [(min(255, 2 * u) << 24) | (255 << 16) | ((255 - u) // 3 << 8) | 255 for u in range(256)]


def overlay_index(labels: np.ndarray, confidence: np.ndarray, mode: OverlayMode) -> np.ndarray | None:
    """The 8-bit index array behind an overlay mode (None for OFF)."""
    if mode is OverlayMode.FILLED:
        return labels
    if mode is OverlayMode.CONTOUR:
        return boundaries(labels)
    if mode is OverlayMode.UNCERTAINTY:
        return (255 - confidence).astype(np.uint8)
    return None


def blend_visible(
    rgb: np.ndarray, labels: np.ndarray, label_set: LabelSet, visible: set[int] | None, opacity: float
) -> np.ndarray:
    """The overlay as it is on screen, burnt into a full-resolution RGB image (for export)."""
    from fcn_studio.data.images import blend_overlay

    shown = labels.copy()
    if visible is not None:
        hidden = np.setdiff1d(np.arange(label_set.num_classes), np.fromiter(visible, dtype=np.int64))
        shown[np.isin(shown, hidden)] = 255  # blend_overlay leaves 255 untouched
    return blend_overlay(rgb, shown, label_set, opacity)
