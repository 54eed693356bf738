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
