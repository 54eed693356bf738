"""What FCN Studio writes for other tools (#29): labelme files with labels.txt and a
relative imagePath, COCO without '..' in file_name, polygon areas that are the polygons',
ids that never collide across shards, crowds only where they are crowds; the VOC export
carries CVAT's labelmap.txt with its colours."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fcn_studio.cli.main import main
from fcn_studio.data.formats.coco import CocoWriter
from fcn_studio.data.formats.export import export_labels
from fcn_studio.data.labels import LabelSet


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_segment_labelme_and_coco_outputs(capsys, weights_home, caffe_layout_file, tmp_path):
    from tests.builders import make_image

    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for i in range(3):
        make_image(photos / ("sub" if i else "") / f"im{i}.png", seed=i)
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(
        capsys, "segment", str(photos), "--model", model, "--out", str(tmp_path / "lm"), "--format", "labelme"
    )
    assert code == 0, err
    assert (tmp_path / "lm" / "labels.txt").read_text().splitlines()[:3] == ["__ignore__", "_background_", "aeroplane"]
    doc = json.loads((tmp_path / "lm" / "sub" / "im1.json").read_text())
    assert not Path(doc["imagePath"]).is_absolute()
    assert (tmp_path / "lm" / "sub" / doc["imagePath"]).resolve() == (photos / "sub" / "im1.png").resolve()
    shards = []
    for i in range(2):
        argv = ["segment", str(photos), "--model", model, "--out", str(tmp_path / "co"), "--format", "coco"]
        code, _, err = run(capsys, *argv, "--shard", f"{i}/2")
        assert code == 0, err
        shards.append(json.loads((tmp_path / "co" / f"coco.{i}-of-2.json").read_text()))
    names = [im["file_name"] for s in shards for im in s["images"]]
    assert sorted(names) == ["im0.png", "sub/im1.png", "sub/im2.png"] and not any(".." in n for n in names)
    image_ids = [im["id"] for s in shards for im in s["images"]]
    ann_ids = [a["id"] for s in shards for a in s["annotations"]]
    assert len(set(image_ids)) == 3 and len(set(ann_ids)) == len(ann_ids)


def test_coco_polygon_area_is_the_polygons_and_rle_is_no_crowd():
    mask = np.zeros((40, 48), np.uint8)
    yy, xx = np.mgrid[0:40, 0:48]
    mask[(yy - 20) ** 2 + (xx - 24) ** 2 <= 49] = 1  # a small disc: pixels and polygon differ most
    polygon = CocoWriter(["background", "disc"], "polygon")
    polygon.add("a.png", mask)
    ann = polygon.document()["annotations"][0]
    xy = np.asarray(ann["segmentation"][0]).reshape(-1, 2)
    shoelace = 0.5 * abs(np.dot(xy[:, 0], np.roll(xy[:, 1], 1)) - np.dot(xy[:, 1], np.roll(xy[:, 0], 1)))
    assert abs(ann["area"] - shoelace) < 1e-6, (ann["area"], shoelace, int(mask.sum()))
    rle = CocoWriter(["background", "disc"], "rle")
    rle.add("a.png", mask)
    assert {a["iscrowd"] for a in rle.document()["annotations"]} == {0}
    assert rle.document()["annotations"][0]["area"] == int(mask.sum())


def test_voc_export_writes_cvats_labelmap_with_the_colours_used(tmp_path):
    from tests.builders import make_image

    image = make_image(tmp_path / "a.png")
    mask = np.zeros((40, 48), np.uint8)
    mask[5:10, 5:10] = 2
    labels = LabelSet("t", ("background", "crack", "rust"), ((0, 0, 0), (200, 10, 10), (10, 200, 10)))
    export_labels([(image, mask)], labels, tmp_path / "voc", "voc")
    lines = (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()
    assert lines[0].startswith("# label:color_rgb")
    assert lines[1:] == ["background:0,0,0::", "crack:200,10,10::", "rust:10,200,10::"]


def test_segment_merge_joins_the_coco_files_of_a_sharded_run(capsys, weights_home, caffe_layout_file, tmp_path):
    from tests.builders import make_image

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        make_image(photos / f"im{i}.png", seed=i)
    model = str(caffe_layout_file("fcn32s"))
    for i in range(2):
        argv = ["segment", str(photos), "--model", model, "--out", str(tmp_path / "co"), "--format", "coco"]
        assert run(capsys, *argv, "--shard", f"{i}/2")[0] == 0
    shards = [str(tmp_path / "co" / f"coco.{i}-of-2.json") for i in range(2)]
    code, _, err = run(capsys, "segment", "--merge", *shards, "--out", str(tmp_path / "all"))
    assert code == 0 and "3 image(s)" in err, err
    merged = json.loads((tmp_path / "all" / "coco.json").read_text())
    assert sorted(im["file_name"] for im in merged["images"]) == ["im0.png", "im1.png", "im2.png"]
    code, _, err = run(capsys, "segment", "--merge", shards[0], shards[0], "--out", str(tmp_path / "again"))
    assert code == 1 and "named twice" in err, err
