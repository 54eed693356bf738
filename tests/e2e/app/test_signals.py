"""Guards against PySide6 6.12.0 on Python 3.11, which aborts after ~570 signal emits,
and checks that closing the window mid-inference exits cleanly. Both run in a child
process: an abort kills the process, which a test in this one could not report."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
from PIL import Image

from fcn_studio.storage import weights


def run_child(code: str, env_extra: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_thousands_of_signals_through_the_real_worker(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    proc = run_child(f"""
        from PySide6.QtCore import QObject, Signal
        from PySide6.QtWidgets import QApplication
        from fcn_studio.gui.image.inference_worker import InferenceRequest
        from fcn_studio.gui.image.workspace import Workspace

        app = QApplication([])
        class Ping(QObject):
            ping = Signal(int)
        p, got = Ping(), []
        p.ping.connect(got.append)
        for i in range(5000):            # plain emits, same thread
            p.ping.emit(i)
        ws = Workspace()
        seen = []
        ws.worker.image_loaded.connect(lambda job, path, rgb: seen.append(job))
        for job in range(1, 1501):       # 3 cross-thread signals each: busy, image, busy
            ws.worker.submit(InferenceRequest(job, r"{tmp_path / "a.png"}", "", "cpu", 0, load_image=True))
            while not seen or seen[-1] != job:
                app.processEvents()
        ws.shutdown()
        print("emits ok", len(got), len(seen))
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "emits ok 5000 1500" in proc.stdout


def test_closing_the_window_while_inference_runs_exits_cleanly(tmp_path, caffe_layout_file, monkeypatch):
    home = tmp_path / "w"
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(home))
    weights.import_weights(caffe_layout_file("fcn32s"), "m")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(tmp_path / "big.png")
    proc = run_child(
        f"""
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtWidgets import QApplication
        from fcn_studio.gui.main_window import MainWindow
        from fcn_studio.gui.settings import Settings

        app = QApplication([])
        win = MainWindow(Settings(QSettings(r"{tmp_path / "s.ini"}", QSettings.Format.IniFormat)))
        win.show()
        def on_busy(text):
            if text.startswith("Segmenting"):
                QTimer.singleShot(50, win.close)
        win.workspace.busy.connect(on_busy)
        win.open_paths([r"{tmp_path / "big.png"}"])
        app.exec()
        print("closed cleanly; worker finished:", win.workspace._thread.thread.isFinished())
    """,
        {"FCN_STUDIO_WEIGHTS": str(home)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "closed cleanly; worker finished: True" in proc.stdout
    assert "QThread: Destroyed" not in proc.stderr
