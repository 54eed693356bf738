"""The one exception type that carries a message meant for the user.

Core code raises :class:`FCNStudioError` with a sentence that names the thing that went
wrong and what to do about it; the CLI prints it on one line and the GUI shows it in a
message, neither with a traceback. Written as a template and its parameters,
``FCNStudioError("{path}: not an image file", path=path)``, the sentence is a
:class:`~fcn_studio.messages.Message` the GUI shows in the user's language (never an
f-string: tests/unit/test_message_rules.py refuses one).

The sentence says what to do in general words ("replace it, or choose another id"), never
with a command-line flag: in the app a flag means nothing. Where the command line has its
own way to do it, ``fix`` names the remedy with a stable id (``fix="replace-or-other-id"``)
and the command line adds its flags for it (fcn_studio/cli/hints.py); the app may add its own.
"""

from __future__ import annotations

from typing import Any

from fcn_studio.messages import Message


class FCNStudioError(Exception):
    """An error whose message is written for the user, not the developer."""

    def __init__(self, message: str | Message = "", /, *, fix: str | None = None, **params: Any) -> None:
        self.message = message if isinstance(message, Message) else Message(message, **params)
        self.fix = fix  # a stable id of the remedy, for the command line's and the app's own hint
        super().__init__(self.message.english())

    def __str__(self) -> str:  # in the interface's language where one is installed
        return str(self.message)

    def __reduce__(self):  # the message, not only its English, crosses process boundaries
        return (_rebuild, (type(self), self.message, self.fix))


def _rebuild(cls: type[FCNStudioError], message: Message, fix: str | None = None) -> FCNStudioError:
    error = cls.__new__(cls)
    FCNStudioError.__init__(error, message, fix=fix)
    return error


class Cancelled(FCNStudioError):
    """Raised inside long operations when the user asked to stop."""

    def __init__(self, message: str | Message = "Cancelled.", /, *, fix: str | None = None, **params: Any) -> None:
        super().__init__(message, fix=fix, **params)


def describe_unexpected(exc: BaseException) -> str:
    """:func:`unexpected_message` in the interface's language."""
    return str(unexpected_message(exc))


def unexpected_message(exc: BaseException) -> Message:
    """One line for an error no FCN Studio code anticipated, with what to do where known.

    CUDA running out of memory is common (a big image, another program on the GPU) and is
    a setting to change, not a crash; torch is not imported here to recognise it."""
    if type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc):
        return Message(
            "the GPU ran out of memory: lower the inference size, close other GPU programs, or choose the CPU"
        )
    if isinstance(exc, MemoryError):
        return Message("out of memory: lower the inference size or close other programs")
    return Message("unexpected error: {kind}: {error}", kind=type(exc).__name__, error=str(exc))
