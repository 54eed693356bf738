"""The head-only variant of the loop: ``train --freeze-backbone`` and Label mode's rounds.

With the backbone frozen its output for an image never changes, so it is computed once per
image (and once per flipped view) and kept (feature_cache); the score layers are then fitted
by the convex solver (head_solver: full-batch L-BFGS, each epoch a few iterations). What the
cache rules out: random scale and crop (each would be a new backbone pass) and the dropout
of fc6/fc7 (features are computed in evaluation mode).

Under torchrun each rank holds its share of the images; the solver sums losses and
gradients over the ranks inside each evaluation, so every rank takes the same steps and
rank 0 writes, as in the plain loop.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Protocol

import torch

from fcn_studio.data.dataset import DatasetReport, read_mask
from fcn_studio.data.labels import LabelSet
from fcn_studio.data.metrics import ConfusionMatrix, Scores
from fcn_studio.errors import Cancelled
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
from fcn_studio.inference.resize import logits_to_full_size
from fcn_studio.messages import Message
from fcn_studio.models import FCN, FCNHead
from fcn_studio.models.preprocessing import Preprocessing
from fcn_studio.training import distributed
from fcn_studio.training.config import EventFn, MessageEvent, TrainConfig
from fcn_studio.training.feature_cache import Backbone, FeatureCache, cache_dir
from fcn_studio.training.head import LabelledImage, head_logits, head_state, trainable_head
from fcn_studio.training.head_solver import HeadSolver, pixel_samples


def evaluate_head(
    head: FCNHead,
    model: FCN,
    pre: Preprocessing,
    samples: Sequence[LabelledImage],
    cache: FeatureCache,
    num_classes: int,
    max_size: int | None = DEFAULT_MAX_SIZE,
    cancelled: Callable[[], bool] | None = None,
) -> Scores | None:
    """Scores over the samples' labelled pixels at full image size, one confusion matrix
    (under torchrun: each rank scores its share, the matrices are summed)."""
    if not samples:
        return None
    cm = ConfusionMatrix(num_classes)
    device = next(model.parameters()).device
    was_training = head.training
    head.eval()
    with torch.no_grad():
        for i in distributed.context().shard_indices(len(samples)):
            if cancelled and cancelled():
                raise Cancelled()
            s = samples[i]
            feats = cache.features(s.image, model, pre, max_size=max_size)
            labels, _, _ = logits_to_full_size(head_logits(head, feats, device)[0], *s.mask.shape)
            cm.update(s.mask, labels, s.image.name)
    head.train(was_training)
    cm.hist = distributed.all_reduce_sum(cm.hist)
    return cm.scores()


class HeadVariant:
    """The score layers of ``model`` fitted on cached features of ``train_set``."""

    iterations = 1  # one solver step (a few L-BFGS iterations) per epoch

    def __init__(
        self,
        model: FCN,
        head: FCNHead,
        pre: Preprocessing,
        train_set: Sequence[LabelledImage],
        val_set: Sequence[LabelledImage],
        cache: FeatureCache,
        *,
        num_classes: int,
        flip: bool,
        l2: float,
        max_size: int | None = DEFAULT_MAX_SIZE,
        compute: Backbone | None = None,
    ) -> None:
        """``compute``: what runs the backbone for an image whose features are not cached
        (FeatureCache.features); default the model's own torch backbone."""
        self.model, self.head, self.pre, self.cache, self.compute = model, head, pre, cache, compute
        self.val_set, self.num_classes, self.max_size = list(val_set), num_classes, max_size
        ctx = distributed.context()
        views = [(s, flipped) for s in train_set for flipped in ((False, True) if flip else (False,))]
        mine = [views[i] for i in ctx.shard_indices(len(views))]
        self.images = len(mine)
        made = pixel_samples(head, [(partial(self._features, s, f), s.mask, f) for s, f in mine])
        # per training image, its views' samples (cross-validation leaves images out)
        self.groups = [
            [p for (s2, _), p in zip(mine, made, strict=True) if s2 is s and p is not None] for s in train_set
        ]
        self.samples = [p for p in made if p is not None]
        self.solver = HeadSolver(head, self.samples, l2)
        self.optimizer = self.solver.optimizer

    def _features(self, sample: LabelledImage, flipped: bool):
        return self.cache.features(
            sample.image, self.model, self.pre, max_size=self.max_size, flipped=flipped, compute=self.compute
        )

    def steps(self, epoch: int, cancelled: Callable[[], bool]) -> Iterator[tuple[float | None, int]]:
        if cancelled():
            raise Cancelled()
        yield self.solver.step(cancelled), self.images

    def validate(self, cancelled: Callable[[], bool]) -> Scores | None:
        return evaluate_head(
            self.head, self.model, self.pre, self.val_set, self.cache, self.num_classes, self.max_size, cancelled
        )

    def sync(self) -> None:
        self.model.load_state_dict(head_state(self.head), strict=False)

    def after_resume(self, epoch: int) -> None:
        """The resumed weights go into the solver; its ridge still pulls towards the base."""
        score = {k: v for k, v in self.model.state_dict().items() if k.startswith("score")}
        self.head.load_state_dict(score, strict=False)
        self.solver.scaled.load(self.head)


def dataset_variant(
    config: TrainConfig,
    model: FCN,
    pre: Preprocessing,
    device: torch.device,
    report: DatasetReport,
    train_pairs: list,
    val_pairs: list,
    labels: LabelSet,
    emit: EventFn,
    cache: FeatureCache | None = None,
) -> HeadVariant:
    """The head variant of a ``train --freeze-backbone`` run on a dataset."""
    cache = cache or FeatureCache(cache_dir())
    model.to(device).eval()
    ctx = distributed.context()
    emit(
        MessageEvent(
            Message(
                "backbone frozen: its features are computed once per image and flipped view and cached ({folder}); the score "
                "layers are fitted by L-BFGS with a line search, which chooses its own step sizes (the learning rate, "
                "optimizer and batch size are not used); whole images, no random scale or crop"
                if config.flip
                else "backbone frozen: its features are computed once per image and cached ({folder}); the score layers are "
                "fitted by L-BFGS with a line search, which chooses its own step sizes (the learning rate, optimizer and batch size "
                "are not used); whole images, no random scale or crop",
                folder=str(cache.directory),
            )
        )
    )
    if ctx.enabled:
        emit(
            MessageEvent(
                Message(
                    "{world_size} processes ({backend}): each holds its share of the images; losses and gradients are summed over the processes at every solver evaluation",
                    world_size=ctx.world_size,
                    backend=ctx.backend,
                )
            )
        )
    train_set = [LabelledImage(i, read_mask(m, report.encoding)) for i, m in train_pairs]
    val_set = [LabelledImage(i, read_mask(m, report.encoding)) for i, m in val_pairs]
    # the base's score layers already fit these classes (initial_model copied or reset them)
    return head_variant(
        model, trainable_head(model, labels.classes, labels), labels, pre, train_set, val_set, cache, config
    )


class FitOptions(Protocol):
    """What a head variant takes from a run's options (TrainConfig, HeadTrainConfig)."""

    flip: bool
    weight_decay: float


def head_variant(
    model: FCN,
    start: FCNHead,
    labels: LabelSet,
    pre: Preprocessing,
    train_set: Sequence[LabelledImage],
    val_set: Sequence[LabelledImage],
    cache: FeatureCache,
    config: FitOptions,
    *,
    max_size: int | None = DEFAULT_MAX_SIZE,
    compute: Backbone | None = None,
) -> HeadVariant:
    """The one way a head variant is built, for a ``train --freeze-backbone`` run
    (dataset_variant) and for Label mode's rounds (application/retrain_round.prepare): a
    copy of ``start`` is fitted (``start`` stays where every fit starts), for ``labels``'
    classes, with ``config``'s flipped views and ridge."""
    return HeadVariant(
        model,
        copy.deepcopy(start),
        pre,
        train_set,
        val_set,
        cache,
        num_classes=labels.num_classes,
        flip=config.flip,
        l2=config.weight_decay,
        max_size=max_size,
        compute=compute,
    )
