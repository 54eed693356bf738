"""The command line stays English, but takes and prints non-ASCII paths as they are."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from tests.builders import make_image

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_segment_and_compare_take_and_print_chinese_paths(capsys, weights_home, caffe_layout_file, tmp_path):
    folder = tmp_path / "图片"
    folder.mkdir()
    image = make_image(folder / "猫.png", size=(40, 32))
    model = str(caffe_layout_file("fcn8s"))
    out = tmp_path / "结果"

    code, _, err = run(capsys, "segment", str(image), "--model", model, "--out", str(out))
    assert code == 0, err
    mask = out / "猫.png"
    assert np.asarray(Image.open(mask)).shape == (32, 40)
    assert f"wrote 1 output(s) to {out}" in err

    code, stdout, err = run(
        capsys, "compare", str(image), "--models", f"{model},{model}", "--out", str(out / "对比.png")
    )
    assert code == 0, err
    assert f"wrote {out / '对比.png'}" in stdout
    assert (out / "对比.png").is_file()


def _cli(args: list[str], cwd, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO", "PYTHONUTF8"))}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "fcn_studio", *args], cwd=cwd, env=environ, capture_output=True)


def test_a_console_that_cannot_show_a_path_gets_it_escaped_not_a_traceback(weights_home, caffe_layout_file, tmp_path):
    """E.g. a legacy Windows console (cp1252) and a Chinese output name."""
    image = make_image(tmp_path / "photo.png", size=(40, 32))
    model = str(caffe_layout_file("fcn8s"))
    done = _cli(
        ["compare", str(image), "--models", model, "--out", "对比.png"],
        tmp_path,
        PYTHONIOENCODING="cp1252",
        FCN_STUDIO_WEIGHTS=str(weights_home),
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    assert b"wrote \\u5bf9\\u6bd4.png" in done.stdout
    assert (tmp_path / "对比.png").is_file()


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin", reason="needs a file system that keeps raw bytes")
def test_a_file_name_that_is_not_utf8_is_printed_with_its_own_bytes(weights_home, caffe_layout_file, tmp_path):
    """Scripts read the name back as the file's real name, not a Python escape."""
    raw = os.fsencode(tmp_path) + b"/caf\xe9.png"
    with open(raw, "wb") as f:
        f.write(b"not an image")
    done = _cli(
        ["segment", os.fsdecode(raw), "--model", str(caffe_layout_file("fcn8s")), "--out", "out"],
        tmp_path,
        LANG="C.UTF-8",
        FCN_STUDIO_WEIGHTS=str(weights_home),
    )
    assert done.returncode == 1
    assert b"skipped: " + raw in done.stderr
    assert b"Traceback" not in done.stderr
