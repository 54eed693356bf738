"""The one exception type that carries a message meant for the user.

Core code raises :class:`FCNStudioError` with a sentence that names the thing that went
wrong and what to do about it; the CLI prints it on one line and the GUI shows it in a
message, neither with a traceback.
"""

from __future__ import annotations


class FCNStudioError(Exception):
    """An error whose message is written for the user, not the developer."""


class Cancelled(FCNStudioError):
    """Raised inside long operations when the user asked to stop."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


def describe_unexpected(exc: BaseException) -> str:
    """One line for an error no FCN Studio code anticipated, with what to do where known.

    CUDA running out of memory is common (a big image, another program on the GPU) and is
    a setting to change, not a crash; torch is not imported here to recognise it."""
    if type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc):
        return "the GPU ran out of memory: lower the inference size, close other GPU programs, or choose the CPU"
    if isinstance(exc, MemoryError):
        return "out of memory: lower the inference size or close other programs"
    return f"unexpected error: {type(exc).__name__}: {exc}"
