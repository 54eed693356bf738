"""The public Python API: what scripts and notebooks build on, stable while the internals move.

    from fcn_studio import load_model, train

    model = load_model("fcn8s-voc")              # an installed id or a weights file
    result = model.predict("photo.jpg")          # a path, PIL image, array or tensor
    result.labels, result.confidence, result.classes
    results = model.predict(["a.jpg", "b.jpg"])  # several: one result each, in order

    train("my-photos", "garden.safetensors", base="fcn8s-voc", freeze_backbone=True, epochs=5)

``load_model`` runs on the command line's default path (ONNX Runtime on the CPU once its
one-time conversion is cached, torch until then and on CUDA), so a script's labels are the
ones ``fcn-studio segment`` writes. ``train`` takes the command line's options by their
long names (``--batch-size`` -> ``batch_size``) and checks the dataset as it does.
Problems raise :class:`fcn_studio.errors.FCNStudioError` with the command line's sentence.
The reference, built from these docstrings, is docs/api.md.
"""

from __future__ import annotations

from fcn_studio.api.model import PRECISIONS, FolderReport, Model, load_model
from fcn_studio.api.segmentation import ClassArea, Segmentation
from fcn_studio.api.training import TrainResult, train
from fcn_studio.errors import FCNStudioError

__all__ = [
    "PRECISIONS",
    "ClassArea",
    "FCNStudioError",
    "FolderReport",
    "Model",
    "Segmentation",
    "TrainResult",
    "load_model",
    "train",
]
