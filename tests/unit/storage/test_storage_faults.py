"""Files on disk: outputs honour the umask, temporaries are recognisable, never listed and
cleaned after a kill, a full disk is one line with the last good files intact."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from fcn_studio.cli.main import main
from fcn_studio.data.images import save_mask, save_rgb
from fcn_studio.data.labels import voc_labels
from fcn_studio.files.fileio import atomic_path
from fcn_studio.storage import weights
from fcn_studio.storage.checkpoint import load_checkpoint, save_checkpoint
from tests.builders import make_plain


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_outputs_honour_the_umask(umask_022, tmp_path, weights_home, caffe_layout_file, image_factory, capsys):
    mask = np.zeros((4, 5), np.uint8)
    assert mode(save_mask(mask, voc_labels(), tmp_path / "m.png")) == 0o644
    assert mode(save_rgb(np.zeros((4, 5, 3), np.uint8), tmp_path / "o.jpg")) == 0o644
    ckpt = load_checkpoint(caffe_layout_file("fcn32s"))
    assert mode(save_checkpoint(ckpt, tmp_path / "c.safetensors")) == 0o644
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "m")[0] == 0
    assert mode(weights_home / "m.safetensors") == 0o644
    code, _, err = run(
        capsys, "segment", str(image_factory()), "--model", "m", "--out", str(tmp_path / "s"), "--overlay"
    )
    assert code == 0, err
    assert {p.name: mode(p) for p in (tmp_path / "s").iterdir()} == {
        "img.png": 0o644,
        "img_overlay.jpg": 0o644,
        "classes.txt": 0o644,
    }
    os.umask(0o077)  # a private umask is honoured as well
    assert mode(save_mask(mask, voc_labels(), tmp_path / "private.png")) == 0o600


def test_temporaries_are_recognisable_and_cleaned_only_when_stale(tmp_path):
    from fcn_studio.files.fileio import clean_stale_temporaries, is_temporary, temporary_name

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = temporary_name(tmp_path / "a.safetensors")
    orphan = tmp_path / f".b.safetensors.fcn-tmp-{dead.pid}-0123abcd.safetensors"
    old = tmp_path / f".c.png.fcn-tmp-{os.getpid()}-89abcdef.png"
    user_files = [tmp_path / ".hidden", tmp_path / "x.fcn-tmp-1-ab.png", tmp_path / "photo.png"]
    for p in (mine, orphan, old, *user_files):
        p.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    assert is_temporary(mine) and is_temporary(orphan) and not any(map(is_temporary, user_files))
    removed = clean_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([orphan, old]), "a dead writer's and a day-old temporary go"
    assert mine.exists() and all(p.exists() for p in user_files), "live temporaries and user files stay"


def test_failed_write_leaves_no_temporary_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk died")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


_SLOW_IMPORT = """
import sys, time
import safetensors.torch as st
original = st.save_file
def save_then_hang(tensors, path, metadata=None):
    original(tensors, path, metadata=metadata)
    open(sys.argv[2], "w").close()  # the temporary is complete: tell the test to kill us
    time.sleep(120)
st.save_file = save_then_hang
from fcn_studio.cli.main import main
main(["weights", "import", sys.argv[1], "--id", "big"])
"""


@pytest.mark.slow
def test_kill_during_import_leaves_nothing_listed_and_the_next_run_cleans_up(
    tmp_path, weights_home, caffe_layout_file, capsys
):
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn8s")), "--id", "keep")[0] == 0
    flag = tmp_path / "saved"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, str(caffe_layout_file("fcn32s")), str(flag)])
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the import never reached its save"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    leftovers = [p for p in weights_home.iterdir() if p.name.startswith(".big.")]
    assert leftovers, "the kill left a temporary behind (the situation under test)"
    code, out, _ = run(capsys, "weights", "list")
    listed = [line.split()[0] for line in out.splitlines()[2:]]
    assert code == 0 and "keep" in listed and not [i for i in listed if "big" in i], out
    assert not [p for p in weights_home.iterdir() if p.name.startswith(".big.")], "cleaned by the next run"
    assert load_checkpoint(weights_home / "keep.safetensors").build_model() is not None


def _fake_full_disk(monkeypatch):
    """safetensors' writer as it behaves on a full disk: part of the file, then its error."""
    import safetensors.torch
    from safetensors import SafetensorError

    def full(tensors, path, metadata=None):
        Path(path).write_bytes(b"\0" * 1000)
        raise SafetensorError(
            'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })'
        )

    monkeypatch.setattr(safetensors.torch, "save_file", full)


@pytest.mark.slow
def test_disk_full_during_import_is_one_line_and_keeps_installed_models(
    monkeypatch, weights_home, caffe_layout_file, capsys
):
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn8s")), "--id", "m")[0] == 0
    before = (weights_home / "m.safetensors").read_bytes()
    _fake_full_disk(monkeypatch)
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "m", "--force")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "no space left on" in err and "free" in err
    assert (weights_home / "m.safetensors").read_bytes() == before
    assert sorted(p.name for p in weights_home.iterdir()) == ["m.safetensors"]


# ----------------------------------------------------------------------- a real full disk


def _tmpfs_available() -> bool:
    if not shutil.which("unshare") or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(not _tmpfs_available(), reason="cannot mount a tmpfs in a user namespace here")


def _on_small_tmpfs(tmp_path: Path, size_mb: int, script: str, *args: str) -> dict:
    """Run ``script`` with a ``size_mb`` tmpfs mounted at tmp_path/disk (gone when it ends);
    the script prints one JSON object as its last line."""
    disk = tmp_path / "disk"
    disk.mkdir()
    code_file = tmp_path / "script.py"
    code_file.write_text(textwrap.dedent(script))
    cmd = f'mount -t tmpfs -o size={size_mb}m tmpfs "{disk}" && exec "{sys.executable}" "{code_file}" "{disk}"'
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", cmd, "sh"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=Path.cwd(),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1])


_IMPORT_ON_FULL_DISK = """
import contextlib, io, json, os, sys
disk = sys.argv[1]
os.environ["FCN_STUDIO_WEIGHTS"] = disk
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.cli.main import main
first, second = os.environ["FIRST"], os.environ["SECOND"]
err1, err2 = io.StringIO(), io.StringIO()
with contextlib.redirect_stderr(err1):
    code1 = main(["weights", "import", first, "--id", "small"])
with contextlib.redirect_stderr(err2):
    code2 = main(["weights", "import", second, "--id", "large"])
ok = load_checkpoint(os.path.join(disk, "small.safetensors")).build_model() is not None
print(json.dumps({"codes": [code1, code2], "err": err2.getvalue(), "files": sorted(os.listdir(disk)), "ok": ok}))
"""


@pytest.mark.slow
@needs_tmpfs
def test_import_on_a_really_full_disk(tmp_path, caffe_layout_file, monkeypatch):
    small, large = caffe_layout_file("fcn8s", 3), caffe_layout_file("fcn32s", 21)
    monkeypatch.setenv("FIRST", str(small))
    monkeypatch.setenv("SECOND", str(large))
    size_mb = int(small.stat().st_size / 1e6 + large.stat().st_size / 2e6) + 1  # room for one, not both
    result = _on_small_tmpfs(tmp_path, size_mb, _IMPORT_ON_FULL_DISK)
    assert result["codes"] == [0, 1]
    err = result["err"].strip()
    assert len(err.splitlines()) == 1 and "no space left on" in err and "MB" in err and "Traceback" not in err
    assert result["files"] == ["small.safetensors"] and result["ok"], "no temporary, the first model intact"


_TRAIN_ON_FULL_DISK = """
import contextlib, io, json, os, sys
import torch
disk = sys.argv[1]
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.cli.main import main
out = os.path.join(disk, "m.safetensors")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = main(["train", "--data", os.environ["DATA"], "--out", out, "--base", os.environ["BASE"], "--arch", "fcn32s",
                 "--epochs", "3", "--crop-size", "32", "--val-split", "0.5"])
best = load_checkpoint(out).training["epochs_done"]
state = torch.load(os.path.join(disk, "m.last.state.pt"), weights_only=True)["epoch"]
lines = [ln for ln in err.getvalue().splitlines() if "error" in ln or "Traceback" in ln]
print(json.dumps({"code": code, "errors": lines, "files": sorted(os.listdir(disk)), "best": best, "state": state}))
"""


@pytest.mark.slow
@needs_tmpfs
def test_training_on_a_really_full_disk(tmp_path, random_model, monkeypatch, weights_home):
    base = tmp_path / "base.pth"
    torch.save(random_model("fcn32s", 3).state_dict(), base)
    monkeypatch.setenv("DATA", str(make_plain(tmp_path / "data", n=4)))
    monkeypatch.setenv("BASE", str(base))
    model_mb = base.stat().st_size / 1e6
    # The whole network trains (a head-only run's state is a head's size: it would fit): room for the
    # best model and the resume state of epoch 1 (weights and Adam's two moments), not for another copy
    result = _on_small_tmpfs(tmp_path, int(4.5 * model_mb) + 1, _TRAIN_ON_FULL_DISK)
    assert result["code"] == 1
    assert len(result["errors"]) == 1 and "no space left on" in result["errors"][0], result["errors"]
    assert result["files"] == ["m.last.state.pt", "m.safetensors"], "no temporary left on the full disk"
    assert result["best"] == 1 and result["state"] == 1, "the last good files are intact and loadable"
    assert weights.installed_models() == [] or all(m.id != "m" for m in weights.installed_models())


def test_registering_a_model_again_leaves_no_temporary(tmp_path, weights_home, caffe_layout_file):
    """A trained model is registered by hard link; doing it again (a resumed run) must not
    leave the link's temporary behind (rename() is a no-op between links of one file)."""
    out = tmp_path / "trained.safetensors"
    save_checkpoint(load_checkpoint(caffe_layout_file("fcn32s")), out)
    for _ in range(2):
        assert weights.register_checkpoint(out, "trained") == "trained"
    assert sorted(p.name for p in weights_home.iterdir()) == ["trained.safetensors"]


def test_an_import_in_progress_is_never_listed(weights_home, caffe_layout_file, capsys):
    """A live writer's temporary is a complete-looking checkpoint; it is still not a model."""
    from fcn_studio.files.fileio import temporary_name

    weights_home.mkdir()
    in_progress = temporary_name(weights_home / "coming.safetensors")  # this process: alive
    save_checkpoint(load_checkpoint(caffe_layout_file("fcn32s")), in_progress.with_name("ready.safetensors"))
    (weights_home / "ready.safetensors").rename(in_progress)
    assert [m.id for m in weights.list_weights() if m.origin == "imported"] == []
    assert in_progress.exists(), "a live writer's temporary is left alone"


@pytest.mark.slow
def test_disk_full_while_saving_the_resume_state_is_one_line(
    tmp_path, weights_home, monkeypatch, capsys, caffe_layout_file
):
    """torch.save hides the errno ("file write failed"); too little free space says it."""
    import shutil as shutil_module

    from fcn_studio.training import resume

    data = make_plain(tmp_path / "d", n=4)
    out = tmp_path / "o" / "m.safetensors"
    base = caffe_layout_file("fcn32s", 3)  # written before torch.save is replaced

    def full(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"\0" * 100)
        raise RuntimeError(
            "[enforce fail at inline_container.cc:626] . PytorchStreamWriter failed writing file data/3: file write failed"
        )

    usage = shutil_module.disk_usage(tmp_path)
    monkeypatch.setattr(resume.torch, "save", full)
    monkeypatch.setattr("fcn_studio.files.fileio.shutil.disk_usage", lambda p: usage._replace(free=1000))
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--out",
            str(out),
            "--base",
            str(base),
            "--arch",
            "fcn32s",
            "--epochs",
            "1",
            "--crop-size",
            "32",
            "--freeze-backbone",
        ]
    )
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert code == 1 and "Traceback" not in err and len(errors) == 1
    assert "no space left on" in errors[0] and "m.last.state.pt" in errors[0] and "free" in errors[0]
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.safetensors"], "the best model, no temporary"
