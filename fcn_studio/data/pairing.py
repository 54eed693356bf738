"""Pairing images with their masks by file name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.data.images import is_image_file
from fcn_studio.errors import FCNStudioError

# Label mode's folder: images at the top, F/masks/<stem>.png (palette PNG, 255 = unlabelled).
LABEL_MASK_DIR = "masks"
MASK_SUFFIXES = ("_mask", "-mask", "_masks", "_label", "_labels", "_gt", "_seg", "_segmentation")


@dataclass
class Pairing:
    pairs: list[tuple[Path, Path]]
    unpaired_images: list[Path] = field(default_factory=list)
    unpaired_masks: list[Path] = field(default_factory=list)
    layout: str = ""
    notes: list[str] = field(default_factory=list)  # what was chosen and why (a split, a folder)


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith("."))


def mask_key(path: Path) -> str:
    """The image name a mask file stands for: its stem in lower case, a mask suffix removed."""
    stem = path.stem.lower()
    for suffix in MASK_SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def pair_by_stem(image_dir: Path, mask_dir: Path, layout: str, only: set[str] | None = None) -> Pairing:
    """Match files by stem, case-insensitively, allowing a mask suffix such as ``_mask``."""
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise FCNStudioError("{folder}: no such folder", folder=folder)
    images = image_files(image_dir)
    mask_files = image_files(mask_dir)
    exact = {m.stem.lower(): m for m in mask_files}  # an image called x_gt.png has mask x_gt.png
    masks = {}
    for m in mask_files:
        masks.setdefault(mask_key(m), m)
    if only is not None:
        images = [p for p in images if p.stem.lower() in only]
    pairs, unpaired = [], []
    used: set[Path] = set()
    for img in images:
        key = img.stem.lower()
        mask = exact.get(key) or masks.get(key)
        if mask is not None:
            pairs.append((img, mask))
            used.add(mask)
        else:
            unpaired.append(img)
    leftovers = [] if only is not None else [m for m in mask_files if m not in used]
    return Pairing(pairs, unpaired, leftovers, layout)
