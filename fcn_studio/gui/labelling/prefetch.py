"""The backbone features of the images the user labels, ready before they click "Fine-tune".

When Label mode opens on a folder and whenever an image gets labels, the features of the
labelled images that are not held yet are computed on a worker thread, by the path that
draws predictions (the loaded base's converted fast path, else torch), into the feature
cache (bounded in memory and on disk, least recently used out). The open image's features
usually arrive with its prediction; this covers the rest: a photo predicted before Label
mode was on, images labelled in an earlier session. It is cancellable and yields to a round.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from fcn_studio.gui.labelling.context import LabelContext
from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask


class FeaturePrefetch(QObject):
    def __init__(self, ctx: LabelContext, cache: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx, self._cache = ctx, cache
        self._wanted: list[Path] = []
        self.task: BackgroundTask | None = None
        self.computed = 0  # images whose features were computed here (tests, benches)

    def want(self, images: list[Path]) -> None:
        """Have these images' features held soon (those already held cost a lookup)."""
        self._wanted.extend(p for p in images if p not in self._wanted)
        if self.task is None:
            self._next()

    def cancel(self) -> None:
        self._wanted.clear()
        if self.task is not None:
            self.task.cancel()

    def _next(self) -> None:
        inf = self.ctx.inference
        if not self._wanted or not inf.model_key:
            return
        images, self._wanted = list(self._wanted), []
        service, cache = self.ctx.service, self._cache()
        model_key, device, max_size = inf.model_key, inf.device, inf.max_size

        def run(_progress, cancelled) -> int:
            from fcn_studio.training.head_solver import warm_up

            use_background_threads()
            warm_up()  # while the user paints, not after the click
            base = service.base(model_key, device)
            model, pre, count = base.model(), base.checkpoint.preprocessing, 0
            for image in images:
                if cancelled():
                    break
                before = cache.backbone_runs
                cache.features(image, model, pre, max_size=max_size, cancelled=cancelled, compute=base.features)
                count += cache.backbone_runs - before
            return count

        task = BackgroundTask(run, None)
        task.succeeded.connect(self._done)
        task.failed.connect(lambda _message: None)  # a shortcut only: the round computes what is missing
        task.finished.connect(self._finished)
        self.task = task.start(self.ctx.runner)

    def _done(self, count: int) -> None:
        self.computed += count

    def _finished(self) -> None:
        self.task = None
        self._next()

    def wait(self, ms: int = 60_000) -> None:
        if self.task is not None:
            self.task.wait(ms)
