"""The player's keyframes mode: the display never waits on the network.

The model runs on a thread of its own, one keyframe after another: as soon as one is
done the next is asked for (Clockwork Convnets, Shelhamer et al. 2016). Every frame shown
gets the finished keyframes' labels (and confidence) carried to it by optical flow
straight from the keyframe (DIS, ultrafast preset, on small grey copies: a millisecond or
two; Deep Feature Flow, Zhu et al. 2017), so the pace is the flow's, not the model's.

A file can be read ahead: the keyframe is then the frame the display will reach half a
keyframe's time after the model has finished it (its measured latency), so the frames
carried from it lie on both sides of it, half as far as from the frame on screen when
it was asked for. Pixels a keyframe did not see (a pan uncovers them) take the labels of
the next nearest keyframe that saw them, else the nearest valid label. A live camera has
no frames ahead: its keyframe is the latest frame. A scene cut drops the keyframes of the
old scene (the frames show no overlay until the new scene's first keyframe is done).

Paused on a file, the player buffers as video players do: the keyframe playback will reach
is made while the user looks, so playing starts carried from both sides. A seek, cut or
reset stops the keyframe in the making at the model's next check: it would only hold up
the first keyframe of where the user went.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.inference.keyframes import CUT_DISTANCE, grey_copy, grey_histogram, snapped_flow

FLOW_SIZE = 160  # the longer side of the player's flow copies (a quarter of 640x360)
KEEP = 3  # finished keyframes kept: the nearest carries a frame, the others fill what it did not see


@dataclass(frozen=True)
class _Keyframe:
    index: int
    grey: np.ndarray  # at flow size
    result: SegmentationResult


class FramesAhead:
    """Frame ``index`` of a video file, decoded by a capture of its own (the keyframe
    thread's; playback's position is untouched). Forward steps only grab the frames
    between, cheaper than seeking. None past the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._cap = None
        self._pos = 0  # the frame the capture reads next

    def __call__(self, index: int) -> np.ndarray | None:
        if self._cap is None:
            self._cap, self._pos = cv2.VideoCapture(self.source), 0
        gap = index - self._pos
        if gap < 0 or gap > 60:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        else:
            for _ in range(gap):
                self._cap.grab()
        ok, bgr = self._cap.read()
        self._pos = index + 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None


class PlayerKeyframes:
    """``segment(rgb, cancelled)``: the engine's exact segmentation of a frame (None: no
    model, or ``cancelled()`` said stop), called on the keyframe thread. :meth:`result` gives a frame's carried
    result at once (None until a first keyframe of its scene is done)."""

    def __init__(
        self,
        segment: Callable[[np.ndarray, Callable[[], bool]], SegmentationResult | None],
        *,
        flow_size: int = FLOW_SIZE,
    ) -> None:
        self._segment = segment
        self._flow_size = flow_size
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._cond = threading.Condition()
        self._request: tuple | None = None  # (generation, index, rgb or None, frames ahead)
        self._busy: int | None = None  # the generation of the keyframe in the making
        self._generation = 0  # a reset makes keyframes in the making worthless
        self._keys: list[_Keyframe] = []
        self._error: BaseException | None = None
        self._latency: float | None = None  # seconds the last keyframe took, reading included
        self._measured = False  # _latency is a keyframe's (made while playing), not a paused frame's
        self._at = 0  # the frame the display showed last: the keyframes nearest it are kept
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_hist: np.ndarray | None = None
        self._grid: list[np.ndarray] | None = None  # full-size pixel coordinates (x, y)
        self.ahead: FramesAhead | None = None  # set for a video file
        self.keyframes = 0  # keyframes done (this playback)
        self.frames = 0  # frames carried or shown without overlay
        self.waited = 0.0  # seconds the display spent in result(): never the model's

    def reset(self, model: bool = False) -> None:
        """A seek, a mode or (``model``) another model: forget the keyframes (one in the
        making is stopped); another model also its time."""
        with self._cond:
            self._generation += 1
            self._keys, self._request, self._error = [], None, None
            self._last_hist = None
            if model:
                self._latency, self._measured = None, False

    def close(self, wait: float = 0.0) -> None:
        """Stop the keyframe thread; ``wait``: seconds to give a keyframe in the making
        (the engine's end: a process must not exit while the model runs on a thread)."""
        self.reset()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if wait and self._thread is not None:
            self._thread.join(wait)

    def seed(self, index: int, rgb: np.ndarray, result: SegmentationResult) -> None:
        """A frame's exact result already at hand (the paused frame's, when playing
        starts): a keyframe beside those read ahead of it, and its time the first estimate
        of the model's."""
        key = _Keyframe(index, grey_copy(rgb, self._flow_size), result)
        with self._cond:
            self._at = index
            self._keep([k for k in self._keys if k.index != index] + [key])
            if not self._measured:  # a paused frame's time may be a cold first run's
                self._latency = result.seconds or self._latency
        self._last_hist = grey_histogram(key.grey)

    def buffer(
        self, index: int, rgb: np.ndarray, result: SegmentationResult | None, fps: float, last: int | None
    ) -> None:
        """Paused on frame ``index`` (``result``: its exact one, if at hand): in a file,
        the keyframe playback will reach next is made now."""
        if result is not None:
            self.seed(index, rgb, result)
        with self._cond:
            if self._busy == self._generation or self._request is not None:
                return
            target = self._target(index, rgb, fps, last)
            if target is None or target[0] <= index:  # nothing ahead to read (a camera, the end, no estimate)
                return
            self._request = (self._generation, *target)
            self._cond.notify()
        self._start()

    # -- the display's side ------------------------------------------------------------

    def result(self, index: int, rgb: np.ndarray, fps: float = 25.0, last: int | None = None):
        """Frame ``index``'s result carried from the keyframes done so far; asks for the
        next keyframe when the model is free. Never waits for the model."""
        start = time.perf_counter()
        self.frames += 1
        grey = grey_copy(rgb, self._flow_size)
        hist = grey_histogram(grey)
        cut = self._last_hist is not None and (
            cv2.compareHist(self._last_hist, hist, cv2.HISTCMP_BHATTACHARYYA) > CUT_DISTANCE
        )
        self._last_hist = hist
        with self._cond:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if cut or (self._keys and self._keys[0].grey.shape != grey.shape):
                self._generation += 1  # the old scene's keyframes say nothing of this one
                self._keys, self._request = [], None
            self._at = index
            target = self._target(index, rgb, fps, last) if self._busy != self._generation else None
            if target is not None and self._request is None:
                self._request = (self._generation, *target)
                self._cond.notify()
            keys = sorted(self._keys, key=lambda k: abs(k.index - index))
        self._start()
        out = self._carried(index, rgb.shape[:2], grey, keys) if keys else None
        self.waited += time.perf_counter() - start
        return out

    def _target(self, index: int, rgb: np.ndarray, fps: float, last: int | None) -> tuple | None:
        """The frame the next keyframe is made of: ahead by one and a half keyframe times
        in a file (ready when the display is half a keyframe time before it), or a
        keyframe's time beyond one already made up to there (read ahead while paused; one
        made farther on leaves a gap to fill); else this one. None: every frame left has
        its keyframes."""
        if self.ahead is None or self._latency is None or not fps:
            return index, rgb, None
        spacing = max(1, round(self._latency * fps))
        target = index + round(1.5 * self._latency * fps)
        for made in sorted(k.index for k in self._keys):  # ascending: each moves the target past it once
            if -(spacing // 2) <= made - target <= spacing // 4:
                if last is not None and made >= last:
                    return None
                target = made + spacing
        if last is not None:
            target = min(target, last)
        return (index, rgb, None) if target <= index else (target, None, self.ahead)

    def _keep(self, keys: list[_Keyframe]) -> None:
        """The :data:`KEEP` keyframes nearest the frame on screen."""
        self._keys = sorted(keys, key=lambda k: abs(k.index - self._at))[:KEEP]

    def _carried(self, index: int, shape: tuple[int, int], grey: np.ndarray, keys: list[_Keyframe]):
        nearest = keys[0]
        if nearest.index == index:
            return nearest.result
        labels, confidence, inside = self._warp(grey, nearest, shape)
        for other in keys[1:]:  # what the nearest keyframe did not see, from the next that did
            if inside.all():
                break
            more_labels, more_confidence, more_inside = self._warp(grey, other, shape)
            fill = more_inside & ~inside
            labels[fill], confidence[fill] = more_labels[fill], more_confidence[fill]
            inside |= more_inside
        return dataclasses.replace(
            nearest.result,
            labels=labels,
            confidence=confidence,
            backend_detail=f"{nearest.result.backend_detail}; carried {index - nearest.index:+d} frame(s) "
            "from a keyframe by optical flow",
        )

    def _warp(self, grey: np.ndarray, key: _Keyframe, shape: tuple[int, int]):
        """The keyframe's labels and confidence on this frame, and which pixels it saw."""
        # The camera's motion by phase correlation (any distance the frames overlap over),
        # then DIS refines from it (alone it loses displacements of tens of pixels)
        motion, _ = cv2.phaseCorrelate(grey.astype(np.float32), key.grey.astype(np.float32))
        start = np.empty((*grey.shape, 2), np.float32)
        start[...] = motion
        flow = self._flow.calc(grey, key.grey, start)  # this frame -> the keyframe, at flow size
        small = snapped_flow(flow, grey, key.grey, shape, motion=motion, full=False)
        h, w = shape
        if self._grid is None or self._grid[0].shape != shape:
            self._grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        # enlarged by nearest neighbour: the camera's motion stays whole full-size pixels
        full = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        mx = np.rint(full[..., 0] * np.float32(w / grey.shape[1]) + self._grid[0])
        my = np.rint(full[..., 1] * np.float32(h / grey.shape[0]) + self._grid[1])
        inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)

        def warp(m: np.ndarray) -> np.ndarray:
            return cv2.remap(m, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)

        return warp(key.result.labels), warp(key.result.confidence), inside

    # -- the keyframe thread -------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._closed = False
            self._thread = threading.Thread(target=self._work, name="keyframes", daemon=True)
            self._thread.start()

    def _stale(self, generation: int) -> bool:
        """A keyframe of ``generation`` is no longer wanted (a seek, cut, reset or close)."""
        return generation != self._generation or self._closed

    def _work(self) -> None:
        while True:
            with self._cond:
                while self._request is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                (generation, index, rgb, ahead), self._request = self._request, None
                self._busy = generation
            start = time.monotonic()
            result, error = None, None
            try:
                if rgb is None:
                    rgb = ahead(index)
                if rgb is not None:
                    result = self._segment(rgb, functools.partial(self._stale, generation))
            except Exception as exc:  # handed to the display's thread, which reports it
                error = exc
            with self._cond:
                self._busy = None
                if generation != self._generation:
                    continue
                self._error = error
                if result is not None and result.labels.shape == rgb.shape[:2]:
                    self._latency, self._measured = time.monotonic() - start, True
                    self._keep([*self._keys, _Keyframe(index, grey_copy(rgb, self._flow_size), result)])
                    self.keyframes += 1
