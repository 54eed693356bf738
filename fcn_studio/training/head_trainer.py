"""Label mode's rounds ("Fine-tune on my labels") and live updates, on cached features.

A round is the head variant of the one loop (engine.fit_epochs over head_variant's solver):
the score layers of the family's base fitted on every labelled image of the folder. Each
round starts from the base, not from the last round (Cellpose's advice: no drift, no
forgetting). Its score is honest: cross-validated by image (head_scores), stating the images
and labelled pixels it rests on and its spread; "before" is the active version (the base in
round 1) on the same pixels. A new version that scores worse than the active one is
installed but not made active: the user decides (``switch="always"`` remembers that they
want every new version at once).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.device import choose_device
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.versions import ModelVersion, install_head_version, same_backbone
from fcn_studio.messages import Message
from fcn_studio.models import FCN
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.storage.heads import head_base
from fcn_studio.storage.identity import FileIdentity
from fcn_studio.storage.titles import retrained_title
from fcn_studio.training import engine
from fcn_studio.training.config import DoneEvent, EventFn, MessageEvent, ignore_events
from fcn_studio.training.feature_cache import FeatureCache, Features, cache_dir
from fcn_studio.training.head import LabelledImage, checkpoint_with_head, head_state, target_at, trainable_head
from fcn_studio.training.head_scores import ScoreSummary, cross_validate, recorded, score_fixed, summary
from fcn_studio.training.head_solver import PixelSample
from fcn_studio.training.head_variant import HeadVariant


@dataclass
class HeadTrainConfig:
    epochs: int = 6  # solver steps (5 L-BFGS iterations each); a fit stops early once converged
    lr: float = 1e-3  # live updates (Adam) only: a round's solver takes steps a line search chooses
    weight_decay: float = 0.0  # ridge towards the base (at least head_solver.MIN_RIDGE)
    flip: bool = False  # flipped views as extra samples (each costs a backbone pass of its own)
    seed: int = 0  # the folds' order beyond head_scores.MAX_LOO images
    max_size: int | None = DEFAULT_MAX_SIZE  # as the predictor: the features it hands over fit
    device: str = "auto"


@dataclass
class RoundResult:
    checkpoint: Checkpoint
    version: ModelVersion | None  # None when not installed
    before: ScoreSummary | None  # the compared model (the version in use) on the same pixels
    after: ScoreSummary | None  # the new head, cross-validated by image
    images: list[Path]  # the labelled images it was trained on (all of them)
    seconds: float
    history: list[dict] = field(default_factory=list)
    compared_with: str | None = None  # the id of the model "before" belongs to
    made_current: bool = False  # the new version is the active one now
    before_seen: int = 0  # images the compared version was trained on (its figure is optimistic)
    before_recorded: bool = False  # "before" is the compared version's own cross-validated score

    @property
    def train_images(self) -> list[Path]:
        return self.images

    @property
    def better(self) -> bool | None:
        """Whether the new version scores at least as well as the compared one; None when
        there is nothing to compare."""
        if self.before is None or self.after is None:
            return None
        return self.after.mean_iou >= self.before.mean_iou

    @property
    def regressed(self) -> bool:
        return self.better is False


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


def retrain(
    folder: str | Path,
    base: Checkpoint,
    family: str,
    *,
    compare_with: Checkpoint | None = None,
    compare_id: str | None = None,
    config: HeadTrainConfig | None = None,
    cache: FeatureCache | None = None,
    install: bool = True,
    switch: str = "if better",
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RoundResult:
    """One round: the score layers of ``base`` fitted on every labelled image of ``folder``,
    installed as the next version of ``family``; made active when it scores at least as
    well as ``compare_with`` (default ``base``) on the same pixels, or ``switch="always"``."""
    config = config or HeadTrainConfig()
    cache = cache or FeatureCache(cache_dir())
    emit, cancelled = on_event or ignore_events, cancelled or engine.never
    start = time.monotonic()
    store = LabelStore(folder)
    labels = store.label_set(default=base.labels)
    model = _base_model(base, choose_device(config.device).device)
    samples = load_labelled(store, labels, cache)
    if not samples:
        raise FCNStudioError(
            "{folder}: no labelled pixels yet; paint a few strokes per class, then retrain", folder=str(folder)
        )
    pixels = sum(int((s.mask != IGNORE_INDEX).sum()) for s in samples)
    emit(MessageEvent(Message("{n} labelled {n:image|images}, {pixels} labelled pixels, {classes} classes",
                              n=len(samples), pixels=pixels, classes=labels.num_classes)))  # fmt: skip
    head = trainable_head(model, base.labels.classes, labels)
    start_head = copy.deepcopy(head)
    variant = HeadVariant(model, head, base.preprocessing, samples, [], cache, num_classes=labels.num_classes,
                          flip=config.flip, l2=config.weight_decay, max_size=config.max_size)  # fmt: skip
    names = [s.image.name for s in samples]
    reference = compare_with or base
    chosen, seen = _compared_images(reference, base, names)
    halt = threading.Event()  # the main fit failed or was cancelled: the folds stop too
    with ThreadPoolExecutor(1) as pool:  # the folds on other threads while this one fits the version
        folds = pool.submit(cross_validate, start_head, variant.groups, names, labels.num_classes,
                            l2=config.weight_decay, steps=config.epochs, seed=config.seed,
                            only=chosen if len(chosen) < len(names) else None,
                            cancelled=lambda: halt.is_set() or cancelled())  # fmt: skip
        try:
            history = engine.fit_epochs(variant, 1, config.epochs, emit, cancelled)
        except BaseException:
            halt.set()
            raise
        validated = folds.result()
    ref_images = _score_reference(reference, model, base, labels, samples, cache, config, variant.groups)
    after = summary([validated[0][i] for i in chosen], labels.num_classes, validated[1]) if validated else None
    before, own = _before(reference, ref_images, chosen, seen, names, labels.num_classes)
    metrics = after.scores.to_json(list(labels.classes)) | after.to_json() if after else {}
    if before is not None:
        metrics["before"] = before.to_json()
    ckpt = checkpoint_with_head(
        model, head, labels, base.preprocessing,
        provenance={"title": retrained_title(family, Path(folder).name).english(), "base": base.provenance.get("id", family),
                    "data": str(Path(folder).resolve())},
        metrics=metrics, training={"head_only": True, "solver": "lbfgs", **asdict(config), "history": history,
                                   "train_images": names},
    )  # fmt: skip
    result = RoundResult(ckpt, None, before, after, [s.image for s in samples], 0.0, history,
                         compare_id or reference.provenance.get("id"),
                         before_seen=0 if own else sum(names[i] in seen for i in chosen),
                         before_recorded=own is not None)  # fmt: skip
    result.made_current = install and (switch == "always" or result.better is not False)
    info = {"provenance": ckpt.provenance, "metrics": ckpt.metrics, "training": ckpt.training}
    result.version = (
        install_head_version(base, head_state(head), labels, base.preprocessing, info, family,
                             make_current=result.made_current) if install else None
    )  # fmt: skip
    result.seconds = time.monotonic() - start
    emit(DoneEvent(None, result.version.id if result.version else None, metrics))
    return result


def _before(reference: Checkpoint, ref_images: list[ConfusionMatrix] | None, chosen: list[int], seen: set[str],
            names: list[str], num_classes: int) -> tuple[ScoreSummary | None, ScoreSummary | None]:  # fmt: skip
    """The version in use on the compared images, and its recorded score when it stands in:
    trained on every one of these images, it has no honest score on them, so its own
    cross-validated score from when it was trained is compared instead."""
    before = summary([ref_images[i] for i in chosen], num_classes, 0) if ref_images else None
    own = recorded(reference.metrics) if before is not None and all(n in seen for n in names) else None
    return own or before, own


def _compared_images(reference: Checkpoint, base: Checkpoint, names: list[str]) -> tuple[list[int], set[str]]:
    """Like with like: the images the version in use was not trained on (each then scored
    by a fit on all the others, the version in use on itself), else all of them (its
    figure then optimistic); and the names it was trained on."""
    seen = set(reference.training.get("train_images", [])) if reference is not base else set()
    return [i for i, n in enumerate(names) if n not in seen] or list(range(len(names))), seen


def _score_reference(reference: Checkpoint, model: FCN, base: Checkpoint, labels: LabelSet,
                     samples: Sequence[LabelledImage], cache: FeatureCache, config: HeadTrainConfig,
                     groups: Sequence[Sequence[PixelSample]]) -> list[ConfusionMatrix] | None:  # fmt: skip
    """``reference`` on the labelled pixels of each image; None when it does not know
    every class of the labels. On the base's backbone (a head version of it) the round's
    own pixel samples serve, unflipped: the same features, the same pixels."""
    if not set(labels.classes) <= set(reference.labels.classes):
        return None
    ref_full = model if reference is base else reference.build_model().to(next(model.parameters()).device)
    same = reference is base or _shares_backbone(reference, base)
    ref_head = trainable_head(ref_full, reference.labels.classes, labels)
    if same and reference.arch == base.arch and not config.flip:
        return score_fixed(ref_head, groups, labels.num_classes)
    variant = HeadVariant(model if same else ref_full, ref_head, reference.preprocessing, samples, [], cache,
                          num_classes=labels.num_classes, flip=False, l2=0.0, max_size=config.max_size)  # fmt: skip
    return score_fixed(ref_head, variant.groups, labels.num_classes)


_LAST_BASE: list[tuple[object, FCN]] = []  # the last round's base model, while its file is unchanged


def _base_model(base: Checkpoint, device: torch.device) -> FCN:
    """The base built once per file: a new model object would cost the feature cache a new
    fingerprint of its backbone (reading all 0.5 GB of VGG16, about a second) every round."""
    identity = FileIdentity.maybe(base.source) if base.source else None
    key = (identity, str(device))
    if identity is not None and _LAST_BASE and _LAST_BASE[0][0] == key:
        return _LAST_BASE[0][1]
    model = base.build_model().to(device)
    if identity is not None:
        _LAST_BASE[:] = [(key, model)]
    return model


def _shares_backbone(reference: Checkpoint, base: Checkpoint) -> bool:
    """Head versions sit on their base's file: the same file is the same backbone (a stat,
    not a comparison of 0.5 GB); otherwise the tensors are compared."""
    loaded = head_base(reference)
    same_file = loaded is not None and loaded.path is not None and base.source is not None
    if same_file and FileIdentity.maybe(loaded.path) == FileIdentity.maybe(base.source):
        return True
    return same_backbone(reference, base)


# --------------------------------------------------------------------------- live mode


class LiveHead:
    """Short head-only updates on the open image's cached features after each stroke.

    Starts from the displayed model's head and keeps improving it stroke after stroke; the
    backbone never runs again, so an update costs a few head steps."""

    def __init__(self, model: FCN, model_classes: Sequence[str], labels: LabelSet, features: Features,
                 *, lr: float = 1e-3) -> None:  # fmt: skip
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
