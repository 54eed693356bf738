"""Which ground truth compare and eval use for an image: the dense mask over scribbles."""

from __future__ import annotations

import numpy as np

from fcn_studio.inference.compare import find_ground_truth, ground_truth_name, labelled_fraction
from tests.builders import palette_png
from tests.unit.data.formats_builders import voc_export


def test_dense_mask_preferred_over_scribbles(tmp_path):
    root = voc_export(tmp_path / "voc")
    scribbles = np.full((40, 48), 255, np.uint8)
    scribbles[10:12, 10:30] = 1  # what Label mode saved after a stroke in JPEGImages/masks/
    (root / "JPEGImages" / "masks").mkdir()
    palette_png(scribbles, root / "JPEGImages" / "masks" / "v0.png")
    found = find_ground_truth(root / "JPEGImages" / "v0.jpg")
    assert found == root / "SegmentationClass" / "v0.png"
    assert ground_truth_name(found) == "SegmentationClass/v0.png"
    assert labelled_fraction(scribbles) < 0.03


def test_scribbles_used_when_they_are_all_there_is(tmp_path):
    (tmp_path / "masks").mkdir()
    scribbles = np.full((40, 48), 255, np.uint8)
    scribbles[5:8, 5:8] = 2
    palette_png(scribbles, tmp_path / "masks" / "a.png")
    (tmp_path / "a.jpg").write_bytes(b"")
    assert find_ground_truth(tmp_path / "a.jpg") == tmp_path / "masks" / "a.png"
