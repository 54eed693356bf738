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
    backbone never runs again, so an update costs a few head steps.

    Strokes alone are a poor loss: while one class is painted, predicting it everywhere
    fits them perfectly, and Adam's steps (each weight moves by about ``lr``, whatever its
    gradient) get there in a stroke or two: the whole image turned one class. So each step
    also pulls the unlabelled pixels towards the starting head's own prediction (a
    cross-entropy to its probabilities, weight ``ANCHOR``, as in "learning without
    forgetting"): the strokes move the pixels their evidence reaches, the rest keeps its
    labels. Tried on the test scenes (tests/unit/training/test_head_training.py) and not
    enough alone: an L2 pull of the weights towards the start (a bias shift is a small
    change in weights and a large one in labels), a ten times smaller ``lr`` (slower, same
    end), an L-BFGS step (no better than Adam here, and ``lr`` would mean nothing). The
    strokes' loss is balanced over the painted classes, so a short stroke of a new class
    counts as much as long ones of another."""

    ANCHOR = 1.0  # the unlabelled pixels' pull, relative to the strokes' (tests/unit/training)

    def __init__(
        self, model: FCN, model_classes: Sequence[str], labels: LabelSet, features: Features, *, lr: float = 1e-3
    ) -> None:
        self.model = model
        self.labels = labels
        self.features = features
        self.device = next(model.parameters()).device
        self.head = trainable_head(model, model_classes, labels)
        self._opt = torch.optim.Adam([p for p in self.head.parameters() if p.requires_grad], lr=lr)
        self._float = features.as_float(self.device)  # converted once: each step reuses them
        with torch.no_grad():  # what the unlabelled pixels are pulled towards
            self._start = torch.softmax(self.head.eval()(*self._float, features.size), dim=1)

    def update(self, mask: np.ndarray, steps: int = 5) -> torch.Tensor:
        """Train ``steps`` steps on ``mask`` (full-size labels of the open image, 255 =
        unlabelled); returns the new ``(C, h, w)`` logits at the network input's size."""
        target = target_at(mask, self.features.size).to(self.device)
        labelled = target != IGNORE_INDEX
        if labelled.any():
            counts = torch.bincount(target[labelled], minlength=self.labels.num_classes).float()
            painted = counts > 0  # each painted class weighs the same in the strokes' loss
            weight = torch.where(painted, counts.sum() / (counts.clamp(min=1) * painted.sum()), 0.0)
            self.head.train()
            for _ in range(steps):
                logits = self.head(*self._float, self.features.size)
                loss = nn.functional.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE_INDEX)
                if not labelled.all():
                    kept = -(self._start * torch.log_softmax(logits, dim=1)).sum(dim=1)[~labelled].mean()
                    loss = loss + self.ANCHOR * kept
                self._opt.zero_grad(set_to_none=True)
                loss.backward()
                self._opt.step()
        self.head.eval()
        with torch.no_grad():
            return self.head(*self._float, self.features.size)[0]
