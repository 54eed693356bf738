"""GUI responsiveness: launch time, event-loop stalls during inference, cached revisits.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py

1. Launch: wall time from starting `python -m fcn_studio` to the main window being shown
   (FCN_STUDIO_SMOKE_TEST=1 makes the app print when it is shown, then quit); median of 5.
2. Stalls: a 10 ms QTimer runs while the worker segments a 500x375 image with FCN-8s;
   the worst and 99th-percentile gaps between its ticks are the GUI's stalls.
3. Revisit: time from pressing "next" to the cached image and overlay being on screen.
Targets on this machine: shown < 1.5 s, no stall > 100 ms, cached revisit < 50 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def launch_times(n: int = 5) -> list[float]:
    env = {**os.environ, "FCN_STUDIO_SMOKE_TEST": "1", "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(n):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "fcn_studio"], stdout=subprocess.PIPE, text=True, env=env)
        line = proc.stdout.readline()
        times.append(time.perf_counter() - t)
        proc.wait()
        assert "window shown" in line, line
        assert "torch imported: False" in line, "torch was imported on the start-up path"
    return times


def main() -> None:
    shown = launch_times()
    print(f"launch to window shown: median {statistics.median(shown) * 1000:.0f} ms "
          f"(min {min(shown) * 1000:.0f}, max {max(shown) * 1000:.0f}; torch not imported)")  # fmt: skip

    import numpy as np
    import torch
    from PIL import Image
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from fcn_studio import weights
    from fcn_studio.checkpoint import Checkpoint, save_checkpoint
    from fcn_studio.labels import voc_labels
    from fcn_studio.models import build_fcn
    from fcn_studio.preprocessing import CAFFE_BGR

    tmp = Path(tempfile.mkdtemp())
    os.environ["FCN_STUDIO_WEIGHTS"] = str(tmp / "w")
    model = build_fcn("fcn8s", 21)
    for p in model.parameters():
        if p.dim() == 4 and p.shape[0] != p.shape[1]:
            torch.nn.init.normal_(p, std=0.01)
    save_checkpoint(
        Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict()), tmp / "w" / "bench.safetensors"
    )
    del model
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)).save(tmp / f"img{i}.jpg")
    assert weights.installed_models()

    from fcn_studio.gui.main_window import MainWindow
    from fcn_studio.gui.settings import Settings

    app = QApplication.instance() or QApplication([])
    win = MainWindow(Settings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    win.show()
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        gaps.append(clock.restart())

    timer.timeout.connect(tick)

    def segment(path: Path) -> float:
        gaps.clear()
        clock.start()
        timer.start()
        t = time.perf_counter()
        win.open_paths([str(path)])
        while win.workspace.current_result is None:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        return time.perf_counter() - t

    first = segment(tmp / "img0.jpg")  # includes loading the model and importing torch
    print(f"first image incl. model load: {first:.2f} s, worst GUI stall {max(gaps):.0f} ms")
    took = segment(tmp / "img1.jpg")
    ticks = sorted(gaps[1:])
    p99 = ticks[int(0.99 * (len(ticks) - 1))]
    print(f"inference on the worker: {took:.2f} s; GUI timer (10 ms) during it: worst gap {max(ticks):.0f} ms, "
          f"p99 {p99:.0f} ms over {len(ticks)} ticks")  # fmt: skip

    revisits = []
    for _ in range(10):
        for action in (win.actions_.previous, win.actions_.next):
            t = time.perf_counter()
            action.trigger()
            app.processEvents()
            assert win.workspace.current_result is not None, "revisit was not served from the cache"
            win.canvas.viewport().repaint()
            revisits.append(time.perf_counter() - t)
    print(f"cached revisit (image + overlay on screen): median {statistics.median(revisits) * 1000:.1f} ms, "
          f"max {max(revisits) * 1000:.1f} ms")  # fmt: skip
    win.close()


if __name__ == "__main__":
    main()
