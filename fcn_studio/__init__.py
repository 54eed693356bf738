"""FCN Studio: semantic segmentation with the FCN family, on the desktop and the command line.

The public Python API (see README, "Python API", and docs/api.md) is :func:`load_model` and
:func:`train` with the classes they return;
everything else may move between releases. They are imported on first use, so importing
the package (as the app does at start) does not import torch."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = [
    "ClassArea",
    "FCNStudioError",
    "FolderReport",
    "Model",
    "Segmentation",
    "TrainResult",
    "load_model",
    "train",
]

if TYPE_CHECKING:
    from fcn_studio.api import (
        ClassArea,
        FCNStudioError,
        FolderReport,
        Model,
        Segmentation,
        TrainResult,
        load_model,
        train,
    )


def __getattr__(name: str):
    if name in __all__:
        from fcn_studio import api

        return getattr(api, name)
    raise AttributeError(f"module 'fcn_studio' has no attribute {name!r}")


def __dir__() -> list[str]:  # dir(fcn_studio) lists the API, though it loads on first use
    return sorted({*__all__, "__version__", "__doc__", "__file__", "__name__", "__path__"})
