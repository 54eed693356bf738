"""Reading images as people have them, and writing masks as the field expects them."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fcn_studio.data.labels import LabelSet
from fcn_studio.data.pixels import MAX_PIXELS, available_memory, check_pixels, format_bytes  # noqa: F401 (re-exported)
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".jfif"}
)
# Photos of 100+ megapixels are legitimate here; PIL's default guard stops at ~89 MP.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow's warnings (DecompressionBombWarning from MAX_IMAGE_PIXELS up to twice that,
# "Corrupt EXIF data" ...) are raw library text in the middle of a run: what matters is said
# here in one line (whether an image fits in memory: _check_decode_memory; a damaged file:
# load_image's message).
warnings.filterwarnings("ignore", module=r"PIL\.")
_PIXEL_LIMIT_MP = 2 * Image.MAX_IMAGE_PIXELS // 1_000_000
# From this size on, lossless 8-bit files are decoded by OpenCV straight into the final
# (H, W, 3) array: Pillow holds RGB as 4 bytes a pixel and numpy then copies it (7 bytes a
# pixel at the peak, 2.5 GB for 19000 x 19000) where OpenCV needs 3.
_DIRECT_DECODE_PIXELS = 32_000_000
_DIRECT_DECODE_FORMATS = frozenset({"PNG", "BMP"})
_DIRECT_DECODE_MODES = frozenset({"RGB", "RGBA", "L", "LA", "P"})


CALIBRATION_IMAGES = 8  # the fast mode's: half calibrate the int8 model, half check its agreement
T = TypeVar("T")


def calibration_sample(paths: Sequence[T], n: int = CALIBRATION_IMAGES) -> list[T]:
    """A few of ``paths``, spread evenly over the list (a folder's first images are often
    alike; the fast mode calibrates on these)."""
    step = max(1, len(paths) // n)
    return list(paths[::step][:n])


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def to_rgb8(image: Image.Image) -> np.ndarray:
    """Any PIL image -> ``(H, W, 3)`` uint8 RGB, as it is displayed.

    EXIF orientation is applied; 16- and 32-bit images are scaled to 8 bits rather than
    clipped; palette, grayscale, CMYK and alpha images are converted (alpha is dropped, as
    ``Image.convert("RGB")`` does).
    """
    if _orientation(image) != 1:  # (exif_transpose would otherwise still copy the image)
        image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        if image.mode == "F" and arr.max(initial=0) <= 1.0:
            top = 1.0
        gray = np.clip(np.rint(arr * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """The displayed ``(height, width)`` of an image file, from its header alone."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            return _displayed_size(img)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return load_image(path).shape[:2]  # raises the usual message, or reads what OpenCV can


def load_image(path: str | os.PathLike[str], *, max_size: int | None = None) -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` uint8 RGB. Raises FCNStudioError naming the file.

    ``max_size`` says only a reduced copy is needed: JPEGs are then decoded reduced (draft
    mode: 1/2, 1/4 or 1/8 scale, at least ``max_size`` on the longer side), which saves
    most of the time and memory of big photos; other formats are decoded at full size.
    An image that cannot fit in the free memory is refused with the figures.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":  # a labelme file whose image is embedded in it
        from fcn_studio.data.formats.labelme import load_labelme_image

        return to_rgb8(load_labelme_image(path))
    try:
        with Image.open(path) as img:
            if max_size and img.format == "JPEG" and max(img.size) > max_size:
                scale = max_size / max(img.size)
                img.draft("RGB", (max(1, int(img.size[0] * scale + 1)), max(1, int(img.size[1] * scale + 1))))
            direct = _decodes_directly(img)
            _check_decode_memory(path, img.size, 3 if direct else 7)
            if direct:
                rgb = _load_with_opencv(path, color=True)
                if rgb is None or rgb.shape[:2] != img.size[::-1]:
                    raise OSError("OpenCV could not decode it")
            else:
                img.load()
                rgb = to_rgb8(img)
            return rgb
    except FCNStudioError:
        raise
    except FileNotFoundError:
        raise FCNStudioError("{path}: no such file", path=str(path)) from None
    except IsADirectoryError:
        raise FCNStudioError("{path}: is a folder, not an image", path=str(path)) from None
    except UnidentifiedImageError:
        rgb = _load_with_opencv(path)  # e.g. float or multi-sample TIFFs Pillow cannot open
        if rgb is not None:
            return rgb
        raise FCNStudioError(
            "{path}: not an image file, or a format that cannot be read (HEIC/AVIF photos: convert them to JPEG or "
            "PNG first)"
            if path.suffix.lower() in (".heic", ".heif", ".avif")
            else "{path}: not an image file, or a format that cannot be read",
            path=str(path),
        ) from None
    except Image.DecompressionBombError:
        raise FCNStudioError(
            "{path}: the image is too large to open (over {limit} megapixels)", path=str(path), limit=_PIXEL_LIMIT_MP
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise FCNStudioError(
            "{path}: the image file is damaged or truncated ({error})", path=str(path), error=exc
        ) from None


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1 = as stored), without decoding a PNG's pixels (Pillow's
    getexif() decodes a whole PNG to look for an eXIf chunk after the image data)."""
    if img.format == "PNG":
        raw = img.info.get("exif")
        if not raw:
            return 1
        exif = Image.Exif()
        exif.load(raw)
        return int(exif.get(0x0112, 1))
    return int(img.getexif().get(0x0112, 1))


def _displayed_size(img: Image.Image) -> tuple[int, int]:
    """``(height, width)`` after EXIF orientation, without decoding the pixels."""
    w, h = img.size
    return (w, h) if _orientation(img) in (5, 6, 7, 8) else (h, w)


def _decodes_directly(img: Image.Image) -> bool:
    w, h = img.size
    return (
        w * h >= _DIRECT_DECODE_PIXELS
        and img.format in _DIRECT_DECODE_FORMATS
        and img.mode in _DIRECT_DECODE_MODES
        and _orientation(img) == 1
    )


def _check_decode_memory(path: Path, size: tuple[int, int], bytes_per_pixel: int) -> None:
    need = size[0] * size[1] * bytes_per_pixel
    free = available_memory()
    if free is not None and need > free:
        raise FCNStudioError(
            "{path}: opening this {width}x{height} image needs about {need} of memory but only {free} is free; close other programs, or downscale or tile the image first",
            path=path,
            width=size[0],
            height=size[1],
            need=format_bytes(need),
            free=format_bytes(free),
        )


def _load_with_opencv(path: Path, color: bool = False) -> np.ndarray | None:
    """The image as OpenCV decodes it, or None when it cannot (its own messages stay quiet:
    the caller says in one line what is wrong with the file)."""
    import cv2

    _quiet_opencv(cv2)
    try:
        return _decode_with_opencv(cv2, path, color)
    except cv2.error:  # e.g. a header claiming more pixels than OpenCV allows
        return None


def _quiet_opencv(cv2) -> None:
    """OpenCV logs "[ERROR:0@...] imdecode_ ..." lines to stderr for each file it cannot
    decode, in the middle of batch output."""
    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def _decode_with_opencv(cv2, path: Path, color: bool) -> np.ndarray | None:
    if color:  # 8-bit file, decoded straight into (H, W, 3)
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
        # imread peaks at the output's size, imdecode at twice that; imread cannot open
        # non-ASCII paths on Windows
        if os.name != "nt" or str(path).isascii():
            arr = cv2.imread(str(path), flags)
        else:
            arr = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
        return None if arr is None else cv2.cvtColor(arr, cv2.COLOR_BGR2RGB, dst=arr)
    data = np.fromfile(path, dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if arr is None:
        return None
    if arr.ndim == 3 and arr.shape[2] >= 3:
        arr = arr[:, :, [2, 1, 0]] if arr.shape[2] == 3 else arr[:, :, [2, 1, 0, 3]]  # BGR(A) -> RGB(A)
    return _array_to_rgb8(arr)


def as_rgb8(image: object) -> np.ndarray:
    """A path, PIL image or numpy array (gray, RGB, RGBA; any integer or float dtype) -> RGB uint8."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    if isinstance(image, Image.Image):
        return to_rgb8(image)
    if isinstance(image, np.ndarray):
        return _array_to_rgb8(image)
    raise TypeError(f"expected a path, PIL image or numpy array, got {type(image).__name__}")


def _array_to_rgb8(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise FCNStudioError("expected an image array of shape (H, W[, 1|3|4]), got {shape}", shape=arr.shape)
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating):
            top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        else:
            top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        arr = np.clip(np.rint(arr.astype(np.float64) * (255.0 / top)), 0, 255).astype(np.uint8)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


def mask_to_palette_image(mask: np.ndarray, labels: LabelSet) -> Image.Image:
    """A ``P``-mode image: pixel value = class id, palette = the label set's colours."""
    img = Image.fromarray(np.ascontiguousarray(mask.astype(np.uint8)), mode="P")
    img.putpalette(labels.palette().reshape(-1).tolist())
    return img


def save_mask(mask: np.ndarray, labels: LabelSet, path: str | os.PathLike[str]) -> Path:
    """Save a class-id mask as a palette PNG (VOC convention), atomically."""
    path = Path(path)
    try:
        with atomic_path(path, suffix=".png") as tmp:
            mask_to_palette_image(mask, labels).save(tmp, format="PNG")
    except OSError as exc:
        raise FCNStudioError("could not write {path}: {error}", path=str(path), error=exc.strerror or exc) from None
    return path


def colorize(mask: np.ndarray, labels: LabelSet) -> np.ndarray:
    """``(H, W)`` class ids -> ``(H, W, 3)`` uint8 colours (one palette lookup)."""
    return labels.palette()[mask]


def blend_overlay(image: np.ndarray, mask: np.ndarray, labels: LabelSet, opacity: float = 0.5) -> np.ndarray:
    """The image with its mask's colours blended on top (ignore pixels left untouched)."""
    import cv2

    color = colorize(mask, labels)
    out = cv2.addWeighted(image, 1.0 - opacity, color, opacity, 0.0)
    keep = mask == 255
    out[keep] = image[keep]
    return out


def save_rgb(image: np.ndarray, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            Image.fromarray(image).save(tmp, format=Image.registered_extensions().get(path.suffix.lower(), "PNG"))
    except OSError as exc:
        raise FCNStudioError("could not write {path}: {error}", path=str(path), error=exc.strerror or exc) from None
    return path
