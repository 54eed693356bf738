"""Label mode's store in other tools' datasets: a VOC export edited in place, a labelme
folder whose JSON shapes are the starting labels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fcn_studio.data.dataset import scan_dataset
from fcn_studio.data.formats.labelme import read_labelme_mask
from fcn_studio.labelling.label_store import LabelStore, MaskExistsError
from tests.unit.data.formats_builders import labelme_folder, voc_export


def test_voc_export_edited_in_place_only_painted_pixels_change(tmp_path):
    root = voc_export(tmp_path / "voc")
    mask_file = root / "SegmentationClass" / "v0.png"
    with Image.open(mask_file) as im:
        before, palette = np.array(im), im.getpalette()
    names_before = (root / "class_names.txt").read_text()
    store = LabelStore(root / "JPEGImages")
    labels = store.label_set()
    assert labels.classes == ("_background_", "cat", "dog")  # class_names.txt, not the model's
    assert store.mask_path(root / "JPEGImages" / "v0.jpg") == mask_file
    mask = store.load_mask(root / "JPEGImages" / "v0.jpg", (40, 48))
    np.testing.assert_array_equal(mask, before)
    mask = mask.copy()
    mask[30:33, 2:6] = 1  # a stroke
    store.save_mask(root / "JPEGImages" / "v0.jpg", mask, labels)
    with Image.open(mask_file) as im:
        after = np.array(im)
        assert im.mode == "P" and im.getpalette() == palette  # same palette
    changed = after != before
    assert changed.sum() == 12 and changed[30:33, 2:6].all()
    assert not (root / "JPEGImages" / "masks").exists() and not (root / "JPEGImages" / "classes.txt").exists()
    assert (root / "class_names.txt").read_text() == names_before
    assert scan_dataset(root).ok  # still the dataset it was


def test_voc_mask_not_opened_here_is_not_overwritten(tmp_path):
    root = voc_export(tmp_path / "voc")
    store = LabelStore(root / "JPEGImages")
    with pytest.raises(MaskExistsError):
        store.save_mask(root / "JPEGImages" / "v1.jpg", np.zeros((40, 48), np.uint8), store.label_set())


def test_labelme_shapes_are_the_starting_labels_and_the_json_stays(tmp_path):
    root = labelme_folder(tmp_path / "lm")
    json_text = (root / "p0.json").read_text()
    store = LabelStore(root)
    labels = store.label_set()
    assert labels.classes == ("_background_", "cat", "dog")  # labels.txt without __ignore__
    mask = store.load_mask(root / "p0.jpg", (40, 48))
    np.testing.assert_array_equal(mask, read_labelme_mask(root / "p0.json", list(labels.classes)))
    mask = mask.copy()
    mask[36:39, 2:5] = 2
    store.save_mask(root / "p0.jpg", mask, labels)
    assert (root / "p0.json").read_text() == json_text
    assert (root / "masks" / "p0.png").is_file()
    assert next(p for _, p in store.labelled_images()) == root / "masks" / "p0.png"  # the edit wins
    report = scan_dataset(root)
    assert report.ok and len(report.pairs) == 3, report.text()


def test_labels_txt_written_back_in_labelme_form(tmp_path):
    root = labelme_folder(tmp_path / "lm")
    store = LabelStore(root)
    store.add_class("bird")
    text = (root / "labels.txt").read_text().splitlines()
    assert text[0] == "__ignore__" and text[-1].startswith("bird")
    assert scan_dataset(root).class_names == ["_background_", "cat", "dog", "bird"]
