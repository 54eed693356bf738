"""The click-to-fine-tune loop as users run it: the main window, offscreen, real mouse events.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_window_loop.py [--rounds 5]

A folder of 6 synthetic photos (500x375, 4 classes coded by colour and texture: see
bench_label_loop.make_scene) and a full-width VGG16 FCN-8s with random weights installed as
"bench" (pretrained weights cannot be fetched here). The window opens the folder, Label mode
goes on, and each round the user opens a new photo, paints two strokes (two classes) with
the mouse, and clicks "Fine-tune on my labels". Nothing is called beside the window: the
round runs as the app runs it (the loaded base, its fast path, the feature cache, the
install, the redraw).

Printed per round: click -> installed (the round's result reached the window), click -> new
overlay (the open photo's overlay drawn by the new version), the app's resident memory
after the round, the decision and what the figures rest on. Before the rounds: one exact
segmentation of a photo through the public API (``fcn_studio.load_model``), the yardstick
of the goals (median of rounds 2-5 <= 3x it, round 1 <= 6x it, memory after round 5 at most
300 MB above round 2).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import random_fcn
from bench_label_loop import NAMES, make_scene


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def install_base(weights: Path, width_divisor: int) -> None:

    from fcn_studio.data.labels import LabelSet, voc_colormap
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint

    model = random_fcn("fcn8s", len(NAMES), width_divisor=width_divisor)  # labels that vary over the image
    labels = LabelSet("bench", NAMES, tuple(tuple(int(v) for v in c) for c in voc_colormap(len(NAMES))))
    ckpt = Checkpoint("fcn8s", len(NAMES), labels, CAFFE_BGR, model.state_dict(), provenance={})
    weights.mkdir(parents=True)
    save_checkpoint(ckpt, weights / "bench.safetensors")


class Driver:
    """Waits on the window as a user would: by watching what it shows."""

    def __init__(self, app, win) -> None:
        self.app, self.win = app, win

    def until(self, condition, timeout: float = 600.0, what: str = "") -> float:
        start = time.monotonic()
        while not condition():
            if time.monotonic() - start > timeout:
                raise TimeoutError(what)
            self.app.processEvents()
            time.sleep(0.005)
        return time.monotonic()

    def drag(self, points) -> None:
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtTest import QTest

        canvas = self.win.canvas
        vp = canvas.viewport()
        pos = [canvas.mapFromScene(QPointF(x + 0.5, y + 0.5)) for x, y in points]
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[0])
        for p in pos[1:]:
            QTest.mouseMove(vp, p)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[-1])
        self.app.processEvents()

    def click(self, widget) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def stroke_inside(truth: np.ndarray, cls: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """A horizontal stroke through the widest run of class ``cls`` on a random row of it."""
    rows = np.nonzero((truth == cls).sum(1) > 20)[0]
    y = int(rng.choice(rows))
    xs = np.nonzero(truth[y] == cls)[0]
    x0, x1 = int(xs.min()), int(xs.max())
    run = xs[(xs >= x0) & (xs <= x1)]
    x0, x1 = int(run[len(run) // 4]), int(run[3 * len(run) // 4])
    return [(x, y) for x in np.linspace(x0, x1, 8).astype(int)]


def one_round(drive: Driver, win, photo: Path, truth: np.ndarray, r: int, rng) -> tuple:
    """Open ``photo``, paint two strokes with the mouse, click "Fine-tune on my labels", and
    wait for the round's result and for the open photo's overlay by the version in use."""
    lm = win.label_mode
    shown: list = []  # results shown after this photo's pixels were (the previous photo's stays until then)
    on_image = win.workspace.image_shown.connect(lambda path, _rgb: path == str(photo) and shown.append(None))
    on_result = win.workspace.result_shown.connect(lambda res: shown and shown.append(res))
    win.open_paths([str(photo)])
    drive.until(lambda: any(r is not None and not r.preview for r in shown[1:]), what="the photo's prediction")
    win.workspace.image_shown.disconnect(on_image)
    win.workspace.result_shown.disconnect(on_result)
    if not lm.active:
        lm.actions.mode.trigger()
    drive.until(lambda: lm.session is not None and lm.session.image == photo, what="the label session")
    present = [c for c in range(len(NAMES)) if (truth == c).sum() > 2000]
    for cls in present[:2] if r % 2 == 0 else present[-2:]:
        lm.state.set_class(cls)
        drive.drag(stroke_inside(truth, cls, rng))
    done: dict[str, float] = {}
    fine_tune = lm.fine_tune
    before = win.inference.model_key
    clicked = time.monotonic()
    drive.click(lm.panel.retrain_button)
    if fine_tune.task is None:
        raise RuntimeError("the click started no round: " + win.statusBar().currentMessage())
    fine_tune.task.succeeded.connect(lambda _r: done.setdefault("installed", time.monotonic()))
    drive.until(lambda: fine_tune.task is None, what="the round")
    if fine_tune.last_round is None:
        raise RuntimeError("the round failed: " + win.statusBar().currentMessage())
    shown = win.inference.model_key

    def overlay_new() -> bool:
        res = win.workspace.current_result
        return res is not None and not res.preview and res.model_key == shown

    overlay_at = drive.until(overlay_new, what="the new overlay")
    decision = "switched to " + shown if shown != before else "kept " + str(shown)
    basis = fine_tune.panel.scores.text().replace("\n", " ")
    return done.get("installed", overlay_at) - clicked, overlay_at - clicked, rss_mb(), decision, basis


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--size", default="500x375")
    parser.add_argument("--width-divisor", type=int, default=1, help="1 = full VGG16")
    parser.add_argument(
        "--screenshots", type=Path, help="save the window after each round here (run under Xvfb to see it)"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    w, h = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="fcn-window-bench-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    os.environ["FCN_STUDIO_WEIGHTS"] = str(tmp / "weights")
    os.environ["FCN_STUDIO_CACHE"] = str(tmp / "cache")
    folder = tmp / "photos"
    folder.mkdir()
    truths = []
    for i in range(args.photos):
        rgb, truth = make_scene(i, h, w)
        Image.fromarray(rgb).save(folder / f"p{i:02d}.png")
        truths.append(truth)
    install_base(tmp / "weights", args.width_divisor)

    import fcn_studio

    api_model = fcn_studio.load_model("bench", device="cpu")
    t = time.perf_counter()
    api_model.predict(folder / "p00.png")
    first_api = time.perf_counter() - t
    fast_path = api_model._predictor.fast_path  # the CPU runtime's one-time conversion, cached on disk
    t = time.perf_counter()
    if fast_path is not None:
        fast_path.wait()
    conversion = time.perf_counter() - t
    t = time.perf_counter()
    api_model.predict(folder / "p01.png")
    exact = time.perf_counter() - t
    del api_model

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from fcn_studio.gui.main_window import MainWindow
    from fcn_studio.gui.settings import Settings

    app = QApplication.instance() or QApplication([])
    win = MainWindow(Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)))
    win.persist_window = False
    win.resize(1280, 860)
    win.show()
    drive = Driver(app, win)
    win.inference.set_model("bench")
    print(
        f"{args.photos} photos {w}x{h}, fcn8s width 1/{args.width_divisor}, load {os.getloadavg()[0]:.1f}; "
        f"yardstick: one exact segmentation through the API {exact:.2f} s (first call {first_api:.2f} s, "
        f"then the one-time conversion {conversion:.1f} s)"
    )
    print(f"{'round':>5} {'click->installed s':>18} {'click->overlay s':>16} {'RSS MB':>8}  decision / basis")
    rng = np.random.default_rng(0)
    rows = []
    for r in range(args.rounds):
        rows.append(one_round(drive, win, folder / f"p{r:02d}.png", truths[r], r, rng))
        installed, overlay, rss, decision, basis = rows[-1]
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            drive.until(lambda: True)
            win.grab().save(str(args.screenshots / f"round{r + 1}.png"))
        print(f"{r + 1:>5} {installed:>18.2f} {overlay:>16.2f} {rss:>8.0f}  {decision}: {basis}")
    later = [row[1] for row in rows[1:]]
    print(
        f"median click->overlay rounds 2-{len(rows)}: {statistics.median(later):.2f} s = "
        f"{statistics.median(later) / exact:.1f}x the exact segmentation (goal <= 3x); round 1 "
        f"{rows[0][1] / exact:.1f}x (goal <= 6x); memory after round {len(rows)} minus round 2: "
        f"{rows[-1][2] - rows[1][2]:+.0f} MB (goal <= 300); load {os.getloadavg()[0]:.1f}"
    )
    win.close()


if __name__ == "__main__":
    main()
