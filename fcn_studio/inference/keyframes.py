"""Video at an interactive rate: the network on keyframes, its labels carried to the frames
between them by optical flow.

Frames of a video change little from one to the next, so segmenting every frame repeats
most of the work (Shelhamer et al., "Clockwork Convnets for Video Semantic Segmentation",
2016). Here the network runs on a *keyframe*; each later frame gets the keyframe's labels
warped by the dense optical flow from that frame back to the keyframe (Zhu et al., "Deep
Feature Flow for Video Recognition", CVPR 2017, warp features the same way), computed with
OpenCV's DIS flow on small grey copies of the frames: milliseconds, where the network
takes a second or more on a CPU.

Keyframes are chosen adaptively (``every=None``, "auto"): a new one when the scene cuts
(the grey-level histograms of consecutive frames differ), when the warped keyframe no
longer looks like the frame (the mean photometric error after warping grows: motion the
flow cannot follow, occlusions), when too much of the frame comes from outside the
keyframe (a pan uncovers new content), or after :data:`MAX_GAP` frames. ``every=N`` makes
every N-th frame a keyframe (and every scene cut too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

FLOW_SIZE = 320  # the longer side of the grey copies the flow is computed on
MAX_GAP = 30  # auto: at most this many frames from a keyframe
CUT_DISTANCE = 0.35  # Bhattacharyya distance of consecutive grey histograms that is a cut
MAX_ERROR = 10.0  # auto: mean absolute grey error (0-255) of the warped keyframe
MAX_UNCOVERED = 0.06  # auto: share of the frame whose flow points outside the keyframe
SNAP = 2.0  # pixels (full size): flow this close to the dominant motion is taken as it


@dataclass(frozen=True)
class FrameLabels:
    """A frame's labels, and how they were made: by the network (a keyframe, with the
    reason) or warped from the keyframe ``distance`` frames back."""

    labels: np.ndarray
    keyframe: bool
    reason: str = ""  # "first", "cut", "every", "motion", "uncovered", "gap"
    distance: int = 0  # frames since the keyframe the labels come from


def parse_keyframes(text: str | int | None) -> int | None:
    """``"auto"`` (or None) -> None; ``"N"`` -> N >= 1. ValueError otherwise."""
    if text is None or str(text).strip().lower() == "auto":
        return None
    n = int(str(text))
    if n < 1:
        raise ValueError("keyframes: 'auto' or a whole number >= 1")
    return n


def grey_copy(rgb: np.ndarray, size: int) -> np.ndarray:
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    scale = min(1.0, size / max(h, w))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return grey


def grey_histogram(grey: np.ndarray) -> np.ndarray:
    hist = cv2.calcHist([grey], [0], None, [32], [0, 256])
    return cv2.normalize(hist, hist).astype(np.float32)


Maps = tuple[np.ndarray, ...]  # labels first, then any other per-pixel map (uint8)


class KeyframePropagator:
    """Labels for each frame of a video, in order: ``segment(rgb)`` on keyframes (a label
    map, or a tuple of maps, labels first), warped maps between them. Call it with every
    frame shown; frames may be skipped (the flow goes straight back to the keyframe,
    however far). The network runs on keyframes in line (export, the command line); the
    player's own mode never waits for it (gui/video/keyframes.py).
    """

    def __init__(
        self,
        segment: Callable[[np.ndarray], np.ndarray | Maps],
        every: int | None = None,
        *,
        flow_size: int = FLOW_SIZE,
        max_gap: int = MAX_GAP,
    ) -> None:
        self.segment = segment
        self.every = every
        self.flow_size = flow_size
        self.max_gap = max_gap
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self._key: tuple[np.ndarray, Maps] | None = None  # (grey, maps) of the keyframe
        self._key_frame = 0  # the frame number (1-based, this propagator's) of the keyframe
        self._last_hist: np.ndarray | None = None
        self.keyframes = 0
        self.frames = 0

    def reset(self) -> None:
        """Forget the keyframe (after a seek): the next frame is one."""
        self._key, self._last_hist = None, None

    def __call__(self, rgb: np.ndarray) -> FrameLabels:
        self.frames += 1
        grey = grey_copy(rgb, self.flow_size)
        hist = grey_histogram(grey)
        cut = self._last_hist is not None and (
            cv2.compareHist(self._last_hist, hist, cv2.HISTCMP_BHATTACHARYYA) > CUT_DISTANCE
        )
        self._last_hist = hist
        reason = self._due(cut)
        if reason is None:
            warped, why = self._warp(grey, rgb.shape[:2])
            if warped is not None:
                return self._propagated(warped)
            reason = why
        return self._keyframe(rgb, grey, reason)

    def labels_of(self, rgb: np.ndarray) -> np.ndarray:
        """The labels of the next frame ``rgb`` (keyframe or propagated)."""
        return self(rgb).labels

    def _propagated(self, maps: Maps) -> FrameLabels:
        return self._as_labels(maps, False, "", self.frames - self._key_frame)

    @staticmethod
    def _as_labels(maps: Maps, keyframe: bool, reason: str, distance: int = 0) -> FrameLabels:
        return FrameLabels(maps[0], keyframe, reason, distance)

    def _due(self, cut: bool) -> str | None:
        if self._key is None:
            return "first"
        if cut:
            return "cut"
        since = self.frames - self._key_frame
        if self.every is not None:
            return "every" if since >= self.every else None
        return "gap" if since >= self.max_gap else None

    def _keyframe(self, rgb: np.ndarray, grey: np.ndarray, reason: str) -> FrameLabels:
        maps = _as_maps(self.segment(rgb))
        self._adopt(grey, maps, self.frames)
        return self._as_labels(maps, True, reason)

    def _adopt(self, grey: np.ndarray, maps: Maps, frame: int) -> None:
        self._key, self._key_frame = (grey, maps), frame
        self.keyframes += 1

    def _warp(self, grey: np.ndarray, shape: tuple[int, int]) -> tuple[Maps | None, str]:
        """The keyframe's maps warped onto this frame; None (with the reason) where auto
        mode finds the flow no longer explains the frame."""
        key_grey, key_maps = self._key
        if key_grey.shape != grey.shape:
            return None, "cut"  # the size changed (a camera reopened): nothing to warp from
        flow = self._flow.calc(grey, key_grey, None)  # this frame -> keyframe, at flow size
        h, w = grey.shape
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        mx, my = gx + flow[..., 0], gy + flow[..., 1]
        warped_grey = cv2.remap(key_grey, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        error = cv2.blur(cv2.absdiff(warped_grey, grey), (5, 5))
        if self.every is None:
            outside = float(np.mean((mx < -0.5) | (mx > w - 0.5) | (my < -0.5) | (my > h - 0.5)))
            if outside > MAX_UNCOVERED:
                return None, "uncovered"
            if float(np.mean(error)) > MAX_ERROR:
                return None, "motion"
        full_flow = snapped_flow(flow, grey, key_grey, shape, error)
        return tuple(warp_labels(m, full_flow, shape) for m in key_maps), ""


def snapped_flow(
    flow: np.ndarray,
    grey: np.ndarray,
    key_grey: np.ndarray,
    shape: tuple[int, int],
    error: np.ndarray | None = None,
    motion: tuple[float, float] | None = None,
    full: bool = True,
) -> np.ndarray:
    """``flow`` (a frame ``grey`` -> its keyframe ``key_grey``, at flow size) at the frame's
    full ``shape``, with the dominant motion (a pan, a tilt: the median flow, in whole
    full-size pixels) wherever it explains a pixel at least as well as the pixel's own flow.
    ``error``: the blurred grey error of warping by ``flow`` where the caller has it;
    ``motion``: the dominant motion (flow-size pixels) where the caller measured it.
    ``full=False``: the same flow at flow size, in its pixels (the caller enlarges it by
    nearest neighbour, which keeps the dominant motion's values as they are)."""
    h, w = grey.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    if error is None:
        warped_grey = cv2.remap(
            key_grey, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        error = cv2.blur(cv2.absdiff(warped_grey, grey), (5, 5))
    scale = np.array([shape[1] / w, shape[0] / h], np.float32)  # flow size -> full size
    dominant = np.asarray(motion, np.float32) if motion is not None else np.median(flow.reshape(-1, 2), axis=0)
    dominant = np.rint(dominant * scale) / scale
    shifted = cv2.remap(key_grey, gx + dominant[0], gy + dominant[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    near = np.abs(flow - dominant).max(axis=2) < SNAP / scale.max()
    global_ = near | (cv2.blur(cv2.absdiff(shifted, grey), (5, 5)).astype(np.int16) <= error.astype(np.int16) + 2)
    # content the camera's motion brings in (and its blur's reach inside): the keyframe never
    # saw it, its own flow is a guess
    sx, sy = gx + dominant[0], gy + dominant[1]
    global_ |= (sx < 2) | (sx > w - 3) | (sy < 2) | (sy > h - 3)
    if not full:
        snapped = flow.copy()
        np.copyto(snapped, dominant, where=global_[..., None])
        return snapped
    return _full_size_flow(flow, shape, dominant * scale, global_)


def _as_maps(result) -> Maps:
    return tuple(np.asarray(m) for m in result) if isinstance(result, (tuple, list)) else (np.asarray(result),)


def _full_size_flow(
    flow: np.ndarray, shape: tuple[int, int], dominant: np.ndarray | None = None, global_: np.ndarray | None = None
) -> np.ndarray:
    """``flow`` (at flow size) at the frame's size, in its pixels. ``dominant`` (full-size
    pixels, whole numbers: a pan, a tilt) replaces it where ``global_`` (at flow size) is
    true: pixels that move with the camera are shifted by exactly its motion (the flow's
    own error near edges and in flat regions is a pixel or two), so a pure translation by
    whole pixels is carried exactly, while independent motion keeps its own flow."""
    h, w = shape
    fh, fw = flow.shape[:2]
    if (fh, fw) != (h, w):
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        flow[..., 0] *= w / fw
        flow[..., 1] *= h / fh
    if dominant is not None and global_ is not None:
        mask = global_.astype(np.uint8)
        if mask.shape != (h, w):
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
        np.copyto(
            flow, np.asarray(dominant, np.float32), where=mask.astype(bool)[..., None]
        )  # (a masked assignment: 10x slower)
    return flow


def warp_labels(labels: np.ndarray, flow: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``labels`` (of the keyframe, ``shape``) sampled where ``flow`` (this frame ->
    keyframe, at any smaller size) points: nearest label, edges replicated."""
    h, w = shape
    if flow.shape[:2] != (h, w):
        flow = _full_size_flow(flow, shape)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    # nearest: rounded here, so a whole-pixel shift lands exactly on its source pixel
    mx = np.rint(gx + flow[..., 0]).astype(np.float32)
    my = np.rint(gy + flow[..., 1]).astype(np.float32)
    return cv2.remap(labels, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
