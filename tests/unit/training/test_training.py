"""Datasets as people have them, and short training runs at tiny sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.dataset import scan_dataset
from fcn_studio.storage import weights
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training.config import DoneEvent, EpochEvent, IterationEvent
from fcn_studio.training.trainer import TrainConfig, last_paths, train
from tests.builders import make_plain, palette_png, scene, tiny_train_config


def test_voc_layout_palette_masks_and_split(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "VOC2012"
    for d in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / d).mkdir(parents=True)
    for i in range(4):
        rgb, mask = scene(rng)
        mask[0] = 255
        Image.fromarray(rgb).save(root / "JPEGImages" / f"2007_{i:06d}.jpg")
        palette_png(mask, root / "SegmentationClass" / f"2007_{i:06d}.png")
    Image.fromarray(rgb).save(root / "JPEGImages" / "unlabelled.jpg")
    (root / "ImageSets/Segmentation/train.txt").write_text("2007_000000\n2007_000001\n2007_000002\n")
    (root / "ImageSets/Segmentation/val.txt").write_text("2007_000003\n")
    report = scan_dataset(tmp_path)
    assert report.layout == "voc" and len(report.pairs) == 4 and report.ok
    assert report.encoding.kind == "index" and report.num_classes == 3 and report.ignored_pixels == 4 * 48
    assert [p.name for p in report.unpaired_images] == ["unlabelled.jpg"]
    from fcn_studio.training.trainer import split_pairs

    train_pairs, val_pairs = split_pairs(report, TrainConfig(str(tmp_path), "x"))
    assert [p[0].stem for p in val_pairs] == ["2007_000003"] and len(train_pairs) == 3


def test_carvana_gif_binary_masks_are_two_classes(tmp_path):
    rng = np.random.default_rng(2)
    (tmp_path / "train").mkdir()
    (tmp_path / "train_masks").mkdir()
    for i in range(3):
        rgb, mask = scene(rng, n_classes=2)
        Image.fromarray(rgb).save(tmp_path / "train" / f"car{i}.jpg")
        Image.fromarray(mask * 255, mode="L").convert("P").save(tmp_path / "train_masks" / f"car{i}_mask.gif")
    report = scan_dataset(tmp_path)
    assert report.layout == "carvana" and len(report.pairs) == 3 and report.ok
    assert report.encoding.kind == "binary" and report.class_names == ["background", "foreground"]
    assert report.ignored_pixels == 0, "255 is the foreground in binary masks, not ignore"
    assert report.class_pixels[1] > 0


def test_plain_folders_with_suffix_case_and_classes_file(tmp_path):
    make_plain(tmp_path, suffix="_mask", ext=".PNG")
    (tmp_path / "classes.txt").write_text("sky\nroof\ngrass\n")
    report = scan_dataset(tmp_path)
    assert len(report.pairs) == 6 and report.class_names == ["sky", "roof", "grass"] and report.ok


def test_rgb_colour_coded_masks_map_through_the_label_colours(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    colors = [(0, 0, 0), (255, 0, 0), (0, 0, 255)]
    (tmp_path / "classes.txt").write_text(
        "\n".join(f"{n} {r} {g} {b}" for n, (r, g, b) in zip(["bg", "a", "b"], colors, strict=True))
    )
    masks = []
    for i in range(2):
        rgb, mask = scene(rng)
        Image.fromarray(rgb).save(tmp_path / "images" / f"x{i}.png")
        Image.fromarray(np.array(colors, dtype=np.uint8)[mask]).save(tmp_path / "masks" / f"x{i}.png")
        masks.append(mask)
    report = scan_dataset(tmp_path)
    assert report.encoding.kind == "rgb" and report.ok
    from fcn_studio.data.dataset import load_pair

    assert np.array_equal(load_pair(*report.pairs[0], report.encoding)[1], masks[0])


def test_bad_dataset_is_refused_naming_each_file(tmp_path, capsys):
    make_plain(tmp_path, n=4)
    Image.new("L", (10, 10)).save(tmp_path / "masks" / "s1.png")  # wrong size
    (tmp_path / "masks" / "s2.png").write_bytes(b"garbage")  # unreadable
    arr = np.asarray(Image.open(tmp_path / "masks" / "s3.png")).copy()
    arr[0, 0] = 9
    Image.fromarray(arr, mode="L").save(tmp_path / "masks" / "s3.png")
    (tmp_path / "classes.txt").write_text("a\nb\nc\n")
    report = scan_dataset(tmp_path)
    assert not report.ok
    text = "\n".join(map(str, report.problems))
    assert "s1.png" in text and "s2.png" in text and "s3.png: labels [9]" in text
    code = main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m.safetensors"), "--base", "scratch"])
    err = capsys.readouterr().err
    assert code == 1 and "s1.png" in err and "Traceback" not in err
    assert not (tmp_path / "m.safetensors").exists()


@pytest.fixture()
def tiny_run(tmp_path, weights_home):
    return tiny_train_config(tmp_path, n=5, val_split=0.4)


@pytest.mark.slow
def test_short_run_writes_loadable_checkpoint_and_registers_it(tiny_run, weights_home):
    events = []
    result = train(tiny_run, events.append)
    ckpt = load_checkpoint(tiny_run.out)
    assert (ckpt.arch, ckpt.num_classes, ckpt.labels.classes) == ("fcn32s", 3, ("class 0", "class 1", "class 2"))
    assert ckpt.training["epochs_done"] == 1 and set(ckpt.metrics) >= {"mean_iou", "pixel_accuracy"}
    with torch.inference_mode():
        assert ckpt.build_model()(torch.zeros(1, 3, 37, 45)).shape == (1, 3, 37, 45)
    # the validation scores it stores are those of the saved weights on the seeded split
    from fcn_studio.training.trainer import SegmentationData, evaluate, split_pairs

    report = scan_dataset(tiny_run.data)
    _, val_pairs = split_pairs(report, tiny_run)
    val = SegmentationData(val_pairs, report.encoding, None, None, 0)
    fresh = evaluate(ckpt.build_model(), val, ckpt.preprocessing, torch.device("cpu"), 3)
    assert ckpt.metrics["mean_iou"] == pytest.approx(fresh.mean_iou)
    assert result.registered_id == "mine" and "mine" in [m.id for m in weights.installed_models()]
    kinds = {type(e) for e in events}
    assert {IterationEvent, EpochEvent, DoneEvent} <= kinds
    assert all(np.isfinite(e.loss) for e in events if isinstance(e, IterationEvent))
    assert "fcn-studio train" in tiny_run.command_line() and "--freeze-backbone" in tiny_run.command_line()


@pytest.mark.slow
def test_resume_continues_from_the_saved_state(tiny_run):
    train(tiny_run)
    last_state = last_paths(Path(tiny_run.out))[1]
    assert last_state.is_file()
    tiny_run.epochs, tiny_run.resume = 2, True
    events = []
    train(tiny_run, events.append)
    epochs = [e.epoch for e in events if isinstance(e, EpochEvent)]
    assert epochs == [2], "resumed at epoch 2, not from scratch"
    state = torch.load(last_state, weights_only=True)
    # a head-only run's state is a head's size (#26): its score layers, without the solver's memory
    assert state["epoch"] == 2 and state["optimizer"] is None
    score_layers = {k for k in load_checkpoint(tiny_run.out).state_dict if k.startswith("score")}
    assert score_layers and set(state["model"]) == score_layers


@pytest.mark.slow
def test_cancel_leaves_a_valid_checkpoint(tiny_run):
    calls = {"n": 0}

    def cancelled():
        calls["n"] += 1
        return calls["n"] > 1  # after the first iteration

    result = train(tiny_run, cancelled=cancelled)
    assert result.cancelled
    kept = load_checkpoint(tiny_run.out)
    with torch.inference_mode():
        assert kept.build_model()(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    assert last_paths(Path(tiny_run.out))[1].is_file()


@pytest.mark.slow
def test_base_with_other_class_count_reinitialises_scores(tmp_path, caffe_layout_file, weights_home):
    data = make_plain(tmp_path / "d", n=3)
    cfg = TrainConfig(
        data=str(data),
        out=str(tmp_path / "o.safetensors"),
        base=str(caffe_layout_file("fcn32s")),
        arch="fcn32s",
        epochs=1,
        crop_size=32,
        freeze_backbone=True,
    )
    events = []
    train(cfg, events.append)
    assert any("re-initialised" in str(getattr(e, "text", "")) for e in events)
    assert load_checkpoint(cfg.out).num_classes == 3


@pytest.mark.slow
def test_cli_train_end_to_end(tmp_path, weights_home, capsys, caffe_layout_file):
    data = make_plain(tmp_path / "d", n=4)
    out = tmp_path / "cli.safetensors"
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--base",
            str(caffe_layout_file("fcn16s", 3)),
            "--arch",
            "fcn16s",
            "--epochs",
            "1",
            "--out",
            str(out),
            "--crop-size",
            "32",
            "--freeze-backbone",
            "--id",
            "cli-model",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "installed as cli-model" in captured.out and "mean IoU" in captured.out
    assert load_checkpoint(out).arch == "fcn16s"


def test_a_val_folder_is_decoded_by_its_own_encoding(tmp_path):
    """Training masks are palette indices; the --val folder's are colour-coded with its own
    classes.txt: each folder is read by its own rule."""
    from fcn_studio.training.trainer import split_pairs, validation_encoding

    train_dir = make_plain(tmp_path / "train", n=3)
    val_dir = tmp_path / "val"
    (val_dir / "images").mkdir(parents=True)
    (val_dir / "masks").mkdir()
    colors = [(0, 0, 0), (250, 0, 0), (0, 250, 0)]
    rng = np.random.default_rng(5)
    rgb, mask = scene(rng)
    Image.fromarray(rgb).save(val_dir / "images" / "v.jpg")
    Image.fromarray(np.asarray(colors, dtype=np.uint8)[mask]).save(val_dir / "masks" / "v.png")
    (val_dir / "classes.txt").write_text("".join(f"c{i} {r} {g} {b}\n" for i, (r, g, b) in enumerate(colors)))
    report = scan_dataset(train_dir)
    config = TrainConfig(str(train_dir), "x", val_dir=str(val_dir))
    _, val_pairs = split_pairs(report, config)
    encoding = validation_encoding(report, config, val_pairs)
    assert report.encoding.kind == "index" and encoding.kind == "rgb"
    from fcn_studio.data.dataset import load_pair

    assert np.array_equal(load_pair(*val_pairs[0], encoding)[1], mask)


@pytest.mark.slow
def test_a_trained_model_keeps_the_colours_of_the_label_file(tmp_path, weights_home, caffe_layout_file):
    data = make_plain(tmp_path / "d", n=3)
    (data / "classes.txt").write_text("soil 120 80 40\nleaf 40 200 60\nrust 230 90 10\n")
    cfg = TrainConfig(
        data=str(data),
        out=str(tmp_path / "c.safetensors"),
        base=str(caffe_layout_file("fcn32s")),
        arch="fcn32s",
        epochs=1,
        crop_size=32,
        freeze_backbone=True,
    )
    train(cfg)
    labels = load_checkpoint(cfg.out).labels
    assert labels.classes == ("soil", "leaf", "rust")
    assert labels.colors == ((120, 80, 40), (40, 200, 60), (230, 90, 10)), "the overlay draws the dataset's colours"
