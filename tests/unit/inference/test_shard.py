"""Sharded batch segmentation and evaluation, as a job array runs them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.inference.shard import Shard
from tests.builders import make_image


def log_records(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # the half line a killed shard may leave
            records.append(json.loads(line))
    return records


def make_photos(folder: Path, n: int, size=(48, 40)) -> list[Path]:
    (folder / "sub").mkdir(parents=True)
    return [make_image(folder / ("sub" if i % 3 == 0 else "") / f"p{i:03d}.png", size, seed=i) for i in range(n)]


@pytest.mark.slow
def test_shards_together_cover_every_input_once(capsys, weights_home, caffe_layout_file, tmp_path):
    photos = make_photos(tmp_path / "in", 11)
    out = tmp_path / "out"
    done: list[str] = []
    for i in range(2):
        argv = ["segment", str(tmp_path / "in"), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out)]
        assert main([*argv, "--shard", f"{i}/2"]) == 0, capsys.readouterr().err
        records = log_records(out / f"segment-log.{i}-of-2.jsonl")
        assert {r["status"] for r in records} == {"done"}
        done += [r["input"] for r in records]
    assert sorted(done) == sorted(map(str, photos)), "each input in exactly one shard"
    assert len(list(out.rglob("p*.png"))) == 11


def test_shard_choice_does_not_depend_on_listing_order():
    names = [f"x{i}" for i in range(10)]
    shard = Shard.parse("1/3")
    assert shard.take(names, key=str) == shard.take(names[::-1], key=str) == ["x1", "x4", "x7"]
    for bad in ("2/2", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(Exception, match="is not a shard: give I/N") as caught:
            Shard.parse(bad)
        assert caught.value.fix == "shard"


@pytest.mark.slow
def test_a_killed_shard_continues_with_skip_existing_without_redoing_done_files(
    weights_home, caffe_layout_file, tmp_path
):
    make_photos(tmp_path / "in", 32, size=(320, 240))
    out = tmp_path / "out"
    log = out / "segment-log.0-of-2.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "fcn_studio",
        "segment",
        str(tmp_path / "in"),
        "--model",
        str(caffe_layout_file("fcn32s")),
        "--out",
        str(out),
        "--shard",
        "0/2",
        "--max-size",
        "0",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and sum(r["status"] == "done" for r in log_records(log)) >= 2:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {r["output"] for r in log_records(log) if r["status"] == "done"}
    assert 2 <= len(first) < 16, "killed mid-run"
    kept = {p: p.stat().st_mtime_ns for p in out.rglob("*.png") if not p.name.startswith(".")}
    assert set(map(str, kept)) >= first
    for path in kept:  # whatever exists under a mask's name is a whole mask
        with Image.open(path) as img:
            img.load()

    second = subprocess.run([*cmd, "--skip-existing"], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    rerun = log_records(log)[len(log_records(log)) - 16 :]
    assert {r["output"] for r in rerun if r["status"] == "kept"} == set(map(str, kept))
    assert not first & {r["output"] for r in rerun if r["status"] == "done"}, "done files were not redone"
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    masks = [p for p in out.rglob("*") if p.suffix == ".png"]
    assert len(masks) == 16 and not [p for p in masks if p.name.startswith(".")], "no temporaries left"


def _dataset(root: Path, n: int = 5) -> Path:
    rng = np.random.default_rng(3)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        make_image(root / "images" / f"s{i}.png", size=(40 + 2 * i, 32), seed=i)
        Image.fromarray(rng.integers(0, 21, (32, 40 + 2 * i), dtype=np.uint8), mode="L").save(
            root / "masks" / f"s{i}.png"
        )
    return root


@pytest.mark.slow
def test_merged_confusion_matrices_of_shards_equal_the_single_run(capsys, weights_home, caffe_layout_file, tmp_path):
    data = _dataset(tmp_path / "data")
    base = ["eval", "--model", str(caffe_layout_file("fcn8s")), "--data", str(data), "--json"]
    assert main([*base, "--save-cm", str(tmp_path / "all.json")]) == 0
    single = capsys.readouterr().out
    for i in range(2):
        assert main([*base, "--shard", f"{i}/2", "--save-cm", str(tmp_path / f"cm{i}.json")]) == 0
    capsys.readouterr()
    parts = [str(tmp_path / f"cm{i}.json") for i in range(2)]
    assert main(["eval", "--merge", *parts, "--json", "--save-cm", str(tmp_path / "merged.json")]) == 0
    merged = capsys.readouterr().out
    whole = ConfusionMatrix.load(tmp_path / "all.json")[0].hist
    assert np.array_equal(ConfusionMatrix.load(tmp_path / "merged.json")[0].hist, whole)
    assert all(ConfusionMatrix.load(p)[0].hist.sum() < whole.sum() for p in parts), "each shard saw a part"
    assert json.loads(merged) == json.loads(single)


def test_merge_refuses_a_file_that_is_not_a_saved_matrix(capsys, tmp_path):
    (tmp_path / "x.json").write_text("{}")
    assert main(["eval", "--merge", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert "x.json: not a confusion matrix saved by an evaluation" in err and "(fcn-studio eval --save-cm FILE)" in err
    assert "Traceback" not in err


def test_sharded_pred_gt_evaluation_merges_to_the_single_run(capsys, tmp_path):
    rng = np.random.default_rng(7)
    for d in ("gt", "pred"):
        (tmp_path / d).mkdir()
    for i in range(5):
        gt = rng.integers(0, 4, (12, 16), dtype=np.uint8)
        Image.fromarray(gt, mode="L").save(tmp_path / "gt" / f"m{i}.png")
        Image.fromarray(np.where(rng.random((12, 16)) < 0.6, gt, 0).astype(np.uint8), mode="L").save(
            tmp_path / "pred" / f"m{i}.png"
        )
    base = ["eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--num-classes", "4", "--json"]
    assert main([*base, "--save-cm", str(tmp_path / "all.json")]) == 0
    for i in range(2):
        assert main([*base, "--shard", f"{i}/2", "--save-cm", str(tmp_path / f"cm{i}.json")]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "eval",
                "--merge",
                str(tmp_path / "cm0.json"),
                str(tmp_path / "cm1.json"),
                "--save-cm",
                str(tmp_path / "merged.json"),
            ]
        )
        == 0
    )
    whole = ConfusionMatrix.load(tmp_path / "all.json")[0].hist
    assert np.array_equal(ConfusionMatrix.load(tmp_path / "merged.json")[0].hist, whole)
    assert main([*base[:-3], "--json", "--shard", "0/2"]) == 1, "--pred with --shard needs --num-classes"
