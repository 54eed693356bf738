"""Several images in one forward pass, where the backend allows it.

The torch path (CUDA above all, and the CPU with ``backend="torch"``) runs a batch of
images of the same network input size as one (N, 3, h, w) tensor; each image's logits are
then upsampled to its own size exactly as :meth:`Predictor.predict` does, so the labels are
the same as one at a time. ONNX Runtime's converted models (the CPU default) and images of
different sizes go one at a time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from fcn_studio.inference.predictor import Prediction, Predictor, inference_image, logits_to_full_size


def can_stack(predictor: Predictor) -> bool:
    """True where a batch runs as one forward pass: the torch path, not a converted one."""
    return predictor.fast_path is None


def predict_stacked(
    predictor: Predictor, rgbs: Sequence[np.ndarray], *, probabilities: bool = False
) -> list[Prediction]:
    """Predictions of ``rgbs`` (RGB uint8 arrays), in order: images whose network input
    has the same size share a forward pass; on a converted (ONNX Runtime) path, or for a
    single image, :meth:`Predictor.predict` runs each."""
    if len(rgbs) < 2 or not can_stack(predictor):
        return [predictor.predict(rgb, return_probabilities=probabilities) for rgb in rgbs]
    results: list[Prediction | None] = [None] * len(rgbs)
    groups: dict[tuple[int, int], list[int]] = {}
    smalls = []
    for i, rgb in enumerate(rgbs):
        predictor.check_memory(rgb.shape[0], rgb.shape[1], probabilities)
        small = inference_image(rgb, predictor.max_size)
        smalls.append(small)
        groups.setdefault(small.shape[:2], []).append(i)
    for indices in groups.values():
        start = time.perf_counter()
        logits = _forward(predictor, [smalls[i] for i in indices])
        share = (time.perf_counter() - start) / len(indices)
        for row, i in enumerate(indices):
            begun = time.perf_counter()
            h, w = rgbs[i].shape[:2]
            labels, confidence, probs = logits_to_full_size(logits[row], h, w, probabilities)
            seconds = share + time.perf_counter() - begun
            precision = "fp16" if predictor.half else "fp32"
            results[i] = Prediction(labels, confidence, smalls[i].shape[:2], seconds, probs, precision=precision)
    return [r for r in results if r is not None]


def _forward(predictor: Predictor, smalls: list[np.ndarray]) -> torch.Tensor:
    """(N, C, h, w) float32 logits of same-sized network inputs, on the model's device."""
    x = torch.cat([predictor.checkpoint.preprocessing.to_tensor(s) for s in smalls]).to(predictor.device)
    if predictor.half:
        x = x.half()
    if predictor.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        logits = predictor.model(x).float()
    if predictor.device.type == "cuda":
        torch.cuda.synchronize(predictor.device)
    return logits
