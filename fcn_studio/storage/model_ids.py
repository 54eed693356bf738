"""Model ids: the one rule for what may name a model (import, train --id, remove), and a
default id from a file name. An id is always a plain file name inside the weights folder."""

from __future__ import annotations

import re
import unicodedata

from fcn_studio.messages import Message

_ID_MAX = 100
# Names Windows cannot give a file, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def id_problem(text: str) -> Message | None:
    """Why ``text`` cannot be a model id (a sentence the app shows translated), or None.
    The one rule for import, train --id and remove: letters (any script), digits, '-', '_'
    and '.', starting with a letter or digit; so an id is always a plain file name inside
    the weights directory."""
    if not text:
        return Message("an id cannot be empty")
    if len(text) > _ID_MAX:
        return Message("an id has at most {n} characters", n=_ID_MAX)
    if not (text[0].isalnum() and all(map(_id_char, text))) or text.endswith(".") or ".." in text:
        return Message("use letters, digits, '-', '_' and '.' (starting with a letter or digit)")
    if text.split(".")[0].lower() in _RESERVED or text.endswith((".last", ".lock")):
        return Message("that name is reserved")
    return None


def is_valid_id(text: str) -> bool:
    return id_problem(text) is None


def normal_id(text: str) -> str:
    """One spelling per id: "é" typed (NFC) and "é" from a macOS file name (NFD) are one id."""
    return unicodedata.normalize("NFC", text)


def _id_char(c: str) -> bool:
    # combining marks belong to letters in many scripts (Devanagari vowel signs, and
    # accents in decomposed file names)
    return c.isalnum() or c in "_.-" or unicodedata.category(c).startswith("M")


def id_from_filename(stem: str) -> str:
    """A default id from a file name: letters of any script are kept, other runs become '-'."""
    stem = unicodedata.normalize("NFC", stem)  # macOS hands out decomposed names
    text = "".join(c if _id_char(c) else " " for c in stem)
    text = re.sub(r" +", "-", text).strip("-._")
    text = re.sub(r"\.{2,}", ".", text)[:_ID_MAX].rstrip("-.")
    return text if is_valid_id(text) else "model"
