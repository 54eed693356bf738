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


def test_cvat_colour_masks_edited_as_colours(tmp_path):
    """CVAT's "Segmentation mask 1.1": VOC layout, RGB masks, colours in labelmap.txt."""
    from tests.builders import make_image

    root = tmp_path / "cvat"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    make_image(root / "JPEGImages" / "c0.jpg")
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncrack:250,50,83::\n")
    rgb = np.zeros((40, 48, 3), np.uint8)
    rgb[5:15, 5:25] = (250, 50, 83)
    Image.fromarray(rgb).save(root / "SegmentationClass" / "c0.png")
    store = LabelStore(root / "JPEGImages")
    labels = store.label_set()
    assert labels.classes == ("background", "crack")
    mask = store.load_mask(root / "JPEGImages" / "c0.jpg", (40, 48)).copy()
    assert mask[10, 10] == 1 and mask[30, 30] == 0
    mask[30, 30:33] = 1
    store.save_mask(root / "JPEGImages" / "c0.jpg", mask, labels)
    with Image.open(root / "SegmentationClass" / "c0.png") as im:
        assert im.mode == "RGB"
        after = np.array(im)
    changed = (after != rgb).any(axis=2)
    assert changed.sum() == 3 and (after[30, 30:33] == (250, 50, 83)).all()
    assert (root / "labelmap.txt").read_text().startswith("# label:color_rgb")


def test_coco_annotations_are_the_starting_labels_and_the_json_stays(tmp_path):
    """A COCO dataset (images/ + annotations.json) opens in Label mode with its instances as
    semantic labels in its categories; an edit is saved as a mask, the JSON left as it was."""
    from fcn_studio.data.formats.coco import CocoWriter
    from tests.builders import make_image

    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    mask = np.zeros((40, 48), np.uint8)
    mask[5:20, 5:25] = 1
    mask[22:35, 20:40] = 2
    make_image(root / "images" / "c0.jpg")
    make_image(root / "images" / "c1.jpg", seed=1)
    writer = CocoWriter(["background", "cat", "dog"], "rle")
    writer.add("c0.jpg", mask)
    writer.add("c1.jpg", np.zeros((40, 48), np.uint8))
    writer.write(root / "annotations.json")
    json_text = (root / "annotations.json").read_text()
    store = LabelStore(root / "images")
    labels = store.label_set()
    assert labels.classes == ("background", "cat", "dog")  # the COCO file's categories
    loaded = store.load_mask(root / "images" / "c0.jpg", (40, 48))
    np.testing.assert_array_equal(loaded, mask)
    loaded = loaded.copy()
    loaded[36:39, 2:5] = 2
    store.save_mask(root / "images" / "c0.jpg", loaded, labels)
    assert (root / "annotations.json").read_text() == json_text
    with Image.open(root / "images" / "masks" / "c0.png") as im:
        np.testing.assert_array_equal(np.array(im), loaded)


def test_coco_categories_map_onto_the_folders_own_classes_by_name(tmp_path):
    from fcn_studio.data.formats.coco import CocoWriter
    from tests.builders import make_image

    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    mask = np.zeros((40, 48), np.uint8)
    mask[5:20, 5:25] = 1  # cat
    mask[22:35, 20:40] = 2  # dog
    make_image(root / "images" / "c0.jpg")
    writer = CocoWriter(["background", "cat", "dog"], "polygon")
    writer.add("c0.jpg", mask)
    writer.write(root / "annotations.json")
    (root / "images" / "classes.txt").write_text("background 0 0 0\ndog 0 0 255\n")  # the folder's own list
    loaded = LabelStore(root / "images").load_mask(root / "images" / "c0.jpg", (40, 48))
    assert loaded[10, 10] == 255  # cat: not in the folder's classes, unlabelled
    assert loaded[30, 30] == 1 and loaded[0, 0] == 0  # dog -> 1, background -> 0
