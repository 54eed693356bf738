"""bench/device_check.py --cpu: the GPU check's every step, run on the CPU so it cannot rot
before a GPU is available (small sizes, narrow models)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work

ROOT = Path(__file__).resolve().parents[3]


def test_device_check_runs_end_to_end_on_the_cpu(tmp_path):
    out = tmp_path / "table.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "device_check.py"), "--cpu", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = out.read_text()
    assert "FAILED" not in table
    rows = [line for line in table.splitlines()[2:] if line.startswith("| ")]
    inference = [r for r in rows if r.startswith("| inference | ")]
    for arch in ("fcn32s", "fcn16s", "fcn8s"):
        for size in ("80x60", "128x72"):
            fp32 = [r for r in inference if f"| {arch} | {size} | fp32 |" in r]
            assert len(fp32) == 1 and "| 100.00 % |" in fp32[0], "fp32 on the CPU is the reference itself"
    assert sum("video (app engine + overlay)" in r for r in rows) == 3
    assert any("keyframes + motion:" in r for r in rows)
    assert any("real time:" in r for r in rows) and any("every frame: 0 of" in r for r in rows)
    assert sum(r.startswith("| training: full fine-tune |") for r in rows) == 2
    assert any(r.startswith("| training: head-only round |") for r in rows)
    assert any("DDP path ran: backend gloo, world size 1" in r for r in rows)
    assert not list(tmp_path.glob("*.safetensors")), "its weights stay in its own work folder"
