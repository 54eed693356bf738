"""The public Python API: what researchers script against, stable while the internals move.

    from fcn_studio import load_model, train

    model = load_model("fcn8s-voc")              # an installed id or a weights file
    result = model.predict("photo.jpg")          # a path, a PIL image or an HxWx3 uint8 array
    result.labels, result.confidence, result.class_names

    train("my-photos", "garden.safetensors", base="fcn8s-voc", freeze_backbone=True, epochs=5)

``load_model`` runs on the command line's default path (ONNX Runtime on the CPU once its
one-time conversion is cached, torch until then and on CUDA), so a script's labels are the
ones ``fcn-studio segment`` writes. ``train`` takes the command line's options by their
long names (``--batch-size`` -> ``batch_size``) and checks the dataset as it does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fcn_studio.errors import FCNStudioError

if TYPE_CHECKING:
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.training.config import TrainConfig

DEFAULT_MAX_SIZE = 2048  # the command line's --max-size default


@dataclass(frozen=True)
class Segmentation:
    """One image's result, at the image's own size."""

    labels: np.ndarray  # (H, W) uint8 class ids
    confidence: np.ndarray  # (H, W) float32 probability of the chosen class
    class_names: tuple[str, ...]  # class_names[labels[y, x]] is the class at (x, y)
    seconds: float
    backend: str  # what computed it: "torch", "onnxruntime" ...

    def class_at(self, x: int, y: int) -> str:
        return self.class_names[int(self.labels[y, x])]


class Model:
    """A loaded FCN: ``predict`` may be called many times."""

    def __init__(self, predictor: Predictor) -> None:
        self._predictor = predictor

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self._predictor.labels.classes)

    @property
    def architecture(self) -> str:
        return self._predictor.checkpoint.arch

    @property
    def device(self) -> str:
        return str(self._predictor.device)

    def predict(self, image: str | os.PathLike[str] | object) -> Segmentation:
        """Segment ``image``: a file path, a PIL image or an HxWx3 uint8 RGB array."""
        from fcn_studio.data.images import load_image

        if isinstance(image, str | os.PathLike):
            image = load_image(image)
        p = self._predictor.predict(image)
        return Segmentation(p.labels, p.confidence, self.class_names, p.seconds, p.backend)


def load_model(
    id_or_path: str | os.PathLike[str],
    device: str = "auto",
    *,
    max_size: int | None = DEFAULT_MAX_SIZE,
    backend: str | None = None,
) -> Model:
    """The model installed under ``id_or_path`` (see ``fcn-studio weights list``), or the
    weights file at that path. ``device``: "auto" (CUDA when available, else CPU), "cpu",
    "cuda" or "mps". ``max_size`` caps the longer side the network sees (None = full size)."""
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    checkpoint = resolve_model(os.fspath(id_or_path))
    return Model(Predictor(checkpoint, device, max_size=max_size or None, backend=backend))


def train(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    on_event: Callable[[object], None] | None = None,
    **options: object,
):
    """Fine-tune on the image/mask pairs in ``data`` and write the best checkpoint to ``out``
    (installed under ``register_id``, default ``out``'s name), as ``fcn-studio train`` does.
    ``options`` are the command line's (``base``, ``arch``, ``epochs``, ``batch_size``, ``lr``,
    ``freeze_backbone``, ``class_names`` ...); ``on_event`` receives the progress events.
    Returns the run's result (``out``, ``registered_id``, ``best_metrics``)."""
    from fcn_studio.data.dataset import scan_dataset
    from fcn_studio.training.trainer import check_output
    from fcn_studio.training.trainer import train as run_training

    config = _train_config(data, out, options)
    check_output(config)
    report = scan_dataset(config.data, config.class_names)
    if not report.ok:
        raise FCNStudioError(f"{config.data}: the dataset has problems; fix them, then train again:\n{report.text()}")
    return run_training(config, on_event, report=report)


def _train_config(data: str | os.PathLike[str], out: str | os.PathLike[str], options: dict) -> TrainConfig:
    from dataclasses import fields

    from fcn_studio.training.config import TrainConfig

    known = {f.name for f in fields(TrainConfig)} - {"data", "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"train() got unknown options {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return TrainConfig(data=os.fspath(Path(data)), out=os.fspath(Path(out)), **options)
