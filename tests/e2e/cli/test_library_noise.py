"""Libraries' raw messages never reach the user: Pillow's DecompressionBombWarning, OpenCV's
"[ERROR:0@...] imdecode_" lines (#22 unclear items); one line of ours per file instead."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work

REPO = Path(__file__).resolve().parents[3]


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that announces ``width`` x ``height`` and holds no pixels (a huge photo cut short)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk)))
    return path


def segment(tmp_path: Path, model: Path, *inputs: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fcn_studio",
            "segment",
            *map(str, inputs),
            "--model",
            str(model),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_broken_files_get_one_line_each_and_no_library_noise(tmp_path, caffe_layout_file):
    huge = png_header(tmp_path / "huge.png", 21000, 21000)  # 441 megapixels, between Pillow's warning and its limit
    jp2 = tmp_path / "broken.tif"
    jp2.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 40)  # JPEG 2000 signature, then nothing
    tiff = tmp_path / "broken2.tiff"
    tiff.write_bytes(b"II*\x00\x08\x00\x00\x00" + b"\xff" * 40)
    hdr = tmp_path / "claims-a-lot.png"
    hdr.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 100000 +X 100000\n" + b"\x00" * 20)
    proc = segment(tmp_path, caffe_layout_file("fcn32s"), huge, jp2, tiff, hdr)
    err = proc.stderr
    assert proc.returncode == 1, err
    for noise in ("DecompressionBombWarning", "warnings.warn", "[ERROR", "imdecode", "TIFF", "OpenJPEG", "Traceback"):
        assert noise not in err, err
    skipped = [line for line in err.splitlines() if line.startswith("fcn-studio: skipped:")]
    assert len(skipped) == 4 and all(p.name in err for p in (huge, jp2, tiff, hdr)), err
