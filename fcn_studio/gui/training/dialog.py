"""Fine-tune dialog: choose a folder, read its report, set options, train, watch, use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThread, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.class_names import display_label_set, display_name, stored_name
from fcn_studio.gui.shared.tasks import BackgroundTask, WorkerThread
from fcn_studio.gui.training.form import button_row, options_box, plots_widget
from fcn_studio.gui.training.machine import (
    machine_defaults,
    shares_the_gpu,
    smallest_side,
    table_font,
)
from fcn_studio.gui.training.worker import TrainWorker
from fcn_studio.messages import lines_text
from fcn_studio.storage import weights
from fcn_studio.training.config import EpochEvent, Event, IterationEvent, MessageEvent  # torch-free

# Options remembered between runs (and sessions), by settings key.
_REMEMBERED = ("epochs", "batch", "crop", "lr", "val_split", "seed")
_REMEMBERED_CHECKS = ("freeze", "flip", "scale", "amp")


class TrainDialog(QDialog):
    use_model = Signal(str)  # "Use this model": select it everywhere
    trained = Signal(str)  # a run ended with a model installed (views refresh their lists)

    def __init__(self, parent=None, start_folder: str = "", device: str = "auto", settings=None) -> None:
        super().__init__(parent)
        self.setModal(False)  # the app keeps segmenting, comparing and playing meanwhile
        self.settings = settings
        self.device = device
        self.setWindowTitle(self.tr("Fine-tune a model on your data"))
        self.resize(1100, 720)
        self.report = None
        self.result = None
        self.thread: QThread | None = None
        self.worker: TrainWorker | None = None
        self.scan_task: BackgroundTask | None = None
        self._start_folder = start_folder
        self._min_side: int | None = None  # the dataset's smallest image side
        self._config = None  # the last run's TrainConfig
        self._can_resume = False
        self._build()
        self._apply_defaults()
        self._restore()
        self._follow_freeze(self.freeze.isChecked())

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        top, data_box = self._build_dataset()
        options = options_box(self)
        plots = plots_widget(self)
        buttons = button_row(self)
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
        self.base.currentIndexChanged.connect(lambda _i: self._follow_base())
        self._set_running(False)

    def _build_dataset(self) -> tuple[QHBoxLayout, QGroupBox]:
        """The folder line and the dataset's report beside its editable class names."""
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(
            self.tr(
                "Folder with images and masks: a Label mode folder (photos + masks/), VOC, Carvana or images/ + masks/"
            )
        )
        browse = QPushButton(self.tr("Choose folder…"))
        browse.clicked.connect(self._choose_folder)
        self.folder.returnPressed.connect(self.scan)
        top = QHBoxLayout()
        top.addWidget(self.folder, 1)
        top.addWidget(browse)

        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setFont(table_font())  # the class table lines up
        self.report_view.setMinimumHeight(150)
        self.report_view.setPlaceholderText(
            self.tr("The dataset report appears here: pairs, classes, and any problem by file name.")
        )
        self.classes = QTableWidget(0, 1)
        self.classes.setHorizontalHeaderLabels([self.tr("Class name (editable)")])
        self.classes.horizontalHeader().setStretchLastSection(True)
        self.classes.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)  # compact rows
        data_box = QGroupBox(self.tr("Dataset"))
        data_layout = QHBoxLayout(data_box)
        data_layout.addWidget(self.report_view, 3)
        data_layout.addWidget(self.classes, 1)

        return top, data_box

    def _fill_bases(self) -> None:
        """The installed models (any version: one stored as a head over its base says so),
        then random weights; the first installed model is chosen."""
        self.base.clear()
        for m in weights.list_weights():
            if not m.installed:
                continue
            if m.base:
                text = self.tr("{id}  ({arch}, {labels}, head over {base})").format(
                    id=m.id, arch=arch_name(m.arch), labels=display_label_set(m.labels), base=m.base
                )
            else:
                text = f"{m.id}  ({arch_name(m.arch)}, {display_label_set(m.labels)})"
            self.base.addItem(text, m.id)
        self.base.addItem(self.tr("random weights (scratch; for testing the pipeline)"), "scratch")
        self.base.setCurrentIndex(0)

    def offer_base(self, model_id: str) -> None:
        """The models installed now, with ``model_id`` (the model in use in the window)
        chosen when it is one of them; a running training keeps its choice."""
        if self.worker is not None:
            return
        self._fill_bases()
        index = self.base.findData(model_id) if model_id else -1
        if index >= 0:
            self.base.setCurrentIndex(index)

    def _apply_defaults(self) -> None:
        d = machine_defaults()
        self.epochs.setValue(d["epochs"])
        self.batch.setValue(d["batch"])
        self.crop.setValue(self._fitting_crop(d["crop"]))
        self.lr.setValue(d["lr"])
        self.freeze.setChecked(d["freeze"])
        self._follow_base()

    def _follow_freeze(self, frozen: bool) -> None:
        """A frozen backbone fits the score layers on cached features of whole images by L-BFGS:
        batch, crop, random scaling, learning rate and optimizer have no effect then, so they are off."""
        why = (
            self.tr(
                "Not used with the backbone frozen: the score layers are fitted on whole images by L-BFGS, "
                "which chooses its own steps"
            )
            if frozen
            else ""
        )
        for widget in (self.batch, self.crop, self.scale, self.lr, self.optimizer):
            widget.setEnabled(not frozen)
            widget.setToolTip(why)

    def _fitting_crop(self, crop: int) -> int:
        """A crop no larger than the dataset's smallest image (multiple of 32)."""
        if self._min_side:
            crop = min(crop, max(32, self._min_side // 32 * 32))
        return crop

    def _follow_base(self) -> None:
        """An FCN base sets the architecture to its own: an FCN-16s base trains an FCN-16s
        unless the user then picks another on purpose."""
        base = self.base.currentData()
        arch = next((m.arch for m in weights.list_weights() if m.id == base and m.kind == "segmentation"), None)
        index = self.arch.findData(arch) if arch else -1
        if index >= 0:
            self.arch.setCurrentIndex(index)

    def _restore(self) -> None:
        if self.settings is None:
            return
        for name in _REMEMBERED:
            widget = getattr(self, name)
            kind = float if isinstance(widget, QDoubleSpinBox) else int
            widget.setValue(self.settings.get(f"train/{name}", widget.value(), kind))
        for name in _REMEMBERED_CHECKS:
            box = getattr(self, name)
            box.setChecked(self.settings.get_bool(f"train/{name}", box.isChecked()))
        for name in ("base", "arch"):
            combo = getattr(self, name)
            index = combo.findData(self.settings.get(f"train/{name}", ""))
            if index >= 0:
                combo.setCurrentIndex(index)
        self.optimizer.setCurrentText(self.settings.get("train/optimizer", self.optimizer.currentText()))
        self.folder.setText(self.settings.get("train/folder", ""))

    def _remember(self) -> None:
        if self.settings is None:
            return
        for name in _REMEMBERED:
            self.settings.set(f"train/{name}", getattr(self, name).value())
        for name in _REMEMBERED_CHECKS:
            self.settings.set(f"train/{name}", "true" if getattr(self, name).isChecked() else "false")
        self.settings.set("train/base", self.base.currentData() or "")
        self.settings.set("train/arch", self.arch.currentData())
        self.settings.set("train/optimizer", self.optimizer.currentText())
        self.settings.set("train/folder", self.folder.text().strip())

    # -- dataset -----------------------------------------------------------------------------

    def offer_folder(self, folder: str) -> None:
        """The folder open in the window (or the one above it), filled in and checked if it
        holds labels: a Label mode folder, a VOC or Carvana dataset. A running training keeps
        its folder."""
        from fcn_studio.data.dataset import find_pairs

        if not folder or self.worker is not None:
            return
        for candidate in (Path(folder), Path(folder).parent):  # F, or the dataset above images/ or JPEGImages/
            try:
                find_pairs(candidate)
            except FCNStudioError:
                continue  # photos without labels: nothing to train on here
            if str(candidate) != self.folder.text().strip() or self.report is None:  # also a remembered, unchecked one
                self.folder.setText(str(candidate))
                self.scan()
            return

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Dataset folder"), self.folder.text() or self._start_folder
        )
        if folder:
            self.folder.setText(folder)
            self.scan()

    def scan(self) -> None:
        from fcn_studio.data.dataset import scan_dataset

        folder = self.folder.text().strip()
        if not folder:
            return
        self.report_view.setPlainText(self.tr("Checking {folder}…").format(folder=folder))
        self.start_button.setEnabled(False)

        def job(progress, cancelled):
            report = scan_dataset(folder, progress=progress, cancelled=cancelled)
            return report, smallest_side(report.pairs)

        self.scan_task = BackgroundTask(job, None)
        self.scan_task.worker.progress.connect(
            lambda d, t, n: self.status.setText(
                self.tr("Checking {done}/{total}: {name}").format(done=d, total=t, name=n)
            )
        )
        self.scan_task.succeeded.connect(self._scanned)
        self.scan_task.failed.connect(self._scan_failed)
        self.scan_task.start()

    def _scanned(self, scanned) -> None:
        report, self._min_side = scanned
        self.crop.setValue(self._fitting_crop(self.crop.value()))
        self.report = report
        self.report_view.setPlainText(lines_text(report.lines()))
        self.classes.setRowCount(report.num_classes)
        for i, name in enumerate(report.class_names):
            self.classes.setItem(i, 0, QTableWidgetItem(display_name(name)))  # saved as stored_name()
        self.classes.setVerticalHeaderLabels([str(i) for i in range(report.num_classes)])
        self.name.setText(weights.id_from_filename(f"{Path(report.root).name}-fcn"))
        self.status.setText(
            self.tr("Ready to train.")
            if report.ok
            else self.tr("Fix the problems listed in the report, then choose the folder again.")
        )
        self._set_running(False)

    def _scan_failed(self, message: str) -> None:
        self.report = None
        self.report_view.setPlainText(message)
        self.status.setText(self.tr("This folder cannot be used."))
        self._set_running(False)

    # -- training ----------------------------------------------------------------------------

    def config(self):
        from fcn_studio.training.config import TrainConfig

        names = self._class_names()
        out = weights.weights_dir() / f"{self.name.text().strip() or 'my-fcn'}.safetensors"
        scale = (0.75, 1.25) if self.scale.isChecked() else (1.0, 1.0)
        return TrainConfig(
            data=self.folder.text().strip(),
            out=str(out),
            base=self.base.currentData() or "scratch",
            arch=self.arch.currentData(),
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            crop_size=self.crop.value(),
            lr=self.lr.value(),
            optimizer=self.optimizer.currentText(),
            flip=self.flip.isChecked(),
            scale_min=scale[0],
            scale_max=scale[1],
            freeze_backbone=self.freeze.isChecked(),
            val_split=self.val_split.value(),
            seed=self.seed.value(),
            amp=self.amp.isChecked(),
            device=self.device,
            class_names=names if self.report and names != self.report.class_names else None,
        )

    def _class_names(self) -> list[str]:
        """The names in the table as they are saved: a known class's shown name is its own."""
        return [stored_name(self.classes.item(i, 0).text()) or f"class {i}" for i in range(self.classes.rowCount())]

    def start(self, resume: bool = False) -> None:
        if self.report is None or not self.report.ok:
            QMessageBox.information(
                self, self.tr("Fine-tune"), self.tr("Choose a dataset folder without blocking problems first.")
            )
            return
        problem = weights.id_problem(self.name.text().strip() or "my-fcn")
        if problem:  # the name becomes a file in the weights folder: the one id rule applies
            QMessageBox.information(
                self, self.tr("Fine-tune"), self.tr("The model id cannot be used: {problem}.").format(problem=problem)
            )
            return
        config = self.config()
        config.resume = resume
        self._remember()
        if shares_the_gpu(config.device):
            self.report_view.appendPlainText(
                self.tr(
                    "Training and segmentation share one GPU: both are slower while this runs, and a big image "
                    "may run out of GPU memory (lower the inference size or segment on the CPU meanwhile)."
                )
            )
        if config.device == "cuda":
            from fcn_studio.inference.device import choose_device

            choice = choose_device("cuda", allow_fallback=True)
            if choice.fallback_note:
                self.report_view.appendPlainText(str(choice.fallback_note))
                config.device = "cpu"
        if Path(config.out).exists() and not resume:
            answer = QMessageBox.question(
                self,
                self.tr("Fine-tune"),
                self.tr("A model named {name} exists. Replace it?").format(name=Path(config.out).stem),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            config.force = True  # the user said so; the trainer refuses to replace it otherwise
        if self.report.class_names != self._class_names():
            self.report.class_names = self._class_names()
        if not resume:
            self.loss_plot.clear()
            self.miou_plot.clear()
        self.status.setText("")  # no stale "Copied…" line from before
        for plot in (self.loss_plot, self.miou_plot):
            plot.x_range = (0.0, float(config.epochs))
        self.result = None
        self._config = config
        self.worker = TrainWorker(config, self.report)
        self.worker.event.connect(self._on_event)
        self.worker.finished.connect(self._on_finished)
        # the app's task runner owns the thread until it ends (and stops it on exit)
        self.thread = WorkerThread(self.worker, "training", loop="run").thread
        # quit() is thread-safe; called directly it cannot queue behind _on_finished
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.status.setText(self.tr("Starting…"))
        self._set_running(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.status.setText(self.tr("Cancelling after the current step; checkpoints are kept…"))

    def _on_event(self, e: Event) -> None:
        if isinstance(e, IterationEvent):
            x = (e.epoch - 1) + e.iteration / e.iterations
            self.loss_plot.add(x, e.loss)
            epochs = self._config.epochs if self._config else e.epoch
            self.progress.setValue(round(1000 * min(1.0, x / max(epochs, 1))))  # the whole run, also after Resume
            eta = int(e.eta_s)
            self.status.setText(
                self.tr(
                    "Epoch {epoch}/{epochs}, iteration {it}/{its}: loss {loss:.4f}, {speed:.2f} images/s, ETA {eta}"
                ).format(
                    epoch=e.epoch,
                    epochs=self._config.epochs,
                    it=e.iteration,
                    its=e.iterations,
                    loss=e.loss,
                    speed=e.images_per_s,
                    eta=f"{eta // 60}:{eta % 60:02d}",
                )
            )
        elif isinstance(e, EpochEvent):
            if e.metrics.get("mean_iou") is not None:
                self.miou_plot.add(e.epoch, e.metrics["mean_iou"])
        elif isinstance(e, MessageEvent):
            self.report_view.appendPlainText(str(e.text))  # a core Message, in the interface language

    def _on_finished(self, result, error: str) -> None:
        self.result = result
        stopped = self.worker is not None and self.worker.stopping.is_set()
        self.worker = None
        if result is None:
            self.status.setText(error)
            if error and not stopped:
                QMessageBox.warning(self, self.tr("Fine-tune"), error)
        else:
            m = result.best_metrics
            score = (
                self.tr("best validation mean IoU {miou:.1f} %").format(miou=100 * m["mean_iou"])
                if m.get("mean_iou") is not None
                else self.tr("no validation images")
            )
            what = self.tr("Cancelled; the model so far is saved") if result.cancelled else self.tr("Done")
            self.status.setText(
                self.tr("{what}: {score}. Installed as {id}.").format(what=what, score=score, id=result.registered_id)
            )
            self.progress.setValue(1000 if not result.cancelled else self.progress.value())
            if result.registered_id:
                self.trained.emit(result.registered_id)
        self._can_resume = self._resumable()
        self._set_running(False)

    def _resumable(self) -> bool:
        """A cancelled or failed run left its resumable state."""
        if self._config is None or (self.result is not None and not self.result.cancelled):
            return False
        from fcn_studio.training.config import last_paths  # torch-free: the window never imports the trainer

        return all(p.exists() for p in last_paths(self._config.out))

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and bool(self.report and self.report.ok))
        self.resume_button.setEnabled(not running and self._can_resume)
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
        self.status.setText(self.tr("Copied to the clipboard: {command}").format(command=text))
        self.copy_button.setText(self.tr("Copied ✓"))
        # the button as context: the timer is dropped if the window is deleted first
        QTimer.singleShot(2000, self.copy_button, lambda: self.copy_button.setText(self.tr("Copy command line")))

    def reject(self) -> None:  # Esc, Close and the window's close button all come here
        if self.worker is not None:
            answer = QMessageBox.question(
                self, self.tr("Fine-tune"), self.tr("Training is running. Stop it? (checkpoints are kept)")
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.cancel()
            self.thread.wait(30_000)  # bounded: one training step, then the checkpoint
        super().reject()

    def stop_for_exit(self) -> None:
        """The app is closing: stop a running training (its checkpoints are kept)."""
        if self.worker is not None and self.thread is not None:
            self.cancel()
            self.thread.quit()
            self.thread.wait(30_000)
