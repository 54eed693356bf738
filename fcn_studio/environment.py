"""The environment variables FCN Studio reads, declared in one place (name, type, default,
meaning); every module reads them through :func:`read`, at the moment it needs the value
(so a test or a parent process can set them at any time). The README lists them too.

No Qt and no torch here: the CLI, the training processes and the app all import it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from fcn_studio.errors import FCNStudioError

T = TypeVar("T")


@dataclass(frozen=True)
class EnvVar(Generic[T]):
    name: str
    type: type  # str, int, float, bool or Path
    default: T  # what an unset (or empty) variable means; None = "the program decides"
    meaning: str


WEIGHTS = EnvVar(
    "FCN_STUDIO_WEIGHTS",
    Path,
    None,
    "folder of installed and imported weights (default: the user data folder, e.g. ~/.local/share/fcn-studio/weights)",
)
CACHE = EnvVar(
    "FCN_STUDIO_CACHE",
    Path,
    None,
    "folder for Label mode's backbone feature cache, in CACHE/features (default: the user cache "
    "folder, e.g. ~/.cache/fcn-studio/features)",
)
BACKEND = EnvVar(
    "FCN_STUDIO_BACKEND",
    str,
    "auto",
    "inference backend when none is asked for: auto (measured per machine), torch or onnxruntime; "
    "torch helps to troubleshoot",
)
MODEL_CACHE_MB = EnvVar(
    "FCN_STUDIO_MODEL_CACHE_MB",
    int,
    None,
    "memory for models the app keeps loaded, in MiB (default: the model service's budget)",
)
CONVERSION_BUDGET_MB = EnvVar(
    "FCN_STUDIO_CONVERSION_BUDGET_MB",
    int,
    4096,
    "disk for the faster CPU path's conversion caches, in MiB; the least recently used go first, never one in use",
)
DIST_TIMEOUT = EnvVar(
    "FCN_STUDIO_DIST_TIMEOUT",
    float,
    600.0,
    "seconds a torchrun training process waits for its peers before it gives up",
)
ALLOW_OUTSIDE = EnvVar(
    "FCN_STUDIO_ALLOW_OUTSIDE",
    bool,
    False,
    "read images that labelme or COCO files name outside the dataset folder (what "
    "`--allow-outside` sets); otherwise such a file is refused",
)
LOG_DIR = EnvVar(
    "FCN_STUDIO_LOG_DIR",
    Path,
    None,
    "folder of the app's log file and crash reports (default: the user log folder, e.g. ~/.local/state/fcn-studio/log)",
)
SMOKE_TEST = EnvVar(
    "FCN_STUDIO_SMOKE_TEST",
    bool,
    False,
    "the app prints when its window is shown, then quits (CI and bench/bench_gui.py)",
)

VARIABLES: tuple[EnvVar, ...] = (
    WEIGHTS,
    CACHE,
    BACKEND,
    MODEL_CACHE_MB,
    CONVERSION_BUDGET_MB,
    DIST_TIMEOUT,
    ALLOW_OUTSIDE,
    LOG_DIR,
    SMOKE_TEST,
)


@contextlib.contextmanager
def set_for_now(var: EnvVar, value: str) -> Iterator[None]:
    """``var`` set to ``value`` while inside (an option of one command or API call that the
    code reading datasets takes from the environment), as it was before afterwards."""
    before = os.environ.get(var.name)
    os.environ[var.name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(var.name, None)
        else:
            os.environ[var.name] = before


def read(var: EnvVar[T]) -> T:
    """The variable's value as its type; unset or empty gives the default. A value that
    cannot be read as its type is an error naming the variable (never silently ignored)."""
    raw = os.environ.get(var.name, "").strip()
    if not raw:
        return var.default
    if var.type is bool:
        return raw.lower() not in ("0", "false", "no", "off")
    if var.type is Path:
        return Path(raw).expanduser()  # type: ignore[return-value]
    try:
        return var.type(raw)
    except ValueError:
        raise FCNStudioError(
            "{name}={raw!r} is not a valid {type}; set it to e.g. {default!r} or unset it",
            name=var.name,
            raw=raw,
            type=var.type.__name__,
            default=var.default,
        ) from None


def markdown_table() -> str:
    """The README's table of variables (a test checks the README carries this one)."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for var in VARIABLES:
        default = "—" if var.default is None else f"`{var.default}`"
        rows.append(f"| `{var.name}` | {var.type.__name__} | {default} | {var.meaning} |")
    return "\n".join(rows)
