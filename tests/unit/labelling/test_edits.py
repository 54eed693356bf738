"""Label-editing tools: exact pixels, touched boxes, undo/redo within a byte budget."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fcn_studio.labelling.edits import Box, apply_change, brush, erase, flood_fill, polygon_fill
from fcn_studio.labelling.history import LabelEditor
from fcn_studio.labelling.label_store import blank_mask


def disk(shape, cx, cy, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def test_brush_dot_is_a_disk_and_box_bounds_it():
    mask = blank_mask((40, 50))
    change = brush(mask.shape, [(20, 15)], 4, 3)
    box = apply_change(mask, change)
    assert np.array_equal(mask == 3, disk(mask.shape, 20, 15, 4))
    assert box == Box(11, 16, 20, 25)
    assert (mask[~disk(mask.shape, 20, 15, 4)] == 255).all()


def _segment_distance(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def test_brush_stroke_sweeps_a_disk_along_the_polyline():
    mask = blank_mask((30, 60))
    pts = [(5, 10), (45, 10), (45, 25)]
    apply_change(mask, brush(mask.shape, pts, 2, 1))
    want = np.zeros(mask.shape, bool)
    for y in range(30):
        for x in range(60):
            want[y, x] = min(_segment_distance(x, y, a, b) for a, b in itertools.pairwise(pts)) <= 2
    assert np.array_equal(mask == 1, want)
    # round caps and corners, a band of 5 pixels
    assert mask[8, 5] == 1 and mask[8, 3] == 255 and mask[27, 45] == 1 and mask[27, 47] == 255
    assert (mask[:, 20] == 1).sum() == 5


def test_brush_clips_at_the_border_and_misses_outside():
    mask = blank_mask((10, 10))
    change = brush(mask.shape, [(0, 0)], 3, 2)
    assert change.box == Box(0, 0, 4, 4)
    apply_change(mask, change)
    assert np.array_equal(mask == 2, disk(mask.shape, 0, 0, 3))
    assert brush(mask.shape, [(-20, -20)], 3, 2) is None


def test_eraser_sets_unlabelled():
    mask = np.zeros((20, 20), np.uint8)
    apply_change(mask, erase(mask.shape, [(10, 10)], 3))
    assert np.array_equal(mask == 255, disk(mask.shape, 10, 10, 3))


def test_flood_fill_of_labels_and_of_prediction():
    labels = blank_mask((20, 30))
    labels[:, 10] = 1  # a wall splits the unlabelled area in two
    change = flood_fill(labels, (3, 5), 2)
    assert change.box == Box(0, 0, 20, 10)
    apply_change(labels, change)
    assert (labels[:, :10] == 2).all() and (labels[:, 11:] == 255).all() and (labels[:, 10] == 1).all()

    prediction = np.zeros((20, 30), np.uint8)
    prediction[5:9, 20:26] = 7
    prediction[0, 0] = 7  # same class, not connected: untouched
    mask = blank_mask(prediction.shape)
    change = flood_fill(prediction, (22, 6), 4)
    assert change.box == Box(5, 20, 9, 26)
    apply_change(mask, change)
    assert (mask[5:9, 20:26] == 4).all() and (mask == 4).sum() == 24 and mask[0, 0] == 255


def test_flood_fill_connectivity():
    src = np.eye(5, dtype=np.uint8)
    assert flood_fill(src, (0, 0), 9).pixels == 1
    assert flood_fill(src, (0, 0), 9, connectivity=8).pixels == 5
    assert flood_fill(src, (10, 0), 9) is None


def test_polygon_fill_includes_its_outline():
    mask = blank_mask((20, 20))
    change = polygon_fill(mask.shape, [(2, 3), (10, 3), (10, 8), (2, 8)], 5)
    assert change.box == Box(3, 2, 9, 11)
    apply_change(mask, change)
    want = np.zeros(mask.shape, bool)
    want[3:9, 2:11] = True
    assert np.array_equal(mask == 5, want)
    tri = polygon_fill(mask.shape, [(0, 0), (8, 0), (0, 8)], 1)
    assert tri.region[0].all() and tri.region[:, 0].all() and not tri.region[8, 8]
    assert polygon_fill(mask.shape, [(0, 0), (3, 3)], 1) is None


def test_undo_redo_restores_exact_pixels_and_strokes_group():
    rng = np.random.default_rng(0)
    start = rng.integers(0, 4, (50, 60), dtype=np.uint8)
    ed = LabelEditor(start.copy())
    ed.begin_stroke()
    ed.apply(brush(start.shape, [(10, 10), (20, 12)], 3, 9))
    ed.apply(brush(start.shape, [(20, 12), (30, 30)], 3, 9))
    ed.end_stroke()
    after_stroke = ed.mask.copy()
    box = ed.apply(flood_fill(ed.mask, (55, 45), 7))
    after_fill = ed.mask.copy()
    assert box is not None
    assert ed.undo() == box and np.array_equal(ed.mask, after_stroke)
    ed.undo()  # the whole two-segment stroke in one step
    assert np.array_equal(ed.mask, start) and not ed.can_undo
    ed.redo()
    assert np.array_equal(ed.mask, after_stroke)
    ed.redo()
    assert np.array_equal(ed.mask, after_fill) and not ed.can_redo
    ed.undo()
    ed.apply(erase(start.shape, [(5, 40)], 2))  # a new edit drops the redo branch
    assert not ed.can_redo


def test_history_memory_is_bounded_and_keeps_the_newest_steps():
    ed = LabelEditor(blank_mask((400, 400)), max_bytes=1_000)
    for i in range(30):
        ed.apply(brush(ed.mask.shape, [(20 + 12 * i, 200)], 5, i % 3))
    assert ed.history_bytes <= 1_000
    undone = 0
    while ed.undo() is not None:
        undone += 1
    assert 0 < undone < 30
    # the newest steps were kept: those dots are unlabelled again, the oldest stay painted
    assert ed.mask[200, 20 + 12 * 29] == 255 and ed.mask[200, 20] == 0


def test_big_fill_on_a_large_mask_is_undone_from_a_small_record():
    ed = LabelEditor(blank_mask((2000, 1600)), max_bytes=2_000_000)
    ed.apply(flood_fill(ed.mask, (5, 5), 1))  # 3.2 M pixels, all were 255: a bit per pixel
    assert ed.history_bytes < 500_000
    ed.undo()
    assert (ed.mask == 255).all()


@pytest.mark.parametrize("value", [0, 255])
def test_noop_edits_leave_no_history(value):
    ed = LabelEditor(np.full((10, 10), value, np.uint8))
    assert ed.apply(brush((10, 10), [(5, 5)], 2, value)) is None and not ed.can_undo
