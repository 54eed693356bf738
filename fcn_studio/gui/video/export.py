"""File > Export Segmented Video: options dialog, then the core exporter on a thread."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.inference.video import AUDIO_NOTE
from fcn_studio.state.inference_choice import InferenceChoice, load_predictor

translate = QCoreApplication.translate
# The core's note, listed so lupdate extracts it (a test checks it is still AUDIO_NOTE).
_AUDIO_NOTE = QT_TRANSLATE_NOOP("VideoExport", "Audio is not kept: exported videos are silent.")


def audio_note() -> str:
    return translate("VideoExport", AUDIO_NOTE)


class VideoExportDialog(QDialog):
    def __init__(self, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export segmented video"))
        self.setMinimumWidth(560)  # room for the output path
        src = Path(source)
        self.path = QLineEdit(str(src.with_name(f"{src.stem}_segmented.mp4")))
        self.path.setMinimumWidth(420)  # a whole path is readable, not a clipped tail
        self.path.setCursorPosition(0)
        browse = QPushButton(self.tr("Browse…"))
        browse.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.mode = QComboBox()
        self.mode.addItem(self.tr("Image with overlay"), "overlay")
        self.mode.addItem(self.tr("Colour mask only"), "mask")
        self.masks = QCheckBox(self.tr("Also save each frame's mask as a palette PNG"))
        form = QFormLayout(self)
        form.addRow(self.tr("Output file"), row)
        form.addRow(self.tr("Content"), self.mode)
        form.addRow(self.masks)
        note = QLabel(
            audio_note()
            + " "
            + self.tr("Same frame count, frame rate and size as the input; MP4 (mp4v), or MJPEG .avi for odd sizes.")
        )
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export video"), self.path.text(), "MP4 (*.mp4);;AVI (*.avi);;WebM (*.webm)"
        )
        if path:
            self.path.setText(path)


def export_video(
    parent: QWidget,
    source: str,
    service,
    choice: InferenceChoice,
    opacity: float,
    on_error,
    dialog_cls=VideoExportDialog,
    *,
    runner: TaskRunner,
) -> BackgroundTask | None:
    """Ask where, then write the video segmented as the player shows it: ``choice``'s
    model, device, size and fast mode, from the window's model service (one copy of the
    weights, not a second one)."""
    if not choice.model_key:
        QMessageBox.information(
            parent,
            translate("VideoExport", "Export video"),
            translate("VideoExport", "Install or import a model first (Models menu)."),
        )
        return None
    dialog = dialog_cls(source, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    out = Path(dialog.path.text())
    if (
        out.exists()
        and QMessageBox.question(
            parent,
            translate("VideoExport", "Export video"),
            translate("VideoExport", "{name} exists. Replace it?").format(name=out.name),
        )
        != QMessageBox.StandardButton.Yes
    ):
        return None
    mode = dialog.mode.currentData()
    masks = out.with_name(f"{out.stem}_masks") if dialog.masks.isChecked() else None

    job = _segmenting_job(service, choice, source, out, mode=mode, opacity=opacity, masks=masks)

    def done(result) -> None:
        text = (
            translate("VideoExport", "Wrote {n} frames to {path}.").format(
                n=result.frames, path=shlex.quote(str(result.path))
            )
            + " "
            + audio_note()
        )
        if result.note:
            text += "\n" + str(result.note)  # a core Message, in the interface language
        QMessageBox.information(parent, translate("VideoExport", "Export video"), text)

    task = BackgroundTask(
        job,
        parent,
        translate("VideoExport", "Export segmented video"),
        translate("VideoExport", "Segmenting {name}…").format(name=Path(source).name),
    )
    task.succeeded.connect(done)
    task.failed.connect(on_error)
    task.cancelled.connect(on_error)
    return task.start(runner)


def _segmenting_job(service, choice: InferenceChoice, source: str, out: Path, **options):
    """The export's work on the task thread: the model from the service (its fast mode
    calibrated on frames spread over the video, read only if needed), then every frame
    segmented and written (``options``: ``mode``, ``opacity``, ``masks``)."""

    def job(progress, cancelled):
        from fcn_studio.gui.video.engine import LazyFrames, calibration_frames
        from fcn_studio.inference.video import open_capture, segment_video

        progress(0, 0, translate("VideoExport", "Loading the model…"))

        def frames():
            cap, info = open_capture(source)
            cap.release()
            return calibration_frames(source, info.frame_count)

        predictor, _identity = load_predictor(service, choice, LazyFrames(frames) if choice.fast else ())
        return segment_video(
            lambda f: predictor.predict(f).labels,
            predictor.labels,
            source,
            out,
            mode=options["mode"],
            opacity=options["opacity"],
            masks_dir=options["masks"],
            progress=progress,
            cancelled=cancelled,
        )

    return job
