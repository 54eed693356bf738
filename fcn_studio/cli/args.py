"""Argument types that refuse impossible numbers at the parser (one usage line, exit 2)
instead of a traceback or a silently absurd run later."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(low: int | None = None, high: int | None = None, *, zero: bool = False) -> Callable[[str], int]:
    """An int in ``[low, high]``; ``zero=True`` also allows 0 (meaning "off"/"full")."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if zero and value == 0:
            return value
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range: {_range(low, high, zero)}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """A finite float in the range; ``*_open`` excludes the bound itself."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        bad = not math.isfinite(value)
        bad |= low is not None and (value <= low if low_open else value < low)
        bad |= high is not None and (value >= high if high_open else value > high)
        if bad:
            lo = "" if low is None else f"{'more than' if low_open else 'at least'} {low:g}"
            hi = "" if high is None else f"{'less than' if high_open else 'at most'} {high:g}"
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: use a number {' and '.join(filter(None, (lo, hi)))}"
            )
        return value

    parse.__name__ = "number"
    return parse


def scale_range(text: str) -> str:
    """``lo,hi`` (or one value) with 0 < lo <= hi <= 10; kept as text for TrainConfig."""
    lo_text, _, hi_text = text.partition(",")
    try:
        lo, hi = float(lo_text), float(hi_text or lo_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give two numbers such as 0.75,1.25") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi <= 10):
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 < low <= high <= 10, e.g. 0.75,1.25 (1,1 = off)")
    return text


def _range(low: int | None, high: int | None, zero: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"at least {low}")
    if high is not None:
        parts.append(f"at most {high}")
    return "use a whole number " + " and ".join(parts) + (" (or 0)" if zero else "")


def shard(text: str):
    """``--shard I/N`` (segment, eval), refused at the parser like the other numbers."""
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.inference.shard import Shard

    try:
        return Shard.parse(text)
    except FCNStudioError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--shard {text!r}: ")) from None


# The limits of the options shared by several commands.
MAX_SIZE = integer(32, 65536, zero=True)  # longest side the network sees; 0 = full resolution
NUM_CLASSES = integer(1, 255)  # class ids are bytes and 255 means "ignore"
OPACITY = number(0.0, 1.0)
SHARD = shard


def keyframes(text: str) -> str:
    """``auto`` or a whole number >= 1 (videos: the network on every N-th frame)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither 'auto' nor a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is out of range: 'auto' or at least 1")
    return str(value)
