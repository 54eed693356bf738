"""Honest scores for a round trained on few labelled images: cross-validation by image.

A score from one held-out image says little (issue 18: "(1 images)" decided that a worse
version became active). Here every labelled image is scored by a head fitted without it:
leave one image out up to MAX_LOO images, else k folds. Each fold is fitted exactly as the
round's head (same start, same solver and budget): a warm start from the round's head would
be cheaper but leaks the held-out image into its fold wherever the solver stops short. A figure carries what it
rests on: images, labelled pixels, folds and the spread (standard deviation) of the fold
scores.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fcn_studio.data.metrics import ConfusionMatrix, Scores
from fcn_studio.models import FCNHead
from fcn_studio.training.head_solver import HeadSolver, PixelSample, ScaledHead, pixel_confusion

MAX_LOO = 3  # up to this many images: leave one out; beyond, K_FOLDS folds
FOLD_WORKERS = 2  # folds fitted at once (threads; each solver runs on one core)
K_FOLDS = 3  # each fold is a fit of its own: three keep a round of six images within seconds


@dataclass(frozen=True)
class ScoreSummary:
    """A mean IoU (pooled over its images' labelled pixels) and what it rests on."""

    scores: Scores
    images: int
    pixels: int
    folds: int  # 0: scored directly (a fixed model), else how many cross-validation folds
    spread: float  # standard deviation of the per-image mean IoU; nan with fewer than two

    @property
    def mean_iou(self) -> float:
        return self.scores.mean_iou

    def to_json(self) -> dict:
        return {
            **self.scores.to_json(),
            "images": self.images,
            "pixels": self.pixels,
            "folds": self.folds,
            "spread": None if np.isnan(self.spread) else self.spread,
        }


def recorded(metrics: dict) -> ScoreSummary | None:
    """The cross-validated score a version recorded when it was trained (None without one)."""
    if not isinstance(metrics.get("mean_iou"), int | float) or "images" not in metrics:
        return None

    def number(key: str) -> float:
        value = metrics.get(key)
        return float("nan") if value is None else float(value)

    per_class = [float("nan") if v is None else float(v) for v in metrics.get("per_class_iou", [])]
    scores = Scores(number("pixel_accuracy"), number("mean_accuracy"), number("mean_iou"), number("fw_iou"), per_class)
    return ScoreSummary(
        scores, int(metrics["images"]), int(metrics.get("pixels", 0)), int(metrics.get("folds", 0)), number("spread")
    )


def summary(per_image: Sequence[ConfusionMatrix], num_classes: int, folds: int) -> ScoreSummary:
    """Pooled scores of some images' confusion matrices; the spread is across the images."""
    pooled = ConfusionMatrix(num_classes)
    for cm in per_image:
        pooled.hist += cm.hist
    each = [cm.scores().mean_iou for cm in per_image if cm.hist.sum()]
    each = [v for v in each if v == v]
    spread = float(np.std(each)) if len(each) > 1 else float("nan")
    return ScoreSummary(pooled.scores(), len(per_image), int(pooled.hist.sum()), folds, spread)


def folds_of(names: Sequence[str], seed: int) -> list[list[int]]:
    """Image indices per fold: one image each up to MAX_LOO images, else K_FOLDS seeded folds."""
    order = sorted(range(len(names)), key=lambda i: names[i])
    if len(order) <= MAX_LOO:
        return [[i] for i in order]
    random.Random(seed).shuffle(order)
    return [order[k::K_FOLDS] for k in range(K_FOLDS)]


def score_fixed(head: FCNHead, per_image: Sequence[Sequence[PixelSample]], num_classes: int) -> list[ConfusionMatrix]:
    """A fixed model (the active version, the base) on each image's labelled pixels."""
    scaled = ScaledHead(head, [s for group in per_image for s in group])
    return [pixel_confusion(scaled, group, num_classes) for group in per_image]


def cross_validate(
    start: FCNHead,
    per_image: Sequence[Sequence[PixelSample]],
    names: Sequence[str],
    num_classes: int,
    *,
    l2: float,
    steps: int,
    seed: int,
    only: Sequence[int] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[ConfusionMatrix], int] | None:
    """Each image's confusion matrix from a head fitted without it, from ``start`` as the
    round's head was (of the ``only`` images, when given), and the number of folds; None
    with fewer than two images."""
    if len(per_image) < 2:
        return None
    out: list[ConfusionMatrix] = [ConfusionMatrix(num_classes) for _ in per_image]
    # ``only`` some images (those the version in use has not seen): each left out on its own
    folds = [[i] for i in only] if only else folds_of(names, seed)

    def fit_without(held: list[int]) -> None:
        train = [s for i, group in enumerate(per_image) if i not in held for s in group]
        solver = HeadSolver(copy.deepcopy(start), train, l2)
        for _ in range(steps):
            solver.step(cancelled)
            if solver.converged:
                break
        for i in held:
            out[i] = pixel_confusion(solver.scaled, per_image[i], num_classes)

    # two at a time: each fold is a solver on one thread, a 2-core CPU takes two
    with ThreadPoolExecutor(FOLD_WORKERS) as pool:
        for done in [pool.submit(fit_without, held) for held in folds]:
            done.result()
    return out, len(folds)
