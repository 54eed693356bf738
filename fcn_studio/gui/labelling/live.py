"""Live mode: after each stroke, a few head-only steps on the open image's cached backbone
features refresh its prediction. The backbone runs once per image (on a worker thread);
each update then costs a few head steps, also on a worker thread, so the GUI never waits.
Strokes made while an update runs are folded into the next one."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import Cancelled
from fcn_studio.gui.shared.results import SegmentationResult, use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.inference.model_service import ModelService

if TYPE_CHECKING:  # torch-backed: imported on the worker when live mode first runs
    import torch

    from fcn_studio.training.feature_cache import FeatureCache
    from fcn_studio.training.head_trainer import LiveHead

LIVE_STEPS = 5


class LiveUpdater(QObject):
    """Emits ``updated(result, seconds)``: the refreshed prediction of the open image and
    how long after the end of the stroke it arrived; ``failed(message)``."""

    updated = Signal(object, float)
    failed = Signal(str)

    def __init__(
        self,
        service: ModelService,
        cache: Callable[[], FeatureCache],
        runner: TaskRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.cache, self.runner = service, cache, runner
        self._head: LiveHead | None = None
        self._task: BackgroundTask | None = None
        self._context: tuple | None = None  # what the head was made for
        self._pending: tuple[np.ndarray, float] | None = None
        self._generation = 0  # a reset makes answers of earlier work stale
        self.last_latency: float | None = None
        self.lr, self.steps = 1e-2, LIVE_STEPS  # as bench/bench_label_loop.py measures them

    @property
    def busy(self) -> bool:
        return self._task is not None

    def reset(self) -> None:
        """Another image, model or label set: the next stroke starts a new head."""
        self._generation += 1
        self._head, self._context, self._pending = None, None, None

    def stroke_done(
        self,
        image: Path,
        rgb: np.ndarray,
        mask: np.ndarray,
        model_key: str,
        device: str,
        max_size: int,
        labels: LabelSet,
    ) -> None:
        """Queue an update with the labels as they are now (a copy)."""
        context = (str(image), model_key, device, max_size, labels)
        if context != self._context:
            self.reset()
            self._context = context
        self._pending = (mask.copy(), time.monotonic())
        if self._task is None:
            self._run_next(rgb)

    def _run_next(self, rgb: np.ndarray | None = None) -> None:
        if self._pending is None or self._context is None:
            return
        (mask, stroke_end), self._pending = self._pending, None
        image, model_key, device, max_size, labels = self._context
        generation, head, lr, steps = self._generation, self._head, self.lr, self.steps

        def run(_progress, cancelled):
            nonlocal head
            from fcn_studio.inference.resize import logits_to_full_size
            from fcn_studio.training.head_trainer import LiveHead

            use_background_threads()
            if head is None:  # the first pass: the backbone's features of this image, cached
                loaded = self.service.load(model_key, device)
                ckpt = loaded.checkpoint
                _stop_if(cancelled)
                # a backbone pass (when the displayed prediction's features were not kept) is
                # not interrupted: the model is shared with the other views' threads
                feats = self.cache().features(
                    image, loaded.model, ckpt.preprocessing, max_size=max_size, rgb=rgb, cancelled=cancelled
                )
                _stop_if(cancelled)
                head = LiveHead(loaded.model, ckpt.labels.classes, labels, feats, lr=lr)
            with stops_between_layers(head.head, cancelled):  # the live head is this update's own copy
                logits = head.update(mask, steps=steps)
            pred, conf, _ = logits_to_full_size(logits, *mask.shape)
            conf8 = np.clip(np.rint(conf * 255.0), 0, 255).astype(np.uint8)
            result = SegmentationResult(
                pred.astype(np.uint8), conf8, labels, model_key, ckpt_arch(head), 0.0, head.features.size
            )
            return head, result

        task = BackgroundTask(run, None)
        task.succeeded.connect(lambda out: self._done(generation, stroke_end, *out))
        task.failed.connect(lambda message: self._failed(generation, message))
        task.finished.connect(self._finished)
        self._task = task.start(self.runner)

    def _done(self, generation: int, stroke_end: float, head: LiveHead, result: SegmentationResult) -> None:
        if generation != self._generation:
            return
        self._head = head
        self.last_latency = time.monotonic() - stroke_end
        self.updated.emit(result, self.last_latency)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.reset()
            self.failed.emit(message)

    def _finished(self) -> None:
        self._task = None
        self._run_next()

    def wait(self, ms: int = 30_000) -> None:
        if self._task is not None:
            self._task.wait(ms)

    def cancel(self) -> None:
        """Drop the update in progress and those queued (the window closes): the worker
        stops at its next step instead of finishing work whose answer nobody reads."""
        self.reset()
        if self._task is not None:
            self._task.cancel()


def _stop_if(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise Cancelled("live update dropped")


@contextlib.contextmanager
def stops_between_layers(model: torch.nn.Module, cancelled: Callable[[], bool]):
    """While inside, a forward pass of ``model`` stops with Cancelled at the next layer once
    ``cancelled()`` is true, so closing the window waits for one head step, not for all of
    them. Only for a model no other thread runs (hooks are added and removed here)."""

    def check(_module, _inputs) -> None:
        if cancelled():
            raise Cancelled("live update dropped")

    hooks = [m.register_forward_pre_hook(check) for m in model.modules() if not list(m.children())]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def ckpt_arch(head: LiveHead) -> str:
    return str(head.model.arch)
