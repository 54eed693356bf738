"""Comparing models on one image: agreement, errors against ground truth, a labelled grid."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fcn_studio.data.images import blend_overlay, is_image_file
from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.data.metrics import ConfusionMatrix

GT_FOLDERS = ("SegmentationClass", "SegmentationClassPNG", "masks", "labels", "gt", "annotations")
GT_SUFFIXES = ("", "_mask", "-mask", "_gt", "_label")


def ground_truth_candidates(image_path: str | Path) -> list[Path]:
    """Masks with the image's stem in a sibling masks/, SegmentationClass/ ... folder, and a
    labelme JSON beside it."""
    image_path = Path(image_path)
    found: list[Path] = []
    for base in (image_path.parent, image_path.parent.parent):
        for folder in GT_FOLDERS:
            d = base / folder
            if not d.is_dir() or d == image_path.parent:
                continue
            for suffix in GT_SUFFIXES:
                for ext in (".png", ".PNG", ".gif", ".bmp", ".tif", ".tiff"):
                    candidate = d / f"{image_path.stem}{suffix}{ext}"
                    if candidate.is_file() and is_image_file(candidate) and candidate not in found:
                        found.append(candidate)
    labelme = image_path.with_suffix(".json")
    if labelme.is_file():
        found.append(labelme)
    return found


def find_ground_truth(image_path: str | Path) -> Path | None:
    """The densest ground truth of the image: a full SegmentationClass/ mask before the
    scribbles Label mode saved in masks/ (fewer labelled pixels score less of the image)."""
    from fcn_studio.data.dataset import read_mask
    from fcn_studio.errors import FCNStudioError

    best, best_fraction = None, -1.0
    for candidate in ground_truth_candidates(image_path):
        try:
            fraction = labelled_fraction(read_mask(candidate))
        except FCNStudioError:
            continue  # unreadable: another candidate, else none
        if fraction > best_fraction:
            best, best_fraction = candidate, fraction
    return best


def labelled_fraction(mask: np.ndarray) -> float:
    """How much of the image a ground truth labels (255 = unlabelled)."""
    return float(np.count_nonzero(mask != IGNORE_INDEX)) / max(mask.size, 1)


def ground_truth_name(path: Path) -> str:
    """The file with its folder (``SegmentationClass/x.png``), so two candidates are told apart."""
    return f"{path.parent.name}/{path.name}"


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels where two label maps give the same class."""
    return float(np.count_nonzero(a == b)) / a.size


def pairwise_agreement(labels: dict[str, np.ndarray]) -> dict[tuple[str, str], float]:
    return {(x, y): agreement(labels[x], labels[y]) for x, y in itertools.combinations(labels, 2)}


def disagreement_mask(label_maps: list[np.ndarray]) -> np.ndarray:
    """True where not every model gives the same class."""
    first = label_maps[0]
    mask = np.zeros(first.shape, dtype=bool)
    for other in label_maps[1:]:
        mask |= other != first
    return mask


def error_mask(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """True where the prediction is wrong; ignore (255) pixels are never errors."""
    return (pred != gt) & (gt != IGNORE_INDEX)


@dataclass
class PaneScore:
    pixel_accuracy: float
    mean_iou: float


def score_against(pred: np.ndarray, gt: np.ndarray, num_classes: int, name: str = "prediction") -> PaneScore:
    cm = ConfusionMatrix(num_classes)
    cm.update(gt, pred, name)
    s = cm.scores()
    return PaneScore(s.pixel_accuracy, s.mean_iou)


# Fonts with CJK glyphs (Debian's fonts-noto-cjk, WenQuanYi, Windows, macOS), for captions
# in the Chinese interface; DejaVu Sans (or Pillow's own) otherwise.
_CJK_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "wqy-microhei.ttc", "msyh.ttc", "PingFang.ttc")


def _font(size: int, text: str = "") -> ImageFont.ImageFont:
    wide = any(ord(ch) > 0x2E7F for ch in text)
    for name in (*(_CJK_FONTS if wide else ()), "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def compose_grid(
    rgb: np.ndarray,
    panes: list[tuple[str, np.ndarray | None, LabelSet | None]],
    opacity: float = 0.6,
    columns: int | None = None,
) -> np.ndarray:
    """Panes side by side (wrapping after ``columns``), each the image with its overlay and
    a caption above it. A pane without labels shows the image with its caption only."""
    h, w = rgb.shape[:2]
    columns = columns or len(panes)
    rows = -(-len(panes) // columns)
    caption = max(22, h // 16)
    font = _font(int(caption * 0.6), "".join(title for title, _, _ in panes))
    pad = 6
    canvas = Image.new("RGB", (columns * (w + pad) + pad, rows * (h + caption + pad) + pad), (32, 32, 36))
    draw = ImageDraw.Draw(canvas)
    for i, (title, labels, label_set) in enumerate(panes):
        r, c = divmod(i, columns)
        x, y = pad + c * (w + pad), pad + r * (h + caption + pad)
        tile = rgb if labels is None or label_set is None else blend_overlay(rgb, labels, label_set, opacity)
        canvas.paste(Image.fromarray(tile), (x, y + caption))
        draw.text((x + 4, y + caption * 0.15), title, fill=(240, 240, 240), font=font)
    return np.asarray(canvas)
