"""A figure and what it rests on: a mean IoU pooled over labelled pixels with the number of
images, pixels and folds behind it and its spread. How rounds fold, fit and compare:
application/judgement.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fcn_studio.data.metrics import Scores


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
