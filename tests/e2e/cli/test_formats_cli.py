"""Labels for other tools from the command line: ``segment --format labelme|coco``, and a
labelme folder and a COCO file read by eval and train as they are."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.dataset import scan_dataset
from fcn_studio.data.formats.coco import read_coco, semantic_mask
from fcn_studio.data.formats.labelme import read_labelme_mask
from fcn_studio.data.labels import VOC_CLASSES
from tests.unit.data.formats_builders import labelme_folder, voc_export


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_segment_writes_labelme_and_coco_that_read_back(
    capsys, weights_home, caffe_layout_file, image_factory, tmp_path
):
    model = str(caffe_layout_file("fcn32s"))
    images = [image_factory(f"im{i}.png", size=(45 + i, 33), seed=i) for i in range(2)]
    code, _, err = run(
        capsys, "segment", *map(str, images), "--model", model, "--out", str(tmp_path / "lm"), "--format", "labelme"
    )
    assert code == 0, err
    for image in images:
        doc = json.loads((tmp_path / "lm" / f"{image.stem}.json").read_text())
        assert (tmp_path / "lm" / doc["imagePath"]).resolve() == image.resolve() and doc["imageData"] is None
        with Image.open(tmp_path / "lm" / f"{image.stem}.png") as im:
            mask = np.array(im)
        back = read_labelme_mask(tmp_path / "lm" / f"{image.stem}.json", ["_background_", *VOC_CLASSES[1:]])
        assert np.count_nonzero(back == mask) / mask.size >= 0.995
    code, _, err = run(
        capsys, "segment", *map(str, images), "--model", model, "--out", str(tmp_path / "coco"), "--format", "coco"
    )
    assert code == 0, err
    coco = read_coco(tmp_path / "coco" / "coco.json")
    for image_id, image in zip(sorted(coco.images), images, strict=True):
        with Image.open(tmp_path / "coco" / f"{image.stem}.png") as im:
            np.testing.assert_array_equal(semantic_mask(coco, image_id), np.array(im))  # RLE: exact


def test_train_refuses_labels_txt_mismatch_before_training(capsys, weights_home, tmp_path):
    root = voc_export(tmp_path / "voc")
    (root / "labels.txt").write_text("__ignore__\n_background_\ncat\nbird\n")
    code, _, err = run(
        capsys,
        "train",
        "--data",
        str(root),
        "--out",
        str(tmp_path / "m.safetensors"),
        "--base",
        "scratch",
        "--epochs",
        "1",
    )
    assert code == 1 and "name different classes" in err and "Traceback" not in err


@pytest.mark.slow
def test_eval_split_says_which_images_and_refuses_unknown(capsys, weights_home, caffe_layout_file, tmp_path):
    root = voc_export(tmp_path / "voc")
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(capsys, "eval", "--model", model, "--data", str(root), "--split", "nosuchsplit")
    assert code == 1 and "no split 'nosuchsplit'" in err
    code, _, err = run(capsys, "eval", "--model", model, "--data", str(root), "--split", "val")
    assert code == 0 and "split 'val' is every image" in err


def test_labelme_folder_scanned_without_conversion(tmp_path):
    report = scan_dataset(labelme_folder(tmp_path / "lm"))
    assert report.ok and report.class_names == ["_background_", "cat", "dog"]
