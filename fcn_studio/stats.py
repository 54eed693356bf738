"""Per-class pixel statistics of a label map (legend shares, CSV export)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcn_studio.fileio import atomic_path
from fcn_studio.labels import LabelSet


@dataclass(frozen=True)
class ClassStat:
    class_id: int
    name: str
    color: tuple[int, int, int]
    pixels: int
    share: float  # of all pixels in the image


def class_stats(labels: np.ndarray, label_set: LabelSet) -> list[ClassStat]:
    """The classes present in ``labels``, most frequent first."""
    counts = np.bincount(labels.ravel(), minlength=label_set.num_classes)
    total = max(int(labels.size), 1)
    palette = label_set.palette()
    rows = []
    for cid in np.flatnonzero(counts):
        name = label_set.classes[cid] if cid < label_set.num_classes else f"label {cid}"
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
