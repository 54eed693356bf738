"""Notices models added, replaced or removed in the weights folder by another process
(``fcn-studio weights import`` or ``train`` while the app runs)."""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from fcn_studio.files.identity import FileIdentity
from fcn_studio.storage import weights


class WeightsFolderWatch(QObject):
    changed = Signal()  # debounced: an import writes a temporary file, then renames it

    def __init__(self, parent: QObject | None = None, delay_ms: int = 400) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._fire)
        self._watcher.directoryChanged.connect(lambda _p: self._timer.start())
        self._snapshot = self._listing()
        self.watch()

    def watch(self) -> None:
        """(Re)start watching: the folder may only exist after the first import."""
        folder = weights.weights_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if str(folder) not in self._watcher.directories():
            self._watcher.addPath(str(folder))

    def _listing(self) -> frozenset:
        folder = weights.weights_dir()
        if not folder.is_dir():
            return frozenset()
        out = set()
        for p in folder.iterdir():
            if p.name.startswith(".") or p.suffix == ".part":
                continue  # temporaries and downloads in progress are not models yet
            identity = FileIdentity.maybe(p)  # one answer to "did this file change?"
            if identity is not None:
                out.add(identity)
        return frozenset(out)

    def _fire(self) -> None:
        listing = self._listing()
        if listing != self._snapshot:
            self._snapshot = listing
            self.changed.emit()
