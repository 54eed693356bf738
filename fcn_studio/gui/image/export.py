"""File > Save / Export and Segment folder: dialogs around the core writers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.shared.overlay import blend_visible
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.images import save_mask, save_rgb
from fcn_studio.stats import class_stats, write_stats_csv

translate = QCoreApplication.translate


def _ask_path(parent: QWidget, title: str, suggested: Path, filters: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filters)
    return Path(path) if path else None  # the dialog itself asks before overwriting


def _report(parent: QWidget, action) -> bool:
    try:
        action()
        return True
    except FCNStudioError as exc:
        QMessageBox.warning(parent, translate("Export", "Export"), str(exc))
        return False


def save_mask_as(parent: QWidget, image_path: Path, result: SegmentationResult, folder: Path) -> Path | None:
    path = _ask_path(
        parent,
        translate("Export", "Save mask"),
        folder / f"{image_path.stem}.png",
        translate("Export", "Palette PNG (*.png)"),
    )
    if path and _report(parent, lambda: save_mask(result.labels, result.label_set, path.with_suffix(".png"))):
        return path.with_suffix(".png")
    return None


def export_overlay(
    parent: QWidget, image_path: Path, rgb, result: SegmentationResult, hidden, opacity: float, folder: Path
) -> Path | None:
    path = _ask_path(
        parent,
        translate("Export", "Export overlay"),
        folder / f"{image_path.stem}_overlay.png",
        "PNG (*.png);;JPEG (*.jpg)",
    )
    if path is None:
        return None
    visible = set(range(result.label_set.num_classes)) - set(hidden)
    blended = blend_visible(rgb, result.labels, result.label_set, visible, opacity)
    return path if _report(parent, lambda: save_rgb(blended, path)) else None


def export_stats(parent: QWidget, image_path: Path, result: SegmentationResult, folder: Path) -> Path | None:
    path = _ask_path(
        parent, translate("Export", "Export class statistics"), folder / f"{image_path.stem}_classes.csv", "CSV (*.csv)"
    )
    rows = class_stats(result.labels, result.label_set)
    return path if path and _report(parent, lambda: write_stats_csv(rows, path)) else None


def segment_folder(
    parent: QWidget, model_key: str, device: str, max_size: int, start_folder: Path, on_done
) -> BackgroundTask | None:
    """Ask for input and output folders, confirm overwriting, run with progress + cancel."""
    from fcn_studio.batch import existing_outputs
    from fcn_studio.inputs import expand_inputs

    if not model_key:
        QMessageBox.information(
            parent,
            translate("Export", "Segment folder"),
            translate("Export", "Install or import a model first (Models menu)."),
        )
        return None
    src = QFileDialog.getExistingDirectory(
        parent, translate("Export", "Folder of images to segment"), str(start_folder)
    )
    if not src:
        return None
    files = expand_inputs([src], videos=False)
    if not files:
        QMessageBox.information(
            parent,
            translate("Export", "Segment folder"),
            translate("Export", "No images in {folder}.").format(folder=src),
        )
        return None
    dst = QFileDialog.getExistingDirectory(
        parent, translate("Export", "Output folder for the masks"), str(Path(src).parent)
    )
    if not dst:
        return None
    clash = existing_outputs(files, Path(dst))
    overwrite = True
    if clash:
        box = QMessageBox(QMessageBox.Icon.Question, translate("Export", "Segment folder"),
                          translate("Export", "{n} mask(s) already exist in {folder} (e.g. {name}).").format(n=len(clash), folder=dst, name=clash[0].name), parent=parent)  # fmt: skip
        replace = box.addButton(translate("Export", "Overwrite"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(translate("Export", "Skip existing"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() not in (replace, keep):
            return None
        overwrite = box.clickedButton() is replace

    def job(progress, cancelled):
        from fcn_studio.batch import segment_files
        from fcn_studio.predictor import Predictor
        from fcn_studio.weights import resolve_model

        progress(0, len(files), translate("Export", "Loading the model…"))
        predictor = Predictor(resolve_model(model_key), device, max_size=max_size or None, allow_fallback=True)
        return segment_files(predictor, files, Path(dst), overwrite=overwrite, progress=progress, cancelled=cancelled)

    task = BackgroundTask(
        job,
        parent,
        translate("Export", "Segment folder"),
        translate("Export", "Segmenting {n} images into {folder}").format(n=len(files), folder=dst),
    )
    task.succeeded.connect(lambda report: on_done(report, ""))
    task.failed.connect(lambda msg: on_done(None, msg))
    task.cancelled.connect(lambda msg: on_done(None, msg))
    return task.start()
