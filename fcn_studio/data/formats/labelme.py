"""labelme JSON: shapes drawn into class-id masks as labelme draws them, and masks written
back as labelme polygons.

Reading follows labelme's own ``shapes_to_label`` (PIL drawing of polygon, rectangle,
circle, line, line strip and point shapes; later shapes over earlier ones; unshaped pixels
are ``_background_`` = 0, ``__ignore__`` = 255), so a mask read here equals the PNG
``labelme2voc`` writes. Writing traces each connected region's outline; labelme polygons
have no holes, so a hole is written as a later, smaller shape of what fills it (a
``_background_`` shape for background, ``__ignore__`` for unlabelled pixels), and whatever
the polygons still cannot hold is counted and reported.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fcn_studio.data.formats.class_lists import LABELME_BACKGROUND, LABELME_IGNORE
from fcn_studio.errors import FCNStudioError

IGNORE = 255
LINE_WIDTH = 10  # labelme's shape_to_mask defaults
POINT_SIZE = 5
LABELME_VERSION = "5.5.0"


@dataclass
class LabelmeFile:
    path: Path
    shapes: list[dict]
    height: int
    width: int
    image_path: str | None
    image_data: str | None

    @property
    def labels(self) -> list[str]:
        return [str(s.get("label", "")) for s in self.shapes]

    def image_file(self) -> Path | None:
        """The image beside the JSON (labelme's imagePath is relative to the JSON)."""
        if not self.image_path:
            return None
        candidate = self.path.parent / self.image_path.replace("\\", "/")
        return candidate if candidate.is_file() else None


def is_labelme_json(path: Path) -> bool:
    """A .json file with labelme's "shapes" list (read once, cheaply enough for a folder)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("shapes"), list)


def read_labelme(path: str | Path) -> LabelmeFile:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FCNStudioError("{path}: unreadable labelme JSON ({error})", path=path, error=exc) from None
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
        raise FCNStudioError("{path}: not a labelme file (no list of shapes)", path=path)
    height, width = data.get("imageHeight"), data.get("imageWidth")
    image_data = data.get("imageData") or None
    if not (isinstance(height, int) and isinstance(width, int)) or height <= 0 or width <= 0:
        if image_data:
            width, height = decode_image_data(image_data, path, header_only=True).size
        else:
            raise FCNStudioError(
                "{path}: no imageHeight/imageWidth and no imageData; open and save it in labelme", path=path
            )
    from fcn_studio.data.pixels import check_pixels

    check_pixels(path, width, height)  # its mask is made at this size
    return LabelmeFile(path, data["shapes"], height, width, data.get("imagePath"), image_data)


EMBEDDED_LIMIT_MP = 100  # an image carried inside a JSON file; bigger ones belong beside it


def decode_image_data(image_data: str, path: Path, header_only: bool = False) -> Image.Image:
    """labelme's embedded image (base64 of the image file's bytes), its size checked from
    its header before any pixel is decoded."""
    from fcn_studio.data.pixels import check_pixels

    try:
        image = Image.open(io.BytesIO(base64.b64decode(image_data)))
        check_pixels(path, *image.size, limit_mp=EMBEDDED_LIMIT_MP)
        if not header_only:
            image.load()
        return image
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FCNStudioError(
            "{path}: the embedded imageData is not an image ({error})", path=path, error=str(exc)
        ) from None


def class_ids(names: list[str]) -> dict[str, int]:
    """labelme label -> class id: the class list's order, ``__ignore__`` -> 255."""
    ids = {name: i for i, name in enumerate(names)}
    ids[LABELME_IGNORE] = IGNORE
    ids.setdefault(LABELME_BACKGROUND, 0)
    return ids


def default_class_names(files: list[Path]) -> list[str]:
    """Without labels.txt: ``_background_`` then every label used, sorted (the same ids on
    every run and for every file of the folder)."""
    used: set[str] = set()
    for path in files:
        used.update(read_labelme(path).labels)
    used -= {LABELME_BACKGROUND, LABELME_IGNORE, ""}
    return [LABELME_BACKGROUND, *sorted(used)]


def rasterise(doc: LabelmeFile, ids: dict[str, int]) -> np.ndarray:
    """The (H, W) uint8 class-id mask labelme2voc would write for ``doc``."""
    mask = np.zeros((doc.height, doc.width), dtype=np.uint8)
    for number, shape in enumerate(doc.shapes, 1):
        label = str(shape.get("label", ""))
        if label not in ids:
            known = ", ".join(n for n in ids if n != LABELME_IGNORE)
            raise FCNStudioError(
                "{name}: shape {number} has the label {label!r}, not in the class list ({known}); add it to labels.txt",
                name=doc.path.name,
                number=number,
                label=label,
                known=known,
            )
        mask[shape_mask(doc, shape, number)] = ids[label]
    return mask


def shape_mask(doc: LabelmeFile, shape: dict, number: int) -> np.ndarray:
    """One shape's pixels, drawn exactly as labelme's ``shape_to_mask`` draws them."""
    kind = shape.get("shape_type") or "polygon"
    try:
        xy = [(float(p[0]), float(p[1])) for p in shape.get("points", [])]
    except (TypeError, ValueError, IndexError):
        raise FCNStudioError(
            "{name}: shape {number} has points that are not [x, y] pairs", name=doc.path.name, number=number
        ) from None
    if not all(abs(v) < 1e7 for point in xy for v in point):  # NaN fails this too
        raise FCNStudioError(
            "{name}: shape {number} has a coordinate that is not a finite number within the image; fix or redraw "
            "the shape in labelme",
            name=doc.path.name,
            number=number,
        )
    if kind == "mask":
        return _mask_shape(doc, shape, xy, number)
    needed = {"circle": 2, "rectangle": 2, "line": 2, "point": 1, "oriented_rectangle": 4}.get(kind)
    if (needed and len(xy) != needed) or (kind == "polygon" and len(xy) < 3) or (kind == "linestrip" and not xy):
        raise FCNStudioError(
            "{name}: shape {number} ({kind}) has {n} points", name=doc.path.name, number=number, kind=kind, n=len(xy)
        )
    canvas = Image.new("L", (doc.width, doc.height), 0)
    draw = ImageDraw.Draw(canvas)
    if kind == "circle":
        (cx, cy), (px, py) = xy
        d = math.hypot(cx - px, cy - py)
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = xy
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=1, fill=1)
    elif kind in ("line", "linestrip"):
        draw.line(xy=xy, fill=1, width=LINE_WIDTH)
    elif kind == "point":
        cx, cy = xy[0]
        draw.ellipse([cx - POINT_SIZE, cy - POINT_SIZE, cx + POINT_SIZE, cy + POINT_SIZE], outline=1, fill=1)
    elif kind in ("polygon", "oriented_rectangle"):
        draw.polygon(xy=xy, outline=1, fill=1)
    else:
        raise FCNStudioError(
            "{name}: shape {number} is a {kind!r}, which FCN Studio cannot draw (polygon, rectangle, oriented_rectangle, circle, line, linestrip, point and mask are read)",
            name=doc.path.name,
            number=number,
            kind=kind,
        )
    return np.asarray(canvas, dtype=bool)


def _mask_shape(doc: LabelmeFile, shape: dict, xy: list[tuple[float, float]], number: int) -> np.ndarray:
    """labelme's "mask" shape: a base64 PNG over the box its two points span."""
    out = np.zeros((doc.height, doc.width), dtype=bool)
    try:
        (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in xy)
        with Image.open(io.BytesIO(base64.b64decode(shape["mask"]))) as im:
            pixels = np.asarray(im.convert("L")) > 0
        out[y1 : y2 + 1, x1 : x2 + 1] = pixels
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise FCNStudioError(
            "{name}: shape {number} (mask) cannot be read ({error})", name=doc.path.name, number=number, error=exc
        ) from None
    return out


def read_labelme_mask(path: str | Path, names: list[str]) -> np.ndarray:
    return rasterise(read_labelme(path), class_ids(names))


def load_labelme_image(path: str | Path) -> Image.Image:
    """The image a labelme JSON annotates: the file it names, else its embedded imageData."""
    doc = read_labelme(path)
    image_file = doc.image_file()
    if image_file is not None:
        return Image.open(image_file)
    if doc.image_data:
        return decode_image_data(doc.image_data, doc.path)
    raise FCNStudioError(
        "{path}: its image {image_path!r} is not beside it and no imageData is embedded",
        path=doc.path,
        image_path=doc.image_path,
    )


# --------------------------------------------------------------------------- writing


@dataclass
class PolygonShapes:
    shapes: list[dict]
    pixels_lost: int  # pixels that re-drawing the shapes does not give back


def mask_to_shapes(mask: np.ndarray, names: list[str]) -> PolygonShapes:
    """Polygons for every region of ``mask`` (255 written as ``__ignore__``), largest first so
    that the smaller shapes inside (holes included) are drawn over them, as labelme does."""
    import cv2

    found: list[tuple[float, str, list[list[float]]]] = []
    ids: dict[str, int] = {}
    # background around the shapes is labelme's default, unless unlabelled pixels cover it
    background_is_default = not (mask == IGNORE).any()
    for value in np.unique(mask).tolist():
        region = (mask == value).astype(np.uint8)
        # every component's outline, those inside another's hole included (RETR_EXTERNAL would
        # drop them); the outlines of holes themselves are left out
        contours, hierarchy = cv2.findContours(region, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        contours = [c for c, h in zip(contours, hierarchy[0], strict=True) if h[3] < 0] if contours else []
        label = LABELME_IGNORE if value == IGNORE else _name(names, value)
        ids[label] = value
        for contour in contours:
            points = contour.reshape(-1, 2)
            if value == 0 and background_is_default and _touches_border(points, mask.shape):
                continue
            while len(points) < 3:  # a one- or two-pixel region: a degenerate polygon draws it
                points = np.concatenate([points, points[-1:]])
            found.append((cv2.contourArea(contour) + len(points), label, points.astype(float).tolist()))
    found.sort(key=lambda item: -item[0])
    shapes = [
        {
            "label": label,
            "points": points,
            "group_id": None,
            "description": "",
            "shape_type": "polygon",
            "flags": {},
            "mask": None,
        }
        for _, label, points in found
    ]
    doc = LabelmeFile(Path("written.json"), shapes, mask.shape[0], mask.shape[1], None, None)
    redrawn = rasterise(doc, ids)
    return PolygonShapes(shapes, int(np.count_nonzero(redrawn != mask)))


def _name(names: list[str], value: int) -> str:
    if value == 0 and (not names or names[0] in ("background", LABELME_BACKGROUND)):
        return LABELME_BACKGROUND
    return names[value] if value < len(names) else f"class {value}"


def _touches_border(points: np.ndarray, shape: tuple[int, int]) -> bool:
    h, w = shape
    return bool(
        (points[:, 0] == 0).any()
        or (points[:, 1] == 0).any()
        or (points[:, 0] == w - 1).any()
        or (points[:, 1] == h - 1).any()
    )


def labelme_document(shapes: list[dict], image: Path, json_path: Path, size: tuple[int, int]) -> dict:
    """A labelme file for ``image`` (referenced by a path relative to the JSON, not embedded)."""
    width, height = size
    return {
        "version": LABELME_VERSION,
        "flags": {},
        "shapes": shapes,
        "imagePath": os.path.relpath(image, json_path.parent).replace(os.sep, "/"),
        "imageData": None,
        "imageHeight": height,
        "imageWidth": width,
    }


def labelme_label_names(names: list[str]) -> list[str]:
    """labels.txt for these classes: ``__ignore__`` first, then class 0 as ``_background_``."""
    first = LABELME_BACKGROUND if names and names[0] in ("background", LABELME_BACKGROUND) else names[0]
    return [LABELME_IGNORE, first, *names[1:]]
