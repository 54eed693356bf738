"""Training under torchrun: two CPU processes (gloo) on tiny images, as on a cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from fcn_studio.data.dataset import read_mask, scan_dataset
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training import resume
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head import LabelledImage, trainable_head
from fcn_studio.training.head_variant import evaluate_head
from fcn_studio.training.trainer import TrainConfig, split_pairs
from tests.builders import make_plain

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work

WORKER = Path(__file__).with_name("distributed_worker.py")


def torchrun(tmp_path: Path, *train_args: str, env: dict[str, str], timeout: int = 300):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        str(WORKER),
        "train",
        *train_args,
    ]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "FCN_STUDIO_DIST_TIMEOUT": "60", **env}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=full_env)


@pytest.fixture()
def job(tmp_path, weights_home, caffe_layout_file):
    data = make_plain(tmp_path / "data", n=7)
    out = tmp_path / "out" / "ddp.safetensors"
    args = [
        "--data",
        str(data),
        "--out",
        str(out),
        "--base",
        str(caffe_layout_file("fcn32s", 3)),
        "--arch",
        "fcn32s",
        "--epochs",
        "1",
        "--batch-size",
        "1",
        "--crop-size",
        "32",
        "--freeze-backbone",
        "--device",
        "cpu",
        "--val-split",
        "0.45",
        "--id",
        "ddp-model",
    ]
    return data, out, args


def test_torchrun_two_processes_write_once_and_validate_like_one(job, tmp_path, weights_home):
    data, out, args = job
    record = tmp_path / "writes.txt"
    proc = torchrun(tmp_path, *args, env={"FCN_STUDIO_WEIGHTS": str(weights_home), "FCN_TEST_RECORD": str(record)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes (gloo)" in proc.stderr  # the head solver (--freeze-backbone) under torchrun
    assert proc.stdout.count("installed as ddp-model") == 1, "only rank 0 prints"
    writes = record.read_text().split("\n")[:-1]
    # rank 0 alone wrote: the model, its one-file resume state, its registration
    assert sorted(writes) == ["0 register ddp-model", "0 save ddp.safetensors", "0 state ddp.last.state.pt"]
    assert sorted(p.name for p in weights_home.iterdir() if not p.name.startswith(".")) == ["ddp-model.safetensors"]

    # the metrics rank 0 saved are those of one process evaluating the saved model on all of
    # the validation images (the two ranks each saw a part and summed their matrices)
    ckpt = load_checkpoint(out)
    report = scan_dataset(data)
    _, val_pairs = split_pairs(report, TrainConfig(str(data), str(out), val_split=0.45))
    assert len(val_pairs) == 3, "an odd count: the ranks' shares differ in size"
    val = [LabelledImage(image, read_mask(mask, report.encoding)) for image, mask in val_pairs]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers, so the arithmetic is the same
    try:
        model = ckpt.build_model()
        head = trainable_head(model, ckpt.labels.classes, ckpt.labels)
        classes, pre = list(ckpt.labels.classes), ckpt.preprocessing
        single = evaluate_head(head, model, pre, val, FeatureCache(None), 3).to_json(classes)
        one_rank = evaluate_head(head, model, pre, val[::2], FeatureCache(None), 3).to_json(classes)
    finally:
        torch.set_num_threads(threads)
    assert ckpt.metrics == single
    assert one_rank != single, "rank 0's share alone scores differently, so the sum was needed"
    assert ckpt.training["history"][0]["mean_iou"] == single["mean_iou"]


def test_a_failing_rank_ends_the_job_with_its_message(job, tmp_path, weights_home):
    _, out, args = job
    start = time.monotonic()
    proc = torchrun(tmp_path, *args, env={"FCN_STUDIO_WEIGHTS": str(weights_home), "FCN_TEST_FAIL_RANK": "1"})
    assert proc.returncode != 0
    assert "fcn-studio: error: rank 1: " in proc.stderr and "input/output error on this machine" in proc.stderr
    assert time.monotonic() - start < 200, "no hang"
    assert not out.exists() and not list(weights_home.glob("*.safetensors")), "nothing written or registered"


def test_resume_under_torchrun_continues_the_saved_run(job, tmp_path, weights_home):
    _, out, args = job
    env = {"FCN_STUDIO_WEIGHTS": str(weights_home)}
    assert torchrun(tmp_path, *args, env=env).returncode == 0
    args[args.index("--epochs") + 1] = "2"
    proc = torchrun(tmp_path, *args, "--resume", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resumed after epoch 1" in proc.stderr
    history = resume.load_state(out).history
    assert [h["epoch"] for h in history] == [1, 2], "epoch 2 trained on top of epoch 1"
