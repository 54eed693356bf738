"""Image in, label map out: the one inference path used by the CLI, the GUI and benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from fcn_studio.checkpoint import Checkpoint
from fcn_studio.device import DeviceChoice, choose_device
from fcn_studio.errors import Cancelled
from fcn_studio.images import as_rgb8

DEFAULT_MAX_SIZE = 2048
# Output rows upsampled at a time: bounds the full-size float work to C x BAND x W.
_BAND_ROWS = 256


@dataclass
class Prediction:
    labels: np.ndarray  # (H, W) uint8 class ids at the image's displayed size
    confidence: np.ndarray  # (H, W) float32, the winning class's softmax probability
    inference_size: tuple[int, int]  # (h, w) the network actually saw
    seconds: float
    probabilities: np.ndarray | None = None  # (C, H, W) float32, only on request
    # (pool3, pool4, fc7) of the network input, only on request: Label mode caches them
    features: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None


def _bilinear_taps(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of bilinear resizing, exactly as F.interpolate
    (align_corners=False) computes them, so banded upsampling equals the one-shot call."""
    scale = in_size / out_size
    src = np.maximum((np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, (src - i0).astype(np.float32)


def inference_shape(height: int, width: int, max_size: int | None) -> tuple[int, int]:
    """(h, w) the network sees for a ``height x width`` image with a longer-side cap."""
    if not max_size or max(height, width) <= max_size:
        return height, width
    scale = max_size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


class Predictor:
    """Holds one model on one device; ``predict`` may be called many times.

    ``max_size`` caps the longer side the network sees (logits are upsampled back to full
    size), which bounds memory for big photos; ``None`` or 0 means full resolution.
    ``half`` (CUDA only) and ``channels_last`` are opt-in speedups. ``model`` is a module
    already built from ``checkpoint`` and placed on ``device`` (the model service shares one
    among many predictors; each keeps its own ``max_size``).
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: str | DeviceChoice = "auto",
        *,
        max_size: int | None = DEFAULT_MAX_SIZE,
        half: bool = False,
        channels_last: bool = False,
        allow_fallback: bool = False,
        model: torch.nn.Module | None = None,
    ) -> None:
        self.checkpoint = checkpoint
        self.device_choice = (
            device if isinstance(device, DeviceChoice) else choose_device(device, allow_fallback=allow_fallback)
        )
        self.device = self.device_choice.device
        self.max_size = max_size
        self.half = half and self.device.type == "cuda"
        self.channels_last = channels_last
        if model is not None:  # already built and placed (shared through the model service)
            self.model = model
            return
        model = checkpoint.build_model()
        if self.half:
            model = model.half()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model.to(self.device).eval()

    @property
    def labels(self):
        return self.checkpoint.labels

    def logits(self, rgb: np.ndarray) -> torch.Tensor:
        """``(1, C, h, w)`` float32 logits for an RGB uint8 image, on the model's device."""
        return self.logits_and_features(rgb)[0]

    def logits_and_features(self, rgb: np.ndarray) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The logits and the backbone features (pool3, pool4, fc7) they were computed from."""
        x = self.checkpoint.preprocessing.to_tensor(rgb).to(self.device)
        if self.half:
            x = x.half()
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            logits, features = self.model.forward_with_features(x)
            return logits.float(), features

    def predict(
        self,
        image: object,
        *,
        return_probabilities: bool = False,
        return_features: bool = False,
        cancelled: Callable[[], bool] | None = None,
    ) -> Prediction:
        start = time.perf_counter()
        rgb = as_rgb8(image)
        height, width = rgb.shape[:2]
        small = inference_image(rgb, self.max_size)
        h, w = small.shape[:2]
        if cancelled and cancelled():
            raise Cancelled()
        logits, features = self.logits_and_features(small)
        labels, confidence, probs = logits_to_full_size(logits[0], height, width, return_probabilities, cancelled)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return Prediction(labels, confidence, (h, w), time.perf_counter() - start, probs,
                          features if return_features else None)  # fmt: skip


def inference_image(rgb: np.ndarray, max_size: int | None) -> np.ndarray:
    """The image the network sees: ``rgb`` itself, or shrunk so its longer side is
    ``max_size``."""
    height, width = rgb.shape[:2]
    h, w = inference_shape(height, width, max_size)
    return rgb if (h, w) == (height, width) else _resize(rgb, h, w)


def logits_to_full_size(
    logits: torch.Tensor,
    height: int,
    width: int,
    with_probs: bool = False,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(C, h, w)`` logits -> labels, confidence (and probabilities) at ``height x width``,
    upsampled in bands of rows so the float work stays small on huge images."""
    c, h, w = logits.shape
    dtype = np.uint8 if c <= 256 else np.int32
    labels = np.empty((height, width), dtype=dtype)
    confidence = np.empty((height, width), dtype=np.float32)
    probs = np.empty((c, height, width), dtype=np.float32) if with_probs else None
    resize = (h, w) != (height, width)
    if resize:
        r0, r1, rw = (torch.from_numpy(a).to(logits.device) for a in _bilinear_taps(height, h))
        c0, c1, cw = (torch.from_numpy(a).to(logits.device) for a in _bilinear_taps(width, w))
    with torch.inference_mode():
        for top in range(0, height, _BAND_ROWS):
            if cancelled and cancelled():
                raise Cancelled()
            rows = slice(top, min(top + _BAND_ROWS, height))
            if resize:
                wy = rw[rows].view(1, -1, 1)
                band = logits[:, r0[rows]] * (1 - wy) + logits[:, r1[rows]] * wy
                band = band[:, :, c0] * (1 - cw) + band[:, :, c1] * cw
            else:
                band = logits[:, rows]
            p = F.softmax(band, dim=0)
            conf = p.amax(dim=0)
            # argmax of the logits (not of p) so ties break exactly as a plain argmax does
            labels[rows] = band.argmax(dim=0).to(torch.int32).cpu().numpy().astype(dtype)
            confidence[rows] = conf.cpu().numpy()
            if probs is not None:
                probs[:, rows] = p.cpu().numpy()
    return labels, confidence, probs


def _resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    # Antialiased downsampling: plain bilinear would alias fine textures into noise.
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0))
