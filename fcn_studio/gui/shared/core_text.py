"""The few fixed texts of the core (which stays English for the CLI and never imports Qt)
that the interface shows, in the interface language."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

_CPU = re.compile(r"CPU \((\d+) threads?\)")


def device_description(text: str) -> str:
    """fcn_studio.inference.device.describe()'s text: "CPU (2 threads)", "CUDA: <GPU name>", "Apple MPS"."""
    match = _CPU.fullmatch(text)
    if match:
        return QCoreApplication.translate("CoreText", "CPU ({n} threads)").format(n=match.group(1))
    return text
