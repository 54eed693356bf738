"""Which version should be active: every version measured on the same labelled pixels, the
same folds, and a switch only when the difference is larger than the figures' own noise.

The labelled images are split into folds (leave one image out up to MAX_LOO images, else
K_FOLDS folds; a single image is cut into BANDS contiguous bands along its longer side, so
that round 1 has a score too). On every fold each candidate is a model that has not seen
the fold:

- the new head: fitted from the base on the other folds (cross-validation);
- a version that was trained on none of the fold's images: the version itself;
- a version that was trained on some of them: its recipe (a head fitted from the base on
  the images it was trained on) refitted without the fold, so its figure is as held-out as
  the new head's, never optimistic.

A figure is pooled over all folds (one confusion matrix); the noise of a difference is its
jackknife standard error over the folds, at least MIN_MARGIN. ``decide`` is the one
place that says whether a new version becomes active; every view follows its answer.
"""

from __future__ import annotations

import copy
import itertools
import math
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.models import FCNHead
from fcn_studio.training.head_scores import ScoreSummary
from fcn_studio.training.head_solver import HeadSolver, PixelSample, ScaledHead, pixel_confusion

MAX_LOO = 3  # up to this many images: leave one out; beyond, K_FOLDS folds
K_FOLDS = 3
BANDS = 3  # one labelled image: its bands are the folds
MIN_MARGIN = 0.005  # half a point of mean IoU: closer figures are a tie, whatever the folds say
FOLD_WORKERS = 2  # fits at once (each solver runs on one thread; a 2-core CPU takes two)


@dataclass(frozen=True)
class Unit:
    """A part of the labelled pixels that is held out as a whole: an image, or a band of it."""

    image: str  # the image's name
    samples: tuple[PixelSample, ...]

    @property
    def pixels(self) -> int:
        return sum(s.pixels for s in self.samples)


@dataclass(frozen=True)
class Folds:
    units: tuple[Unit, ...]
    parts: tuple[tuple[int, ...], ...]  # unit indices held out together

    @property
    def images(self) -> int:
        return len({u.image for u in self.units})

    @property
    def pixels(self) -> int:
        return sum(u.pixels for u in self.units)

    def train_without(self, held: Sequence[int], seen: set[str] | None = None) -> list[PixelSample]:
        """The samples of the units outside ``held`` (of the images in ``seen`` only, when given)."""
        return [
            s
            for i, u in enumerate(self.units)
            if i not in held and (seen is None or u.image in seen)
            for s in u.samples
        ]


def make_folds(units: Sequence[Unit], seed: int = 0) -> Folds | None:
    """Folds over ``units`` (images, or the bands of the one image); None with fewer than two."""
    kept = [u for u in units if u.pixels]
    if len(kept) < 2:
        return None
    order = sorted(range(len(kept)), key=lambda i: kept[i].image)
    if len({u.image for u in kept}) == 1 or len(order) <= MAX_LOO:
        parts = [(i,) for i in order]
    else:
        random.Random(seed).shuffle(order)
        parts = [tuple(order[k::K_FOLDS]) for k in range(K_FOLDS)]
    return Folds(tuple(kept), tuple(p for p in parts if p))


def bands(mask: np.ndarray, count: int = BANDS) -> list[np.ndarray]:
    """``mask`` cut into ``count`` contiguous bands along its longer side (255 elsewhere)."""
    h, w = mask.shape
    axis = 1 if w >= h else 0
    edges = np.linspace(0, mask.shape[axis], count + 1).astype(int)
    out = []
    for a, b in itertools.pairwise(edges):
        part = np.full_like(mask, 255)
        sl = (slice(None), slice(a, b)) if axis == 1 else (slice(a, b), slice(None))
        part[sl] = mask[sl]
        out.append(part)
    return out


@dataclass(frozen=True)
class FoldScores:
    """A candidate's confusion matrix on each fold's held-out pixels."""

    per_fold: tuple[ConfusionMatrix, ...]
    folds: Folds
    seen: int = 0  # images of these folds the version was trained on (refitted without them)

    def summary(self, num_classes: int) -> ScoreSummary:
        pooled = ConfusionMatrix(num_classes)
        for cm in self.per_fold:
            pooled.hist += cm.hist
        each = [v for v in self.fold_ious() if not math.isnan(v)]
        spread = float(np.std(each)) if len(each) > 1 else float("nan")
        return ScoreSummary(pooled.scores(), self.folds.images, int(pooled.hist.sum()), len(self.per_fold), spread)

    def fold_ious(self) -> list[float]:
        return [cm.scores().mean_iou if cm.hist.sum() else float("nan") for cm in self.per_fold]


def fit(start: FCNHead, samples: Sequence[PixelSample], l2: float, steps: int, cancelled=None) -> ScaledHead:
    """A head fitted from ``start`` on ``samples`` as a round fits its version."""
    solver = HeadSolver(copy.deepcopy(start), list(samples), l2)
    for _ in range(steps if samples else 0):
        solver.step(cancelled)
        if solver.converged:
            break
    return solver.scaled


def _fold_confusions(folds: Folds, held: Sequence[int], model, num_classes: int) -> ConfusionMatrix:
    cm = ConfusionMatrix(num_classes)
    for i in held:
        cm.hist += pixel_confusion(model, folds.units[i].samples, num_classes).hist
    return cm


def cross_validated(
    start: FCNHead,
    folds: Folds,
    num_classes: int,
    *,
    l2: float,
    steps: int,
    cancelled: Callable[[], bool] | None = None,
) -> FoldScores:
    """The new head's recipe on every fold: fitted from ``start`` on the other folds."""
    return measure(None, start, folds, num_classes, seen=None, l2=l2, steps=steps, cancelled=cancelled)


def measure(
    head: FCNHead | None,
    start: FCNHead,
    folds: Folds,
    num_classes: int,
    *,
    seen: set[str] | None,
    l2: float,
    steps: int,
    cancelled: Callable[[], bool] | None = None,
) -> FoldScores:
    """A candidate on every fold. ``head``: an existing version (None: the new head's recipe,
    trained on everything outside the fold); ``seen``: the images the version was trained on
    (on a fold holding any of them, its recipe is refitted from ``start`` without the fold)."""
    everything = [s for u in folds.units for s in u.samples]
    fixed = ScaledHead(head, everything) if head is not None else None
    held_seen = 0

    def score(held: tuple[int, ...]) -> ConfusionMatrix:
        saw = head is None or any(folds.units[i].image in (seen or ()) for i in held)
        if not saw:
            return _fold_confusions(folds, held, fixed, num_classes)
        train = folds.train_without(held, None if head is None else seen)
        if not train:  # nothing left to fit on: the recipe without the fold is its start
            return _fold_confusions(folds, held, ScaledHead(start, everything), num_classes)
        return _fold_confusions(folds, held, fit(start, train, l2, steps, cancelled), num_classes)

    with ThreadPoolExecutor(FOLD_WORKERS) as pool:
        per_fold = tuple(pool.map(score, folds.parts))
    if head is not None and seen:
        held_seen = len({u.image for u in folds.units} & seen)
    return FoldScores(per_fold, folds, held_seen)


@dataclass(frozen=True)
class Verdict:
    """Whether the new version becomes active, and why."""

    kind: str  # "better", "worse", "tie", "always" (the user's standing choice), "unscored"
    make_active: bool
    difference: float  # after - before, pooled mean IoU (nan when unscored)
    margin: float  # the noise the difference had to exceed


def decide(before: FoldScores | None, after: FoldScores | None, num_classes: int, switch: str) -> Verdict:
    """The one decision: better by more than the noise of the difference (its jackknife
    standard error over the folds, at least MIN_MARGIN) -> active; a tie or worse keeps the
    active version, unless the user chose to always switch. Without figures (too few
    labelled pixels) the active one stays."""
    always = switch == "always"
    if before is None or after is None:
        return Verdict("always" if always else "unscored", always, float("nan"), float("nan"))
    difference = _pooled(after.per_fold, num_classes) - _pooled(before.per_fold, num_classes)
    margin = max(MIN_MARGIN, jackknife_error(before, after, num_classes))
    kind = _kind(difference, margin)
    if always:
        return Verdict("always", True, difference, margin)
    return Verdict(kind, kind == "better", difference, margin)


def _kind(difference: float, margin: float) -> str:
    if math.isnan(difference) or abs(difference) <= margin:
        return "tie"
    return "better" if difference > 0 else "worse"


def jackknife_error(before: FoldScores, after: FoldScores, num_classes: int) -> float:
    """The standard error of the difference of the two pooled mean IoUs, by leaving out one
    fold at a time: each leave-one-out figure pools most of the classes, so it is far
    steadier than per-fold figures on a few scribbles each (nan with one fold)."""
    k = len(after.per_fold)
    if k < 2:
        return float("nan")
    diffs = []
    for i in range(k):
        rest_a = [cm for j, cm in enumerate(after.per_fold) if j != i]
        rest_b = [cm for j, cm in enumerate(before.per_fold) if j != i]
        diffs.append(_pooled(rest_a, num_classes) - _pooled(rest_b, num_classes))
    diffs = [d for d in diffs if not math.isnan(d)]
    if len(diffs) < 2:
        return float("nan")
    mean = sum(diffs) / len(diffs)
    return math.sqrt((len(diffs) - 1) / len(diffs) * sum((d - mean) ** 2 for d in diffs))


def _pooled(per_fold: Sequence[ConfusionMatrix], num_classes: int) -> float:
    pooled = ConfusionMatrix(num_classes)
    for cm in per_fold:
        pooled.hist += cm.hist
    return pooled.scores().mean_iou if pooled.hist.sum() else float("nan")
