"""One check of every hardware path the app has, in one table: run it once on a GPU machine.

Run (CUDA machine; written to finish well inside 8 minutes, not yet run on a GPU):
    PYTHONPATH=. .venv/bin/python bench/device_check.py [--out table.md] [--models A,B,C]
Run (any machine, small sizes and narrow models, about a minute; tests/e2e/cli/ runs it):
    PYTHONPATH=. .venv/bin/python bench/device_check.py --cpu

Every row goes through the project's own code, nothing is re-implemented here:

- inference: ``Predictor`` as the CLI builds it, for FCN-32s/16s/8s at 500x375 and
  1280x720, fp32 against the default (on CUDA fp16 + channels_last + cudnn.benchmark; on a
  CPU with native bf16 the approximate bf16 mode): images/s, labels equal to those of the
  CPU's exact fp32 path, peak GPU memory.
- video: a 720p clip through the app's ``VideoEngine`` (offscreen Qt, the model from the
  ``ModelService``), played in real time and every frame, each result drawn as the app
  draws an overlay: segmented frames/s and dropped frames.
- training: the training engine (``train``), full fine-tune fp32 against mixed precision
  (AMP fp16 on CUDA, bf16 autocast on a CPU with native bf16) in steps/s, and a head-only
  round (frozen backbone, cached features).
- distributed: ``torchrun --nproc-per-node 1`` running the trainer's DDP path (nccl on
  CUDA, gloo on a CPU).

Weights are random (with labels that vary over the image) unless ``--models`` names three
installed ids or files (FCN-32s, 16s, 8s): agreement of fp16 with fp32 is lower on random
weights, whose class scores are closer together than a trained model's. A failing row is
printed as FAILED with its error, the others still run, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _models import random_fcn  # bench/ is the script's folder, so on sys.path

ARCHS = ("fcn32s", "fcn16s", "fcn8s")
HEADER = ("check", "model", "size", "precision", "speed", "labels = CPU fp32", "peak GPU memory", "note")


@dataclass(frozen=True)
class Plan:
    """The sizes of one run: the real ones on a GPU, small ones for ``--cpu``."""

    device: str
    sizes: tuple[tuple[int, int], ...]  # (h, w) images
    width_divisor: int  # 1: the published VGG16 width; 8: narrow (tests)
    images: int  # timed predictions per row
    video: tuple[int, int, int, float]  # (h, w, frames, fps) of the clip
    crop: int
    batch: int
    train_images: int
    train_size: tuple[int, int]


# The GPU clip runs at 120 fps: real-time playback then shows how many frames a second the
# player can segment and draw (the target is 60 at 720p); every-frame mode never plays
# faster than the clip's own rate.
GPU_PLAN = Plan("cuda", ((375, 500), (720, 1280)), 1, 30, (720, 1280, 360, 120.0), 320, 8, 48, (375, 500))
CPU_PLAN = Plan("cpu", ((60, 80), (72, 128)), 8, 2, (72, 128, 16, 12.0), 48, 2, 6, (60, 80))


@dataclass
class Table:
    rows: list[tuple[str, ...]] = field(default_factory=list)
    failed: int = 0

    def add(self, *cells: object) -> None:
        row = tuple(str(c) for c in cells) + ("",) * (len(HEADER) - len(cells))
        self.rows.append(row)
        print("  " + " | ".join(c for c in row if c), flush=True)

    def fail(self, check: str, model: str, exc: BaseException) -> None:
        self.failed += 1
        traceback.print_exc()
        self.add(check, model, "", "", "FAILED", "", "", f"{type(exc).__name__}: {exc}"[:200])

    def markdown(self) -> str:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


# --------------------------------------------------------------------------- weights and data


def random_checkpoint_file(arch: str, width_divisor: int, path: Path) -> Path:
    """Random weights whose labels vary over the image (zero-mean score layers), saved."""

    from fcn_studio.data.labels import voc_labels
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint

    model = random_fcn(arch, 21, width_divisor=width_divisor, seed=sum(map(ord, arch)))
    save_checkpoint(Checkpoint(arch, 21, voc_labels(), CAFFE_BGR, model.state_dict()), path)
    return path


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour regions with edges and texture, as photos have."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(0.2, 0.6) * max(height, width)
        weight = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[:, :, None]
        img = img * (1 - weight) + weight * rng.uniform(0, 255, 3)
    img += 12 * np.sin(xx / 3.0 + yy / 5.0)[:, :, None] + rng.normal(0, 6, (height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_clip(path: Path, height: int, width: int, frames: int, fps: float) -> Path:
    from fcn_studio.inference.video import VideoWriter

    base = photo_like(height, width, seed=3)
    writer = VideoWriter(path, width, height, fps)
    for i in range(frames):
        writer.write(np.roll(base, 4 * i, axis=1))  # a panning shot
    return writer.close()


def make_dataset(root: Path, n: int, size: tuple[int, int]) -> Path:
    """images/ + masks/ with 3 classes: blobs of colour on a background."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    colors = np.array([(110, 80, 50), (40, 160, 60), (230, 200, 40)], np.int32)
    for i in range(n):
        mask = np.zeros((h, w), np.uint8)
        for c in (1, 2, 1, 2):
            cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(h // 10 + 2, h // 4 + 3)
            mask[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
        rgb = np.clip(colors[mask] + rng.integers(-30, 30, (h, w, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(root / "images" / f"{i:03d}.png")
        Image.fromarray(mask, mode="L").save(root / "masks" / f"{i:03d}.png")
    return root


# --------------------------------------------------------------------------- inference


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def _peak_reset(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak(device: str) -> str:
    import torch

    return f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if device == "cuda" else "-"


def precision_modes(device: str) -> list[tuple[str, dict]]:
    """fp32 and the faster default of the device, as Predictor keyword arguments."""
    from fcn_studio.inference.precision import bf16_offered

    modes = [("fp32", {"half": False, "channels_last": False})]
    if device == "cuda":
        modes.append(("fp16 + channels_last (default)", {}))
    elif bf16_offered():
        modes.append(("bf16 (approximate mode)", {"precision": "bf16"}))
    return modes


def inference_rows(table: Table, plan: Plan, files: dict[str, Path]) -> None:
    from fcn_studio.inference.bf16_path import label_agreement
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.checkpoint import load_checkpoint

    for arch in ARCHS:
        ckpt = load_checkpoint(files[arch])
        cpu_exact = Predictor(ckpt, "cpu", max_size=None, backend="torch")
        for h, w in plan.sizes:
            img = photo_like(h, w, seed=7)
            reference = cpu_exact.predict(img).labels
            for name, kwargs in precision_modes(plan.device):
                try:
                    predictor = Predictor(ckpt, plan.device, max_size=None, backend="torch", **kwargs)
                    for _ in range(2):  # warm-up: cudnn.benchmark picks its kernels
                        predictor.predict(img)
                    _peak_reset(plan.device)
                    _sync(plan.device)
                    start = time.perf_counter()
                    for _ in range(plan.images):
                        labels = predictor.predict(img).labels
                    _sync(plan.device)
                    rate = plan.images / (time.perf_counter() - start)
                    same = label_agreement([reference], [labels])
                    table.add(
                        "inference",
                        arch,
                        f"{w}x{h}",
                        name,
                        f"{rate:.1f} images/s",
                        f"{100 * same:.2f} %",
                        _peak(plan.device),
                    )
                    del predictor
                except Exception as exc:
                    table.fail("inference", f"{arch} {w}x{h} {name}", exc)
        del cpu_exact, ckpt


# --------------------------------------------------------------------------- video


def video_rows(table: Table, plan: Plan, files: dict[str, Path], work: Path) -> None:
    """The app's video engine, offscreen: every result drawn as the canvas draws it."""
    from PySide6.QtWidgets import QApplication

    from fcn_studio.gui.video.engine import EVERY_FRAME, KEYFRAMES, REAL_TIME

    QApplication.instance() or QApplication(["device_check", "-platform", "offscreen"])
    h, w, frames, fps = plan.video
    clip = make_clip(work / "clip.mp4", h, w, frames, fps)
    for mode, name in ((REAL_TIME, "real time"), (EVERY_FRAME, "every frame"), (KEYFRAMES, "keyframes + motion")):
        try:
            _peak_reset(plan.device)
            segmented, seconds = _play(clip, files["fcn8s"], plan.device, mode)
            played = frames - 1  # frame 0 is on screen, segmented, before playback starts
            table.add(
                "video (app engine + overlay)",
                "fcn8s",
                f"{w}x{h} @ {fps:g} fps",
                "default",
                f"{segmented / seconds:.1f} segmented frames/s",
                "",
                _peak(plan.device),
                f"{name}: {played - segmented} of {played} frames dropped",
            )
        except Exception as exc:
            table.fail("video", name, exc)


def _play(clip: Path, weights: Path, device: str, mode: str) -> tuple[int, float]:
    """Play ``clip`` to its end in ``mode``: (frames segmented and drawn, seconds playing)."""
    from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot
    from PySide6.QtGui import QImage, QPainter

    from fcn_studio.gui.shared.overlay import class_color_table, indexed_image, rgb_image
    from fcn_studio.gui.shared.tasks import TaskRunner, WorkerThread
    from fcn_studio.gui.video.engine import VideoEngine
    from fcn_studio.inference.model_service import ModelService
    from fcn_studio.state.inference_choice import InferenceChoice

    class Screen(QObject):
        """Stands in for the player's view (on the GUI thread): draws each overlay."""

        def __init__(self) -> None:
            super().__init__()
            self.segmented: set[int] = set()  # frames whose overlay was drawn
            self.loop = QEventLoop()
            self.started = self.ended = 0.0
            self.error = ""

        @Slot(int, object, object)
        def frame(self, index: int, rgb, result) -> None:
            if result is None or result.preview:
                return
            base = rgb_image(rgb).convertToFormat(QImage.Format.Format_RGB32)
            over = indexed_image(result.labels)
            over.setColorTable(class_color_table(result.label_set, None))
            painter = QPainter(base)
            painter.setOpacity(0.5)
            painter.drawImage(0, 0, over)
            painter.end()
            self.segmented.add(index)
            if self.started == 0.0 and index == 0:
                self.loop.quit()  # the model is loaded and the first frame segmented

        @Slot(bool)
        def playing(self, on: bool) -> None:
            if on:
                self.started = time.monotonic()
            else:
                self.ended = time.monotonic()
                self.loop.quit()

        @Slot(str)
        def failed(self, text: str) -> None:
            self.error = text
            self.loop.quit()

    screen = Screen()
    engine = VideoEngine(ModelService())
    engine.frame_ready.connect(screen.frame)
    engine.playing_changed.connect(screen.playing)
    engine.failed.connect(screen.failed)
    guard = QTimer(singleShot=True, interval=300_000)
    guard.timeout.connect(screen.loop.quit)
    thread = WorkerThread(engine, "video", TaskRunner(), loop="run")  # as the player runs it (video/session.py)
    try:
        engine.set_model(InferenceChoice(model_key=str(weights), device=device, max_size=0))
        engine.command("mode", mode)
        engine.open_source(str(clip))
        guard.start()
        screen.loop.exec()  # until frame 0 is segmented: loading is not playback
        screen.segmented.clear()
        if not screen.error:
            engine.command("play")
            screen.loop.exec()  # until playback ends
    finally:
        thread.stop()
    if screen.error or not screen.ended:
        raise RuntimeError(screen.error or "playback did not end within 5 minutes")
    return len(screen.segmented), max(1e-9, screen.ended - screen.started)


# --------------------------------------------------------------------------- training


def train_config(plan: Plan, data: Path, out: Path, **kw):
    from fcn_studio.training.config import TrainConfig

    return TrainConfig(
        str(data),
        str(out),
        base="scratch",
        arch="fcn8s",
        epochs=2,
        batch_size=plan.batch,
        crop_size=plan.crop,
        lr=1e-4,
        val_split=0.0,
        device=plan.device,
        width_divisor=plan.width_divisor,
        register_id=out.stem.replace("_", "-"),
        **kw,
    )


def steps_per_second(events: list[tuple[float, object]]) -> float:
    """Iterations per second between consecutive iterations of the same epoch (the
    first step of each epoch, warm-up and data start, is left out)."""
    from fcn_studio.training.config import IterationEvent

    steps = [(t, e) for t, e in events if isinstance(e, IterationEvent)]
    gaps = [t1 - t0 for (t0, e0), (t1, e1) in itertools.pairwise(steps) if e0.epoch == e1.epoch]
    return 1.0 / statistics.median(gaps) if gaps else float("nan")


def run_training(config) -> tuple[float, str, float]:
    """(steps/s, the precision it chose, seconds in all) through the training engine."""
    from fcn_studio.training.config import MessageEvent
    from fcn_studio.training.trainer import train

    events: list[tuple[float, object]] = []
    start = time.monotonic()
    train(config, lambda e: events.append((time.monotonic(), e)))
    messages = [str(e.text) for _, e in events if isinstance(e, MessageEvent)]
    chosen = next((text for text in messages if text.startswith("precision")), "")
    return steps_per_second(events), chosen.removeprefix("precision: "), time.monotonic() - start


def training_rows(table: Table, plan: Plan, work: Path) -> Path:
    data = make_dataset(work / "train-data", plan.train_images, plan.train_size)
    mixed = "AMP (fp16 autocast)" if plan.device == "cuda" else "auto (bf16 autocast where it pays)"
    runs = (
        ("full fine-tune", "fp32", {"precision": "fp32"}),
        ("full fine-tune", mixed, {"precision": "auto"}),
        ("head-only round", "fp32", {"freeze_backbone": True, "precision": "fp32"}),
    )
    for i, (check, name, kw) in enumerate(runs):
        try:
            rate, chosen, took = run_training(train_config(plan, data, work / f"run_{i}.safetensors", **kw))
            table.add(
                f"training: {check}",
                "fcn8s",
                f"crop {plan.crop}, batch {plan.batch}",
                name,
                f"{rate:.2f} steps/s",
                "",
                "",
                f"{chosen or 'cached features'}; 2 epochs in {took:.0f} s",
            )
        except Exception as exc:
            table.fail(f"training: {check}", name, exc)
    return data


def ddp_row(table: Table, plan: Plan, data: Path, work: Path) -> None:
    """``torchrun --nproc-per-node 1`` running this file's worker, which runs the trainer."""
    config = train_config(plan, data, work / "ddp.safetensors", precision="auto")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "1",
        str(Path(__file__).resolve()),
        "--ddp-worker",
        json.dumps(config.__dict__),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("DDP ")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"torchrun exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
        result = json.loads(lines[-1][4:])
        table.add(
            "training: torchrun --nproc-per-node 1",
            "fcn8s",
            f"crop {plan.crop}, batch {plan.batch}",
            result["precision"],
            f"{result['steps_per_s']:.2f} steps/s",
            "",
            "",
            f"DDP path ran: backend {result['backend']}, world size {result['world_size']}",
        )
    except Exception as exc:
        table.fail("training: torchrun", "fcn8s", exc)


def ddp_worker(config_json: str) -> None:
    """One torchrun rank: join the job as ``fcn-studio train`` does, train, report."""
    from fcn_studio.training import distributed
    from fcn_studio.training.config import TrainConfig

    config = TrainConfig(**json.loads(config_json))
    ctx = distributed.init_from_env(config.device)
    if not ctx.enabled:
        raise SystemExit("not started by torchrun")
    rate, chosen, _ = run_training(config)
    print(
        "DDP "
        + json.dumps({"backend": ctx.backend, "world_size": ctx.world_size, "steps_per_s": rate, "precision": chosen}),
        flush=True,
    )
    distributed.shutdown()


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true", help="small sizes and narrow models on the CPU")
    parser.add_argument("--models", help="three installed ids or files (FCN-32s,16s,8s) instead of random weights")
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    parser.add_argument("--skip", default="", help="comma-separated: inference,video,training,ddp")
    parser.add_argument("--ddp-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ddp_worker:
        ddp_worker(args.ddp_worker)
        return 0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import torch

    plan = CPU_PLAN if args.cpu else GPU_PLAN
    if plan.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --cpu for the CPU check")
    work = Path(tempfile.mkdtemp(prefix="fcn-device-check-"))
    # Weights and clips: never leave them behind (one full-width FCN is 0.5 GB).
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    os.environ["FCN_STUDIO_WEIGHTS"] = str(work / "weights")  # trained runs register here, not in the user's
    from fcn_studio.inference.device import describe
    from fcn_studio.inference.precision import measurement

    device = torch.device(plan.device)
    m = measurement()
    started = time.monotonic()
    print(
        f"device check on {describe(device)}; torch {torch.__version__}; "
        f"CPU bf16: {'native, measured ' + format(m.speedup('inference'), '.1f') + 'x (inference) ' + format(m.speedup('training'), '.1f') + 'x (training) vs fp32' if m.native else 'not native'}",
        flush=True,
    )
    files = _weights(args.models, plan, work)
    table = Table()
    skip = set(filter(None, args.skip.split(",")))
    if "inference" not in skip:
        inference_rows(table, plan, files)
    if "video" not in skip:
        video_rows(table, plan, files, work)
    data = (
        training_rows(table, plan, work)
        if "training" not in skip
        else make_dataset(work / "train-data", plan.train_images, plan.train_size)
    )
    if "ddp" not in skip:
        ddp_row(table, plan, data, work)
    print(f"\n{table.markdown()}\n\n{len(table.rows)} rows, {table.failed} failed, {time.monotonic() - started:.0f} s")
    if args.out:
        Path(args.out).write_text(table.markdown() + "\n")
    return 1 if table.failed else 0


def _weights(models: str | None, plan: Plan, work: Path) -> dict[str, Path]:
    if models:
        from fcn_studio.storage.weights import locate_weights

        return {arch: locate_weights(spec)[0] for arch, spec in zip(ARCHS, models.split(","), strict=True)}
    (work / "models").mkdir()
    return {a: random_checkpoint_file(a, plan.width_divisor, work / "models" / f"{a}.safetensors") for a in ARCHS}


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
