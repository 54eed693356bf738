"""The labels of the open image: its editor, and saving them shortly after each stroke.

A stroke restarts a short timer; when it fires the mask is written through LabelStore
(temporary file + rename). Masks of normal photos are written at once (a few ms); big
ones are copied and written on a worker thread so painting never waits for a PNG encoder.
Switching image or closing the window writes what is pending first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.labelling.history import LabelEditor
from fcn_studio.labelling.label_store import UNLABELLED, LabelStore, blank_mask

AUTOSAVE_MS = 500
BACKGROUND_SAVE_PIXELS = 4_000_000  # above this, the PNG is written on a worker thread


class LabelSession(QObject):
    """One image's labels. ``saved(path)`` after each write, ``error(message)`` on failure."""

    saved = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        store: LabelStore,
        image: Path,
        shape: tuple[int, int],
        label_set: LabelSet,
        parent: QObject | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner  # owns a big mask's write on a worker thread
        self.store = store
        self.image = Path(image)
        self.label_set = label_set
        self.loaded_from_disk = False
        mask = None
        try:
            mask = store.load_mask(image, shape)
        except FCNStudioError as exc:  # unreadable or of another size: shown, never overwritten
            self.load_error = str(exc)
        else:
            self.load_error = ""
        self.loaded_from_disk = mask is not None
        self.editor = LabelEditor(mask if mask is not None else blank_mask(shape))
        self._saved_revision = self.editor.revision
        self._saving: BackgroundTask | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save)

    @property
    def mask(self) -> np.ndarray:
        return self.editor.mask

    @property
    def dirty(self) -> bool:
        return self.editor.revision != self._saved_revision

    def edited(self) -> None:
        """After a stroke (or undo/redo): save soon, once the user pauses."""
        self._timer.start()

    def save(self, wait: bool = False) -> bool:
        """Write the mask if it changed since the last write; ``wait`` finishes a write in
        flight first (image switch, close, retrain). Returns False if the write failed."""
        self._timer.stop()
        if self._saving is not None:
            if not wait:
                self._timer.start()  # one write at a time: try again when this one is done
                return True
            self._saving.wait()
            self._saving = None
        if not self.dirty:
            return True
        revision = self.editor.revision
        if self.mask.size <= BACKGROUND_SAVE_PIXELS or wait:
            try:
                self._write(self.mask)
            except FCNStudioError as exc:
                self.error.emit(str(exc))
                return False
            self._saved(revision)
            return True
        snapshot = self.mask.copy()
        task = BackgroundTask(lambda _p, _c: self._write(snapshot), None)
        task.succeeded.connect(lambda _r: self._saved(revision))
        task.failed.connect(self.error)
        task.finished.connect(self._background_done)
        self._saving = task.start(self.runner)
        return True

    def _background_done(self) -> None:
        self._saving = None
        if self.dirty:
            self._timer.start()

    def _write(self, mask: np.ndarray) -> Path:
        if not self.store.classes_path.is_file() and (mask != UNLABELLED).any():
            # the folder becomes a dataset with its classes
            self.store.save_label_set(self.label_set)
        return self.store.save_mask(self.image, mask, self.label_set)

    def _saved(self, revision: int) -> None:
        self._saved_revision = revision
        self.saved.emit(str(self.store.mask_path(self.image)))

    def close(self) -> bool:
        ok = self.save(wait=True)
        self._timer.stop()
        return ok
