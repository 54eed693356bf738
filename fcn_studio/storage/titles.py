"""Titles of the models FCN Studio makes, as messages the interface can translate.

A title is stored in the weights file as English text (the CLI and other tools read it as
it is); :func:`title_message` recognises a stored title as the message it was made from, so
the GUI shows "fcn8s fine-tuned on garden" in the user's language, also for files written
before titles were messages.
"""

from __future__ import annotations

import re

from fcn_studio.messages import Message


def fine_tuned_title(arch: str, data_name: str) -> Message:
    return Message("{arch} fine-tuned on {data}", arch=arch, data=data_name)


def retrained_title(family: str, data_name: str) -> Message:
    return Message("{family} retrained on {data}", family=family, data=data_name)


def version_title(family: str, number: int) -> Message:
    return Message("{family} version {number}", family=family, number=number)


_TEMPLATES = (fine_tuned_title("", "").template, retrained_title("", "").template, version_title("", 0).template)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ...
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+)" for i, p in enumerate(parts)))


_PATTERNS = tuple((t, _pattern(t)) for t in _TEMPLATES)


def title_message(title: str) -> Message:
    """A stored title as the message that made it (a title of the user's own as it is)."""
    for template, pattern in _PATTERNS:
        match = pattern.fullmatch(title)
        if match:
            return Message(template, **match.groupdict())
    return Message(title)  # no parameters: shown as written
