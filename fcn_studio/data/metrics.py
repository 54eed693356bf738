"""Segmentation metrics from one confusion matrix over a whole dataset (FCN's score.py)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcn_studio.data.labels import IGNORE_INDEX
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path

CONFUSION_FORMAT = "fcn-studio/confusion-1"


class ConfusionMatrix:
    """Accumulates ``hist[gt, pred]`` over images; ground truth 255 (or >= n) is ignored."""

    def __init__(self, num_classes: int) -> None:
        if num_classes < 1:
            raise ValueError("num_classes must be positive")
        self.num_classes = num_classes
        self.hist = np.zeros((num_classes, num_classes), dtype=np.int64)
        # ground-truth labels >= num_classes (other than 255) per file: counted as ignore,
        # but reported, since they mostly mean a wrong --num-classes or a broken mask
        self.unknown_labels: dict[str, list[int]] = {}
        self.unknown_pixels: dict[str, int] = {}  # how many pixels of each such file

    def update(self, gt: np.ndarray, pred: np.ndarray, name: str = "prediction") -> None:
        if gt.shape != pred.shape:
            raise FCNStudioError(
                "{name}: prediction is {size} (WxH) but ground truth is {size2}",
                name=name,
                size=pred.shape[::-1],
                size2=gt.shape[::-1],
            )
        n = self.num_classes
        gt = gt.astype(np.int64, copy=False).ravel()
        pred = pred.astype(np.int64, copy=False).ravel()
        valid = (gt >= 0) & (gt < n)
        unknown = ~valid & (gt != IGNORE_INDEX)
        if unknown.any():
            self.unknown_labels[name] = np.unique(gt[unknown]).tolist()
            self.unknown_pixels[name] = int(unknown.sum())
        bad = valid & ((pred < 0) | (pred >= n))
        if bad.any():
            raise FCNStudioError(
                "{name}: predicted label {max} is outside 0..{n}; give the right number of classes",
                fix="num-classes",
                name=name,
                max=int(pred[bad].max()),
                n=n - 1,
            )
        self.hist += np.bincount(n * gt[valid] + pred[valid], minlength=n * n).reshape(n, n)

    def scores(self) -> Scores:
        return Scores.from_hist(self.hist)

    def add(self, other: ConfusionMatrix) -> None:
        if other.num_classes != self.num_classes:
            raise FCNStudioError(
                "cannot add a {num_classes}-class confusion matrix to a {num_classes2}-class one",
                num_classes=other.num_classes,
                num_classes2=self.num_classes,
            )
        self.hist += other.hist

    def save(self, path: str | Path, class_names: list[str] | None = None) -> Path:
        """A JSON file of the exact counts, for merging the evaluations of several shards."""
        path = Path(path)
        data = {
            "format": CONFUSION_FORMAT,
            "num_classes": self.num_classes,
            "class_names": class_names,
            "hist": self.hist.tolist(),
        }
        try:
            with atomic_path(path, suffix=".json") as tmp:
                tmp.write_text(json.dumps(data))
        except OSError as exc:
            raise FCNStudioError("could not write {path}: {error}", path=path, error=exc.strerror or exc) from None
        return path

    @classmethod
    def load(cls, path: str | Path) -> tuple[ConfusionMatrix, list[str] | None]:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != CONFUSION_FORMAT:
                raise ValueError("not written by eval --save-cm")
            n = data["num_classes"]
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 256:
                raise ValueError(f"num_classes {n!r} is not a class count")
            hist = np.array(_exact_counts(data["hist"], n), dtype=np.int64).reshape(n, n)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise FCNStudioError(
                "{path}: not a confusion matrix saved by an evaluation ({reason})",
                fix="save-cm",
                path=path,
                reason=reason,
            ) from None
        cm = cls(n)
        cm.hist = hist
        return cm, data.get("class_names")


# Counts stay exact below this (int64); a sum beyond it would wrap around silently.
_MAX_COUNT = 2**63 - 1


def _exact_counts(rows: object, n: int) -> list[int]:
    """The n x n counts of a saved matrix, flattened: whole numbers from 0 to 2**63 - 1,
    never rounded (1.5), overflowing (1e400, 26 digits) or wrapped."""
    if not isinstance(rows, list) or len(rows) != n or not all(isinstance(r, list) and len(r) == n for r in rows):
        raise ValueError(f"counts are not {n}x{n}")
    flat = [c for row in rows for c in row]
    for c in flat:
        if isinstance(c, bool) or not isinstance(c, int):
            raise ValueError(f"the count {c!r} is not a whole number")
        if not 0 <= c <= _MAX_COUNT:
            raise ValueError(f"the count {c} is {'negative' if c < 0 else 'too large'}")
    if sum(flat) > _MAX_COUNT:
        raise ValueError("the counts add up to more than 2**63 - 1 pixels")
    return flat


def merge_confusion_files(paths: list[str | Path]) -> tuple[ConfusionMatrix, list[str] | None]:
    """The sum of several saved matrices: the evaluation of all their images together.
    A file named twice would count its images twice, and is refused."""
    _refuse_repeated_files([Path(p) for p in paths])
    total, names = ConfusionMatrix.load(paths[0])
    for path in paths[1:]:
        cm, other_names = ConfusionMatrix.load(path)
        if cm.num_classes != total.num_classes or (names and other_names and names != other_names):
            raise FCNStudioError(
                "{path}: its classes differ from those of {first}; merge evaluations of one model",
                path=path,
                first=paths[0],
            )
        if sum(map(int, total.hist.flat)) + sum(map(int, cm.hist.flat)) > _MAX_COUNT:
            raise FCNStudioError(
                "{path}: the counts together exceed 2**63 - 1 pixels; the files are damaged", path=path
            )
        total.add(cm)
    return total, names


def _refuse_repeated_files(paths: list[Path]) -> None:
    seen: dict[tuple[int, int], Path] = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue  # reported when it is read
        first = seen.setdefault((st.st_dev, st.st_ino), path)
        if first is not path:
            raise FCNStudioError(
                "{path} is the same file as {first}: merging it twice would count its images twice; give each shard's file once",
                path=path,
                first=first,
            )


@dataclass
class Scores:
    pixel_accuracy: float
    mean_accuracy: float
    mean_iou: float
    fw_iou: float
    per_class_iou: list[float]  # NaN where a class appears in neither prediction nor truth

    @classmethod
    def from_hist(cls, hist: np.ndarray) -> Scores:
        hist = hist.astype(np.float64)
        diag = np.diag(hist)
        total = hist.sum()
        gt_count = hist.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = diag.sum() / total if total else math.nan
            class_acc = diag / gt_count
            iou = diag / (gt_count + hist.sum(axis=0) - diag)
            freq = gt_count / total if total else np.zeros_like(gt_count)
        has_gt = freq > 0
        return cls(
            pixel_accuracy=float(acc),
            mean_accuracy=_nanmean(class_acc),
            mean_iou=_nanmean(iou),
            fw_iou=float((freq[has_gt] * iou[has_gt]).sum()) if total else math.nan,
            per_class_iou=[float(v) for v in iou],
        )

    def to_json(self, class_names: list[str] | None = None) -> dict:
        """JSON-ready dict; NaN (undefined) becomes null."""

        def clean(v: float) -> float | None:
            return None if math.isnan(v) else v

        out = {
            "pixel_accuracy": clean(self.pixel_accuracy),
            "mean_accuracy": clean(self.mean_accuracy),
            "mean_iou": clean(self.mean_iou),
            "fw_iou": clean(self.fw_iou),
            "per_class_iou": [clean(v) for v in self.per_class_iou],
        }
        if class_names is not None:
            out["class_names"] = list(class_names)
        return out


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def infer_num_classes(*masks: np.ndarray) -> int:
    """Largest label seen (ignoring 255) + 1: enough rows for every class present."""
    top = 0
    for m in masks:
        values = m[m != IGNORE_INDEX]
        if values.size:
            top = max(top, int(values.max()))
    return top + 1
