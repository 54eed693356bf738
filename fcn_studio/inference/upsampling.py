"""Logits at the network's size -> labels, confidence and probabilities at the image's size.

Bilinear upsampling exactly as F.interpolate (align_corners=False) computes it, in bands of
rows so that the float work at full size never exceeds a few MB however big the image, and
the softmax winner found with contiguous element-wise loops.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from fcn_studio.errors import Cancelled

# Output rows upsampled at a time: at most 256, and fewer for wide images so that the
# band's float temporaries (C x rows x W, a few of them) stay near 4 MB each.
_BAND_ROWS = 256
_BAND_BYTES = 4 * 2**20


def _bilinear_taps(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of bilinear resizing, exactly as F.interpolate
    (align_corners=False) computes them, so banded upsampling equals the one-shot call."""
    scale = in_size / out_size
    src = np.maximum((np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, (src - i0).astype(np.float32)


def logits_to_full_size(
    logits: torch.Tensor,
    height: int,
    width: int,
    with_probs: bool = False,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Labels and confidence at ``(height, width)`` from ``(C, h, w)`` logits, upsampled
    bilinearly (as F.interpolate, align_corners=False) in bands of rows, so the float
    work at full size never exceeds a few MB however big the image."""
    c, h, w = logits.shape
    dtype = np.uint8 if c <= 256 else np.int32
    labels = np.empty((height, width), dtype=dtype)
    confidence = np.empty((height, width), dtype=np.float16)
    probs = np.empty((c, height, width), dtype=np.float32) if with_probs else None
    resize = (h, w) != (height, width)
    on_cpu = logits.device.type == "cpu"
    xp = np if on_cpu else torch  # numpy on the CPU: no thread hand-offs for small ops
    lo = np.ascontiguousarray(logits.float().numpy()) if on_cpu else logits.float()
    if resize:
        taps = [*_bilinear_taps(height, h), *_bilinear_taps(width, w)]
        r0, r1, rw, c0, c1, cw = taps if on_cpu else (torch.from_numpy(a).to(logits.device) for a in taps)
    step = band_rows(c, width)
    with torch.inference_mode():
        for top in range(0, height, step):
            if cancelled and cancelled():
                raise Cancelled()
            rows = slice(top, min(top + step, height))
            if resize:
                wy = rw[rows].reshape(1, -1, 1)
                band = lo[:, r0[rows]] * (1 - wy) + lo[:, r1[rows]] * wy
                band = band[:, :, c0] * (1 - cw) + band[:, :, c1] * cw
            else:
                band = lo[:, rows]
            best, total, ids = _max_and_softmax_sum(xp, band, dtype)
            labels[rows] = ids if on_cpu else ids.cpu().numpy()
            conf = 1.0 / total
            confidence[rows] = conf if on_cpu else conf.cpu().numpy()
            if probs is not None:
                p = xp.exp(band - best[None]) / total[None]
                probs[:, rows] = p if on_cpu else p.cpu().numpy()
    return labels, confidence, probs


def _max_and_softmax_sum(xp, band, dtype):
    """Per pixel of a ``(C, rows, W)`` band: the highest logit, the softmax denominator
    relative to it (so the winner's probability is ``1 / total``), and the winning class.

    A loop over the classes with element-wise operations: contiguous and fast, where a
    reduction over the first axis is strided (argmax over axis 0 was 30x slower here).
    Ties go to the lower class id, as ``argmax`` breaks them.
    """
    best = band[0].clone() if xp is torch else band[0].copy()
    ids = xp.zeros(best.shape, dtype=dtype if xp is np else torch.uint8 if dtype == np.uint8 else torch.int32)
    for k in range(1, band.shape[0]):
        better = band[k] > best
        if xp is np:
            np.copyto(ids, k, where=better)
        else:
            ids.masked_fill_(better, k)
        xp.maximum(best, band[k], out=best)
    total = xp.zeros_like(best)
    term = xp.empty_like(best)
    for k in range(band.shape[0]):
        xp.subtract(band[k], best, out=term)
        xp.exp(term, out=term)
        total += term
    return best, total, ids


def band_rows(num_classes: int, width: int) -> int:
    return max(1, min(_BAND_ROWS, _BAND_BYTES // (4 * num_classes * max(1, width))))
