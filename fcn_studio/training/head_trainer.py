"""What Label mode's rounds and live updates train on: their options, the folder's labelled
images, and the live head that follows the strokes on the open image's cached features.

A round itself is application/retrain_round.run_round (the one entry point): the head
variant of the one loop (engine.fit_epochs over head_variant's solver) on every labelled
image, judged against the version in use on the same folds (application/judgement.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.models import FCN
from fcn_studio.training.feature_cache import FeatureCache, Features
from fcn_studio.training.head import LabelledImage, target_at, trainable_head


@dataclass
class HeadTrainConfig:
    epochs: int = 6  # solver steps (5 L-BFGS iterations each); a fit stops early once converged
    lr: float = 1e-3  # live updates (Adam) only: a round's solver takes steps a line search chooses
    weight_decay: float = 0.0  # ridge towards the base (at least head_solver.MIN_RIDGE)
    flip: bool = False  # flipped views as extra samples (each costs a backbone pass of its own)
    seed: int = 0  # the folds' order beyond judgement.MAX_LOO images
    max_size: int | None = DEFAULT_MAX_SIZE  # as the predictor: the features it hands over fit
    device: str = "auto"


def load_labelled(store: LabelStore, labels: LabelSet, cache: FeatureCache) -> list[LabelledImage]:
    """Every labelled image of the folder with its mask, each checked against its image."""
    out = []
    for image, mask_path in store.labelled_images():
        mask = store.load_mask(image, cache.image_shape(image))
        assert mask is not None
        bad = np.setdiff1d(np.unique(mask), [*range(labels.num_classes), IGNORE_INDEX])
        if bad.size:
            raise FCNStudioError(
                "{mask_path}: labels {bad} are not classes of {name} (0-{num_classes}, 255 = unlabelled); add the classes or erase those labels",
                mask_path=mask_path,
                bad=bad.tolist(),
                name=store.classes_path.name,
                num_classes=labels.num_classes - 1,
            )
        if (mask != IGNORE_INDEX).any():
            out.append(LabelledImage(image, mask))
    return out


# --------------------------------------------------------------------------- live mode


class LiveHead:
    """Short head-only updates on the open image's cached features after each stroke.

    Starts from the displayed model's head and keeps improving it stroke after stroke; the
    backbone never runs again, so an update costs a few head steps."""

    def __init__(
        self, model: FCN, model_classes: Sequence[str], labels: LabelSet, features: Features, *, lr: float = 1e-3
    ) -> None:
        self.model = model
        self.labels = labels
        self.features = features
        self.device = next(model.parameters()).device
        self.head = trainable_head(model, model_classes, labels)
        self._opt = torch.optim.Adam([p for p in self.head.parameters() if p.requires_grad], lr=lr)
        self._loss = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)
        self._float = features.as_float(self.device)  # converted once: each step reuses them

    def update(self, mask: np.ndarray, steps: int = 5) -> torch.Tensor:
        """Train ``steps`` steps on ``mask`` (full-size labels of the open image, 255 =
        unlabelled); returns the new ``(C, h, w)`` logits at the network input's size."""
        target = target_at(mask, self.features.size).to(self.device)
        if (target != IGNORE_INDEX).any():
            self.head.train()
            for _ in range(steps):
                loss = self._loss(self.head(*self._float, self.features.size), target)
                self._opt.zero_grad(set_to_none=True)
                loss.backward()
                self._opt.step()
        self.head.eval()
        with torch.no_grad():
            return self.head(*self._float, self.features.size)[0]
