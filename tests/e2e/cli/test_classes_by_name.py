"""eval and compare match classes by name whenever both sides name them, and refuse when one
side is unnamed and the counts differ (#29); eval --gt takes a labelme folder, a COCO file,
a CVAT export and VOC as training does."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.formats.coco import CocoWriter
from fcn_studio.data.formats.labelme import read_labelme_mask
from fcn_studio.data.labels import VOC_CLASSES
from tests.builders import make_image
from tests.unit.data.formats_builders import labelme_folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def scenes(n=4, h=40, w=48):
    rng = np.random.default_rng(3)
    out = []
    for _ in range(n):
        m = np.zeros((h, w), np.uint8)
        for c in (8, 12, 15):  # cat, dog, person in VOC ids
            y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
            m[y : y + 12, x : x + 12] = c
        out.append(m)
    return out


def predictions(folder, truths):
    """Predictions in VOC ids: right on most pixels, wrong on a band, with VOC's names."""
    folder.mkdir()
    for i, m in enumerate(truths):
        p = m.copy()
        p[:6] = 12
        Image.fromarray(p, mode="L").save(folder / f"s{i}.png")
    (folder / "classes.txt").write_text("\n".join(VOC_CLASSES) + "\n")
    return folder


def cvat_export(root, truths, order):
    """CVAT's "Segmentation mask 1.1": VOC layout, colour masks, labelmap.txt in CVAT's order."""
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    rng = np.random.default_rng(0)
    colours = {name: tuple(int(v) for v in rng.integers(1, 255, 3)) for name in order}
    colours["background"] = (0, 0, 0)
    lines = ["# label:color_rgb:parts:actions"] + [f"{n}:{','.join(map(str, colours[n]))}::" for n in order]
    (root / "labelmap.txt").write_text("\n".join(lines) + "\n")
    for i, m in enumerate(truths):
        make_image(root / "JPEGImages" / f"s{i}.jpg", seed=i)
        rgb = np.zeros((*m.shape, 3), np.uint8)
        for n in order:
            rgb[m == VOC_CLASSES.index(n)] = colours[n]
        Image.fromarray(rgb).save(root / "SegmentationClass" / f"s{i}.png")
    return root


def voc_by_id(root, truths):
    (root / "SegmentationClass").mkdir(parents=True)
    for i, m in enumerate(truths):
        Image.fromarray(m, mode="L").save(root / "SegmentationClass" / f"s{i}.png")
    (root / "class_names.txt").write_text("\n".join(VOC_CLASSES) + "\n")
    return root / "SegmentationClass"


def test_eval_on_a_cvat_export_equals_eval_by_name(capsys, tmp_path):
    truths = scenes()
    pred = predictions(tmp_path / "pred", truths)
    cvat = cvat_export(tmp_path / "cvat", truths, ["background", "person", "dog", "cat"])
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(cvat), "--json")
    assert code == 0, err
    assert "classes matched by name: 4" in err and "labelmap.txt" in err, err
    by_name = json.loads(out)
    code, out, err = run(
        capsys, "eval", "--pred", str(pred), "--gt", str(voc_by_id(tmp_path / "voc", truths)), "--json"
    )
    assert code == 0, err
    assert by_name == json.loads(out)
    assert by_name["mean_iou"] > 0.5


def test_eval_gt_takes_a_labelme_folder_and_a_coco_file(capsys, tmp_path):
    folder = labelme_folder(tmp_path / "lm")
    pred = tmp_path / "pred"
    pred.mkdir()
    coco = CocoWriter(["_background_", "cat", "dog"])
    for doc in sorted(folder.glob("*.json")):
        mask = read_labelme_mask(doc, ["_background_", "cat", "dog"])
        Image.fromarray(np.where(mask == 255, 0, mask).astype(np.uint8), mode="L").save(pred / f"{doc.stem}.png")
        coco.add(f"{doc.stem}.jpg", mask)
    (pred / "classes.txt").write_text("background\ncat\ndog\n")
    coco.write(tmp_path / "gt.json")
    for gt in (folder, tmp_path / "gt.json"):
        code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt), "--json")
        assert code == 0, err
        assert json.loads(out)["mean_iou"] == 1.0, (gt, err)
        assert "matched by name: 3" in err


def test_unnamed_ground_truth_with_another_class_count_is_refused(capsys, tmp_path):
    truths = [np.minimum(m, 2) for m in scenes()]  # three unnamed classes
    pred = predictions(tmp_path / "pred", scenes())  # 21 named classes
    gt = tmp_path / "gt"
    gt.mkdir()
    for i, m in enumerate(truths):
        Image.fromarray(m, mode="L").save(gt / f"s{i}.png")
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    assert code == 1 and not out
    assert "does not name its classes and has 3 where the predictions has 21" in err
    assert "classes.txt" in err and "Traceback" not in err
    (gt / "classes.txt").write_text("background\ncat\ndog\n")  # named: matched by name
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    assert code == 0 and "matched by name: 3" in err, err


def test_compare_refuses_a_21_class_model_against_3_unnamed_classes(capsys, weights_home, caffe_layout_file, tmp_path):
    image = make_image(tmp_path / "a.png")
    gt = tmp_path / "gt" / "a.png"
    gt.parent.mkdir()
    mask = np.zeros((40, 48), np.uint8)
    mask[10:20, 10:30] = 2
    Image.fromarray(mask, mode="L").save(gt)
    model = str(caffe_layout_file("fcn32s"))
    argv = ["compare", str(image), "--models", model, "--out", str(tmp_path / "c.png"), "--gt", str(gt)]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "does not name its classes and has 3 where the model" in err, err
    (gt.parent / "classes.txt").write_text("background\nperson\ncat\n")
    code, out, err = run(capsys, *argv)
    assert code == 0 and "classes matched by name: 3" in err, err
    assert "mean IoU" in out or "mean" in out


def test_eval_model_on_a_cvat_export_equals_eval_by_name(capsys, weights_home, caffe_layout_file, tmp_path):
    truths = scenes(n=2)
    cvat = cvat_export(tmp_path / "cvat", truths, ["background", "person", "dog", "cat"])
    voc = voc_by_id(tmp_path / "voc", truths).parent
    (voc / "JPEGImages").mkdir()
    for i in range(len(truths)):
        make_image(voc / "JPEGImages" / f"s{i}.jpg", seed=i)
    model = str(caffe_layout_file("fcn32s"))
    code, out, err = run(capsys, "eval", "--model", model, "--data", str(cvat), "--json", "--backend", "torch")
    assert code == 0 and "classes matched by name: 4" in err and "labelmap.txt" in err, err
    by_name = json.loads(out)
    code, out, err = run(capsys, "eval", "--model", model, "--data", str(voc), "--json", "--backend", "torch")
    assert code == 0, err
    assert json.loads(out) == by_name


def test_segment_names_its_masks_so_eval_matches_them_by_name(capsys, weights_home, caffe_layout_file, tmp_path):
    truths = scenes(n=2)
    cvat = cvat_export(tmp_path / "cvat", truths, ["background", "person", "dog", "cat"])
    out = tmp_path / "out"
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(capsys, "segment", str(cvat / "JPEGImages"), "--model", model, "--out", str(out))
    assert code == 0 and "classes (21) from the model: background, aeroplane" in err, err
    assert (out / "classes.txt").read_text().splitlines()[1] == "aeroplane 128 0 0"
    code, _, err = run(capsys, "eval", "--pred", str(out), "--gt", str(cvat))
    assert code == 0 and "classes matched by name: 4" in err, err


def test_unnamed_voc_palette_masks_are_the_models_classes_by_colour(capsys, weights_home, caffe_layout_file, tmp_path):
    """VOC's SegmentationClass/ has no class list: its palette gives each id the VOC model's colour."""
    from tests.builders import palette_png

    image = make_image(tmp_path / "a.png")
    gt = tmp_path / "SegmentationClass" / "a.png"
    gt.parent.mkdir()
    mask = np.zeros((40, 48), np.uint8)
    mask[10:20, 10:30] = 2
    palette_png(mask, gt)
    argv = ["compare", str(image), "--models", str(caffe_layout_file("fcn32s")), "--out", str(tmp_path / "c.png")]
    code, _, err = run(capsys, *argv, "--gt", str(gt))
    assert code == 0 and "its palette has their colours" in err, err
