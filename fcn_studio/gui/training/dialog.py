"""Fine-tune dialog: choose a folder, read its report, set options, train, watch, use."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fcn_studio import weights
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.plot_widget import LinePlot
from fcn_studio.gui.shared.tasks import BackgroundTask


class TrainWorker(QObject):
    """Runs :func:`fcn_studio.trainer.train` on its thread; every event becomes a signal."""

    event = Signal(object)
    finished = Signal(object, str)  # TrainResult or None, error message

    def __init__(self, config, report) -> None:
        super().__init__()
        self.config, self.report = config, report
        self.stop = threading.Event()
        self._last = 0.0

    def _emit(self, e: dict) -> None:
        now = time.monotonic()
        if e["type"] != "iteration" or now - self._last > 0.05:  # a GPU can do 50 it/s
            self._last = now
            self.event.emit(e)

    @Slot()
    def run(self) -> None:
        from fcn_studio.trainer import train

        try:
            result = train(self.config, self._emit, self.stop.is_set, report=self.report)
        except Cancelled as exc:
            self.finished.emit(None, str(exc))
        except FCNStudioError as exc:
            self.finished.emit(None, str(exc))
        except MemoryError:
            self.finished.emit(None, "out of memory: lower the batch size or crop size")
        except Exception as exc:
            self.finished.emit(None, f"unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(result, "")


def machine_defaults() -> dict:
    """Sensible starting options: small and frozen on a laptop CPU, fuller on a GPU."""
    try:
        import torch

        gpu = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        gpu = False
    if gpu:
        return {"epochs": 20, "batch": 4, "crop": 384, "lr": 1e-4, "freeze": False}
    return {"epochs": 5, "batch": 2, "crop": 256, "lr": 1e-3, "freeze": True}


class TrainDialog(QDialog):
    use_model = Signal(str)

    def __init__(self, parent=None, start_folder: str = "", device: str = "auto") -> None:
        super().__init__(parent)
        self.device = device
        self.setWindowTitle("Fine-tune a model on your data")
        self.resize(1100, 720)
        self.report = None
        self.result = None
        self.thread: QThread | None = None
        self.worker: TrainWorker | None = None
        self.scan_task: BackgroundTask | None = None
        self._start_folder = start_folder
        self._build()
        self._apply_defaults()

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("Folder with images and masks (VOC, Carvana or images/ + masks/)")
        browse = QPushButton("Choose folder…")
        browse.clicked.connect(self._choose_folder)
        self.folder.returnPressed.connect(self.scan)
        top = QHBoxLayout()
        top.addWidget(self.folder, 1)
        top.addWidget(browse)

        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(
            "The dataset report appears here: pairs, classes, and any problem by file name."
        )
        self.classes = QTableWidget(0, 1)
        self.classes.setHorizontalHeaderLabels(["Class name (editable)"])
        self.classes.horizontalHeader().setStretchLastSection(True)
        data_box = QGroupBox("Dataset")
        data_layout = QHBoxLayout(data_box)
        data_layout.addWidget(self.report_view, 3)
        data_layout.addWidget(self.classes, 1)

        self.base = QComboBox()
        self.arch = QComboBox()
        for a in ("fcn8s", "fcn16s", "fcn32s"):
            self.arch.addItem(arch_name(a), a)
        self.epochs, self.batch, self.crop, self.seed = QSpinBox(), QSpinBox(), QSpinBox(), QSpinBox()
        self.epochs.setRange(1, 1000)
        self.batch.setRange(1, 64)
        self.crop.setRange(32, 1024)
        self.crop.setSingleStep(32)
        self.seed.setRange(0, 2**31 - 1)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 1.0)
        self.lr.setSingleStep(1e-4)
        self.optimizer = QComboBox()
        self.optimizer.addItems(["adam", "sgd"])
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(0.0, 0.9)
        self.val_split.setSingleStep(0.05)
        self.val_split.setValue(0.2)
        self.freeze = QCheckBox("Freeze the backbone (train score layers only; fast on a CPU)")
        self.flip = QCheckBox("Random horizontal flips")
        self.flip.setChecked(True)
        self.scale = QCheckBox("Random scaling 0.75-1.25×")
        self.scale.setChecked(True)
        self.amp = QCheckBox("Mixed precision (CUDA only)")
        self.amp.setChecked(True)
        self.name = QLineEdit("my-fcn")
        form = QFormLayout()
        form.addRow("Start from", self.base)
        form.addRow("Architecture", self.arch)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch)
        form.addRow("Crop size (px)", self.crop)
        form.addRow("Learning rate", self.lr)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Validation split", self.val_split)
        form.addRow("Seed", self.seed)
        form.addRow("Save as (model id)", self.name)
        for box in (self.freeze, self.flip, self.scale, self.amp):
            form.addRow(box)
        defaults = QPushButton("Defaults for this machine")
        defaults.clicked.connect(self._apply_defaults)
        form.addRow(defaults)
        options = QGroupBox("Options")
        options.setLayout(form)

        self.loss_plot = LinePlot("training loss (per iteration)", "#c0392b")
        self.miou_plot = LinePlot("validation mean IoU (per epoch)", "#2a7ab8", (0.0, 1.0))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Choose a folder to begin.")
        self.status.setWordWrap(True)
        plots = QWidget()
        plot_layout = QGridLayout(plots)
        plot_layout.addWidget(self.loss_plot, 0, 0)
        plot_layout.addWidget(self.miou_plot, 1, 0)

        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel training")
        self.use_button = QPushButton("Use this model")
        self.copy_button = QPushButton("Copy command line")
        close = QPushButton("Close")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self._use)
        self.copy_button.clicked.connect(self._copy_command)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.use_button, self.copy_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)

        middle = QHBoxLayout()
        middle.addWidget(options, 2)
        middle.addWidget(plots, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(data_box, 2)
        layout.addLayout(middle, 3)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._fill_bases()
        self._set_running(False)

    def _fill_bases(self) -> None:
        self.base.clear()
        for m in weights.list_weights():
            if m.installed:
                self.base.addItem(f"{m.id}  ({m.arch}, {m.labels})", m.id)
        for m in weights.list_weights():
            if not m.installed and m.kind == "backbone":
                self.base.addItem(f"{m.id}  (not installed: Models → Download)", m.id)
        self.base.addItem("random weights (scratch; for testing the pipeline)", "scratch")
        preferred = self.base.findData("vgg16-imagenet")
        installed_first = 0 if self.base.count() and weights.installed_models() else max(preferred, 0)
        self.base.setCurrentIndex(installed_first)

    def _apply_defaults(self) -> None:
        d = machine_defaults()
        self.epochs.setValue(d["epochs"])
        self.batch.setValue(d["batch"])
        self.crop.setValue(d["crop"])
        self.lr.setValue(d["lr"])
        self.freeze.setChecked(d["freeze"])

    # -- dataset -----------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", self.folder.text() or self._start_folder)
        if folder:
            self.folder.setText(folder)
            self.scan()

    def scan(self) -> None:
        from fcn_studio.dataset import scan_dataset

        folder = self.folder.text().strip()
        if not folder:
            return
        self.report_view.setPlainText(f"Checking {folder}…")
        self.start_button.setEnabled(False)

        def job(progress, cancelled):
            return scan_dataset(folder, progress=progress, cancelled=cancelled)

        self.scan_task = BackgroundTask(job, None)
        self.scan_task.worker.progress.connect(lambda d, t, n: self.status.setText(f"Checking {d}/{t}: {n}"))
        self.scan_task.succeeded.connect(self._scanned)
        self.scan_task.failed.connect(self._scan_failed)
        self.scan_task.start()

    def _scanned(self, report) -> None:
        self.report = report
        self.report_view.setPlainText(report.text())
        self.classes.setRowCount(report.num_classes)
        for i, name in enumerate(report.class_names):
            self.classes.setItem(i, 0, QTableWidgetItem(name))
        self.classes.setVerticalHeaderLabels([str(i) for i in range(report.num_classes)])
        self.name.setText(weights.id_from_filename(f"{Path(report.root).name}-fcn"))
        self.status.setText(
            "Ready to train." if report.ok else "Fix the problems listed in the report, then choose the folder again."
        )
        self._set_running(False)

    def _scan_failed(self, message: str) -> None:
        self.report = None
        self.report_view.setPlainText(message)
        self.status.setText("This folder cannot be used.")
        self._set_running(False)

    # -- training ----------------------------------------------------------------------------

    def config(self):
        from fcn_studio.trainer import TrainConfig

        names = [(self.classes.item(i, 0).text().strip() or f"class {i}") for i in range(self.classes.rowCount())]
        out = weights.weights_dir() / f"{self.name.text().strip() or 'my-fcn'}.safetensors"
        scale = (0.75, 1.25) if self.scale.isChecked() else (1.0, 1.0)
        return TrainConfig(
            data=self.folder.text().strip(), out=str(out), base=self.base.currentData() or "scratch",
            arch=self.arch.currentData(), epochs=self.epochs.value(), batch_size=self.batch.value(),
            crop_size=self.crop.value(), lr=self.lr.value(), optimizer=self.optimizer.currentText(),
            flip=self.flip.isChecked(), scale_min=scale[0], scale_max=scale[1],
            freeze_backbone=self.freeze.isChecked(), val_split=self.val_split.value(), seed=self.seed.value(),
            amp=self.amp.isChecked(), device=self.device,
            class_names=names if self.report and names != self.report.class_names else None,
        )  # fmt: skip

    def start(self) -> None:
        if self.report is None or not self.report.ok:
            QMessageBox.information(self, "Fine-tune", "Choose a dataset folder without blocking problems first.")
            return
        problem = weights.id_problem(self.name.text().strip() or "my-fcn")
        if problem:  # the name becomes a file in the weights folder: the one id rule applies
            QMessageBox.information(self, "Fine-tune", f"The model id cannot be used: {problem}.")
            return
        config = self.config()
        if config.device == "cuda":
            from fcn_studio.device import choose_device

            choice = choose_device("cuda", allow_fallback=True)
            if choice.fallback_note:
                self.report_view.appendPlainText(choice.fallback_note)
                config.device = "cpu"
        if Path(config.out).exists():
            answer = QMessageBox.question(
                self, "Fine-tune", f"A model named {Path(config.out).stem} exists. Replace it?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            config.force = True  # the user said so; the trainer refuses to replace it otherwise
        if self.report.class_names != [self.classes.item(i, 0).text() for i in range(self.classes.rowCount())]:
            self.report.class_names = [self.classes.item(i, 0).text() for i in range(self.classes.rowCount())]
        self.loss_plot.clear()
        self.miou_plot.clear()
        self.result = None
        self._config = config
        self.worker = TrainWorker(config, self.report)
        self.thread = QThread()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.event.connect(self._on_event)
        # quit() is thread-safe; called directly it cannot queue behind _on_finished
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.finished.connect(self._on_finished)
        self.thread.start()
        self.status.setText("Starting…")
        self._set_running(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.stop.set()
            self.status.setText("Cancelling after the current step; checkpoints are kept…")

    def _on_event(self, e: dict) -> None:
        kind = e["type"]
        if kind == "iteration":
            x = (e["epoch"] - 1) + e["iteration"] / e["iterations"]
            self.loss_plot.add(x, e["loss"])
            self.progress.setValue(round(1000 * e["progress"]))
            eta = int(e["eta_s"])
            self.status.setText(f"Epoch {e['epoch']}/{self._config.epochs}, iteration {e['iteration']}/{e['iterations']}: "
                                f"loss {e['loss']:.4f}, {e['images_per_s']:.2f} images/s, ETA {eta // 60}:{eta % 60:02d}")  # fmt: skip
        elif kind == "epoch":
            m = e["metrics"]
            if m.get("mean_iou") is not None:
                self.miou_plot.add(e["epoch"], m["mean_iou"])
        elif kind == "message":
            self.report_view.appendPlainText(e["text"])

    def _on_finished(self, result, error: str) -> None:
        self.result = result
        self.worker = None
        if result is None:
            self.status.setText(error)
            if error and "cancel" not in error.lower():
                QMessageBox.warning(self, "Fine-tune", error)
        else:
            m = result.best_metrics
            score = (
                f"best validation mean IoU {100 * m['mean_iou']:.1f} %"
                if m.get("mean_iou") is not None
                else "no validation images"
            )
            what = "Cancelled; the model so far is saved" if result.cancelled else "Done"
            self.status.setText(f"{what}: {score}. Installed as {result.registered_id}.")
            self.progress.setValue(1000 if not result.cancelled else self.progress.value())
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and bool(self.report and self.report.ok))
        self.cancel_button.setEnabled(running)
        self.use_button.setEnabled(not running and bool(self.result and self.result.registered_id))
        self.copy_button.setEnabled(bool(self.folder.text().strip()))

    def _use(self) -> None:
        if self.result and self.result.registered_id:
            self.use_model.emit(self.result.registered_id)
            self.accept()

    def _copy_command(self) -> None:
        text = self.config().command_line()
        QGuiApplication.clipboard().setText(text)
        self.status.setText(f"Copied: {text}")

    def reject(self) -> None:  # Esc, Close and the window's close button all come here
        if self.worker is not None:
            answer = QMessageBox.question(self, "Fine-tune", "Training is running. Stop it? (checkpoints are kept)")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.cancel()
            self.thread.wait()
        super().reject()
