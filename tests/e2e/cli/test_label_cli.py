"""`fcn-studio train --data F --freeze-backbone` on a folder Label mode writes (sparse
masks in F/masks, classes in F/classes.txt): trains as it is, on cached features."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.labels import LabelSet
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training import resume

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work


def test_cli_trains_on_a_sparse_labelled_folder_with_cached_features(
    tmp_path, weights_home, feature_cache_home, capsys, caffe_layout_file
):
    folder = tmp_path / "F"
    folder.mkdir()
    labels = LabelSet("F", ("sky", "dry rust", "crack"), ((10, 20, 250), (200, 90, 10), (0, 0, 0)))
    store = LabelStore(folder)
    store.save_label_set(labels)
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(folder / f"p{i}.jpg")
        mask = np.full((40, 48), 255, np.uint8)  # scribbles: most pixels unlabelled
        mask[2:6, 3:30] = 0
        mask[20:23, 10:40] = 1
        if i % 2:
            mask[30:33, 5:20] = 2
        store.save_mask(folder / f"p{i}.jpg", mask, labels)
    Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(folder / "unlabelled.jpg")
    out = tmp_path / "rust.safetensors"
    code = main(
        [
            "train",
            "--data",
            str(folder),
            "--out",
            str(out),
            "--base",
            str(caffe_layout_file("fcn8s", 3)),
            "--epochs",
            "3",
            "--freeze-backbone",
            "--val-split",
            "0.4",
            "--id",
            "rust",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "images + masks/ layout" in err and "ignore (255)" in err and "unlabelled.jpg" in err
    passes = int(err.split("backbone passes: ")[1].split(",")[0])
    reused = int(err.split("cached features reused: ")[1].split()[0])
    # 3 training images (each twice: plain and flipped, read once for the solver) and 2 held
    # out; every later look-up (the validations of epochs 2 and 3) is served from the cache
    assert passes == 3 * 2 + 2 and reused == 2 * 2
    assert any(feature_cache_home.glob("*.safetensors"))
    ckpt = load_checkpoint(out)
    assert ckpt.labels.classes == labels.classes and ckpt.labels.colors == labels.colors
    assert ckpt.training["freeze_backbone"] and resume.load_state(out).epoch == 3
    best = max(h["mean_iou"] for h in resume.load_state(out).history)  # OUT: the best epoch's model
    assert ckpt.metrics["mean_iou"] == best == ckpt.training["history"][ckpt.training["epochs_done"] - 1]["mean_iou"]
    assert ckpt.metrics["mean_iou"] is not None
