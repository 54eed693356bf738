"""The player's keyframes mode: the model on keyframes, on a thread of its own, and every
frame shown with the latest keyframe's labels (and confidence) carried to it by optical
flow (inference/keyframes.py). The pace is the flow's (milliseconds a frame), not the
model's; frames are dropped, never queued, when even that falls behind."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import numpy as np

from fcn_studio.errors import Cancelled
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.inference.keyframes import KeyframePropagator


class PlayerKeyframes:
    """``segment(rgb)``: the engine's exact segmentation of a frame (None: no model, or
    cancelled). :meth:`result` gives any frame's result, computed or carried."""

    def __init__(self, segment: Callable[[np.ndarray], SegmentationResult | None]) -> None:
        self._segment = segment
        self._propagator: KeyframePropagator | None = None
        self._latest: SegmentationResult | None = None  # the newest keyframe's result
        self._lock = threading.Lock()
        self.keyframes = 0
        self.frames = 0

    def reset(self) -> None:
        """A seek, another model or mode: the next frame is a keyframe."""
        if self._propagator is not None:
            self._propagator.close()
        self._propagator = None
        with self._lock:
            self._latest = None

    def _keyframe(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = self._segment(rgb)
        if result is None:
            raise Cancelled()
        with self._lock:
            self._latest = result
        return result.labels, result.confidence

    def result(self, rgb: np.ndarray) -> SegmentationResult | None:
        if self._propagator is None:
            self._propagator = KeyframePropagator(self._keyframe, background=True)
        start = time.perf_counter()
        try:
            out = self._propagator(rgb)
        except Cancelled:
            self.reset()
            return None
        self.frames += 1
        self.keyframes = self._propagator.keyframes
        with self._lock:
            latest = self._latest
        if latest is None or out.labels.shape != latest.labels.shape:
            return None
        if out.keyframe:
            return latest
        return dataclasses.replace(
            latest,
            labels=out.labels,
            confidence=out.extras[0] if out.extras else latest.confidence,
            seconds=time.perf_counter() - start,
            backend_detail=f"{latest.backend_detail}; carried {out.distance} frame(s) from a keyframe by optical flow",
        )
