"""Where the resources/ folder (icons, styles, desktop entry) is, installed or from source."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "_bundled" / "resources"
_SOURCE = Path(__file__).resolve().parents[1] / "resources"


def resource(relative: str) -> Path:
    base = _PACKAGED if _PACKAGED.is_dir() else _SOURCE
    return base / relative
