"""Model manager: download listed weights, import a file, remove; the first-run path."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
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

from fcn_studio import weights
from fcn_studio.gui.models.model_picker import display_title
from fcn_studio.gui.shared.tasks import BackgroundTask

translate = QCoreApplication.translate


def weight_filter() -> str:
    return translate("Weights", "Weights (*.pth *.pt *.safetensors *.pkl *.bin);;All files (*)")


def start_download(parent, weights_id: str, on_done) -> BackgroundTask:
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
    return task.start()


def start_import(parent, path: str, on_done) -> BackgroundTask:
    def job(progress, cancelled):
        progress(0, 0, translate("Weights", "Checking the file…"))
        return weights.import_weights(path)

    task = BackgroundTask(
        job,
        parent,
        translate("Weights", "Importing weights"),
        translate("Weights", "Importing {path}…").format(path=path),
    )
    task.succeeded.connect(lambda new_id: on_done(new_id, ""))
    task.failed.connect(lambda msg: on_done("", msg))
    return task.start()


class WeightsDialog(QDialog):
    """Emits ``models_changed(id)`` after a download, import or removal."""

    models_changed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.resize(820, 360)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Id"), self.tr("Model"), self.tr("Architecture"), self.tr("Labels"), self.tr("Status")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.info = QLabel(self.tr("Weights folder: {path}").format(path=weights.weights_dir()))
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton(self.tr("Download"))
        self.import_button = QPushButton(self.tr("Import weights file…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        close = QPushButton(self.tr("Close"))
        self.download_button.clicked.connect(self._download)
        self.import_button.clicked.connect(self._import)
        self.remove_button.clicked.connect(self._remove)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.import_button, self.remove_button):
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
            if r.installed:
                status = (
                    self.tr("installed ({size:.0f} MB)").format(size=r.size_bytes / 1e6)
                    if r.size_bytes
                    else self.tr("installed")
                )
            else:
                status = self.tr("not installed ({size:.0f} MB)").format(size=entry.size_mb) if entry else "-"
            for col, text in enumerate((r.id, display_title(r.title), r.arch, r.labels, status)):
                item = QTableWidgetItem(text)
                item.setToolTip(display_title(entry.source) if entry and col == 1 else text)
                self.table.setItem(i, col, item)
        self.table.resizeColumnToContents(0)
        for col in (2, 3, 4):  # short values, whole in any language; the title column takes the rest
            self.table.resizeColumnToContents(col)
        self._update_buttons()

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
            self.task = start_download(self, r.id, self._finished)

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import weights file"), "", weight_filter())
        if path:
            self.task = start_import(self, path, self._finished)

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
