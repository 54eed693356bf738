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

KEYFRAME_MODES = ("auto",)  # or a whole number N: every N-th frame
FLOW_SIZE = 320  # the longer side of the grey copies the flow is computed on
MAX_GAP = 30  # auto: at most this many frames from a keyframe
CUT_DISTANCE = 0.35  # Bhattacharyya distance of consecutive grey histograms that is a cut
MAX_ERROR = 10.0  # auto: mean absolute grey error (0-255) of the warped keyframe
MAX_UNCOVERED = 0.06  # auto: share of the frame whose flow points outside the keyframe
SNAP = 2.0  # pixels (full size): flow this close to the dominant motion is taken as it


@dataclass(frozen=True)
class FrameLabels:
    """A frame's labels, and how they were made: by the network (a keyframe, with the
    reason) or warped from the keyframe ``source`` frames back."""

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


def _grey(rgb: np.ndarray, size: int) -> np.ndarray:
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    scale = min(1.0, size / max(h, w))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return grey


def _histogram(grey: np.ndarray) -> np.ndarray:
    hist = cv2.calcHist([grey], [0], None, [32], [0, 256])
    return cv2.normalize(hist, hist).astype(np.float32)


class KeyframePropagator:
    """Labels for each frame of a video, in order: ``segment(rgb) -> labels`` on
    keyframes, warped labels between them. Call it with every frame shown; frames may be
    skipped (the flow goes straight back to the keyframe, however far)."""

    def __init__(
        self,
        segment: Callable[[np.ndarray], np.ndarray],
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
        self._key: tuple[np.ndarray, np.ndarray] | None = None  # (grey, labels)
        self._since = 0
        self._last_hist: np.ndarray | None = None
        self.keyframes = 0
        self.frames = 0

    def reset(self) -> None:
        """Forget the keyframe (after a seek): the next frame is one."""
        self._key, self._last_hist, self._since = None, None, 0

    def __call__(self, rgb: np.ndarray) -> FrameLabels:
        self.frames += 1
        grey = _grey(rgb, self.flow_size)
        hist = _histogram(grey)
        cut = self._last_hist is not None and (
            cv2.compareHist(self._last_hist, hist, cv2.HISTCMP_BHATTACHARYYA) > CUT_DISTANCE
        )
        self._last_hist = hist
        reason = self._due(cut)
        if reason is None:
            warped, why = self._warp(grey, rgb.shape[:2])
            if warped is not None:
                self._since += 1
                return FrameLabels(warped, False, distance=self._since)
            reason = why
        return self._keyframe(rgb, grey, reason)

    def labels_of(self, rgb: np.ndarray) -> np.ndarray:
        """The labels of the next frame ``rgb`` (keyframe or propagated)."""
        return self(rgb).labels

    def _due(self, cut: bool) -> str | None:
        if self._key is None or self._key[1] is None:
            return "first"
        if cut:
            return "cut"
        if self.every is not None:
            return "every" if self._since + 1 >= self.every else None
        return "gap" if self._since + 1 >= self.max_gap else None

    def _keyframe(self, rgb: np.ndarray, grey: np.ndarray, reason: str) -> FrameLabels:
        labels = np.asarray(self.segment(rgb))
        self._key = (grey, labels)
        self._since = 0
        self.keyframes += 1
        return FrameLabels(labels, True, reason)

    def _warp(self, grey: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
        """The keyframe's labels warped onto this frame; None (with the reason) where auto
        mode finds the flow no longer explains the frame."""
        key_grey, key_labels = self._key
        if key_grey.shape != grey.shape:
            return None, "cut"  # the size changed (a camera reopened): nothing to warp from
        flow = self._flow.calc(grey, key_grey, None)  # this frame -> keyframe, at flow size
        h, w = grey.shape
        scale = np.array([shape[1] / w, shape[0] / h], np.float32)  # flow size -> full size
        dominant = np.rint(np.median(flow.reshape(-1, 2), axis=0) * scale) / scale
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
        # The dominant motion where it explains a pixel at least as well as its own flow
        shifted = cv2.remap(
            key_grey, gx + dominant[0], gy + dominant[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        near = np.abs(flow - dominant).max(axis=2) < SNAP / scale.max()
        global_ = near | (cv2.blur(cv2.absdiff(shifted, grey), (5, 5)).astype(np.int16) <= error.astype(np.int16) + 2)
        return warp_labels(key_labels, flow, shape, dominant * scale, global_), ""


def warp_labels(
    labels: np.ndarray,
    flow: np.ndarray,
    shape: tuple[int, int],
    dominant: np.ndarray | None = None,
    global_: np.ndarray | None = None,
) -> np.ndarray:
    """``labels`` (of the keyframe, ``shape``) sampled where ``flow`` (this frame ->
    keyframe, at any smaller size) points: nearest label, edges replicated.

    ``dominant`` (full-size pixels, whole numbers: a pan, a tilt) replaces the flow where
    ``global_`` (at flow size) is true: pixels that move with the camera are shifted by
    exactly its motion (the flow's own error near edges and in flat regions is a pixel or
    two), so a pure translation by whole pixels is carried exactly, while independent
    motion keeps its own flow."""
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
        flow[mask.astype(bool)] = dominant
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    # nearest: rounded here, so a whole-pixel shift lands exactly on its source pixel
    mx = np.rint(gx + flow[..., 0]).astype(np.float32)
    my = np.rint(gy + flow[..., 1]).astype(np.float32)
    return cv2.remap(labels, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
