"""Batch segmentation: images per second of the pipelined batch (reader thread -> model ->
writer thread) against the same work done one stage after another, side by side in one run.

    .venv/bin/python bench/bench_batch.py [--images 24] [--size 500x375] [--width-divisor 8]

``--width-divisor 1`` is the published VGG16 width (slow on a CPU); the default narrow
network makes decoding and writing a larger share of the time, which is what overlapping
hides. Outputs are compared: both paths must write identical masks.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fcn_studio.data.images import load_image, save_mask
from fcn_studio.data.labels import voc_labels
from fcn_studio.inference.batch import segment_files
from fcn_studio.inference.batch_plan import batch_items
from fcn_studio.inference.predictor import Predictor
from fcn_studio.models import build_fcn
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.checkpoint import Checkpoint


def photos(folder: Path, n: int, size: tuple[int, int]) -> list[Path]:
    rng = np.random.default_rng(0)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    paths = []
    for i in range(n):
        base = np.stack([(x / 2 + 7 * i) % 256, (y / 1.5) % 256, ((x + y) / 3) % 256], -1).astype(np.uint8)
        img = base + rng.integers(0, 24, (h, w, 3), dtype=np.uint8)
        paths.append(folder / f"p{i:03d}.jpg")
        Image.fromarray(img).save(paths[-1], quality=90)
    return paths


def sequential(predictor: Predictor, files: list[Path], out: Path) -> float:
    start = time.perf_counter()
    for f in files:
        labels = predictor.predict(load_image(f)).labels
        save_mask(labels, predictor.labels, out / f"{f.stem}.png")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--size", default="500x375")
    parser.add_argument("--width-divisor", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="alternate the two paths this many times")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    model = build_fcn("fcn8s", 21, width_divisor=args.width_divisor)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.normal_(m.weight, 0, 0.02)
    predictor = Predictor(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict()), "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        files = photos(root / "in", args.images, size)
        predictor.predict(load_image(files[0]))  # warm-up
        (root / "seq").mkdir()
        items = batch_items([(f, root / "in") for f in files])
        t_seq = t_pipe = float("inf")
        for _ in range(args.repeat):  # alternated, best of each: the machine's load drifts
            t_seq = min(t_seq, sequential(predictor, files, root / "seq"))
            report = segment_files(predictor, items, root / "pipe")
            t_pipe = min(t_pipe, report.seconds)
        same = all(
            np.array_equal(np.asarray(Image.open(root / "seq" / f"{f.stem}.png")), np.asarray(Image.open(p)))
            for f, p in zip(files, sorted(report.written), strict=True)
        )
    n = args.images
    print(
        f"{n} images {size[0]}x{size[1]}, fcn8s width/{args.width_divisor}, CPU {torch.get_num_threads()} threads, "
        f"best of {args.repeat}"
    )
    print(f"one stage after another : {t_seq:6.2f} s  {n / t_seq:7.2f} images/s")
    print(f"pipelined (segment)     : {t_pipe:6.2f} s  {n / t_pipe:7.2f} images/s  ({t_seq / t_pipe:.2f}x)")
    print(f"identical masks: {same}")


if __name__ == "__main__":
    main()
