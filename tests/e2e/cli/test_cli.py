"""The command line end to end, on generated images and randomly initialised weights."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.labels import voc_colormap
from fcn_studio.models.preprocessing import CAFFE_BGR


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_imported_caffe_weights_give_the_source_models_labels(
    capsys, weights_home, caffe_layout_file, random_model, image_factory, tmp_path
):
    code, out, _ = run(capsys, "weights", "import", str(caffe_layout_file("fcn8s")), "--id", "mine")
    assert code == 0 and "installed" in out
    images = [image_factory(f"im{i}.png", size=(45 + i, 33), seed=i) for i in range(2)]
    code, _, err = run(
        capsys, "segment", *map(str, images), "--model", "mine", "--out", str(tmp_path / "out"), "--overlay"
    )
    assert code == 0, err
    model = random_model("fcn8s")
    for img_path in images:
        mask = Image.open(tmp_path / "out" / f"{img_path.stem}.png")
        assert mask.mode == "P"
        assert np.array_equal(np.asarray(mask.getpalette()[:63]).reshape(21, 3), voc_colormap(21))
        rgb = np.asarray(Image.open(img_path).convert("RGB"))
        with torch.inference_mode():
            expected = model(CAFFE_BGR.to_tensor(rgb)).argmax(1)[0].numpy()
        assert np.array_equal(np.asarray(mask), expected), "labels differ from the source model"
        assert (tmp_path / "out" / f"{img_path.stem}_overlay.jpg").is_file()


@pytest.mark.slow
def test_segment_path_to_weights_file_folder_input_and_bad_file(
    capsys, weights_home, caffe_layout_file, image_factory, tmp_path
):
    folder = image_factory("a.png").parent
    image_factory("b.jpg", seed=2)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    code, _, err = run(
        capsys, "segment", str(folder), "--model", str(caffe_layout_file("fcn32s")), "--out", str(tmp_path / "o")
    )
    assert code == 1, "a failed file makes the exit status non-zero"
    assert "broken.png" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.png", "b.png", "classes.txt"]


def test_missing_weights_tell_the_download_command(capsys, weights_home, image_factory, tmp_path):
    code, _, err = run(capsys, "segment", str(image_factory()), "--model", "fcn8s-voc", "--out", str(tmp_path / "o"))
    assert code == 1
    assert "fcn-studio weights download fcn8s-voc" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_weights_list_import_remove(capsys, weights_home, caffe_layout_file):
    code, out, _ = run(capsys, "weights", "list")
    assert code == 0 and "fcn8s-voc" in out and "not installed" in out and "vgg16-imagenet" in out
    run(capsys, "weights", "import", str(caffe_layout_file("fcn16s")), "--id", "my16")
    code, out, _ = run(capsys, "weights", "list")
    assert "my16" in out and "installed (imported)" in out and "fcn16s" in out
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn16s")), "--id", "my16")
    assert code == 1 and "already installed" in err
    code, out, _ = run(capsys, "weights", "remove", "my16")
    assert code == 0 and not (weights_home / "my16.safetensors").exists()


def test_eval_pred_gt_json_matches_reference_formulas(capsys, tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    hist = np.zeros((4, 4), dtype=np.int64)
    for i in range(3):
        gt = rng.integers(0, 4, (20, 30)).astype(np.uint8)
        gt[0, :5] = 255
        pred = np.where(rng.random((20, 30)) < 0.7, gt, rng.integers(0, 4, (20, 30))).astype(np.uint8)
        pred[pred == 255] = 0
        Image.fromarray(gt, mode="L").save(tmp_path / "gt" / f"{i}.png")
        p = Image.fromarray(pred, mode="P")
        p.putpalette(voc_colormap().reshape(-1).tolist())
        p.save(tmp_path / "pred" / f"{i}.png")
        valid = gt != 255
        hist += np.bincount(4 * gt[valid].astype(int) + pred[valid], minlength=16).reshape(4, 4)
    code, out, _ = run(capsys, "eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--json")
    assert code == 0
    result = json.loads(out)
    iu = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
    freq = hist.sum(1) / hist.sum()
    assert result["pixel_accuracy"] == pytest.approx(np.diag(hist).sum() / hist.sum())
    assert result["mean_accuracy"] == pytest.approx(np.nanmean(np.diag(hist) / hist.sum(1)))
    assert result["mean_iou"] == pytest.approx(np.nanmean(iu))
    assert result["fw_iou"] == pytest.approx((freq[freq > 0] * iu[freq > 0]).sum())
    assert result["per_class_iou"] == pytest.approx(list(iu))
    code, out, _ = run(capsys, "eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"))
    assert "mean IoU" in out and "per-class IoU" in out


@pytest.mark.slow
def test_eval_model_on_a_voc_layout(capsys, weights_home, caffe_layout_file, tmp_path):
    root = tmp_path / "VOC"
    for d in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / d).mkdir(parents=True)
    rng = np.random.default_rng(5)
    for name in ("2007_000032", "2007_000039", "2007_000063"):
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(root / "JPEGImages" / f"{name}.jpg")
        Image.fromarray(rng.integers(0, 21, (30, 40), dtype=np.uint8), mode="L").save(
            root / "SegmentationClass" / f"{name}.png"
        )
    (root / "ImageSets/Segmentation/val.txt").write_text("2007_000032\n2007_000063\n")
    code, out, err = run(capsys, "eval", "--model", str(caffe_layout_file("fcn32s")), "--data", str(root), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) >= {"pixel_accuracy", "mean_accuracy", "mean_iou", "fw_iou", "per_class_iou"}
    assert len(result["per_class_iou"]) == 21 and result["class_names"][1] == "aeroplane"


def test_module_entry_point_and_clean_error_for_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "fcn_studio", "eval", "--pred", str(tmp_path / "nope"), "--gt", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("fcn-studio: error:") and "Traceback" not in proc.stderr


def test_eval_model_on_carvana_binary_masks_counts_255_as_foreground(capsys, weights_home, random_model, tmp_path):
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint

    (tmp_path / "train").mkdir()
    (tmp_path / "train_masks").mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "train" / f"c{i}.jpg")
        mask = np.zeros((20, 24), np.uint8)
        mask[5:15, 5:15] = 255
        Image.fromarray(mask).save(tmp_path / "train_masks" / f"c{i}_mask.gif")
    model = random_model("fcn32s", 2)
    path = save_checkpoint(
        Checkpoint("fcn32s", 2, generic_labels(2), CAFFE_BGR, model.state_dict()), tmp_path / "b.safetensors"
    )
    code, out, err = run(capsys, "eval", "--model", str(path), "--data", str(tmp_path), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["per_class_iou"][1] is not None, "the foreground (255) was counted, not ignored"


def test_cuda_out_of_memory_is_one_line_not_a_traceback(capsys, caffe_layout_file, image_factory, monkeypatch):
    from fcn_studio.inference.predictor import Predictor

    class OutOfMemoryError(RuntimeError):  # the name torch.cuda.OutOfMemoryError carries
        pass

    def boom(self, *a, **k):
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Predictor, "predict", boom)
    image = image_factory("a.png")
    code = main(["segment", str(image), "--model", str(caffe_layout_file("fcn8s")), "--out", str(image.parent / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "GPU ran out of memory" in err and "--max-size" in err and "Traceback" not in err


def test_verbose_prints_the_core_loggers_on_stderr(weights_home, caffe_layout_file, tmp_path, capsys):
    import logging

    from fcn_studio import logs
    from fcn_studio.storage import weights
    from tests.builders import make_image

    weights.import_weights(caffe_layout_file("fcn8s"), "m")
    photo = make_image(tmp_path / "p.png")
    try:
        assert main(["--verbose", "segment", str(photo), "--model", "m", "--out", str(tmp_path / "o")]) == 0
        err = capsys.readouterr().err
        assert "INFO fcn_studio.storage: loading model m from" in err
        assert "fcn_studio.inference:" in err
    finally:
        logs.configure()
        logging.getLogger("fcn_studio").setLevel(logging.NOTSET)
