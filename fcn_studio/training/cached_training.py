"""``fcn-studio train --freeze-backbone``: train the score layers on cached backbone features.

With the backbone frozen its output for an image never changes, so it is computed once
per image (and once per flipped view) and kept (labelling.feature_cache); every epoch
after the first trains only the three 1x1 score layers. What the cache rules out: random
scale and crop (each would be a new backbone pass), batching of differently sized images
(one whole image per step instead) and the dropout of fc6/fc7 (features are computed in
evaluation mode). Checkpoints (OUT, OUT.last.* for --resume), events, validation and installation are the
trainer's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_studio.data.dataset import DatasetReport, MaskEncoding
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.device import choose_device
from fcn_studio.labelling.versions import register_trained
from fcn_studio.storage.checkpoint import save_checkpoint
from fcn_studio.training import resume
from fcn_studio.training.feature_cache import FeatureCache, cache_dir
from fcn_studio.training.head_trainer import (
    HeadTrainConfig,
    LabelledImage,
    evaluate_head,
    fit_head,
    head_optimizer,
    head_state,
    trainable_head,
)
from fcn_studio.training.trainer import (
    EventFn,
    TrainConfig,
    TrainResult,
    _checkpoint,
    _read_metrics,
    _resume,
    _save_last,
    checked_split,
    dataset_labels,
    initial_model,
    model_id,
)


def _masks(pairs: list[tuple[Path, Path]], encoding: MaskEncoding) -> list[LabelledImage]:
    out = []
    for image, mask_path in pairs:
        try:
            with Image.open(mask_path) as m:
                m.load()
                out.append(LabelledImage(image, np.ascontiguousarray(encoding.decode(m), dtype=np.uint8)))
        except (OSError, SyntaxError, ValueError) as exc:
            raise FCNStudioError(f"{mask_path}: unreadable mask ({exc})") from None
    return out


def train_cached(
    config: TrainConfig,
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    report: DatasetReport | None = None,
    cache: FeatureCache | None = None,
) -> TrainResult:
    emit = on_event or (lambda e: None)
    out = Path(config.out)
    report, train_pairs, val_pairs = checked_split(config, report)
    labels = dataset_labels(report, config.data)
    choice = choose_device(config.device)
    model, pre, notes = initial_model(config, labels.num_classes)
    model.to(choice.device).eval()
    cache = cache or FeatureCache(cache_dir())
    for n in notes:
        emit({"type": "message", "text": n})
    emit({"type": "message", "text": f"{len(train_pairs)} training and {len(val_pairs)} validation images, "
          f"{labels.num_classes} classes, on {choice.description}"})  # fmt: skip
    emit({"type": "message", "text": "backbone frozen: its features are computed once per image"
          + (" and flipped view" if config.flip else "") + f" and cached ({cache.directory}); "
          "whole images, one per step, no random scale or crop"})  # fmt: skip
    head_config = HeadTrainConfig(epochs=config.epochs, lr=config.lr, weight_decay=config.weight_decay,
                                  flip=config.flip, seed=config.seed, device=config.device)  # fmt: skip
    train_set, val_set = _masks(train_pairs, report.encoding), _masks(val_pairs, report.encoding)
    # the base's score layers already fit these classes (initial_model copied or reset them)
    head = trainable_head(model, labels.classes, labels)
    opt = head_optimizer(head, head_config)
    last_state = resume.state_path(out)
    start_epoch, best, history = 0, -1.0, []
    if config.resume:
        start_epoch, best, history = _resume(model, opt, config)
        head.load_state_dict({k: v for k, v in model.state_dict().items() if k.startswith("score")}, strict=False)
        emit({"type": "message", "text": f"resumed after epoch {start_epoch} (best mean IoU {best:.4f})"})
    state = {"best": best, "metrics": {}, "epoch": start_epoch}

    def save(metrics: dict, epoch: int, *, best_too: bool) -> None:
        model.load_state_dict(head_state(head), strict=False)
        if best_too:
            save_checkpoint(_checkpoint(model, config, labels, pre, metrics, history, epoch), out)
        _save_last(model, opt, config, history, epoch, state["best"], last_state)

    def on_epoch(epoch: int, train_loss: float) -> None:
        scores = evaluate_head(head, model, pre, val_set, cache, labels.num_classes, head_config.max_size)
        metrics = scores.to_json(list(labels.classes)) if scores else {}
        history.append({"epoch": epoch, "train_loss": train_loss, **metrics})
        miou = metrics.get("mean_iou")
        improved = miou is not None and not math.isnan(miou) and miou > state["best"]
        if improved:
            state["best"] = miou
        if improved or not out.exists() or not val_set:
            state["metrics"] = metrics
        state["epoch"] = epoch
        save(metrics, epoch, best_too=improved or not out.exists() or not val_set)
        emit({"type": "epoch", "epoch": epoch, "epochs": config.epochs, "metrics": metrics,
              "train_loss": train_loss, "best": improved})  # fmt: skip

    result = TrainResult(out, {}, history)
    try:
        fit_head(head, model, pre, train_set, cache, head_config, emit, cancelled, on_epoch, opt, start_epoch + 1)
    except (Cancelled, KeyboardInterrupt):  # Stop in the GUI, Ctrl+C on the command line
        result.cancelled = True  # keep what was learnt, and install it, as the plain loop does
        save({}, state["epoch"], best_too=not out.exists())
        emit({"type": "message", "text": f"cancelled after epoch {state['epoch']}; checkpoints kept"})
    emit({"type": "message", "text": f"backbone passes: {cache.backbone_runs}, cached features reused: {cache.hits}"})
    result.best_metrics = state["metrics"] or _read_metrics(out)
    result.registered_id = register_trained(out, config.base, model_id(config))
    emit({"type": "done", "out": str(out), "id": result.registered_id, "metrics": result.best_metrics,
          "cancelled": result.cancelled})  # fmt: skip
    return result
