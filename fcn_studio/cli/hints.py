"""The command line's own way to do what a core message says in general words.

A core error names its remedy with a stable id (``FCNStudioError(..., fix="replace")``,
fcn_studio/errors.py) and never a flag; the command line adds the flags for it here, so
"{file} exists; choose another file name, or replace it" reads "... (--force)" in a terminal
and stays a sentence in the app.
"""

from __future__ import annotations

import string
from collections import defaultdict

from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import Message

HINTS: dict[str, str] = {
    "arch": "--arch fcn32s|fcn16s|fcn8s",
    "backend-auto": "drop --backend torch",
    "backend-torch": "--backend torch",
    "device": "--device cpu or --device auto",
    "device-cpu": "--device cpu",
    "download-again": "fcn-studio weights download ID",
    "download-or-import": "fcn-studio weights download {spec}, or fcn-studio weights import FILE",
    "export": "fcn-studio weights export ID FILE",
    "import": "fcn-studio weights import FILE",
    "keep-model": "--base {out} --out {other} trains on from it; --force starts over",
    "list": "fcn-studio weights list",
    "log": "--log FILE",
    "lr": "--lr",
    "max-size": "--max-size",
    "no-resume": "drop --resume",
    "num-classes": "--num-classes N",
    "one-mode": "--fast or --precision bf16",
    "other-id": "--id ID",
    "other-id-or-replace": "--id ID chooses another id, --force replaces it",
    "out-exists": "--force replaces it, --resume continues it, --out chooses another file",
    "out-file": "--out FILE",
    "precision": "--precision fp32 or --precision auto",
    "rendezvous": "torchrun --rdzv-endpoint HOST:PORT",
    "replace": "--force",
    "restart-or-base": "drop --resume, or --base {out_name} with another --out",
    "save-cm": "fcn-studio eval --save-cm FILE",
    "shard": "--shard I/N",
    "train-base": "fcn-studio train --base FILE",
}


def hint(exc: BaseException) -> str:
    """`` (the flags)`` for ``exc``'s remedy, filled in with its message's values; "" if none."""
    fix = getattr(exc, "fix", None) if isinstance(exc, FCNStudioError) else None
    if fix not in HINTS:
        return ""
    params = defaultdict(str, _values(exc.message))
    return f" ({string.Formatter().vformat(HINTS[fix], (), params)})"


def _values(message: Message) -> dict[str, str]:
    """The message's values and those of the messages inside it (the outer one wins)."""
    found: dict[str, str] = {}
    for key, value in message.params.items():
        if isinstance(value, Message):
            found = {**_values(value), **found}
        found.setdefault(key, str(value))
    return found
