"""A mask being edited, with undo and redo whose memory is bounded by a byte budget.

A step remembers only what it changed: the changed pixels' previous values inside the
change's box (one value when they were all the same, as when painting over unlabelled
pixels) and the packed bits of which pixels changed. The oldest steps are forgotten first
when the budget is exceeded, as labelme and napari do.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from fcn_studio.labelling.edits import Box, Change, apply_change

DEFAULT_HISTORY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Patch:
    """One change as it can be undone and redone."""

    box: Box
    bits: np.ndarray  # np.packbits of the changed pixels of box
    before: np.ndarray | int  # their old values, in row-major order (or the one common value)
    after: int

    @property
    def nbytes(self) -> int:
        return 64 + self.bits.nbytes + (self.before.nbytes if isinstance(self.before, np.ndarray) else 0)

    def region(self) -> np.ndarray:
        h, w = self.box.shape
        return np.unpackbits(self.bits, count=h * w).reshape(h, w).astype(bool)


class LabelEditor:
    """The labels of one image and their history. Every edit returns the box to redraw.

    Edits between :meth:`begin_stroke` and :meth:`end_stroke` (a drag's many segments)
    are undone as one step.
    """

    def __init__(self, mask: np.ndarray, max_bytes: int = DEFAULT_HISTORY_BYTES) -> None:
        if mask.ndim != 2 or mask.dtype != np.uint8:
            raise ValueError(f"a mask is an (H, W) uint8 array, not {mask.shape} {mask.dtype}")
        self.mask = mask
        self.max_bytes = max_bytes
        self._undo: deque[list[_Patch]] = deque()
        self._redo: list[list[_Patch]] = []
        self._open: list[_Patch] | None = None
        self._bytes = 0
        self.revision = 0  # counts edits, undos and redos: autosave compares it

    @property
    def history_bytes(self) -> int:
        pending = [*self._redo, self._open or []]
        return self._bytes + sum(_step_bytes(step) for step in pending)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) or bool(self._open)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def begin_stroke(self) -> None:
        self.end_stroke()
        self._open = []

    def end_stroke(self) -> None:
        if self._open:
            self._push(self._open)
        self._open = None

    def apply(self, change: Change | None) -> Box | None:
        """Make the change and remember how to undo it; None if nothing changed."""
        if change is None:
            return None
        window = self.mask[change.box.slices]
        changed = change.region & (window != change.value)
        if not changed.any():
            return None
        before = window[changed]
        common = int(before[0]) if before.min() == before.max() else None  # no temporary array
        patch = _Patch(change.box, np.packbits(changed), before.copy() if common is None else common, change.value)
        window[changed] = change.value
        self._redo.clear()
        self.revision += 1
        if self._open is not None:
            self._open.append(patch)
        else:
            self._push([patch])
        return change.box

    def undo(self) -> Box | None:
        self.end_stroke()
        if not self._undo:
            return None
        step = self._undo.pop()
        self._bytes -= _step_bytes(step)
        box = None
        for patch in reversed(step):
            window = self.mask[patch.box.slices]
            window[patch.region()] = patch.before
            box = patch.box.union(box)
        self._redo.append(step)
        self.revision += 1
        return box

    def redo(self) -> Box | None:
        self.end_stroke()
        if not self._redo:
            return None
        step = self._redo.pop()
        box = None
        for patch in step:
            box = apply_change(self.mask, Change(patch.box, patch.region(), patch.after)).union(box)
        self._push(step, keep_redo=True)
        self.revision += 1
        return box

    def _push(self, step: list[_Patch], keep_redo: bool = False) -> None:
        self._undo.append(step)
        self._bytes += _step_bytes(step)
        while self._bytes > self.max_bytes and self._undo:
            # forget the oldest steps; a single step over the budget cannot be undone at all
            self._bytes -= _step_bytes(self._undo.popleft())
        if not keep_redo:
            self._redo.clear()


def _step_bytes(step: list[_Patch]) -> int:
    return sum(p.nbytes for p in step)
