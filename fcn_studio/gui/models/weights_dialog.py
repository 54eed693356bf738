"""Model manager: download listed weights, import a file, remove; the first-run path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.models.model_picker import arch_name, display_title
from fcn_studio.gui.settings import LAST_DIR
from fcn_studio.gui.shared.class_names import display_label_set
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.storage import weights

translate = QCoreApplication.translate

# The core's status words (weights.ModelInfo.status), listed so lupdate extracts them.
_STATUS_WORDS = (
    QT_TRANSLATE_NOOP("Weights", "installed"),
    QT_TRANSLATE_NOOP("Weights", "not installed"),
    QT_TRANSLATE_NOOP("Weights", "installed (imported)"),
    QT_TRANSLATE_NOOP("Weights", "installed (trained)"),
)


def display_status(status: str) -> str:
    """A model's status in the interface language (the command line says it in English)."""
    return translate("Weights", status) if status in _STATUS_WORDS else status


def weight_filter() -> str:
    return translate("Weights", "Weights (*.pth *.pt *.safetensors *.pkl *.bin);;All files (*)")


def start_download(parent, weights_id: str, on_done, runner: TaskRunner) -> BackgroundTask:
    entry = weights.manifest_entry(weights_id)
    size = f" ({entry.size_mb:.0f} MB)" if entry else ""

    def job(progress, cancelled):
        def report(done: int, total: int | None) -> None:
            progress(
                done,
                total or 0,
                translate("Weights", "{done:.0f} of {total:.0f} MB").format(done=done / 1e6, total=total / 1e6)
                if total
                else f"{done / 1e6:.0f} MB",
            )

        return weights.download_weights(weights_id, progress=report, cancelled=cancelled)

    task = BackgroundTask(
        job,
        parent,
        translate("Weights", "Downloading weights"),
        translate("Weights", "Downloading {id}{size}…").format(id=weights_id, size=size),
        scale=1_000_000,
    )
    task.succeeded.connect(lambda _path: on_done(weights_id, ""))
    task.failed.connect(lambda msg: on_done(weights_id, msg))
    task.cancelled.connect(lambda msg: on_done(weights_id, msg))
    return task.start(runner)


def start_import(parent, paths: str | list[str], on_done, runner: TaskRunner) -> BackgroundTask:
    """Import one or several files, one after another; ``on_done(id, error)`` once per
    file, so a file that fails never hides the others."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    results: list[tuple[str, str]] = []

    def job(progress, cancelled):
        for i, path in enumerate(paths):
            if cancelled():
                break
            progress(i, len(paths), translate("Weights", "Checking {name}…").format(name=Path(path).name))
            try:
                results.append((weights.import_weights(path), ""))
            except FCNStudioError as exc:
                results.append(("", str(exc)))
        return results

    label = (
        translate("Weights", "Importing {path}…").format(path=paths[0])
        if len(paths) == 1
        else translate("Weights", "Importing {n} files…").format(n=len(paths))
    )
    task = BackgroundTask(job, parent, translate("Weights", "Importing weights"), label)
    task.succeeded.connect(lambda done: [on_done(i, e) for i, e in done])
    task.failed.connect(lambda msg: on_done("", msg))
    return task.start(runner)


def _size_text(n: int) -> str:
    if n >= 1e9:
        return translate("Weights", "{n:.1f} GB").format(n=n / 1e9)
    if n >= 1e6:
        return translate("Weights", "{n:.0f} MB").format(n=n / 1e6)
    return translate("Weights", "{n:.0f} kB").format(n=max(1, n / 1e3)) if n else "-"


class WeightsDialog(QDialog):
    """Emits ``models_changed(id)`` after a download, import or removal."""

    models_changed = Signal(str)

    def __init__(
        self, parent=None, in_use: Callable[[], frozenset[str]] | None = None, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner or TaskRunner(self)  # the window's; opened alone (a test), its own
        self.in_use = in_use  # the models the app's open views show or hold (Clean up spares them)
        self.setWindowTitle(self.tr("Models"))
        self.resize(980, 380)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Id"),
                self.tr("Model"),
                self.tr("Architecture"),
                self.tr("Labels"),
                self.tr("Status"),
                self.tr("On disk"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # sizes and statuses stay on one line
        header = self.table.horizontalHeader()
        for col in (0, 2, 3, 4, 5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.info = QLabel(self.tr("Weights folder: {path}").format(path=weights.weights_dir()))
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton(self.tr("Download"))
        self.import_button = QPushButton(self.tr("Import weights file…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.clean_button = QPushButton(self.tr("Clean up…"))
        self.clean_button.setToolTip(
            self.tr(
                "Remove stale conversion caches and old versions (never the base, the version in use, the newest, "
                "one an open view shows or one that versions stored as heads sit on)"
            )
        )
        close = QPushButton(self.tr("Close"))
        self.download_button.clicked.connect(self._download)
        self.import_button.clicked.connect(self._import)
        self.remove_button.clicked.connect(self._remove)
        self.clean_button.clicked.connect(self._clean)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.import_button, self.remove_button, self.clean_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        self.task: BackgroundTask | None = None
        self.refresh()

    def refresh(self) -> None:
        self.rows = weights.list_weights()
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            entry = weights.manifest_entry(r.id)
            status = display_status(r.status)
            if r.base:
                status = self.tr("{status}, head over {base}").format(status=status, base=r.base)
            for col, text in enumerate(
                (
                    r.id,
                    display_title(r.title),
                    arch_name(r.arch),
                    display_label_set(r.labels),
                    status,
                    self._size(r, entry),
                )
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(display_title(entry.source) if entry and col == 1 else text)
                if col == 5:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    item.setToolTip(self._size_tip(r))
                self.table.setItem(i, col, item)
        total = sum(r.disk_bytes for r in self.rows if r.installed)
        self.info.setText(
            self.tr("Weights folder: {path}  ·  {size} on disk").format(
                path=weights.weights_dir(), size=_size_text(total)
            )
        )
        self._update_buttons()

    def _size(self, r, entry) -> str:
        """The file with its conversion caches; a download's size while not installed."""
        if not r.installed:
            return self.tr("{size} to download").format(size=_size_text(int(entry.size_mb * 1e6))) if entry else ""
        return _size_text(r.disk_bytes)

    def _size_tip(self, r) -> str:
        return self.tr("weights file {file}, conversion caches {cache}").format(
            file=_size_text(r.size_bytes or 0), cache=_size_text(r.cache_bytes)
        )

    def _in_use(self) -> frozenset[str]:
        """The ids of the models the app's views show or hold: cleanup leaves them alone."""
        if self.in_use is not None:
            return self.in_use()
        service = getattr(self.parent(), "service", None)
        loaded = service.loaded() if service is not None and hasattr(service, "loaded") else []
        return frozenset(m.spec for m in loaded)

    def _clean(self) -> None:
        from fcn_studio.application.cleanup import clean

        keep = self._in_use()
        plan = clean(versions=True, keep=keep, dry_run=True)
        if not plan:
            QMessageBox.information(self, self.tr("Clean up"), self.tr("Nothing to clean up."))
            return
        names = "\n".join(f"{r.path.name} ({_size_text(r.size_bytes)})" for r in plan[:12])
        answer = QMessageBox.question(
            self,
            self.tr("Clean up"),
            self.tr("Remove {n} stale conversion caches and old versions, {size} in all?\n\n{names}").format(
                n=len(plan), size=_size_text(sum(r.size_bytes for r in plan)), names=names
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            clean(versions=True, keep=keep)
            self.refresh()
            self.models_changed.emit("")

    def _selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        r = self._selected()
        self.download_button.setEnabled(bool(r and r.origin == "manifest" and not r.installed))
        self.remove_button.setEnabled(bool(r and r.installed))

    def _download(self) -> None:
        r = self._selected()
        if r is not None:
            self.task = start_download(self, r.id, self._finished, self.runner)

    def _import(self) -> None:
        start = self.parent().settings.read(LAST_DIR) if hasattr(self.parent(), "settings") else ""
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Import weights files"), start, weight_filter())
        if paths:  # every file chosen is imported, one after another
            self.task = start_import(self, paths, self._finished, self.runner)

    def _finished(self, weights_id: str, error: str) -> None:
        self.refresh()
        if error:
            QMessageBox.warning(self, self.tr("Models"), error)
        else:
            self.models_changed.emit(weights_id)

    def _remove(self) -> None:
        r = self._selected()
        if r is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Remove model"), self.tr("Delete the weights of {id} ({path})?").format(id=r.id, path=r.path)
        )
        if answer == QMessageBox.StandardButton.Yes:
            try:
                weights.remove_weights(r.id)
            except Exception as exc:
                QMessageBox.warning(self, self.tr("Models"), str(exc))
            self.refresh()
            self.models_changed.emit(r.id)
