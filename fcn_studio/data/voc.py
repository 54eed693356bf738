"""The PASCAL VOC layout: its mask folders and its split lists (ImageSets/Segmentation/)."""

from __future__ import annotations

from pathlib import Path

from fcn_studio.data.pairing import Pairing
from fcn_studio.errors import FCNStudioError

VOC_MASK_DIRS = ("SegmentationClass", "SegmentationClassPNG")  # the second: older labelme2voc
KNOWN_SPLITS = ("train", "val", "trainval", "test")


def voc_split(voc: Path, split: str | None) -> tuple[set[str] | None, list[str]]:
    """The image stems of ``split`` (None: all) and a note on what was used."""
    if not split:
        return None, []
    sets = voc / "ImageSets" / "Segmentation"
    listing = sets / f"{split}.txt"
    if listing.is_file():
        try:
            text = listing.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FCNStudioError(
                "{listing}: cannot read the split list ({error})", listing=listing, error=exc
            ) from None
        return {line.strip().lower() for line in text.split() if line.strip()}, []
    defined = sorted(p.stem for p in sets.glob("*.txt")) if sets.is_dir() else []
    if defined or split not in KNOWN_SPLITS:
        offer = (
            f"its splits: {', '.join(defined)}"
            if defined
            else "it defines no splits (no ImageSets/Segmentation/): leave out --split to use every image"
        )
        raise FCNStudioError(
            "{voc}: no split {split!r} (no {listing}); {offer}",
            voc=voc,
            split=split,
            listing=listing.relative_to(voc),
            offer=offer,
        )
    return None, [f"no {listing.relative_to(voc)}: split {split!r} is every image of JPEGImages/ with a mask"]


def voc_notes(voc: Path, masks: Path, pairing: Pairing) -> list[str]:
    """Which mask folder was read: the older SegmentationClassPNG/ is named, and so is the
    folder that matched nothing."""
    if not pairing.pairs:
        return [f"no image in JPEGImages/ has a mask of the same name in {masks.relative_to(voc)}/"]
    return [f"masks from {masks.relative_to(voc)}/"] if masks.name != "SegmentationClass" else []
