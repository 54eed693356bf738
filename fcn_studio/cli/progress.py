"""A dependency-free terminal progress bar for the command line.

Kept rather than tqdm or rich: one 50-line bar, and neither is needed anywhere else at run
time (see ARCHITECTURE.md, "Libraries")."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``[#####.....] 12/40 name`` on a terminal; occasional plain lines when piped."""

    def __init__(self, total: int | None, label: str = "", stream: TextIO | None = None, unit: str = "") -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr  # None under pythonw
        self.tty = bool(self.stream and hasattr(self.stream, "isatty") and self.stream.isatty())
        self.start = time.monotonic()
        self._last = 0.0

    def _fmt(self, n: float) -> str:
        if self.unit == "B":
            return f"{n / 1e6:.1f} MB"
        return str(int(n))

    def update(self, done: float, note: str = "", total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        final = self.total is not None and done >= self.total
        if not self.stream or (not final and now - self._last < (0.1 if self.tty else 5.0)):
            return
        self._last = now
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
            elapsed = now - self.start
            eta = elapsed / frac - elapsed if frac > 0 else 0.0
            text = f"{self.label} [{bar}] {self._fmt(done)}/{self._fmt(self.total)} ETA {eta:4.0f}s {note}"
        else:
            text = f"{self.label} {self._fmt(done)} {note}"
        if self.tty:
            self.stream.write("\r" + text[:120].ljust(120))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream and self.tty:
            self.stream.write("\n")
            self.stream.flush()
