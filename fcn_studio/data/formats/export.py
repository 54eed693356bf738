"""Labels written for other tools: a VOC-layout dataset, one COCO file, labelme JSON files.

Used by ``fcn-studio segment --format`` (masks it predicted) and the app's "Export labels
as..." (a labelled folder). Each writer says what its format could not hold: labelme
polygons that do not give back every pixel, COCO's lack of an "unlabelled" value.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcn_studio.data.formats.coco import CocoWriter
from fcn_studio.data.formats.labelme import labelme_document, labelme_label_names, mask_to_shapes
from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path, write_error
from fcn_studio.messages import Message

FORMATS = ("voc", "coco", "labelme")


@dataclass
class ExportReport:
    out: Path
    images: int = 0
    notes: list[Message] = field(default_factory=list)  # shown in the interface's language


# (image file, its class-id mask with 255 = unlabelled)
Item = tuple[Path, np.ndarray]


def write_json(path: Path, document: dict) -> Path:
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise FCNStudioError(write_error(path, exc)) from None
    return path


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    try:
        with atomic_path(path) as tmp:
            tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise FCNStudioError(write_error(path, exc)) from None
    return path


def labelme_file(image: Path, mask: np.ndarray, labels: LabelSet, target: Path) -> int:
    """``target`` (a .json) with ``mask``'s regions as polygons; returns the pixels lost."""
    shapes = mask_to_shapes(mask, list(labels.classes))
    write_json(target, labelme_document(shapes.shapes, image, target, (mask.shape[1], mask.shape[0])))
    return shapes.pixels_lost


def lost_note(fmt: str | Message, lost: int, total: int, why: str | Message) -> list[Message]:
    if not lost:
        return []
    return [
        Message(
            "{format}: {lost:,} of {total:,} pixels ({percent:.2f} %) not held ({why})",
            format=fmt,
            lost=lost,
            total=total,
            percent=100 * lost / max(total, 1),
            why=why,
        )
    ]


def _fresh_folder(out: Path) -> None:
    """An export goes to a new or empty folder: nothing there is ever overwritten."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FCNStudioError("{out}: not an empty folder; choose a new folder for the export", out=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FCNStudioError("{out}: cannot create the folder ({error})", out=out, error=exc.strerror or exc) from None


def _copy(image: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            shutil.copyfile(image, tmp)
    except OSError as exc:
        raise FCNStudioError(write_error(target, exc)) from None


def export_labels(
    items: list[Item],
    labels: LabelSet,
    out: Path,
    fmt: str,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    coco_style: str = "rle",
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write ``items`` (images with their masks) to ``out`` in ``fmt``; images are copied as
    they are (no re-encoding), masks converted."""
    if fmt not in FORMATS:
        raise FCNStudioError("unknown export format {fmt!r}: choose {formats}", fmt=fmt, formats=", ".join(FORMATS))
    if not items:
        raise FCNStudioError("nothing labelled to export yet; label some images first")
    out = Path(out)
    _fresh_folder(out)
    writer = {"voc": _export_voc, "coco": _export_coco, "labelme": _export_labelme}[fmt]
    report = ExportReport(out)
    writer(items, labels, out, report, progress or (lambda done, total: None), val_fraction, seed, coco_style)
    report.images = len(items)
    return report


def _export_voc(items, labels, out, report, progress, val_fraction, seed, _style) -> None:
    from fcn_studio.data.images import save_mask

    stems = []
    for i, (image, mask) in enumerate(items):
        _copy(image, out / "JPEGImages" / image.name)
        (out / "SegmentationClass").mkdir(exist_ok=True)
        save_mask(mask, labels, out / "SegmentationClass" / f"{image.stem}.png")
        stems.append(image.stem)
        progress(i + 1, len(items))
    write_lines(out / "class_names.txt", labels.classes)
    # CVAT's "Segmentation mask 1.1" import reads the classes and their colours from here
    write_lines(
        out / "labelmap.txt",
        ["# label:color_rgb:parts:actions"]
        + [f"{n}:{r},{g},{b}::" for n, (r, g, b) in zip(labels.classes, labels.colors, strict=True)],
    )
    shuffled = sorted(stems)
    random.Random(seed).shuffle(shuffled)
    n_val = 0 if len(shuffled) < 2 else max(1, round(len(shuffled) * val_fraction))
    sets = out / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    write_lines(sets / "train.txt", sorted(shuffled[n_val:]))
    write_lines(sets / "val.txt", sorted(shuffled[:n_val]))
    write_lines(sets / "trainval.txt", sorted(stems))
    report.notes.append(
        Message(
            "VOC: {train} train and {val} val images in ImageSets/Segmentation/", train=len(stems) - n_val, val=n_val
        )
    )


def _export_coco(items, labels, out, report, progress, _val, _seed, style) -> None:
    writer = CocoWriter(list(labels.classes), style)
    total = 0
    for i, (image, mask) in enumerate(items):
        _copy(image, out / "images" / image.name)
        writer.add(f"images/{image.name}", mask)
        total += mask.size
        progress(i + 1, len(items))
    writer.write(out / "annotations.json")
    report.notes += lost_note(
        Message("COCO polygons"), writer.pixels_lost, total, Message("COCO polygons have no holes; RLE is exact")
    )
    if writer.unlabelled:
        report.notes.append(
            Message(
                "COCO: {n:,} unlabelled pixels left unannotated (COCO has no 'unlabelled': they "
                "read back as background)",
                n=writer.unlabelled,
            )
        )


def _export_labelme(items, labels, out, report, progress, _val, _seed, _style) -> None:
    lost = total = 0
    for i, (image, mask) in enumerate(items):
        _copy(image, out / image.name)
        lost += labelme_file(out / image.name, mask, labels, out / f"{image.stem}.json")
        total += mask.size
        progress(i + 1, len(items))
    write_lines(out / "labels.txt", labelme_label_names(list(labels.classes)))
    report.notes += lost_note(
        "labelme",
        lost,
        total,
        Message(
            "labelme polygons have no holes and trace pixel centres; "
            "holes are written as later shapes, what remains is lost"
        ),
    )
