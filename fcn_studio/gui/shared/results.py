"""What the GUI keeps of a segmentation, and byte-bounded caches for it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from fcn_studio.data.labels import LabelSet
from fcn_studio.files.identity import FileIdentity


@dataclass(frozen=True)
class SegmentationResult:
    labels: np.ndarray  # (H, W) uint8 class ids
    confidence: np.ndarray  # (H, W) uint8, 0-255 = 0-100 % (a quarter of float32's memory)
    label_set: LabelSet
    model_key: str
    arch: str
    seconds: float
    inference_size: tuple[int, int]
    # What it was computed with, so a cache files it under that and never under the
    # settings that happen to be current when it arrives.
    model_identity: FileIdentity | None = None
    device: str = ""
    max_size: int = 0
    preview: bool = False  # a quick low-resolution pass, replaced by the full result
    backend: str = ""  # what computed it: "torch", "ONNX Runtime f32", "ONNX Runtime int8"
    fast: bool = False  # asked of the int8 fast mode (approximate once that is ready, and on a CPU)
    agreement: float | None = None  # an approximate result: the fast mode's measured label agreement
    backend_detail: str = ""  # e.g. "ONNX Runtime f32; its own weight copy: 513 MB" (its memory reported)
    approximate: bool = False  # computed by the int8 model (not torch serving while it is built)
    speedup: float | None = None  # an approximate result: fast mode's measured speed-up over the exact path

    @property
    def nbytes(self) -> int:
        return self.labels.nbytes + self.confidence.nbytes

    @classmethod
    def from_prediction(
        cls,
        pred,
        predictor,
        model_key: str,
        identity: FileIdentity | None = None,
        device: str = "",
        max_size: int = 0,
        fast: bool = False,
    ) -> SegmentationResult:
        """Keep what the GUI needs of a Prediction; confidence is quantised to 8 bits.

        ``fast``: the fast mode was asked for. It files the result (a cache key is what was
        asked, whatever the model made of it: on a GPU it is exact), while ``approximate``
        says what computed it."""
        conf = pred.confidence
        if conf.dtype != np.uint8:
            conf = np.clip(np.rint(conf * 255.0), 0, 255).astype(np.uint8)
        fast_path = getattr(predictor, "fast_path", None)
        on_fast_path = fast_path is not None and getattr(pred, "backend", "torch") == fast_path.kind
        backend = pred.backend_label  # display text, derived from the backend id and precision
        approximate = on_fast_path and fast_path.approximate
        agreement = fast_path.agreement if approximate else None
        detail = fast_path.describe() if on_fast_path else ""
        choice = getattr(predictor, "fast_choice", None)  # the model's own figures, measured
        speedup = None
        if approximate and choice is not None and choice.approximate:
            agreement, speedup, detail = choice.agreement, choice.speedup, predictor.backend_note
        return cls(
            pred.labels,
            conf,
            predictor.labels,
            model_key,
            predictor.checkpoint.arch,
            pred.seconds,
            pred.inference_size,
            identity,
            device,
            max_size,
            getattr(pred, "preview", False),
            backend,
            fast,
            agreement,
            detail,
            approximate,
            speedup,
        )

    @property
    def key(self) -> tuple:
        """(model file identity, device, inference size, fast mode): a cache key with the image's."""
        return (self.model_identity, self.device, self.max_size, self.fast)

    def cache_key(self, image_path: str) -> tuple:
        return result_key(image_path, *self.key)


def result_key(image_path, identity, device: str, max_size: int, fast: bool = False) -> tuple:
    """The key of the result cache the image workspace and the compare view share: the
    image, and what a result was computed with (never the settings current on arrival)."""
    return (str(image_path), identity, device, max_size, fast)


def use_background_threads() -> None:
    """Set torch's CPU threads for the calling (worker) thread: the setting is per thread
    in practice. With more than two cores, one is left to the GUI."""
    import os

    import torch

    cores = os.cpu_count() or 1
    torch.set_num_threads(cores - 1 if cores > 2 else cores)


V = TypeVar("V")


class ByteLRU(Generic[V]):
    """Least-recently-used cache bounded by the bytes of its values (``nbytes``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        if key in self._items:
            self._bytes -= self._size(self._items.pop(key))
        self._items[key] = value
        self._bytes += self._size(value)
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @staticmethod
    def _size(value: object) -> int:
        return int(getattr(value, "nbytes", 0))
