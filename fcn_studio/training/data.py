"""A training run's data: the dataset checked and split, its classes and colours, and the
image/mask pairs as augmented crops (the plain loop) or whole validation images."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from fcn_studio.data.dataset import (
    DatasetReport,
    MaskEncoding,
    find_label_file,
    folder_encoding,
    load_pair,
    scan_dataset,
)
from fcn_studio.data.labels import LabelSet, generic_labels, read_label_file, voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.training.config import TrainConfig


class SegmentationData(torch.utils.data.Dataset):
    """Image/mask pairs as uint8 tensors; training crops are augmented jointly (image and
    mask get the same scale, crop and flip), validation images come whole."""

    def __init__(self, pairs, encoding: MaskEncoding, crop: int | None, augment: TrainConfig | None, seed: int) -> None:
        self.pairs = list(pairs)
        self.encoding = encoding
        self.crop = crop
        self.augment = augment
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, mask = load_pair(*self.pairs[index], self.encoding)
        image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
        target = torch.from_numpy(mask.astype(np.int64))[None]
        if self.crop is None:
            return image, target[0]
        cfg = self.augment
        if cfg is not None and (cfg.scale_min, cfg.scale_max) != (1.0, 1.0):
            s = self.rng.uniform(cfg.scale_min, cfg.scale_max)
            size = [max(1, round(image.shape[1] * s)), max(1, round(image.shape[2] * s))]
            image = TF.resize(image, size, antialias=True)
            target = TF.resize(target, size, interpolation=v2.InterpolationMode.NEAREST)
        pad_h, pad_w = max(0, self.crop - image.shape[1]), max(0, self.crop - image.shape[2])
        if pad_h or pad_w:  # pad with ignore so the border teaches nothing
            image = TF.pad(image, [0, 0, pad_w, pad_h], fill=0)
            target = TF.pad(target, [0, 0, pad_w, pad_h], fill=255)
        top = self.rng.randint(0, image.shape[1] - self.crop)
        left = self.rng.randint(0, image.shape[2] - self.crop)
        image = image[:, top : top + self.crop, left : left + self.crop]
        target = target[:, top : top + self.crop, left : left + self.crop]
        if cfg is not None and cfg.flip and self.rng.random() < 0.5:
            image, target = image.flip(2), target.flip(2)
        return image.contiguous(), target[0].contiguous()


def split_pairs(report: DatasetReport, config: TrainConfig) -> tuple[list, list]:
    """Training and validation pairs: --val folder, VOC's val.txt, or a seeded random split."""
    if config.val_dir:
        val = scan_dataset(config.val_dir, report.class_names)
        if not val.ok:
            raise FCNStudioError("validation folder {val_dir}:\n{text}", val_dir=config.val_dir, text=val.lines())
        return report.pairs, val.pairs
    if report.layout == "voc":
        train_ids = scan_ids(report.root, "train")
        val_ids = scan_ids(report.root, "val")
        if train_ids and val_ids:
            train = [p for p in report.pairs if p[0].stem in train_ids]
            val = [p for p in report.pairs if p[0].stem in val_ids]
            if train and val:
                return train, val
    pairs = list(report.pairs)
    random.Random(config.seed).shuffle(pairs)
    n_val = 0 if len(pairs) < 2 or config.val_split <= 0 else max(1, round(len(pairs) * config.val_split))
    return pairs[n_val:], pairs[:n_val]


def checked_split(config: TrainConfig, report: DatasetReport | None) -> tuple[DatasetReport, list, list]:
    """The dataset checked (a blocking problem stops here, named by file) and split into
    training and validation pairs; the plain and the cached-feature loops share it."""
    if config.arch not in ("fcn32s", "fcn16s", "fcn8s", "fcn8s_atonce"):
        raise FCNStudioError("unknown architecture {arch!r}: choose fcn32s, fcn16s or fcn8s", arch=config.arch)
    report = report or scan_dataset(config.data, config.class_names)
    if not report.ok:
        raise FCNStudioError("the dataset cannot be used for training:\n{report}", report=report.lines())
    train_pairs, val_pairs = split_pairs(report, config)
    return report, train_pairs, val_pairs


def dataset_labels(report: DatasetReport, data: str) -> LabelSet:
    """The dataset's classes, with the colours of its label file when it has them (so a
    model trained on colour-coded masks draws their colours), VOC's for VOC's classes."""
    if report.class_names == list(voc_labels().classes):
        return voc_labels()
    colors = generic_labels(report.num_classes).colors
    label_file = find_label_file(Path(data))
    if label_file:
        names, file_colors = read_label_file(label_file)
        if file_colors and names == report.class_names:
            colors = tuple(file_colors)
    return LabelSet(Path(data).name, tuple(report.class_names), colors)


def validation_encoding(report: DatasetReport, config: TrainConfig, val_pairs: list) -> MaskEncoding:
    """A --val folder's masks are decoded by their own encoding, not the training folder's."""
    if not config.val_dir or not val_pairs:
        return report.encoding
    return folder_encoding(Path(val_pairs[0][1]).parent, [m for _, m in val_pairs])


def scan_ids(root: Path, split: str) -> set[str]:
    for base in (root, root / "VOC2012"):
        listing = base / "ImageSets" / "Segmentation" / f"{split}.txt"
        if listing.is_file():
            return {line.strip() for line in listing.read_text().split() if line.strip()}
    return set()
