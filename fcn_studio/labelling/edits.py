"""The label-editing operations as pure numpy functions.

Each tool computes a :class:`Change` (a bounding box, which pixels inside it, and the value
they get) without touching the mask; :func:`apply_change` writes it. The box is all the GUI
has to redraw and all the undo history has to remember, so painting a few pixels of a
10000 x 8000 image costs a few pixels, not the image.

Coordinates are image pixels, ``(x, y)`` with x to the right, as the canvas reports them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from fcn_studio.data.labels import IGNORE_INDEX

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """Rows ``y0:y1`` and columns ``x0:x1`` (end exclusive)."""

    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    @property
    def area(self) -> int:
        return max(self.y1 - self.y0, 0) * max(self.x1 - self.x0, 0)

    def union(self, other: Box | None) -> Box:
        if other is None:
            return self
        return Box(min(self.y0, other.y0), min(self.x0, other.x0), max(self.y1, other.y1), max(self.x1, other.x1))

    def clip(self, shape: tuple[int, int]) -> Box | None:
        h, w = shape
        box = Box(max(self.y0, 0), max(self.x0, 0), min(self.y1, h), min(self.x1, w))
        return box if box.area > 0 else None


@dataclass(frozen=True)
class Change:
    """Set ``region`` (a bool array of ``box.shape``) of the mask to ``value``."""

    box: Box
    region: np.ndarray
    value: int

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.region))


def apply_change(mask: np.ndarray, change: Change) -> Box:
    """Write the change into ``mask`` in place; returns the box to redraw."""
    window = mask[change.box.slices]
    window[change.region] = change.value
    return change.box


def brush(shape: tuple[int, int], points: Sequence[Point], radius: float, value: int) -> Change | None:
    """Every pixel within ``radius`` of the polyline through ``points`` (a disk swept along
    it; one point gives one disk). ``radius`` 0 paints the one-pixel-wide line. Points are
    rounded to pixel centres; None if the stroke misses the image."""
    if not points:
        return None
    pts = np.rint(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    r = max(float(radius), 0.0)
    reach = int(np.floor(r))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box = Box(int(lo[1]) - reach, int(lo[0]) - reach, int(hi[1]) + reach + 1, int(hi[0]) + reach + 1).clip(shape)
    if box is None:
        return None
    region = np.zeros(box.shape, dtype=bool)
    segments = list(itertools.pairwise(pts)) or [(pts[0], pts[0])]
    for a, b in segments:
        seg = _segment_box(a, b, reach).clip(shape)
        if seg is None:
            continue
        ys = np.arange(seg.y0, seg.y1, dtype=np.float64)[:, None]
        xs = np.arange(seg.x0, seg.x1, dtype=np.float64)[None, :]
        d = b - a
        length2 = float(d @ d)
        # where each pixel's projection falls on the segment, clamped to its ends
        t = 0.0 if length2 == 0 else np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2, 0.0, 1.0)
        dist2 = (xs - (a[0] + t * d[0])) ** 2 + (ys - (a[1] + t * d[1])) ** 2
        # a hair of tolerance so pixels exactly r away are in, however the float rounds
        region[seg.y0 - box.y0 : seg.y1 - box.y0, seg.x0 - box.x0 : seg.x1 - box.x0] |= dist2 <= r * r + 1e-9
    return Change(box, region, int(value)) if region.any() else None


def erase(shape: tuple[int, int], points: Sequence[Point], radius: float) -> Change | None:
    """The brush that paints "unlabelled" (255)."""
    return brush(shape, points, radius, IGNORE_INDEX)


def flood_fill(source: np.ndarray, seed: Point, value: int, connectivity: int = 4) -> Change | None:
    """The connected region of ``source`` (the current labels or the prediction) that has the
    seed pixel's value, set to ``value``. None if the seed is outside the image."""
    h, w = source.shape
    x, y = int(np.rint(seed[0])), int(np.rint(seed[1]))
    if not (0 <= x < w and 0 <= y < h):
        return None
    if source.dtype != np.uint8:  # cv2 fills 8-bit images; more than 256 classes: relabel
        _, inverse = np.unique(source, return_inverse=True)
        if inverse.max() > 255:
            raise ValueError("flood fill needs at most 256 distinct values")
        source = inverse.reshape(h, w).astype(np.uint8)
    flood = np.zeros((h + 2, w + 2), dtype=np.uint8)
    flags = connectivity | (1 << 8) | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE
    _, _, _, (rx, ry, rw, rh) = cv2.floodFill(np.ascontiguousarray(source), flood, (x, y), 0, 0, 0, flags)
    box = Box(ry, rx, ry + rh, rx + rw)
    region = flood[1 + box.y0 : 1 + box.y1, 1 + box.x0 : 1 + box.x1].view(bool)  # 0/1: no copy
    return Change(box, region, int(value))


def polygon_fill(shape: tuple[int, int], points: Sequence[Point], value: int) -> Change | None:
    """The inside of the polygon (or lasso) through ``points``, its outline included."""
    if len(points) < 3:
        return None
    pts = np.rint(np.asarray(points, dtype=np.float64).reshape(-1, 2)).astype(np.int64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box = Box(int(lo[1]), int(lo[0]), int(hi[1]) + 1, int(hi[0]) + 1)
    region = np.zeros(box.shape, dtype=np.uint8)
    cv2.fillPoly(region, [(pts - lo).astype(np.int32).reshape(-1, 1, 2)], 1)
    clipped = box.clip(shape)
    if clipped is None:
        return None
    inner = region[clipped.y0 - box.y0 : clipped.y1 - box.y0, clipped.x0 - box.x0 : clipped.x1 - box.x0]
    return Change(clipped, inner.astype(bool), int(value)) if inner.any() else None


def _segment_box(a: np.ndarray, b: np.ndarray, reach: int) -> Box:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return Box(int(lo[1]) - reach, int(lo[0]) - reach, int(hi[1]) + reach + 1, int(hi[0]) + reach + 1)
