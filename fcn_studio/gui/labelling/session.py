"""The labels of the open image: its editor, and saving them shortly after each stroke.

A stroke restarts a short timer; when it fires the mask is written through LabelStore
(temporary file + rename). Masks of normal photos are written at once (a few ms); big
ones are copied and written on a worker thread so painting never waits for a PNG encoder.
Switching image or closing the window writes what is pending first.

Labels are never written where the user did not expect them: when the folder was renamed or
deleted, or the mask deleted outside the app, the session holds the labels and says so
(``at_risk``); the user then keeps them elsewhere, writes them again, or discards them. A
session closed before they chose keeps them in FCN Studio's data folder (recovered-labels/).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.labelling.history import LabelEditor
from fcn_studio.labelling.label_store import UNLABELLED, LabelsAtRisk, LabelStore, blank_mask

AUTOSAVE_MS = 500
BACKGROUND_SAVE_PIXELS = 4_000_000  # above this, the PNG is written on a worker thread


class LabelSession(QObject):
    """One image's labels. ``saved(path)`` after each write, ``error(message)`` on failure,
    ``at_risk(message)`` when they cannot be written without asking (see ``risk``)."""

    saved = Signal(str)
    error = Signal(str)
    at_risk = Signal(str)

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
        self.risk: LabelsAtRisk | None = None  # why the labels are held, until the user chooses
        self._closing = False
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
        if self.risk is not None:  # held until the user chooses: asked again
            if not self._closing:
                self.at_risk.emit(str(self.risk))
            return False
        revision = self.editor.revision
        if self.mask.size <= BACKGROUND_SAVE_PIXELS or wait:
            try:
                self._write(self.mask)
            except LabelsAtRisk as exc:
                self._hold(exc)
                return False
            except FCNStudioError as exc:
                self.error.emit(str(exc))
                return False
            self._saved(revision)
            return True
        snapshot = self.mask.copy()
        task = BackgroundTask(lambda _p, _c: _risk_or(lambda: self._write(snapshot)), None)
        task.succeeded.connect(lambda r: self._hold(r) if isinstance(r, LabelsAtRisk) else self._saved(revision))
        task.failed.connect(self.error)
        task.finished.connect(self._background_done)
        self._saving = task.start(self.runner)
        return True

    def _background_done(self) -> None:
        self._saving = None
        if self.dirty:
            self._timer.start()

    def _write(self, mask: np.ndarray, store: LabelStore | None = None, overwrite: bool = False) -> Path:
        store = store or self.store
        if not store.classes_path.is_file() and (mask != UNLABELLED).any():
            # the folder becomes a dataset with its classes
            store.save_label_set(self.label_set)
        return store.save_mask(self.image, mask, self.label_set, overwrite=overwrite)

    def _hold(self, risk: LabelsAtRisk) -> None:
        self._timer.stop()
        self.risk = risk
        if not self._closing:  # a closing session keeps them itself (_recover)
            self.at_risk.emit(str(risk))

    # -- the user's choice when the labels were at risk ------------------------------------

    def write_again(self) -> None:
        """The mask deleted outside is written again from these labels."""
        revision = self.editor.revision
        self._write(self.mask, overwrite=True)
        self.risk = None
        self._saved(revision)

    def keep_in(self, folder: Path) -> Path:
        """The labels go to ``folder``/masks/ (with its classes), not where they were."""
        revision = self.editor.revision
        store = LabelStore(folder)
        store.follow(self.store, self.image)  # the renamed folder itself: its mask is updated
        path = self._write(self.mask, store)
        self.risk = None
        self._saved_revision = revision
        return path

    def discard(self) -> None:
        """The user gives these labels up: nothing is written."""
        self.risk = None
        self._saved_revision = self.editor.revision
        self.store.forget(self.image)

    def _recover(self) -> None:
        """Closed before the user chose: the labels go to FCN Studio's data folder."""
        import time

        from fcn_studio.storage.weights import weights_dir

        stamp = time.strftime("%Y-%m-%d %H%M%S")
        folder = weights_dir().parent / "recovered-labels" / f"{self.store.folder.name} {stamp}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.keep_in(folder)
        except (OSError, FCNStudioError) as exc:
            self.error.emit(str(exc))
            return
        self.error.emit(self.tr("The labels of {image} were kept in {path}").format(image=self.image.name, path=path))

    def _saved(self, revision: int) -> None:
        self._saved_revision = revision
        self.saved.emit(str(self.store.mask_path(self.image)))

    def close(self) -> bool:
        self._closing = True
        ok = self.save(wait=True)
        self._timer.stop()
        if self.risk is not None and self.dirty:
            self._recover()
        return ok


def _risk_or(write):
    """``write()``'s result, or the LabelsAtRisk it raised (a worker hands it back as a value)."""
    try:
        return write()
    except LabelsAtRisk as exc:
        return exc
