"""Finding image/mask pairs in the folder layouts people actually have."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.errors import FCNStudioError
from fcn_studio.images import is_image_file

MASK_SUFFIXES = ("_mask", "-mask", "_masks", "_label", "_labels", "_gt", "_seg", "_segmentation")
_IMAGE_DIRS = ("JPEGImages", "images", "image", "imgs", "img", "train", "val", "test")
_MASK_DIRS = ("SegmentationClass", "masks", "mask", "labels", "label", "annotations", "gt", "train_masks", "val_masks")


@dataclass
class Pairing:
    pairs: list[tuple[Path, Path]]
    unpaired_images: list[Path] = field(default_factory=list)
    unpaired_masks: list[Path] = field(default_factory=list)
    layout: str = ""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith("."))


def _mask_key(path: Path) -> str:
    stem = path.stem.lower()
    for suffix in MASK_SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def pair_by_stem(image_dir: Path, mask_dir: Path, layout: str, only: set[str] | None = None) -> Pairing:
    """Match files by stem, case-insensitively, allowing a mask suffix such as ``_mask``."""
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise FCNStudioError(f"{folder}: no such folder")
    images = _files(image_dir)
    masks = {}
    for m in _files(mask_dir):
        masks.setdefault(_mask_key(m), m)
    if only is not None:
        images = [p for p in images if p.stem.lower() in only]
    pairs, unpaired = [], []
    used = set()
    for img in images:
        key = img.stem.lower()
        if key in masks:
            pairs.append((img, masks[key]))
            used.add(key)
        else:
            unpaired.append(img)
    leftovers = [] if only is not None else [m for k, m in masks.items() if k not in used]
    return Pairing(pairs, unpaired, leftovers, layout)


def _child(root: Path, names: tuple[str, ...]) -> Path | None:
    lower = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def find_pairs(root: str | Path, split: str | None = None) -> Pairing:
    """Pairs under ``root`` in the VOC, Carvana or images/ + masks/ layout.

    For VOC, ``split`` ("train", "val") selects ImageSets/Segmentation/<split>.txt when it
    exists; otherwise every image with a mask is used.
    """
    root = Path(root)
    if not root.is_dir():
        raise FCNStudioError(f"{root}: not a folder; give the dataset folder")
    voc = root / "VOC2012" if (root / "VOC2012").is_dir() else root
    if (voc / "JPEGImages").is_dir() and (voc / "SegmentationClass").is_dir():
        only = None
        listing = voc / "ImageSets" / "Segmentation" / f"{split}.txt"
        if split and listing.is_file():
            only = {line.strip().lower() for line in listing.read_text().split() if line.strip()}
        return pair_by_stem(voc / "JPEGImages", voc / "SegmentationClass", "voc", only)
    if (root / "train").is_dir() and (root / "train_masks").is_dir():
        return pair_by_stem(root / "train", root / "train_masks", "carvana")
    image_dir = _child(root, _IMAGE_DIRS)
    mask_dir = _child(root, _MASK_DIRS)
    if image_dir and mask_dir:
        return pair_by_stem(image_dir, mask_dir, f"{image_dir.name}/ + {mask_dir.name}/")
    raise FCNStudioError(
        f"{root}: no dataset layout found; expected JPEGImages/ + SegmentationClass/ (VOC), "
        "train/ + train_masks/ (Carvana) or images/ + masks/"
    )
