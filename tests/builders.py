"""Builders of small test data (images, datasets, clips), shared by every test package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fcn_studio.data.labels import voc_labels
from fcn_studio.inference.video import VideoWriter


def make_image(path: Path, size=(48, 40), seed: int = 0, mode: str = "RGB") -> Path:
    rng = np.random.default_rng(seed)
    w, h = size
    arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    # a few flat blocks so the model sees structure, not only noise
    arr[: h // 2, : w // 2] = (200, 30, 30)
    arr[h // 2 :, w // 2 :] = (20, 120, 220)
    img = Image.fromarray(arr).convert(mode)
    img.save(path)
    return path


def scene(rng, h=40, w=48, n_classes=3):
    """An image whose classes are colour-coded regions, and its mask."""
    mask = np.zeros((h, w), dtype=np.uint8)
    for c in range(1, n_classes):
        y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
        mask[y : y + 14, x : x + 14] = c
    colors = np.array([(30, 30, 30), (220, 40, 40), (40, 200, 60), (40, 60, 220)], dtype=np.uint8)
    rgb = colors[mask] + rng.integers(0, 20, (h, w, 3)).astype(np.uint8)
    return rgb, mask


def palette_png(mask, path):
    img = Image.fromarray(mask, mode="P")
    img.putpalette(voc_labels().palette().reshape(-1).tolist())
    img.save(path)


def make_plain(root, n=6, suffix="", ext=".png", n_classes=3, img_dir="images", mask_dir="masks"):
    rng = np.random.default_rng(0)
    (root / img_dir).mkdir(parents=True)
    (root / mask_dir).mkdir(parents=True)
    for i in range(n):
        rgb, mask = scene(rng, n_classes=n_classes)
        Image.fromarray(rgb).save(root / img_dir / f"s{i}.JPG" if ext == ".JPG" else root / img_dir / f"s{i}.jpg")
        Image.fromarray(mask, mode="L").save(root / mask_dir / f"s{i}{suffix}{'.png' if ext != '.PNG' else '.PNG'}")
    return root


def make_clip(path, n=10, size=(48, 40), fps=12.5):
    """Frames whose content encodes their index (a moving bright block)."""
    w, h = size
    writer = VideoWriter(path, w, h, fps)
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        frame[:, (i * 4) % w : (i * 4) % w + 8] = (230, 60, 40)
        writer.write(frame)
    return writer.close()


def tiny_train_config(tmp_path: Path, n: int = 5, val_split: float = 0.4):
    """A one-epoch frozen run on ``n`` small scenes with a narrow scratch FCN-32s: seconds."""
    from fcn_studio.training.trainer import TrainConfig

    data = make_plain(tmp_path / "data", n=n)
    return TrainConfig(
        data=str(data),
        out=str(tmp_path / "out" / "mine.safetensors"),
        base="scratch",
        arch="fcn32s",
        epochs=1,
        batch_size=2,
        crop_size=32,
        lr=1e-3,
        freeze_backbone=True,
        val_split=val_split,
        seed=0,
        width_divisor=8,
    )
