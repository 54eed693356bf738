"""Model ids: one spelling per id, held from check to install (#22 item 4 and the unclear
`weights import` items)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from fcn_studio.cli.main import main
from fcn_studio.files.locks import lock_path
from tests.builders import make_plain

REPO = Path(__file__).resolve().parents[3]
NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")

_HOLD_ID = """
import sys, time
from fcn_studio.storage.weights import reserved_id
with reserved_id(sys.argv[1]):
    open(sys.argv[2], "w").close()
    time.sleep(60)
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_nfc_and_nfd_spellings_are_one_id(capsys, weights_home, caffe_layout_file):
    assert NFC != NFD
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", NFD)[0] == 0
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", NFC)
    assert code == 1 and "already installed" in err, err
    assert [p.name for p in weights_home.glob("*.safetensors")] == [f"{NFC}.safetensors"]
    assert [line.split()[0] for line in run(capsys, "weights", "list")[1].splitlines()].count(NFC) == 1
    assert run(capsys, "weights", "remove", NFD)[0] == 0 and not list(weights_home.glob("*.safetensors"))


def test_a_folder_or_a_broken_link_given_to_import_is_named_as_such(capsys, tmp_path, weights_home):
    (tmp_path / "folder.pth").mkdir()
    (tmp_path / "loop.pth").symlink_to(tmp_path / "loop.pth")
    (tmp_path / "gone.pth").symlink_to(tmp_path / "deleted.pth")
    for name, says in (("folder.pth", "is a folder"), ("loop.pth", "loops"), ("gone.pth", "points to a missing file")):
        code, _, err = run(capsys, "weights", "import", str(tmp_path / name))
        assert code == 1 and says in err and "no such weights file" not in err, err


def test_a_second_training_under_a_held_id_stops_at_once(capsys, tmp_path, weights_home, caffe_layout_file):
    data = make_plain(tmp_path / "data", n=3)
    flag = tmp_path / "holding"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_ID, "race", str(flag)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists() and lock_path(weights_home / "race.safetensors").exists()
        t0 = time.monotonic()
        code, _, err = run(
            capsys,
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "b.safetensors"),
            "--base",
            str(caffe_layout_file("fcn32s")),
            "--arch",
            "fcn32s",
            "--epochs",
            "1",
            "--id",
            "race",
            "--crop-size",
            "32",
        )
        assert code == 1 and "the model id 'race' is being written by another fcn-studio run" in err, err
        assert time.monotonic() - t0 < 30 and not (weights_home / "race.safetensors").exists()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_two_trainings_under_one_id_at_once_install_only_one(tmp_path, weights_home, caffe_layout_file):
    """#22 item 4 as the probe ran it: both used to say "installed as race", the second
    replacing the first without --force."""
    data = make_plain(tmp_path / "data", n=3)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FCN_STUDIO_WEIGHTS": str(weights_home)}

    def start(name: str) -> subprocess.Popen:
        argv = [
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / f"{name}.safetensors"),
            "--base",
            str(caffe_layout_file("fcn32s")),
            "--arch",
            "fcn32s",
            "--epochs",
            "3",
            "--crop-size",
            "32",
            "--freeze-backbone",
            "--id",
            "race",
        ]
        return subprocess.Popen(
            [sys.executable, "-m", "fcn_studio", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )

    procs = [start("a"), start("b")]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    installed = [out for code, out, _ in results if code == 0 and "installed as race" in out]
    refused = [err for code, _, err in results if code == 1]
    assert len(installed) == 1 and len(refused) == 1, results
    assert "being written by another fcn-studio run" in refused[0] or "already installed" in refused[0], refused
