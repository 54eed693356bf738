"""Sentences for the user in a translatable form: an English template and its parameters.

The core never imports Qt and the CLI speaks English, but the GUI must show the same
sentences in the user's language. So a core message is a :class:`Message`: the template
(``"{path}: not an image file"``) is what a translation catalogue looks up, the parameters
(file names, counts) are filled in afterwards. ``str(message)`` is English unless an
interface installed a translator with :func:`set_translator` (the GUI does; the CLI never
does). ``python -m fcn_studio.gui.i18n update`` collects every template written as a string
literal in ``Message(...)`` or ``FCNStudioError(...)`` so translators see them.

Template syntax is ``str.format`` with these additions, both for languages that differ:

- ``{n:image|images}`` is the singular or the plural for the count ``n`` ("1 image",
  "3 images"); a language without plurals simply leaves the field out of its translation.
- a list of messages is their lines;
- a string padded to a width (``{name:<20}``) is padded by display columns, so a row of
  Chinese class names lines up with Latin ones in a monospaced font.

A :class:`ClassName` parameter is a class name as stored on disk; the interface may show it
in its language (the VOC names have translations).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TemplateTranslator = Callable[[str], str]
NameTranslator = Callable[[str], str]

_templates: TemplateTranslator | None = None
_names: NameTranslator | None = None


def set_translator(templates: TemplateTranslator | None, names: NameTranslator | None = None) -> None:
    """Make ``str()`` of every message use ``templates`` (English template -> translated
    template) and ``names`` (stored class name -> displayed name); None restores English."""
    global _templates, _names
    _templates, _names = templates, names


class ClassName(str):
    """A class name as stored (in classes.txt, a checkpoint): shown translated where known."""


class ClassNames(tuple):
    """Stored class names shown as a list, "cat, dog", each translated where known."""


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_PADDED = re.compile(r"[<>^]?\d+s?")


class _Formatter(string.Formatter):
    def __init__(self, templates: TemplateTranslator | None, names: NameTranslator | None) -> None:
        self.templates, self.names = templates, names

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:  # {n:image|images}
            singular, plural = format_spec.split("|", 1)
            return singular if value == 1 else plural
        if isinstance(value, ClassNames):
            value = ", ".join(self.names(str(v)) if self.names is not None else str(v) for v in value)
        if isinstance(value, ClassName) and self.names is not None:
            value = self.names(str(value))
        if isinstance(value, Message):
            value = value.render(self.templates, self.names)
        if isinstance(value, list) and all(isinstance(v, Message) for v in value):  # lines of a report
            value = "\n".join(v.render(self.templates, self.names) for v in value)
        if isinstance(value, str) and _PADDED.fullmatch(format_spec):
            return _pad(value, format_spec)
        return super().format_field(value, format_spec)


def _pad(text: str, spec: str) -> str:
    """``format(text, spec)`` for a string spec like ``<20`` or ``>8``, counting display
    columns instead of characters."""
    spec = spec.removesuffix("s")
    align = spec[0] if spec[:1] in "<>^" else "<"
    width = int(spec.lstrip("<>^") or 0)
    gap = max(0, width - display_width(text))
    if align == ">":
        return " " * gap + text
    if align == "^":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


@dataclass(frozen=True)
class Message:
    """One sentence for the user: an English ``template`` and the ``params`` it names."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, template: str, /, **params: Any) -> None:
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "params", params)

    def render(self, templates: TemplateTranslator | None = None, names: NameTranslator | None = None) -> str:
        template = templates(self.template) if templates is not None else self.template
        if not self.params:  # a finished sentence (it may hold braces of its own)
            return template
        return _Formatter(templates, names).vformat(template, (), self.params)

    def english(self) -> str:
        """The CLI's text, whatever translator is installed (nested messages too)."""
        return self.render()

    def __str__(self) -> str:
        return self.render(_templates, _names)

    def __reduce__(self):  # pickled across the training process boundary
        return (_message, (self.template, self.params))


def _message(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


def fill(template: str, /, **params: Any) -> str:
    """An already translated template (the GUI's own ``tr()`` text) filled in with this
    module's syntax, for plurals: ``fill(self.tr("{n} {n:image|images}"), n=1)``."""
    return _Formatter(None, None).vformat(template, (), params)


def lines_text(lines: list[Message | str]) -> str:
    """Report lines as one text, each in the installed language."""
    return "\n".join(map(str, lines))
