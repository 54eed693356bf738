"""COCO instance annotations as semantic masks, and masks written as COCO.

Reading: every annotation of an image (polygons, RLE or uncompressed RLE, decoded by
pycocotools) is painted with its category's class, later annotations over earlier ones;
unannotated pixels are background (class 0). Category ids, which COCO numbers as it likes
(1, 3, 90 ...), become the dense class ids 1..K in id order; a category called
"background" or "_background_" is class 0 itself.

Writing: one annotation per class and image, as compressed RLE (exact) or as polygons
(outlines traced so that pycocotools draws them back as the same pixels; holes, which COCO
polygons cannot hold, and any other pixel that differs are counted and reported). COCO has no "unlabelled": 255 pixels are left unannotated.
"""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcn_studio.errors import FCNStudioError
from fcn_studio.files.identity import FileIdentity

BACKGROUND_NAMES = ("background", "_background_")
IGNORE = 255


@dataclass(frozen=True)
class CocoFile:
    path: Path
    names: tuple[str, ...]  # dense class names, 0 = background
    class_of: dict[int, int]  # category id -> dense class id
    images: dict[int, dict]  # image id -> its COCO record
    annotations: dict[int, list[dict]]  # image id -> its annotations, in file order
    orphan_image_ids: tuple[int, ...] = ()  # image ids annotations name that no image record has


def is_coco_json(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return '"images"' in head or '"categories"' in head or '"annotations"' in head


def read_coco(path: str | Path) -> CocoFile:
    path = Path(path)
    return _read_coco(path, FileIdentity.of(path))


@functools.lru_cache(maxsize=4)  # keyed by the file's identity: a changed file is read again
def _read_coco(path: Path, _identity: FileIdentity) -> CocoFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FCNStudioError("{path}: unreadable COCO JSON ({error})", path=path, error=exc) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "categories")):
        raise FCNStudioError("{path}: not a COCO file (it needs lists of images and categories)", path=path)
    try:
        categories = sorted(data["categories"], key=lambda c: int(c["id"]))
        background = [c for c in categories if str(c.get("name", "")).lower() in BACKGROUND_NAMES]
        names, class_of = ["background"], {}
        for cat in categories:
            if cat in background[:1]:
                class_of[int(cat["id"])] = 0
                names[0] = str(cat["name"])
                continue
            class_of[int(cat["id"])] = len(names)
            names.append(str(cat.get("name", f"category {cat['id']}")))
        images = _images_by_id(path, data["images"])
        annotations: dict[int, list[dict]] = {i: [] for i in images}
        orphans: list[int] = []  # annotations of an image id no record has: said, not dropped silently
        for ann in data.get("annotations", []):
            if int(ann["image_id"]) in annotations:
                annotations[int(ann["image_id"])].append(ann)
            else:
                orphans.append(int(ann["image_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise FCNStudioError(
            "{path}: a COCO record lacks a field or has a bad value ({error})", path=path, error=exc
        ) from None
    if len(names) > IGNORE:
        raise FCNStudioError("{path}: {n} categories, but a mask holds at most 255 classes", path=path, n=len(names))
    return CocoFile(path, tuple(names), class_of, images, annotations, tuple(sorted(set(orphans))))


def _images_by_id(path: Path, records: list) -> dict[int, dict]:
    """Image records by id; an id given twice would paint one image's annotations on the
    other (H18): refused, naming both."""
    images: dict[int, dict] = {}
    for record in records:
        image_id = int(record["id"])
        if image_id in images:
            raise FCNStudioError(
                "{path}: image id {image_id} is given to {first} and {second}; each image needs its own id (their "
                "annotations cannot be told apart)",
                path=path,
                image_id=image_id,
                first=images[image_id].get("file_name"),
                second=record.get("file_name"),
            )
        images[image_id] = record
    return images


def image_file(coco: CocoFile, image_id: int, root: Path) -> Path | None:
    """Where the image of a record is: beside the JSON, in images/ there, or under ``root``."""
    name = str(coco.images[image_id].get("file_name", ""))
    for base in (coco.path.parent, coco.path.parent / "images", root, root / "images", coco.path.parent.parent):
        candidate = base / name
        if name and candidate.is_file():
            return candidate
        candidate = base / Path(name).name
        if name and candidate.is_file():
            return candidate
    return None


def semantic_mask(coco: CocoFile, image_id: int) -> np.ndarray:
    """The (H, W) uint8 class-id mask of one image."""
    from pycocotools import mask as cocomask

    record = coco.images.get(image_id)
    if record is None:
        raise FCNStudioError("{path}: no image with id {image_id}", path=coco.path, image_id=image_id)
    from fcn_studio.data.pixels import check_pixels

    h, w = int(record["height"]), int(record["width"])
    check_pixels(f"{coco.path} (image {image_id})", w, h)  # before an array of that size is made
    out = np.zeros((h, w), dtype=np.uint8)
    for ann in coco.annotations.get(image_id, []):
        cls = coco.class_of.get(int(ann.get("category_id", -1)))
        if cls is None:
            raise FCNStudioError(
                "{path}: annotation {id} has category {category_id}, not among the categories",
                path=coco.path,
                id=ann.get("id"),
                category_id=ann.get("category_id"),
            )
        try:
            out[decode_segmentation(cocomask, ann["segmentation"], h, w)] = cls
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise FCNStudioError(
                "{path}: annotation {annotation_id}: unreadable segmentation ({error})",
                path=coco.path,
                annotation_id=ann.get("id"),
                error=str(exc),
            ) from None
    return out


_COORDINATE_LIMIT = 1e7  # pixels: beyond any image; pycocotools' C code is not given such values


def decode_segmentation(cocomask, segmentation, h: int, w: int) -> np.ndarray:
    """One annotation's pixels; what pycocotools would crash on (a NaN coordinate segfaults
    it, H21; RLE counts past 2**32 overflow, H13) is refused first with a ValueError."""
    if isinstance(segmentation, list):  # polygons
        polygons = [_checked_polygon(p) for p in segmentation if len(p) >= 6]
        if not polygons:
            return np.zeros((h, w), dtype=bool)
        rle = cocomask.merge(cocomask.frPyObjects(polygons, h, w))
    elif isinstance(segmentation.get("counts"), list):  # uncompressed RLE
        _check_rle(segmentation, h, w)
        rle = cocomask.frPyObjects(segmentation, h, w)
    else:
        counts = segmentation["counts"]
        if [int(v) for v in segmentation["size"]] != [h, w]:
            raise ValueError(f"RLE size {segmentation['size']} is not the image's {h}x{w}")
        rle = {"size": segmentation["size"], "counts": counts.encode() if isinstance(counts, str) else counts}
    with warnings.catch_warnings():  # pycocotools 2.0.x under numpy 2: a DeprecationWarning per call
        warnings.simplefilter("ignore", DeprecationWarning)
        return cocomask.decode(rle).astype(bool)


def _checked_polygon(polygon) -> list[float]:
    values = [float(v) for v in polygon]
    bad = next((v for v in values if not (abs(v) < _COORDINATE_LIMIT)), None)  # NaN fails the test too
    if bad is not None:
        raise ValueError(f"polygon coordinate {bad} is not a finite number within the image")
    return values


def _check_rle(segmentation: dict, h: int, w: int) -> None:
    counts = segmentation["counts"]
    if [int(v) for v in segmentation.get("size", [h, w])] != [h, w]:
        raise ValueError(f"RLE size {segmentation.get('size')} is not the image's {h}x{w}")
    if not all(isinstance(c, int) and 0 <= c <= h * w for c in counts) or sum(counts) != h * w:
        raise ValueError(f"RLE counts must be whole numbers adding up to the image's {h * w} pixels")


# --------------------------------------------------------------------------- writing


class CocoWriter:
    """Collects images and their masks, then writes one COCO file."""

    def __init__(self, names: list[str], style: str = "rle") -> None:
        if style not in ("rle", "polygon"):
            raise FCNStudioError("unknown COCO style {style!r}: choose rle or polygon", style=style)
        self.names, self.style = list(names), style
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.pixels_lost = 0
        self.unlabelled = 0

    def add(self, file_name: str, mask: np.ndarray, image_id: int | None = None) -> None:
        """``image_id``: given by sharded runs (the image's place among all shards' images),
        so that their files never share an id; annotation ids follow from it."""
        from pycocotools import mask as cocomask

        h, w = mask.shape
        image_id = len(self.images) + 1 if image_id is None else int(image_id)
        self.images.append({"id": image_id, "file_name": file_name, "height": h, "width": w})
        self.unlabelled += int(np.count_nonzero(mask == IGNORE))
        for value in np.unique(mask).tolist():
            if value in (0, IGNORE):
                continue  # background is unannotated in COCO; it has no "unlabelled"
            region = np.asfortranarray((mask == value).astype(np.uint8))
            rle = cocomask.encode(region)
            segmentation = {"size": [h, w], "counts": rle["counts"].decode("ascii")}
            area = float(cocomask.area(rle))
            if self.style == "polygon":
                segmentation = _polygons(region)
                drawn = decode_segmentation(cocomask, segmentation, h, w)
                self.pixels_lost += int(np.count_nonzero(drawn != region.astype(bool)))
                area = sum(polygon_area(p) for p in segmentation)  # the polygons', as COCO's tools compute it
            self.annotations.append(
                {
                    "id": image_id * 256 + int(value),  # one annotation per class and image: unique
                    "image_id": image_id,
                    "category_id": int(value),
                    "segmentation": segmentation,
                    "area": area if self.style == "polygon" else int(area),
                    "bbox": [float(v) for v in cocomask.toBbox(rle)],
                    "iscrowd": 0,
                }
            )

    def document(self) -> dict:
        used = max((int(a["category_id"]) for a in self.annotations), default=0)
        count = max(len(self.names), used + 1)
        names = self.names + [f"class {i}" for i in range(len(self.names), count)]
        return {
            "info": {"description": "written by FCN Studio"},
            "images": self.images,
            "annotations": self.annotations,
            # category id = class id, so reading the file back gives the same ids
            "categories": [{"id": i, "name": names[i], "supercategory": ""} for i in range(1, count)],
        }

    def write(self, path: Path) -> Path:
        from fcn_studio.files.fileio import atomic_path, write_error

        try:
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(self.document()), encoding="utf-8")
        except OSError as exc:
            raise FCNStudioError(write_error(path, exc)) from None
        return path


def polygon_area(flat: list[float]) -> float:
    """The area a COCO polygon (x0, y0, x1, y1 ...) encloses (the shoelace formula)."""
    xy = np.asarray(flat, dtype=np.float64).reshape(-1, 2)
    x, y = xy[:, 0], xy[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _polygons(region: np.ndarray) -> list[list[float]]:
    """Outlines pycocotools draws back as the same pixels: traced on the region at twice the
    size, so a polygon runs a quarter pixel inside the edge, not through the pixel centres
    (which would lose the edge pixels). Holes are not written (merged polygons fill them)."""
    import cv2

    big = cv2.resize(region, (region.shape[1] * 2, region.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [((c.reshape(-1, 2) + 0.5) / 2).astype(float).ravel().tolist() for c in contours if len(c) >= 3]
