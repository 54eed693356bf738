"""Video: CPU frames per second per architecture, pipeline overhead, memory over 10,000 frames.

Run: .venv/bin/python bench/bench_video.py [--frames 10000]

1. Model FPS at 640x360 for FCN-32s/16s/8s at full inference size and at --max-size 320
   (the network sees 320x180), random weights, median over 3 frames after a warm-up. Then
   FCN-8s by backend as the player runs it: torch, the default (ONNX Runtime f32) and the
   fast mode (int8), with the share of labels equal to torch's.
2. Pipeline overhead beyond the model: export of a 640x360 clip with a no-op model
   (decode on its thread + overlay blend + encode on its thread), per frame.
3. Memory: the same export over a clip of --frames frames; resident memory sampled every
   1,000 frames must stay flat.
"""

from __future__ import annotations

import argparse
import atexit
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e6


def make_clip(path: Path, n: int) -> Path:
    import cv2

    from fcn_studio.inference.video import VideoWriter

    w = VideoWriter(path, 640, 360, 25.0)
    for i in range(n):
        f = np.zeros((360, 640, 3), np.uint8)
        f[:] = (130, 170, 220)
        f[250:] = (70, 120, 50)
        cv2.circle(f, ((40 + 5 * i) % 640, 200), 60, (200, 60, 40), -1)
        w.write(f)
    return w.close()


def seconds_per_frame(predictor, frames: list[np.ndarray]) -> float:
    """Median seconds per frame over frames 1-3 (frame 0 is the caller's warm-up)."""
    times = []
    for f in frames[1:4]:
        t = time.perf_counter()
        predictor.predict(f)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def backend_fps(tmp: Path, frames: list[np.ndarray]) -> None:
    """FCN-8s frames per second on what the player uses: the default CPU path (ONNX Runtime
    once converted) and the opt-in fast mode (int8), against torch, in one run."""
    from bench_inference import random_checkpoint  # labels that vary (zero score layers give all background)

    from fcn_studio.data.images import calibration_sample
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.inference.runtime import check_agreement

    (tmp / "weights").mkdir()
    ckpt = random_checkpoint("fcn8s", tmp / "weights" / "fcn8s.safetensors")
    print(
        "FCN-8s by backend, random weights with varied labels (conversions built first, as the app does "
        "in the background; fast mode calibrated on the clip's frames):"
    )
    for max_size in (None, 320):
        exact = None
        for name, kwargs in (
            ("torch", {"backend": "torch"}),
            ("default (ONNX Runtime f32)", {"backend": "auto"}),
            ("fast mode (int8)", {"fast": True, "calibration": calibration_sample(frames)}),
        ):
            predictor = Predictor(ckpt, "cpu", max_size=max_size, **kwargs)
            if predictor.fast_path is not None:
                assert predictor.fast_path.wait(timeout=600), predictor.fast_path.error
            labels = [predictor.predict(f).labels for f in frames[:4]]
            med = seconds_per_frame(predictor, frames)
            exact = exact or labels
            size = "full 640x360" if max_size is None else "max-size 320"
            print(
                f"  {size:<13} {name:<27} {med:6.2f} s/frame = {1 / med:5.2f} fps, "
                f"labels {100 * check_agreement(exact, labels):.1f} % equal to torch's"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--skip-models", action="store_true")
    args = parser.parse_args()
    import torch

    from fcn_studio.data.labels import voc_labels
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.inference.video import read_frames, segment_video
    from fcn_studio.models import build_fcn
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint

    tmp = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    # Weights, conversions and clips add up to gigabytes: never leave them behind.
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    clip = make_clip(tmp / "clip.mp4", 8)
    frames = [f for _, f in read_frames(clip)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, 640x360 frames")
    if not args.skip_models:
        for arch in ("fcn32s", "fcn16s", "fcn8s"):
            model = build_fcn(arch, 21)
            ckpt = Checkpoint(arch, 21, voc_labels(), CAFFE_BGR, model.state_dict())
            for max_size in (None, 320):
                predictor = Predictor(ckpt, "cpu", max_size=max_size)
                predictor.predict(frames[0])  # warm-up
                med = seconds_per_frame(predictor, frames)
                label = "full 640x360" if max_size is None else "max-size 320 (320x180)"
                print(f"{arch:<7} {label:<24} {med:6.2f} s/frame = {1 / med:5.2f} fps")
            del model, ckpt, predictor
        backend_fps(tmp, frames)

    def noop(frame: np.ndarray) -> np.ndarray:
        return np.zeros(frame.shape[:2], np.uint8)

    short = make_clip(tmp / "short.mp4", 300)
    t = time.perf_counter()
    segment_video(noop, voc_labels(), short, tmp / "short_out.mp4")
    per = (time.perf_counter() - t) / 300
    print(f"pipeline overhead (decode + overlay + encode, threads overlapped): {1000 * per:.1f} ms/frame")

    long = make_clip(tmp / "long.mp4", args.frames)
    samples = []

    def progress(done: int, total: int, note: str) -> None:
        if done % 1000 == 0:
            samples.append((done, rss_mb()))

    t = time.perf_counter()
    segment_video(noop, voc_labels(), long, tmp / "long_out.mp4", progress=progress)
    took = time.perf_counter() - t
    print(f"memory over {args.frames} frames ({took:.0f} s): " + ", ".join(f"{d}: {m:.0f} MB" for d, m in samples))
    if samples:
        print(f"growth from frame {samples[0][0]} to {samples[-1][0]}: {samples[-1][1] - samples[0][1]:+.1f} MB")


if __name__ == "__main__":
    main()
