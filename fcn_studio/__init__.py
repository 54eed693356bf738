"""FCN Studio: semantic segmentation with the FCN family, on the desktop and the command line.

The public Python API (see README, "Python API", and docs/api.md) is :func:`load_model` and
:func:`train` with the classes they return;
everything else may move between releases. They are imported on first use, so importing
the package (as the app does at start) does not import torch."""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # type checkers see the API's names; at run time they load on first use
    from fcn_studio.api import *  # noqa: F403 (fcn_studio.api.__all__: the one list of them)


def __getattr__(name: str):
    """The API's names (``fcn_studio.api.__all__``, which is also this package's ``__all__``)
    load on first use. A submodule not imported yet (``from fcn_studio import logs``) is no
    API name: it is left to the import system without loading the API."""
    if (name.startswith("__") and name != "__all__") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    api = importlib.import_module("fcn_studio.api")
    if name == "__all__":
        return list(api.__all__)
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # dir(fcn_studio) lists the API (loading its module, not torch)
    return sorted({*__getattr__("__all__"), "__version__", "__doc__", "__file__", "__name__", "__path__"})
