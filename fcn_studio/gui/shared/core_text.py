"""The few fixed texts of the core (which stays English for the CLI and never imports Qt)
that the interface shows, in the interface language."""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_CONTEXT = "CoreText"
# Listed so lupdate extracts them; tests/e2e/app/test_i18n.py checks they are still the core's texts.
NOTES = (
    QT_TRANSLATE_NOOP("CoreText", "CUDA was requested but PyTorch finds no CUDA device (no NVIDIA GPU, driver or "
                      "CUDA build of torch); running on the CPU"),
    QT_TRANSLATE_NOOP("CoreText", "MPS unavailable; running on the CPU"),
)  # fmt: skip
_CPU = re.compile(r"CPU \((\d+) threads?\)")


def core_message(text: str) -> str:
    """A known core note translated; anything else (messages naming a file) as it is."""
    return QCoreApplication.translate(_CONTEXT, text) if text in NOTES else text


def device_description(text: str) -> str:
    """fcn_studio.inference.device.describe()'s text: "CPU (2 threads)", "CUDA: <GPU name>", "Apple MPS"."""
    match = _CPU.fullmatch(text)
    if match:
        return QCoreApplication.translate("CoreText", "CPU ({n} threads)").format(n=match.group(1))
    return text
