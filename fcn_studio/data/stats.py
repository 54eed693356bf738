"""Per-class pixel statistics of a label map (legend shares, CSV export)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcn_studio.data.labels import LabelSet
from fcn_studio.files.fileio import atomic_path


@dataclass(frozen=True)
class ClassStat:
    class_id: int
    name: str
    color: tuple[int, int, int]
    pixels: int
    share: float  # of all pixels in the image


def label_counts(labels: np.ndarray) -> np.ndarray:
    """Pixels per label value (256 bins), exact.

    OpenCV's histogram is ~50x faster than np.bincount on large uint8 maps (80 MP: 30 ms
    instead of 1.7 s); it counts in float32, so it runs on row chunks of under 2**24
    pixels, where float32 counts are exact, and the chunks are summed as integers.
    """
    if labels.dtype != np.uint8:
        return np.bincount(labels.ravel(), minlength=256)
    import cv2

    labels = np.ascontiguousarray(labels)
    rows = max(1, (1 << 24) // max(labels.shape[1], 1) - 1)
    counts = np.zeros(256, dtype=np.int64)
    for top in range(0, labels.shape[0], rows):
        chunk = labels[top : top + rows]
        counts += cv2.calcHist([chunk], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    return counts


def class_stats(labels: np.ndarray, label_set: LabelSet) -> list[ClassStat]:
    """The classes present in ``labels``, most frequent first."""
    counts = label_counts(labels)
    total = max(int(labels.size), 1)
    palette = label_set.palette()
    rows = []
    for cid in np.flatnonzero(counts):
        name = label_set.name_of(int(cid))
        color = tuple(int(v) for v in palette[cid])
        rows.append(ClassStat(int(cid), name, color, int(counts[cid]), counts[cid] / total))  # type: ignore[arg-type]
    return sorted(rows, key=lambda r: -r.pixels)


def write_stats_csv(rows: list[ClassStat], path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["class_id", "class_name", "pixels", "percent", "color_hex"])
        for r in rows:
            writer.writerow(
                [r.class_id, r.name, r.pixels, f"{100 * r.share:.4f}", "#{:02x}{:02x}{:02x}".format(*r.color)]
            )
    return path
