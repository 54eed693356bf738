"""A labelled folder exported as VOC, COCO and labelme, each read back as it was written."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_studio.data.dataset import find_pairs, read_mask, scan_dataset
from fcn_studio.data.formats.export import export_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.labelling.label_store import LabelStore
from tests.unit.data.formats_builders import voc_export


@pytest.fixture()
def labelled(tmp_path):
    root = voc_export(tmp_path / "voc", n=5)
    store = LabelStore(root / "JPEGImages")
    return store.labelled_masks(), store.label_set()


@pytest.mark.parametrize("fmt", ["voc", "coco", "labelme"])
def test_export_reads_back(tmp_path, labelled, fmt):
    items, labels = labelled
    report = export_labels(items, labels, tmp_path / f"out-{fmt}", fmt)
    assert report.images == 5
    back = scan_dataset(tmp_path / f"out-{fmt}")
    assert back.ok, back.text()
    assert back.class_names[1:] == ["cat", "dog"]
    by_stem = {img.stem: mask for img, mask in items}
    for image, mask_path in back.pairs:
        got, want = read_mask(mask_path, back.encoding), by_stem[image.stem]
        if fmt == "coco":  # COCO has no "unlabelled": the boundary reads back as background
            want = np.where(want == 255, 0, want)
            assert any("unlabelled pixels left unannotated" in str(n) for n in report.notes)
        np.testing.assert_array_equal(got, want)


def test_voc_export_has_its_split(tmp_path, labelled):
    items, labels = labelled
    export_labels(items, labels, tmp_path / "out", "voc", val_fraction=0.4)
    assert len(find_pairs(tmp_path / "out", "val").pairs) == 2
    assert len(find_pairs(tmp_path / "out", "train").pairs) == 3
    assert (tmp_path / "out" / "class_names.txt").read_text().splitlines() == ["_background_", "cat", "dog"]


def test_export_never_into_a_folder_with_files(tmp_path, labelled):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(FCNStudioError, match="not an empty folder"):
        export_labels(*labelled, tmp_path / "out", "voc")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
