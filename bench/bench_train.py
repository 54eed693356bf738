"""Fine-tuning on CPU: validation mean IoU before and after, and training throughput.

Run: .venv/bin/python bench/bench_train.py [--epochs 4] [--crop 128]

A synthetic dataset is generated: 3 classes (background, "leaf", "flower") as textured
coloured blobs, 32 training and 8 held-out images. Pretrained weights cannot be fetched
on this machine, so the model starts from random weights (--base scratch); with VGG16
ImageNet weights (`fcn-studio weights download vgg16-imagenet`) pass --base vgg16-imagenet.
Printed: held-out mean IoU (and pixel accuracy) before and after training, and training
throughput in images per second with a frozen backbone and with the whole network trained.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_dataset(root: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("background\nleaf\nflower\n")
    colors = np.array([(110, 80, 50), (40, 160, 60), (230, 200, 40)], dtype=np.int32)
    for i in range(n):
        h, w = 160, 200
        mask = np.zeros((h, w), np.uint8)
        yy, xx = np.mgrid[:h, :w]
        for c in (1, 2, 1, 2):
            cy, cx, r = rng.integers(20, h - 20), rng.integers(20, w - 20), rng.integers(12, 30)
            mask[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
        rgb = colors[mask] + rng.integers(-30, 30, (h, w, 3))
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(root / "images" / f"{i:03d}.jpg", quality=92)
        Image.fromarray(mask, mode="L").save(root / "masks" / f"{i:03d}.png")
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--arch", default="fcn8s")
    parser.add_argument("--base", default="scratch")
    args = parser.parse_args()

    import torch

    from fcn_studio.data.dataset import scan_dataset
    from fcn_studio.training.config import EpochEvent, IterationEvent
    from fcn_studio.training.trainer import SegmentationData, TrainConfig, evaluate, initial_model, train

    tmp = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    # Weights, conversions and clips add up to gigabytes: never leave them behind.
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    train_dir = make_dataset(tmp / "train", 32, 0)
    val_dir = make_dataset(tmp / "heldout", 8, 1)
    import os

    os.environ["FCN_STUDIO_WEIGHTS"] = str(tmp / "weights")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; {args.arch} from {args.base}, "
        f"crop {args.crop}, batch 2; 32 training / 8 held-out images of 200x160, 3 classes"
    )

    def config(**kw) -> TrainConfig:
        base = dict(
            data=str(train_dir),
            out=str(tmp / "m.safetensors"),
            base=args.base,
            arch=args.arch,
            epochs=args.epochs,
            batch_size=2,
            crop_size=args.crop,
            lr=1e-3,
            val_dir=str(val_dir),
            seed=0,
        )
        return TrainConfig(**{**base, **kw})

    report = scan_dataset(val_dir)
    model, pre, _ = initial_model(config(), 3)
    before = evaluate(
        model, SegmentationData(report.pairs, report.encoding, None, None, 0), pre, torch.device("cpu"), 3
    )
    del model

    for frozen in (True, False):
        events: list = []
        t = time.monotonic()
        train(config(epochs=1, freeze_backbone=frozen, out=str(tmp / f"tp{frozen}.safetensors")), events.append)
        rate = [e for e in events if isinstance(e, IterationEvent)][-1].images_per_s
        print(
            f"throughput, {'frozen backbone' if frozen else 'whole network  '}: {rate:.2f} images/s "
            f"(1 epoch incl. validation {time.monotonic() - t:.0f} s)"
        )

    events = []
    t = time.monotonic()
    result = train(config(freeze_backbone=True), events.append)
    after = result.best_metrics
    print(
        f"held-out before training: mean IoU {100 * before.mean_iou:.1f} %, pixel accuracy {100 * before.pixel_accuracy:.1f} %"
    )
    print(
        f"held-out after {args.epochs} epochs (frozen backbone, {time.monotonic() - t:.0f} s): mean IoU "
        f"{100 * after['mean_iou']:.1f} %, pixel accuracy {100 * after['pixel_accuracy']:.1f} %"
    )
    for e in events:
        if isinstance(e, EpochEvent):
            print(f"  epoch {e.epoch}: train loss {e.train_loss:.3f}, val mIoU {100 * e.metrics['mean_iou']:.1f} %")


if __name__ == "__main__":
    main()
