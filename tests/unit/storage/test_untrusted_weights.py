"""Weights files that lie about themselves, and what killed writes leave (#22 items 7, 8, 12
and the unclear `weights import` messages)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from fcn_studio.cli.main import main
from fcn_studio.files.fileio import clean_stale_temporaries
from fcn_studio.storage.checkpoint import load_checkpoint, save_checkpoint


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_at_import_and_load(capsys, tmp_path, weights_home, random_model, bad):
    state = {k: v.clone() for k, v in random_model("fcn32s").state_dict().items()}
    state["score_fr.weight"][0, 0, 0, 0] = bad
    src = tmp_path / "diverged.pth"
    torch.save(state, src)
    code, _, err = run(capsys, "weights", "import", str(src), "--id", "d")
    assert code == 1 and "not numbers (NaN or infinity) in score_fr.weight" in err, err
    assert not (weights_home / "d.safetensors").exists()
    # a file already installed (or copied in) is refused when it is loaded
    good = load_checkpoint(_saved(tmp_path, random_model))
    good.state_dict = state
    save_checkpoint(good, weights_home / "d.safetensors")
    code, _, err = run(capsys, "segment", str(src), "--model", "d", "--out", str(tmp_path / "o"))
    assert code == 1 and "NaN or infinity" in err, err


def _saved(tmp_path: Path, random_model) -> Path:
    path = tmp_path / "good.pth"
    torch.save(random_model("fcn32s").state_dict(), path)
    return path


def test_a_torch_file_named_safetensors_is_read_by_its_content(capsys, tmp_path, weights_home, random_model):
    src = tmp_path / "really-a-pth.safetensors"
    torch.save(random_model("fcn32s").state_dict(), src)
    code, _, err = run(capsys, "weights", "import", str(src), "--id", "r")
    assert code == 0, err
    pickled = tmp_path / "pickle.safetensors"
    pickled.write_bytes(pickle.dumps({"not": "weights"}, protocol=2))
    code, _, err = run(capsys, "weights", "import", str(pickled), "--id", "p")
    assert code == 1 and "Traceback" not in err and "SafetensorError" not in err and "header" not in err, err
    assert "PyTorch weights file" in err or "not a weights file" in err or "refused to load" in err, err


_KILLED_SAVE = """
import os, sys, time
import safetensors.torch as st
original = st.save_file
def save_then_hang(tensors, path, metadata=None):
    # as safetensors does: its own .tmpXXXXXX beside the file it was asked for, then a rename
    own = os.path.join(os.path.dirname(path), ".tmpAb12Cd")
    original(tensors, own, metadata=metadata)
    open(sys.argv[2], "w").close()
    time.sleep(120)
st.save_file = save_then_hang
from fcn_studio.cli.main import main
main(["weights", "import", sys.argv[1], "--id", "big"])
"""


@pytest.mark.slow
def test_a_kill_during_a_safetensors_write_leaves_nothing_after_the_next_run(
    tmp_path, weights_home, caffe_layout_file, capsys
):
    flag = tmp_path / "saving"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(caffe_layout_file("fcn32s")), str(flag)])
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the import never reached its save"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert run(capsys, "weights", "list")[0] == 0
    left = [p for p in weights_home.rglob("*") if p.name.startswith(".")]
    assert left == [], f"the next run leaves no temporary behind: {left}"


def test_loose_safetensors_temporaries_of_ours_are_removed_and_no_one_elses(tmp_path, caffe_layout_file):
    ckpt = load_checkpoint(caffe_layout_file("fcn32s"))
    ours = save_checkpoint(ckpt, tmp_path / "x.safetensors").rename(tmp_path / ".tmpQw3rTy")  # left by a kill
    young = tmp_path / ".tmpYoUnG1"
    young.write_bytes(ours.read_bytes()[:4096])  # a write in progress right now
    other = tmp_path / ".tmpOtHeR2"
    other.write_bytes(b"another program's temporary")
    link = tmp_path / ".tmpL1nKed"
    link.symlink_to(ours)
    old = time.time() - 3600
    for p in (ours, other):
        os.utime(p, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)
    removed = clean_stale_temporaries(tmp_path)
    assert removed == [ours]
    assert young.exists() and other.exists() and link.is_symlink()


@pytest.mark.slow
def test_the_feature_cache_cleans_what_killed_writes_left_and_survives_a_full_disk(
    tmp_path, random_model, image_factory, monkeypatch
):
    import safetensors.torch
    from safetensors import SafetensorError

    from fcn_studio.models.preprocessing import IMAGENET_RGB
    from fcn_studio.training.feature_cache import FeatureCache

    folder = tmp_path / "cache"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    scratch = folder / f".x.safetensors.fcn-tmp-{dead.pid}-0123abcd.dir"  # a write killed in safetensors
    scratch.mkdir(parents=True)
    (scratch / ".tmpAb12Cd").write_bytes(b"\0" * 1000)
    model = random_model("fcn32s")
    FeatureCache(folder).features(image_factory(), model, IMAGENET_RGB)
    assert not scratch.exists() and not [p for p in folder.iterdir() if p.name.startswith(".")]

    def full(tensors, path, metadata=None):
        Path(path).write_bytes(b"\0" * 100)
        raise SafetensorError("Error while serializing: IoError(Os { code: 28, message: No space left on device })")

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    FeatureCache(tmp_path / "full").features(image_factory("b.png", seed=3), model, IMAGENET_RGB)  # no error
    assert not [p for p in (tmp_path / "full").rglob("*") if p.name.startswith(".")]
