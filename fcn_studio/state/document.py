"""What is open in the Image tab: the files (a folder's images, or those dropped), the
position among them, and the size of the image on screen.

A Qt-free evented model (psygnal): the image workspace writes it as the user opens and
moves through files and as images decode; the window (Previous/Next, the folder a
fine-tune starts from) and the other views read it and listen to ``changed``. Nothing else
keeps its own copy of the file list or the position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from psygnal import Signal


@dataclass(frozen=True)
class Document:
    """One snapshot of what is open."""

    files: tuple[Path, ...] = ()
    index: int = -1  # the position of the image shown in ``files``; -1 = nothing open
    image_size: tuple[int, int] | None = None  # (width, height) on screen; None while it decodes

    @property
    def path(self) -> Path | None:
        return self.files[self.index] if 0 <= self.index < len(self.files) else None

    @property
    def folder(self) -> Path | None:
        """The folder of the image shown (that of a file among several dropped, too)."""
        path = self.path
        return path.parent if path is not None else None

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def has_previous(self) -> bool:
        return self.index > 0

    @property
    def has_next(self) -> bool:
        return 0 <= self.index < len(self.files) - 1


class OpenDocument:
    """What is open; emits ``changed`` once per effective change."""

    changed = Signal(object)  # the new Document
    path_changed = Signal(object)  # the Path now shown, or None
    image_size_changed = Signal(object)  # (width, height), or None

    def __init__(self) -> None:
        self._doc = Document()

    @property
    def document(self) -> Document:
        return self._doc

    @property
    def files(self) -> tuple[Path, ...]:
        return self._doc.files

    @property
    def index(self) -> int:
        return self._doc.index

    @property
    def path(self) -> Path | None:
        return self._doc.path

    @property
    def folder(self) -> Path | None:
        return self._doc.folder

    @property
    def image_size(self) -> tuple[int, int] | None:
        return self._doc.image_size

    def open(self, files: Sequence[Path | str], index: int | None = None) -> None:
        """Another list of files; the position stays unless ``index`` is given (clamped)."""
        files = tuple(Path(f) for f in files)
        index = self._doc.index if index is None else index
        self._update(files=files, index=_clamp(index, len(files)))

    def go_to(self, index: int) -> None:
        """Move to ``index`` (clamped to the files); nothing open: nothing happens."""
        if self._doc.files:
            self._update(index=_clamp(index, len(self._doc.files)))

    def set_image_size(self, size: tuple[int, int] | None) -> None:
        self._update(image_size=None if size is None else (int(size[0]), int(size[1])))

    def _update(self, **fields) -> None:
        new = replace(self._doc, **fields)
        if new.path != self._doc.path and "image_size" not in fields:
            new = replace(new, image_size=None)  # another image: its size is known once decoded
        if new == self._doc:
            return
        old, self._doc = self._doc, new
        if new.path != old.path:
            self.path_changed.emit(new.path)
        if new.image_size != old.image_size:
            self.image_size_changed.emit(new.image_size)
        self.changed.emit(new)


def _clamp(index: int, count: int) -> int:
    return max(0, min(index, count - 1)) if count else -1
