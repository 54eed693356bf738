"""The third probe's bad inputs (#29), each a failing test first: wrong masks with exit 0
(H18), crashes (H21, H13) and resources spent before a refusal (H3, B2)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from fcn_studio.data.dataset import find_pairs, read_mask, scan_dataset
from fcn_studio.errors import FCNStudioError
from tests.builders import make_image


def coco_file(path: Path, images: list[dict], annotations: list[dict]) -> Path:
    doc = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "cat"}]}
    path.write_text(json.dumps(doc))
    return path


def square(image_id: int, ann_id: int, x: int) -> dict:
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 1,
        "segmentation": [[x, 2, x + 10, 2, x + 10, 12, x, 12]],
        "iscrowd": 0,
    }


def test_H18_duplicate_coco_image_ids_are_refused_not_trained_on_the_wrong_masks(tmp_path):
    make_image(tmp_path / "a.png")
    make_image(tmp_path / "b.png", seed=1)
    images = [
        {"id": 1, "file_name": "a.png", "height": 40, "width": 48},
        {"id": 1, "file_name": "b.png", "height": 40, "width": 48},
    ]
    coco_file(tmp_path / "annotations.json", images, [square(1, 1, 2), square(1, 2, 30)])
    with pytest.raises(FCNStudioError, match=r"image id 1 is given to a.png and b.png"):
        find_pairs(tmp_path)


def test_H21_a_nan_polygon_coordinate_is_refused_without_a_crash(tmp_path):
    """pycocotools segfaults on it (exit 139): run in a child so a crash fails the test."""
    make_image(tmp_path / "a.png")
    bad = square(1, 1, 2)
    bad["segmentation"] = [[2, 2, float("nan"), 2, 12, 12, 2, 12]]
    path = tmp_path / "annotations.json"
    doc = {
        "images": [{"id": 1, "file_name": "a.png", "height": 40, "width": 48}],
        "annotations": [bad],
        "categories": [{"id": 1, "name": "cat"}],
    }
    path.write_text(json.dumps(doc))  # json writes NaN, as Python and labelme tools do
    code = (
        "from fcn_studio.data.dataset import scan_dataset\n"
        f"r = scan_dataset({str(tmp_path)!r})\n"
        "print('PROBLEMS', r.problems and str(r.problems[0]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert "not a finite number" in done.stdout, done.stdout


def test_H13_rle_counts_of_1e12_are_refused_with_a_message(tmp_path):
    make_image(tmp_path / "a.png")
    ann = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [40, 48], "counts": [10**12, 5]}}
    coco_file(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.png", "height": 40, "width": 48}], [ann])
    report = scan_dataset(tmp_path)
    assert any("RLE counts" in str(p) for p in report.problems), report.problems


def test_huge_coco_image_sizes_are_refused_before_any_memory_is_taken(tmp_path):
    make_image(tmp_path / "a.png")
    coco_file(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.png", "height": 10**6, "width": 10**6}], [])
    pairing = find_pairs(tmp_path)
    with pytest.raises(FCNStudioError, match="megapixels"):
        read_mask(pairing.pairs[0][1])


def _big_png_bytes(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (w, h)).save(buf, format="PNG", optimize=True)  # a few kB for 400 megapixels
    return buf.getvalue()


def test_H3_labelme_image_data_is_checked_by_its_header_before_decoding(tmp_path):
    import tracemalloc

    from fcn_studio.data.images import load_image

    data = base64.b64encode(_big_png_bytes(20000, 20000)).decode()
    doc = {"shapes": [], "imagePath": None, "imageData": data, "imageHeight": 20000, "imageWidth": 20000}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    tracemalloc.start()
    with pytest.raises(FCNStudioError, match="megapixels"):
        load_image(tmp_path / "a.json")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB taken before the refusal"


def test_B2_a_huge_photo_is_said_up_front(capsys, tmp_path):
    from fcn_studio.inference.inputs import large_image_notes

    big = tmp_path / "big.png"
    big.write_bytes(_big_png_bytes(20000, 20000))
    small = make_image(tmp_path / "small.png")
    notes = large_image_notes([small, big])
    assert len(notes) == 1 and "big.png" in notes[0] and "20000x20000" in notes[0] and "GB" in notes[0], notes
