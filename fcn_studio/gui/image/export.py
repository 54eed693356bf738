"""File > Save / Export and Segment folder: dialogs around the core writers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from fcn_studio.data.images import save_mask, save_rgb
from fcn_studio.data.stats import class_stats, write_stats_csv
from fcn_studio.gui.shared.overlay import blend_visible
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.messages import fill
from fcn_studio.state.inference_choice import InferenceChoice, load_predictor

translate = QCoreApplication.translate


def _ask_path(parent: QWidget, title: str, suggested: Path, filters: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filters)
    return Path(path) if path else None  # the dialog itself asks before overwriting


def _write_in_background(parent: QWidget, title: str, path: Path, write, on_done, runner: TaskRunner) -> BackgroundTask:
    """Blending and encoding a 20-megapixel image takes seconds: never on the GUI thread.
    ``on_done(path, "")`` after writing, ``on_done(None, message)`` on failure."""
    task = BackgroundTask(lambda _progress, _cancelled: (write(), path)[1], parent)
    task.succeeded.connect(lambda written: on_done(written, ""))
    task.failed.connect(lambda message: on_done(None, message))
    return task.start(runner)


def suggested_mask_path(image_path: Path, folder: Path) -> Path:
    """``<stem>_mask.png`` in the last export folder: never the source image itself (a PNG
    photo's ``<stem>.png`` is the photo)."""
    candidate = folder / f"{image_path.stem}_mask.png"
    if candidate.resolve() == image_path.resolve():  # pragma: no cover - needs a photo named *_mask.png
        candidate = folder / f"{image_path.stem}_mask_1.png"
    return candidate


def _is_the_image(parent: QWidget, title: str, path: Path, image_path: Path) -> bool:
    if path.resolve() != image_path.resolve():
        return False
    QMessageBox.warning(
        parent, title, translate("Export", "{name} is the image itself: choose another name.").format(name=path.name)
    )
    return True


def save_mask_as(parent: QWidget, image_path: Path, result: SegmentationResult, folder: Path, on_done, runner):
    title = translate("Export", "Save mask")
    path = _ask_path(parent, title, suggested_mask_path(image_path, folder), translate("Export", "Palette PNG (*.png)"))
    if path is None:
        return None
    path = path.with_suffix(".png")
    if _is_the_image(parent, title, path, image_path):
        return None
    return _write_in_background(
        parent, title, path, lambda: save_mask(result.labels, result.label_set, path), on_done, runner
    )


def export_overlay(
    parent: QWidget,
    image_path: Path,
    rgb,
    result: SegmentationResult,
    hidden,
    opacity: float,
    folder: Path,
    on_done,
    runner,
):
    title = translate("Export", "Export overlay")
    path = _ask_path(parent, title, folder / f"{image_path.stem}_overlay.png", "PNG (*.png);;JPEG (*.jpg)")
    if path is None:
        return None
    if _is_the_image(parent, title, path, image_path):
        return None
    visible = set(range(result.label_set.num_classes)) - set(hidden)
    return _write_in_background(
        parent,
        title,
        path,
        lambda: save_rgb(blend_visible(rgb, result.labels, result.label_set, visible, opacity), path),
        on_done,
        runner,
    )


def export_stats(parent: QWidget, image_path: Path, result: SegmentationResult, folder: Path, on_done, runner):
    title = translate("Export", "Export class statistics")
    path = _ask_path(parent, title, folder / f"{image_path.stem}_classes.csv", "CSV (*.csv)")
    if path is None:
        return None
    return _write_in_background(
        parent,
        title,
        path,
        lambda: write_stats_csv(class_stats(result.labels, result.label_set), path),
        on_done,
        runner,
    )


def segment_folder(
    parent: QWidget, service, choice: InferenceChoice, start_folder: Path, on_done, runner: TaskRunner
) -> BackgroundTask | None:
    """Ask for input and output folders, confirm overwriting, run with progress + cancel.
    The masks are those the window shows: ``choice``'s model, device, size and fast mode,
    from the window's model service (one copy of the weights)."""
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.inference.batch_plan import (
        batch_items,
        existing_outputs,
        refuse_input_folder_as_output,
        without_previous_outputs,
    )
    from fcn_studio.inference.inputs import expand_with_roots

    if not choice.model_key:
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
    left_out: list[str] = []  # FIFOs, links to nothing, loops: said, never waited on
    files = batch_items(expand_with_roots([src], videos=False, warn=left_out.append))
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
    try:  # said now, not after the model has loaded
        refuse_input_folder_as_output([Path(src)], Path(dst))
    except FCNStudioError as exc:
        QMessageBox.warning(parent, translate("Export", "Segment folder"), str(exc))
        return None
    # masks of an earlier run in an output folder inside the photos' are not photos
    files = without_previous_outputs(files, Path(dst))
    overwrite = _overwrite_existing(parent, existing_outputs(files, Path(dst)), dst)
    if overwrite is None:
        return None

    def job(progress, cancelled):
        from fcn_studio.data.images import calibration_sample
        from fcn_studio.inference.batch import segment_files

        progress(0, len(files), translate("Export", "Loading the model…"))
        calibration = tuple(str(p) for p in calibration_sample(files)) if choice.fast else ()
        predictor, _identity = load_predictor(service, choice, calibration)
        return segment_files(predictor, files, Path(dst), overwrite=overwrite, progress=progress, cancelled=cancelled)

    task = BackgroundTask(
        job,
        parent,
        translate("Export", "Segment folder"),
        "\n".join(
            [
                fill(translate("Export", "Segmenting {n} {n:image|images} into {folder}"), n=len(files), folder=dst),
                *left_out,
            ]
        ),
    )
    task.succeeded.connect(lambda report: on_done(report, ""))
    task.failed.connect(lambda msg: on_done(None, msg))
    task.cancelled.connect(lambda msg: on_done(None, msg))
    return task.start(runner)


def _overwrite_existing(parent: QWidget, clash: list[Path], dst: str) -> bool | None:
    """True to overwrite the masks already in ``dst``, False to keep them, None to cancel."""
    if not clash:
        return True
    box = QMessageBox(
        QMessageBox.Icon.Question,
        translate("Export", "Segment folder"),
        translate("Export", "{n} mask(s) already exist in {folder} (e.g. {name}).").format(
            n=len(clash), folder=dst, name=clash[0].name
        ),
        parent=parent,
    )
    replace = box.addButton(translate("Export", "Overwrite"), QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(translate("Export", "Skip existing"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() not in (replace, keep):
        return None
    return box.clickedButton() is replace
