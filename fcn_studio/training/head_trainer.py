"""Retraining the score layers on cached backbone features: the one-click and live loops.

With the backbone frozen, an FCN's trainable part is its three 1x1 score layers (score_fr,
score_pool4, score_pool3); the deconvolutions stay bilinear as in the paper. Trained on
:mod:`feature_cache` features, a step costs the head alone, so a round of many epochs
over every labelled image takes seconds on a CPU and a live update a fraction of one.

Each round starts from the chosen base, not from the last round (Cellpose's advice: no
drift, no forgetting), trains on all labels but a held-out few, reports their mean IoU
before and after, and installs the result as the next version of the user's model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.data.metrics import ConfusionMatrix, Scores
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.device import choose_device
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE, logits_to_full_size
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.versions import ModelVersion, install_head_version
from fcn_studio.models import FCN, FCNHead, bilinear_kernel
from fcn_studio.models.preprocessing import Preprocessing
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.training.config import EventFn
from fcn_studio.training.feature_cache import FeatureCache, Features, cache_dir

SCORE_LAYERS = ("score_fr", "score_pool4", "score_pool3")


# --------------------------------------------------------------------------- the head


class _BilinearUpsample(nn.Module):
    """A fixed bilinear deconvolution (stride s, kernel 2s, diagonal bilinear filter) run
    as bilinear interpolation of the zero-padded input, shifted by s/2: the same output as
    the dense (C, C, 2s, 2s) transposed convolution (to float rounding) for a fraction of
    the work, which would otherwise be most of a head step on a CPU."""

    def __init__(self, dense: nn.ConvTranspose2d) -> None:
        super().__init__()
        self.kernel_size = dense.weight.shape[-1]
        self.stride = dense.stride[0]

    @staticmethod
    def fits(dense: nn.ConvTranspose2d) -> bool:
        w = dense.weight.detach()
        c, k, s = w.shape[0], w.shape[-1], dense.stride[0]
        if w.shape[1] != c or dense.stride != (s, s) or k != 2 * s or s % 2 or dense.padding != (0, 0):
            return False
        off = w.clone()
        off[range(c), range(c)] = 0
        f = _bilinear_profile(k).to(w.dtype)
        return not off.any() and torch.allclose(w[range(c), range(c)], torch.outer(f, f).expand(c, k, k), atol=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # out[o] = sum_i x[i] f[o - s i] is linear interpolation at (o + 0.5) / s - 1, i.e.
        # interpolate() of x padded by one zero, read from output index o + s/2.
        s, h, w = self.stride, x.shape[2], x.shape[3]
        y = F.interpolate(F.pad(x, (1, 1, 1, 1)), scale_factor=s, mode="bilinear", align_corners=False)
        return y[:, :, s // 2 : s // 2 + (h + 1) * s, s // 2 : s // 2 + (w + 1) * s]


def _bilinear_profile(k: int) -> torch.Tensor:
    """The 1-D profile whose outer product is models.bilinear_kernel's k x k filter."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    return 1 - (torch.arange(k, dtype=torch.float64) - center).abs().float() / factor


def trainable_head(model: FCN, model_classes: Sequence[str], labels: LabelSet) -> FCNHead:
    """A copy of ``model``'s head that predicts ``labels``' classes: the score rows of
    classes the model already knows (by name) are copied, new classes start at zero as in
    the paper. Only the score layers require gradients."""
    c8, c16, c32 = model.backbone.out_channels
    head = FCNHead(labels.num_classes, (c8, c16, c32), model.arch, model.head.offsets)
    rows = {name: i for i, name in enumerate(model_classes)}
    with torch.no_grad():
        for name in SCORE_LAYERS:
            if not hasattr(head, name):
                continue
            new, old = getattr(head, name), getattr(model.head, name)
            new.weight.zero_()
            new.bias.zero_()
            for i, cls in enumerate(labels.classes):
                if cls in rows:
                    new.weight[i] = old.weight[rows[cls]].to(new.weight.dtype)
                    new.bias[i] = old.bias[rows[cls]].to(new.bias.dtype)
        same = tuple(model_classes) == tuple(labels.classes)
        for name, module in list(head.named_children()):
            if isinstance(module, nn.ConvTranspose2d):
                if same:  # keep the model's own deconvolutions, learned or not
                    module.weight.copy_(getattr(model.head, name).weight)
                if _BilinearUpsample.fits(module):
                    setattr(head, name, _BilinearUpsample(module))
    for name, p in head.named_parameters():
        p.requires_grad_(name.split(".")[0] in SCORE_LAYERS)
    return head.to(next(model.parameters()).device)


def head_state(head: FCNHead) -> dict[str, torch.Tensor]:
    """The head's tensors under the FCN's (and the published weights') names."""
    out = {}
    for name, module in head.named_children():
        if isinstance(module, _BilinearUpsample):  # exactly the bilinear filler's weights
            out[f"{name}.weight"] = bilinear_kernel(head.score_fr.out_channels, module.kernel_size)
        else:
            out |= {f"{name}.{k}": v.detach().cpu().clone() for k, v in module.state_dict().items()}
    return out


def checkpoint_with_head(model: FCN, head: FCNHead, labels: LabelSet, pre: Preprocessing, **info) -> Checkpoint:
    """``model``'s backbone under ``head``, as a checkpoint."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items() if not k.startswith(("score", "upscore"))}
    state |= head_state(head)
    return Checkpoint(model.arch, labels.num_classes, labels, pre, state, **info)


# --------------------------------------------------------------------------- one step


def head_logits(head: FCNHead, features: Features, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(1, C, h, w)`` logits of the network input the features came from."""
    return head(*features.as_float(device), features.size)


def target_at(mask: np.ndarray, size: tuple[int, int], flipped: bool = False) -> torch.Tensor:
    """A full-size label mask at the network input's size (nearest), as a (1, h, w) target."""
    h, w = size
    small = mask if mask.shape == (h, w) else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    if flipped:
        small = small[:, ::-1]
    return torch.from_numpy(np.ascontiguousarray(small).astype(np.int64))[None]


def head_optimizer(head: FCNHead, config: HeadTrainConfig) -> torch.optim.Optimizer:
    """Adam over the score layers."""
    params = [p for p in head.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def _step(head, opt, loss_fn, features: Features, target: torch.Tensor, device) -> float | None:
    if not (target != IGNORE_INDEX).any():
        return None  # nothing labelled in this view
    loss = loss_fn(head_logits(head, features, device), target.to(device))
    if not torch.isfinite(loss):
        raise FCNStudioError(f"the loss became {loss.item()}: lower the learning rate")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.item())


# --------------------------------------------------------------------------- a round


@dataclass
class HeadTrainConfig:
    epochs: int = 20  # passes over the training images; one image (one view) per step
    lr: float = 1e-3
    weight_decay: float = 0.0
    flip: bool = True  # a flipped view is a cache entry of its own (see feature_cache)
    holdout: float = 0.2  # fraction of labelled images held out for scores (3+ images)
    seed: int = 0
    max_size: int | None = DEFAULT_MAX_SIZE  # as the predictor: the features it hands over fit
    device: str = "auto"


@dataclass
class LabelledImage:
    image: Path
    mask: np.ndarray  # (H, W) uint8, 255 = unlabelled


@dataclass
class RoundResult:
    checkpoint: Checkpoint
    version: ModelVersion | None  # None when not installed
    before: Scores | None  # held-out scores of the model the round compares with
    after: Scores | None
    train_images: list[Path]
    val_images: list[Path]
    seconds: float
    history: list[dict] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """True when the new model scores worse on the held-out labels than the one it
        was compared with: worth saying before the user switches to it."""
        if self.before is None or self.after is None:
            return False
        return self.after.mean_iou < self.before.mean_iou


def split_labelled(samples: list[LabelledImage], holdout: float, seed: int) -> tuple[list, list]:
    """A seeded split by file name: the same labels give the same split every round."""
    ordered = sorted(samples, key=lambda s: s.image.name)
    random.Random(seed).shuffle(ordered)
    n_val = max(1, round(len(ordered) * holdout)) if len(ordered) >= 3 and holdout > 0 else 0
    return ordered[n_val:], ordered[:n_val]


def fit_head(
    head: FCNHead,
    model: FCN,
    pre: Preprocessing,
    samples: list[LabelledImage],
    cache: FeatureCache,
    config: HeadTrainConfig,
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    first_epoch: int = 1,
) -> list[dict]:
    """Train ``head`` in place on the samples' cached features, one image (one view) per
    step; returns the loss history. Events are the trainer's ("iteration", "epoch");
    ``on_epoch(epoch, train_loss)``, when given, replaces the "epoch" event (the CLI
    validates and saves there). ``optimizer`` and ``first_epoch`` continue a run."""
    emit = on_event or (lambda e: None)
    device = next(model.parameters()).device
    opt = optimizer or head_optimizer(head, config)
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)
    rng = random.Random(config.seed + first_epoch - 1)
    torch.manual_seed(config.seed + first_epoch - 1)
    head.train()
    history, t0 = [], time.monotonic()
    total = (config.epochs - first_epoch + 1) * len(samples)
    done = 0
    for epoch in range(first_epoch, config.epochs + 1):
        losses = []
        for it, sample in enumerate(rng.sample(samples, len(samples)), 1):
            if cancelled and cancelled():
                raise Cancelled()
            flipped = config.flip and rng.random() < 0.5
            feats = cache.features(sample.image, model, pre, max_size=config.max_size, flipped=flipped,
                                   cancelled=cancelled)  # fmt: skip
            loss = _step(head, opt, loss_fn, feats, target_at(sample.mask, feats.size, flipped), device)
            if loss is not None:
                losses.append(loss)
            done += 1
            elapsed = time.monotonic() - t0
            emit({"type": "iteration", "epoch": epoch, "iteration": it, "iterations": len(samples),
                  "loss": float("nan") if loss is None else loss, "images_per_s": done / max(elapsed, 1e-9),
                  "progress": done / max(total, 1), "eta_s": elapsed / done * (total - done)})  # fmt: skip
        train_loss = float(np.mean(losses)) if losses else float("nan")
        history.append({"epoch": epoch, "train_loss": train_loss})
        if on_epoch is not None:
            on_epoch(epoch, train_loss)
        else:
            emit({"type": "epoch", "epoch": epoch, "epochs": config.epochs, "train_loss": train_loss,
                  "metrics": {}, "best": False})  # fmt: skip
    head.eval()
    return history


def evaluate_head(
    head: FCNHead,
    model: FCN,
    pre: Preprocessing,
    samples: list[LabelledImage],
    cache: FeatureCache,
    num_classes: int,
    max_size: int | None = DEFAULT_MAX_SIZE,
) -> Scores | None:
    """Scores over the samples' labelled pixels at full image size, one confusion matrix."""
    if not samples:
        return None
    cm = ConfusionMatrix(num_classes)
    device = next(model.parameters()).device
    was_training = head.training
    head.eval()
    with torch.no_grad():
        for s in samples:
            feats = cache.features(s.image, model, pre, max_size=max_size)
            labels, _, _ = logits_to_full_size(head_logits(head, feats, device)[0], *s.mask.shape)
            cm.update(s.mask, labels, s.image.name)
    head.train(was_training)
    return cm.scores()


def load_labelled(store: LabelStore, labels: LabelSet, cache: FeatureCache) -> list[LabelledImage]:
    """Every labelled image of the folder with its mask, each checked against its image."""
    out = []
    for image, mask_path in store.labelled_images():
        mask = store.load_mask(image, cache.image_shape(image))
        assert mask is not None
        bad = np.setdiff1d(np.unique(mask), [*range(labels.num_classes), IGNORE_INDEX])
        if bad.size:
            raise FCNStudioError(
                f"{mask_path}: labels {bad.tolist()} are not classes of {store.classes_path.name} "
                f"(0-{labels.num_classes - 1}, 255 = unlabelled); add the classes or erase those labels"
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
    config: HeadTrainConfig | None = None,
    cache: FeatureCache | None = None,
    install: bool = True,
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RoundResult:
    """One round: the score layers of ``base`` trained on every labelled image of ``folder``
    (but the held-out ones), installed as the next version of ``family``.

    ``compare_with`` (default: ``base``) is the model whose held-out scores are "before",
    typically the version in use; its scores are only defined when it predicts the
    folder's classes."""
    config = config or HeadTrainConfig()
    cache = cache or FeatureCache(cache_dir())
    emit = on_event or (lambda e: None)
    start = time.monotonic()
    store = LabelStore(folder)
    labels = store.label_set(default=base.labels)
    device = choose_device(config.device).device
    model = base.build_model().to(device)
    samples = load_labelled(store, labels, cache)
    if not samples:
        raise FCNStudioError(f"{folder}: no labelled pixels yet; paint a few strokes per class, then retrain")
    train_set, val_set = split_labelled(samples, config.holdout, config.seed)
    emit({"type": "message", "text": f"{len(train_set)} training and {len(val_set)} held-out images, "
          f"{labels.num_classes} classes"})  # fmt: skip
    before = None
    reference = compare_with or base
    if val_set and set(labels.classes) <= set(reference.labels.classes):
        ref_model = model if reference is base else reference.build_model().to(device)
        ref_head = trainable_head(ref_model, reference.labels.classes, labels)
        before = evaluate_head(ref_head, ref_model, reference.preprocessing, val_set, cache, labels.num_classes,
                               config.max_size)  # fmt: skip
    head = trainable_head(model, base.labels.classes, labels)
    history = fit_head(head, model, base.preprocessing, train_set, cache, config, emit, cancelled)
    after = evaluate_head(head, model, base.preprocessing, val_set, cache, labels.num_classes, config.max_size)
    metrics = after.to_json(list(labels.classes)) if after else {}
    if before is not None:
        metrics["before"] = before.to_json()
    ckpt = checkpoint_with_head(
        model, head, labels, base.preprocessing,
        provenance={"title": f"{family} retrained on {Path(folder).name}", "base": base.provenance.get("id", family),
                    "data": str(Path(folder).resolve())},
        metrics=metrics,
        training={"head_only": True, **asdict(config), "history": history,
                  "train_images": [s.image.name for s in train_set], "val_images": [s.image.name for s in val_set]},
    )  # fmt: skip
    info = {"provenance": ckpt.provenance, "metrics": ckpt.metrics, "training": ckpt.training}
    version = install_head_version(base, ckpt.state_dict, labels, base.preprocessing, info, family) if install else None
    result = RoundResult(ckpt, version, before, after, [s.image for s in train_set], [s.image for s in val_set],
                         time.monotonic() - start, history)  # fmt: skip
    emit({"type": "done", "id": version.id if version else None,
          "before": before.mean_iou if before else None, "after": after.mean_iou if after else None})  # fmt: skip
    return result


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
        self._opt = head_optimizer(self.head, HeadTrainConfig(lr=lr))
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
