"""The one training loop. A *variant* says how a step is taken and how the model is scored:
the plain loop (random crops through the whole network, under torchrun too; plain.py), the
head-only solver on cached backbone features (``--freeze-backbone`` and Label mode's rounds;
head_variant.py). The loop around them is written once: steps, progress events,
cancellation, per-epoch validation, the best model and the resumable state (outputs.py),
installation and the final event.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import torch

from fcn_studio.data.labels import LabelSet
from fcn_studio.data.metrics import Scores
from fcn_studio.errors import Cancelled
from fcn_studio.messages import Message
from fcn_studio.models import FCN
from fcn_studio.training import distributed
from fcn_studio.training.config import (
    DoneEvent,
    EpochEvent,
    EventFn,
    IterationEvent,
    MessageEvent,
    TrainResult,
)
from fcn_studio.training.outputs import RunOutputs, read_metrics

Cancel = Callable[[], bool]


class Variant(Protocol):
    """How one kind of training takes its steps and scores its model."""

    model: FCN  # what checkpoints are written from (after sync())
    optimizer: torch.optim.Optimizer
    iterations: int  # steps per epoch (on this rank)

    def steps(self, epoch: int, cancelled: Cancel) -> Iterator[tuple[float | None, int]]:
        """Train one epoch, yielding (loss or None when nothing was labelled, images) per step."""
        ...

    def validate(self, cancelled: Cancel) -> Scores | None:
        """Scores on the validation data (summed over ranks), None without any."""
        ...

    def sync(self) -> None:
        """Put what was trained into ``model`` (a head trained apart from it, say)."""
        ...

    def after_resume(self, epoch: int) -> None:
        """Continue after ``epoch`` from the weights a resume loaded into ``model``."""
        ...


def never() -> bool:
    return False


def fit_epochs(
    variant: Variant,
    first: int,
    last: int,
    emit: EventFn,
    cancelled: Cancel,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[dict]:
    """Epochs ``first``..``last`` of ``variant``: an IterationEvent per step, then
    ``on_epoch(epoch, train_loss)`` (default: an EpochEvent without scores)."""
    world = distributed.context().world_size
    total = variant.iterations * max(last - first + 1, 0)
    t0, done, seen, history = time.monotonic(), 0, 0, []
    for epoch in range(first, last + 1):
        losses = []
        for it, (loss, images) in enumerate(variant.steps(epoch, cancelled), 1):
            if loss is not None:
                losses.append(loss)
            done, seen = done + 1, seen + images
            elapsed = max(time.monotonic() - t0, 1e-9)
            emit(
                IterationEvent(
                    epoch,
                    it,
                    variant.iterations,
                    math.nan if loss is None else loss,
                    seen * world / elapsed,
                    done / max(total, 1),
                    elapsed / done * max(total - done, 0),
                )
            )
        train_loss = distributed.mean_across(losses)
        history.append({"epoch": epoch, "train_loss": train_loss})
        if on_epoch is not None:
            on_epoch(epoch, train_loss)
        else:
            emit(EpochEvent(epoch, last, train_loss))
    return history


def run(
    variant: Variant, outputs: RunOutputs, labels: LabelSet, emit: EventFn, cancelled: Cancel | None
) -> TrainResult:
    """A run that writes files: resume when asked, train, keep the best model by validation
    mean IoU and the resumable state after every epoch, install the result."""
    config, out, model, opt = outputs.config, outputs.out, variant.model, variant.optimizer
    cancelled = cancelled or never
    start, best, history = 0, -1.0, []
    if config.resume:
        start, best, history = outputs.resume_into(model, opt)
        variant.after_resume(start)
        emit(MessageEvent(Message("resumed after epoch {epoch} (best mean IoU {best:.4f})", epoch=start, best=best)))
    state = {"best": best, "metrics": {}, "epoch": start}

    def on_epoch(epoch: int, train_loss: float) -> None:
        scores = variant.validate(cancelled)
        metrics = scores.to_json(list(labels.classes)) if scores else {}
        history.append({"epoch": epoch, "train_loss": train_loss, **metrics})
        miou = metrics.get("mean_iou")
        improved = miou is not None and not math.isnan(miou) and miou > state["best"]
        variant.sync()
        if improved or not out.exists() or not scores:
            state["best"] = miou if improved else state["best"]
            state["metrics"] = metrics
            outputs.save_best(model, metrics, history, epoch)
        outputs.save_last(model, opt, history, epoch, state["best"])
        state["epoch"] = epoch
        emit(EpochEvent(epoch, config.epochs, train_loss, metrics, improved))

    result = TrainResult(out, {}, history)
    try:
        fit_epochs(variant, start + 1, config.epochs, emit, cancelled, on_epoch)
    except (Cancelled, KeyboardInterrupt):  # Stop in the GUI, Ctrl+C on the command line
        result.cancelled = True
        # keep what was learnt: the last state for resume, and a best model if none exists yet
        variant.sync()
        outputs.save_last(model, opt, history, state["epoch"], state["best"])
        if not out.exists():
            outputs.save_best(model, {}, history, state["epoch"])
        emit(MessageEvent(Message("cancelled during epoch {epoch}; checkpoints kept", epoch=state["epoch"] + 1)))
    result.best_metrics = state["metrics"] or read_metrics(out)
    result.registered_id = outputs.register()
    emit(DoneEvent(str(out), result.registered_id, result.best_metrics, result.cancelled))
    return result
