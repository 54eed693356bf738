"""Other tools' formats read and written: labelme JSON, COCO, class lists, VOC exports."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from fcn_studio.data.dataset import find_pairs, read_mask, scan_dataset
from fcn_studio.data.formats.coco import CocoWriter, read_coco, semantic_mask
from fcn_studio.data.formats.labelme import mask_to_shapes, read_labelme_mask
from fcn_studio.data.labels import read_label_file
from fcn_studio.errors import FCNStudioError
from tests.unit.data.formats_builders import labelme_folder, labelme_json, shape, voc_export

NAMES = ["_background_", "cat", "dog"]


def test_labelme_shapes_drawn_pixel_by_pixel(tmp_path):
    path = labelme_json(
        tmp_path / "a.json",
        [
            shape("cat", [(2, 3), (10, 3), (10, 8), (2, 8)]),  # polygon: x 2..10, y 3..8 inclusive
            shape("dog", [(12, 1), (6, 5)], "rectangle"),  # corners in any order: x 6..12, y 1..5
            shape("__ignore__", [(30, 30)], "point"),  # a disc of radius 5
            shape("cat", [(40, 10), (40, 13)], "circle"),  # radius 3
            shape("_background_", [(3, 4), (4, 4), (4, 5), (3, 5)]),  # later shapes over earlier ones
            shape("dog", [(20, 20), (28, 20)], "linestrip"),  # 10 px wide
        ],
    )
    mask = read_labelme_mask(path, NAMES)
    expected = np.zeros((40, 48), np.uint8)
    expected[3:9, 2:11] = 1
    expected[1:6, 6:13] = 2
    yy, xx = np.mgrid[:40, :48]
    disc = (xx - 30) ** 2 + (yy - 30) ** 2
    circle = (xx - 40) ** 2 + (yy - 10) ** 2
    expected[4:6, 3:5] = 0
    # the round shapes' boundary pixels depend on the rasteriser: check inside and outside
    assert (mask[disc <= 4**2] == 255).all() and (mask[(disc > 6**2) & (yy > 20)] != 255).all()
    assert (mask[circle <= 2**2] == 1).all() and not (mask[(circle > 4**2) & (xx > 34) & (yy < 18)] == 1).any()
    assert (mask[16:25, 20:29] == 2).all() and (mask[26:, 20:29] != 2).all()
    square = (xx < 14) & (yy < 10)
    np.testing.assert_array_equal(mask[square], expected[square])


def test_labelme_unknown_label_and_shape_named(tmp_path):
    path = labelme_json(tmp_path / "a.json", [shape("horse", [(1, 1), (5, 1), (5, 5)])])
    with pytest.raises(FCNStudioError, match=r"a.json: shape 1 has the label 'horse'.*labels.txt"):
        read_labelme_mask(path, NAMES)
    path = labelme_json(tmp_path / "b.json", [shape("cat", [(1, 1), (5, 1)], "bezier")])
    with pytest.raises(FCNStudioError, match="bezier"):
        read_labelme_mask(path, NAMES)


def test_labels_txt_gives_the_ids_of_class_names_txt(tmp_path):
    (tmp_path / "labels.txt").write_text("__ignore__\n_background_\naeroplane\nbicycle\n")
    (tmp_path / "class_names.txt").write_text("_background_\naeroplane\nbicycle\n")
    assert read_label_file(tmp_path / "labels.txt") == read_label_file(tmp_path / "class_names.txt")
    assert read_label_file(tmp_path / "labels.txt")[0][2] == "bicycle"


def test_labelme_folder_trains_with_its_labels_txt(tmp_path):
    root = labelme_folder(tmp_path / "annotated")
    report = scan_dataset(root)
    assert report.ok, report.text()
    assert report.layout == "labelme JSON" and len(report.pairs) == 3
    assert report.class_names == NAMES  # no shift: __ignore__ is not class 0
    assert any("__ignore__ is labelme's ignore label" in str(n) for n in report.notes)
    assert report.ignored_pixels > 0
    mask = read_mask(report.pairs[0][1], report.encoding)
    assert mask[10, 10] == 1 and mask[30, 30] == 2 and mask[3, 45] == 255 and mask[38, 2] == 0


def test_labelme_without_labels_txt_and_with_embedded_image(tmp_path):
    from fcn_studio.data.images import load_image

    labelme_json(
        tmp_path / "only.json",
        [shape("zebra", [(1, 1), (9, 1), (9, 9)]), shape("ant", [(20, 20)], "point")],
        embed=True,
    )
    report = scan_dataset(tmp_path)
    assert report.ok, report.text()
    assert report.class_names == ["_background_", "ant", "zebra"]
    image, _mask = report.pairs[0]
    assert load_image(image).shape == (40, 48, 3)


def test_voc_export_and_older_segmentation_class_png(tmp_path):
    root = voc_export(tmp_path / "voc")
    report = scan_dataset(root)
    assert report.ok and report.class_names == NAMES and len(report.pairs) == 3
    (root / "SegmentationClass").rename(root / "SegmentationClassPNG")
    report = scan_dataset(root)
    assert report.ok and len(report.pairs) == 3
    assert any("SegmentationClassPNG" in str(n) for n in report.notes)


def test_class_lists_that_disagree_are_reported_before_training(tmp_path):
    root = voc_export(tmp_path / "voc")
    (root / "labels.txt").write_text("__ignore__\n_background_\ncat\nbird\n")
    report = scan_dataset(root)
    assert not report.ok
    assert any(
        "labels.txt and class_names.txt name different classes" in str(p)
        or ("class_names.txt" in str(p) and "labels.txt" in str(p))
        for p in report.problems
    )
    (root / "labels.txt").unlink()
    (root / "class_names.txt").write_text("_background_\ncat\n")  # masks use 0, 1, 2
    report = scan_dataset(root)
    assert not report.ok and any("outside the 2 classes" in str(p) for p in report.problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n".join(f"c{i}" for i in range(300)), "300 classes, but a mask holds at most 255"),
        ("cat\ndog\ncat\n", r"lines 1 and 3: the class 'cat' is listed twice"),
        ("background\ncrack 300 -1 x\n", r"line 2: 'crack 300 -1 x' is neither a class name nor `name r g b`"),
    ],
)
def test_bad_class_lists_refused_with_the_line(tmp_path, text, message):
    (tmp_path / "classes.txt").write_text(text)
    with pytest.raises(FCNStudioError, match=message):
        read_label_file(tmp_path / "classes.txt")


def test_class_list_not_utf8(tmp_path):
    (tmp_path / "classes.txt").write_bytes("fond\nv\xe9lo\n".encode("latin-1"))
    with pytest.raises(FCNStudioError, match="not UTF-8 text.*save the class list as UTF-8"):
        read_label_file(tmp_path / "classes.txt")


def test_class_list_forms_still_read(tmp_path):
    (tmp_path / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:250,50,83::\n")
    assert read_label_file(tmp_path / "labelmap.txt") == (["background", "car"], [(0, 0, 0), (250, 50, 83)])
    (tmp_path / "classes.txt").write_text("road sign 1 2 3\ntype 2\nsky,10,20,30\n")
    assert read_label_file(tmp_path / "classes.txt")[0] == ["road sign", "type 2", "sky"]


def _coco_dataset(tmp_path, masks, style="rle"):
    from tests.builders import make_image

    (tmp_path / "images").mkdir()
    writer = CocoWriter(["background", "cat", "dog"], style)
    for i, mask in enumerate(masks):
        make_image(tmp_path / "images" / f"c{i}.jpg", seed=i)
        writer.add(f"c{i}.jpg", mask)
    writer.write(tmp_path / "annotations.json")
    return writer


def _masks():
    rng = np.random.default_rng(0)
    masks = []
    for _ in range(3):
        mask = np.zeros((40, 48), np.uint8)
        mask[rng.integers(0, 20) :, 5:30] = 1
        mask[10:30, rng.integers(20, 40) :] = 2
        mask[rng.random((40, 48)) < 0.05] = 2  # speckles: RLE must keep every pixel
        masks.append(mask)
    return masks


def test_coco_rle_round_trip_exact(tmp_path):
    masks = _masks()
    _coco_dataset(tmp_path, masks)
    coco = read_coco(tmp_path / "annotations.json")
    assert coco.names == ("background", "cat", "dog")
    for image_id, mask in zip(sorted(coco.images), masks, strict=True):
        np.testing.assert_array_equal(semantic_mask(coco, image_id), mask)
    report = scan_dataset(tmp_path)
    assert report.ok and report.layout == "COCO" and len(report.pairs) == 3, report.text()
    assert report.class_names == ["background", "cat", "dog"]


def test_coco_polygons_and_sparse_category_ids(tmp_path):
    doc = {
        "images": [{"id": 7, "file_name": "a.png", "height": 20, "width": 30}],
        "categories": [{"id": 90, "name": "toothbrush"}, {"id": 3, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 3, "segmentation": [[2, 2, 12, 2, 12, 10, 2, 10]], "iscrowd": 0},
            {
                "id": 2,
                "image_id": 7,
                "category_id": 90,
                "iscrowd": 1,
                "segmentation": {"size": [20, 30], "counts": [20 * 20, 20 * 5, 20 * 5]},
            },
        ],
    }
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "instances_val.json").write_text(json.dumps(doc))
    report = scan_dataset(tmp_path)
    assert report.ok, report.text()
    assert report.class_names == ["background", "car", "toothbrush"]  # ids 3, 90 -> 1, 2
    mask = read_mask(report.pairs[0][1], report.encoding)
    assert (mask[:, 20:25] == 2).all() and mask[5, 5] == 1 and mask[15, 15] == 0


def test_fcn_studio_to_labelme_and_back_agrees(tmp_path):
    yy, xx = np.mgrid[:60, :80]
    mask = np.zeros((60, 80), np.uint8)
    mask[(xx - 30) ** 2 + (yy - 28) ** 2 < 18**2] = 1  # a disc: a shape without holes
    mask[40:55, 50:75] = 2
    written = mask_to_shapes(mask, NAMES)
    path = labelme_json(tmp_path / "m.json", written.shapes, size=(80, 60))
    back = read_labelme_mask(path, NAMES)
    assert np.count_nonzero(back == mask) / mask.size >= 0.995
    assert written.pixels_lost == np.count_nonzero(back != mask)


def test_labelme_holes_written_as_later_shapes_and_losses_counted(tmp_path):
    mask = np.zeros((30, 30), np.uint8)
    mask[5:25, 5:25] = 1
    mask[12:18, 12:18] = 0  # a hole of background
    mask[0:3, 0:3] = 255  # unlabelled
    written = mask_to_shapes(mask, NAMES)
    back = read_labelme_mask(labelme_json(tmp_path / "h.json", written.shapes, size=(30, 30)), NAMES)
    assert written.pixels_lost == np.count_nonzero(back != mask) == 0
    assert [s["label"] for s in written.shapes][-1] in ("_background_", "__ignore__")


def test_all_255_masks_are_no_label(tmp_path):
    from tests.builders import make_plain

    root = make_plain(tmp_path / "ds", n=3)
    for m in (root / "masks").iterdir():
        Image.fromarray(np.full((40, 48), 255, np.uint8), mode="L").save(m)
    report = scan_dataset(root)
    assert report.encoding.kind != "binary"
    assert not report.ok and any("no mask labels anything" in str(p) for p in report.problems)
    labelled = np.full((40, 48), 255, np.uint8)
    labelled[:10] = 0
    labelled[10:20] = 1
    Image.fromarray(labelled, mode="L").save(root / "masks" / "s0.png")
    report = scan_dataset(root)
    assert len(report.pairs) == 1 and any("2 masks label nothing" in str(n) for n in report.notes)


def test_split_checked(tmp_path):
    root = voc_export(tmp_path / "voc")
    pairing = find_pairs(root, "val")
    assert len(pairing.pairs) == 3 and any("split 'val' is every image" in n for n in pairing.notes)
    with pytest.raises(FCNStudioError, match="no split 'nosuchsplit'"):
        find_pairs(root, "nosuchsplit")
    sets = root / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "train.txt").write_text("v0\nv1\n")
    assert len(find_pairs(root, "train").pairs) == 2
    with pytest.raises(FCNStudioError, match="its splits: train"):
        find_pairs(root, "val")


def test_all_255_masks_in_the_label_mode_layout_are_refused(tmp_path):
    from tests.builders import make_image

    (tmp_path / "masks").mkdir()
    for i in range(2):
        make_image(tmp_path / f"p{i}.jpg", seed=i)
        Image.fromarray(np.full((40, 48), 255, np.uint8), mode="L").save(tmp_path / "masks" / f"p{i}.png")
    report = scan_dataset(tmp_path)
    assert report.layout == "images + masks/" and not report.ok
    assert any("no mask labels anything" in str(p) for p in report.problems)


def test_coco_polygons_give_back_the_pixels_of_a_shape_without_holes(tmp_path):
    yy, xx = np.mgrid[:60, :80]
    mask = np.zeros((60, 80), np.uint8)
    mask[(xx - 30) ** 2 + (yy - 28) ** 2 < 18**2] = 1
    mask[40:55, 50:75] = 2
    writer = _coco_dataset(tmp_path, [mask], style="polygon")
    assert writer.pixels_lost == 0
    coco = read_coco(tmp_path / "annotations.json")
    np.testing.assert_array_equal(semantic_mask(coco, 1), mask)
    hole = mask.copy()
    hole[25:30, 25:30] = 0
    writer = CocoWriter(["background", "cat", "dog"], "polygon")
    writer.add("h.jpg", hole)
    assert writer.pixels_lost == 25  # the hole: filled, and counted
