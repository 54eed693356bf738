"""Labels to score: what ``eval --gt`` and ``--pred`` take. A folder of masks, a dataset in
any layout training reads (VOC, a CVAT export, a labelme folder, images/ + masks/ ...) or
a COCO file; each mask is found by its image's name, with the classes that name it
(data/class_source.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcn_studio.data.class_source import ClassSource
from fcn_studio.errors import FCNStudioError

MASK_FOLDER = "mask folder"


@dataclass
class Annotations:
    path: Path
    kind: str  # MASK_FOLDER, "COCO file", or a dataset layout ("voc", "labelme JSON" ...)
    masks: dict[str, Path]  # image name key (pairing.mask_key) -> mask (a file, or <coco.json>/<id>)
    encoding: object  # dataset.MaskEncoding
    classes: ClassSource
    notes: list[str] = field(default_factory=list)

    def read(self, key: str) -> np.ndarray:
        from fcn_studio.data.dataset import read_mask

        return read_mask(self.masks[key], self.encoding)

    def describe(self) -> str:
        return f"{self.path} ({self.kind}, {len(self.masks)} mask(s)); {self.classes.describe()}"


def read_annotations(path: str | Path, option: str, split: str | None = None) -> Annotations:
    """``path`` as labels to score; raises FCNStudioError naming ``option``."""
    path = Path(path)
    if path.is_file():
        from fcn_studio.data.formats.coco import is_coco_json

        if path.suffix.lower() == ".json" and is_coco_json(path):
            return _coco_annotations(path)
        raise FCNStudioError(
            "{path}: {option} takes a folder of masks, a dataset folder (VOC, CVAT, labelme, images/ + masks/) or "
            "a COCO annotations file",
            path=path,
            option=option,
        )
    if not path.is_dir():
        raise FCNStudioError(
            "{path}: no such folder or file; {option} takes a folder of masks or a dataset", path=path, option=option
        )
    dataset = _dataset_annotations(path, split)
    return dataset if dataset is not None else _mask_folder(path)


def _coco_annotations(path: Path) -> Annotations:
    from fcn_studio.data.class_source import resolve_classes
    from fcn_studio.data.dataset import MaskEncoding
    from fcn_studio.data.formats.coco import read_coco

    coco = read_coco(path)
    masks: dict[str, Path] = {}
    from fcn_studio.data.pairing import mask_key

    for image_id in sorted(coco.images):
        masks.setdefault(mask_key(Path(str(coco.images[image_id].get("file_name", "")))), path / str(image_id))
    classes = resolve_classes(path.parent, coco_file=path)
    return Annotations(path, "COCO file", masks, MaskEncoding("coco", names=list(coco.names)), classes)


def _dataset_annotations(root: Path, split: str | None) -> Annotations | None:
    """A folder in one of the dataset layouts (None: it is not one: a plain mask folder)."""
    from fcn_studio.data.class_source import classes_of_pairing
    from fcn_studio.data.dataset import find_pairs, folder_encoding

    try:
        pairing = find_pairs(root, split)
    except FCNStudioError as exc:
        if "no dataset layout found" in str(exc):
            return None
        raise
    if not pairing.pairs:
        return None
    from fcn_studio.data.pairing import mask_key

    masks: dict[str, Path] = {}
    for image, mask in pairing.pairs:
        masks.setdefault(mask_key(image), mask)
    encoding = folder_encoding(pairing.pairs[0][1].parent, [m for _, m in pairing.pairs])
    return Annotations(root, pairing.layout, masks, encoding, classes_of_pairing(root, pairing), list(pairing.notes))


def _mask_folder(folder: Path) -> Annotations:
    from fcn_studio.data.class_source import resolve_classes
    from fcn_studio.data.dataset import folder_encoding
    from fcn_studio.data.pairing import image_files, mask_key

    files = image_files(folder)
    masks: dict[str, Path] = {}
    for f in files:
        masks.setdefault(mask_key(f), f)
    return Annotations(folder, MASK_FOLDER, masks, folder_encoding(folder, files), resolve_classes(folder))


def dataset_classes(root: str | Path, explicit: list[str] | None = None) -> ClassSource:
    """The classes of the dataset at ``root`` (any layout ``find_pairs`` reads), for Label
    mode and anything that holds a dataset folder rather than its pairs."""
    from fcn_studio.data.class_source import classes_of_pairing, resolve_classes
    from fcn_studio.data.dataset import find_pairs

    root = Path(root)
    try:
        pairing = find_pairs(root)
    except FCNStudioError:
        return resolve_classes(root, explicit=explicit)
    return classes_of_pairing(root, pairing, explicit)


def largest_label(masks) -> int:
    """The largest class id the masks use (255 = ignore aside), -1 if none."""
    best = -1
    for mask in masks:
        values = np.unique(mask)
        values = values[values != 255]
        if values.size:
            best = max(best, int(values.max()))
    return best
