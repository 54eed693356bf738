"""The image workspace: loads and segments what is open (the files and the position are
the Qt-free :class:`OpenDocument`, state/document.py), keeps the image and result on
screen; views listen to its signals and never talk to the worker themselves."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fcn_studio.data.dataset import image_folder
from fcn_studio.data.images import calibration_sample, is_image_file
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.image.inference_worker import InferenceRequest, InferenceWorker, LoadedImage
from fcn_studio.gui.shared.results import ByteLRU, SegmentationResult, result_key
from fcn_studio.gui.shared.tasks import TaskRunner, WorkerThread
from fcn_studio.inference.model_service import ModelService, shared_service
from fcn_studio.state.document import OpenDocument
from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings


def images_in(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith(".")),
        key=lambda p: p.name.lower(),
    )


# masks and overlays the app saved beside the photos: calibrating on them would skew the
# activation ranges the int8 model is quantised to
_EXPORT_SUFFIXES = ("_mask", "_overlay", "_compare")


class Workspace(QObject):
    image_shown = Signal(str, object)  # path, RGB array
    result_shown = Signal(object)  # SegmentationResult, or None while pending / without a model
    navigation_changed = Signal(int, int, str)  # index, count, path
    opened = Signal(str)  # a file or folder the user opened, once its first image decoded
    image_failed = Signal(str, str)  # path, message: navigation reached a file that cannot be read
    error = Signal(str)
    busy = Signal(str)
    model_ready = Signal(str, str, str)  # model key, device description, fallback note

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        image_cache_mb: int = 768,
        result_cache_mb: int = 1024,
        service: ModelService | None = None,
        inference: InferenceSettings | None = None,
        runner: TaskRunner | None = None,
        document: OpenDocument | None = None,
    ) -> None:
        super().__init__(parent)
        # what is open (files, position, image size): the window's, read by every view
        self.document = document or OpenDocument()
        self.service = service or shared_service()
        # model, device, size and fast mode: the window's, shared with every view
        self.inference = inference or InferenceSettings()
        self.inference.changed.connect(self._inference_changed)
        self.current_rgb = None
        self.current_result: SegmentationResult | None = None
        self._job = 0
        # The path whose image is on screen, and the job of the load in flight (if any): a
        # model change while the next image decodes must neither drop that load nor segment
        # the previous image's pixels under the new path.
        self._shown: str | None = None
        self._loading: int | None = None
        self._asked: tuple | None = None  # the result key shown or being computed for the image on screen
        # The image on screen is segmented again with another choice (a version installed):
        # views may keep its previous overlay up until the new result replaces it.
        self.recomputing = False
        # An open whose first image turns out unreadable is undone: the previous files,
        # image and result stay as they were. (job, previous files, previous index, opened)
        self._pending_open: tuple[int, list[Path], int, str] | None = None
        self._images: ByteLRU[LoadedImage] = ByteLRU(image_cache_mb << 20)
        self.current_display = None  # display-ready QImage for big images, else None
        self.results: ByteLRU[SegmentationResult] = ByteLRU(result_cache_mb << 20)
        runner = runner or TaskRunner(self)  # the window's; made alone (a test), its own
        self.worker = InferenceWorker(self.service)
        self._thread = WorkerThread(self.worker, "inference", runner=runner)
        # Images are decoded on a thread of their own: moving to the next image never waits
        # behind a forward pass (or a first-use conversion) of the previous one.
        self.loader = InferenceWorker(self.service)
        self._loader_thread = WorkerThread(self.loader, "images", runner=runner)
        self.loader.image_loaded.connect(self._on_image)
        self.loader.failed.connect(self._on_failed)
        self.worker.image_loaded.connect(self._on_image)
        self.worker.result_ready.connect(self._on_result)
        self.worker.preview_ready.connect(self._on_preview)
        self.worker.failed.connect(self._on_failed)
        self.worker.busy.connect(self.busy)
        self.worker.model_loaded.connect(self.model_ready)

    # -- files -----------------------------------------------------------------------

    @property
    def files(self) -> list[Path]:
        return list(self.document.files)

    @property
    def index(self) -> int:
        return self.document.index

    @property
    def current_path(self) -> Path | None:
        return self.document.path

    def open_paths(self, paths: list[str | Path]) -> bool:
        """One folder: its images. One file: it, among its folder's images. Several: those.
        Returns False (with ``error``) when there is nothing to open; a file that turns out
        unreadable is reported later, and then nothing on screen has changed."""
        paths = [Path(p) for p in paths]
        if len(paths) == 1 and paths[0].is_dir():
            paths = [image_folder(paths[0])]  # a dataset's root: its images (VOC's JPEGImages/)
            files, start = images_in(paths[0]), 0
            if not files:
                self.error.emit(self.tr("{path}: no images in this folder").format(path=paths[0]))
                return False
        elif len(paths) == 1:
            target = paths[0]
            if not target.is_file():
                self.error.emit(self.tr("{path}: no such file").format(path=target))
                return False
            siblings = images_in(target.parent) if is_image_file(target) else []
            files = siblings if target in siblings else [target]
            start = files.index(target)
        else:
            files = [p for p in paths if p.is_file()]
            for p in paths:
                if p.is_dir():
                    files.extend(images_in(p))
            start = 0
            if not files:
                self.error.emit(self.tr("none of the dropped items is an image file"))
                return False
        previous = (self.files, self.index)
        self.document.open(files)
        self._pending_open = (self._job + 1, *previous, str(paths[0]))  # the job go_to starts
        if self._images.get(str(files[start])) is not None:
            self._open_succeeded()  # decoded before: "opened" goes out before it is shown
        self.go_to(start)
        return True

    def _open_succeeded(self) -> None:
        if self._pending_open is not None:
            opened = self._pending_open[3]
            self._pending_open = None
            self.opened.emit(opened)

    def go_to(self, index: int) -> None:
        if not self.files:
            return
        self.document.go_to(index)
        self.navigation_changed.emit(self.index, len(self.files), str(self.current_path))
        self._show_current(load=True)

    def next(self) -> None:
        if self.index < len(self.files) - 1:
            self.go_to(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.go_to(self.index - 1)

    # -- model -----------------------------------------------------------------------

    @property
    def model_key(self) -> str:
        return self.inference.model_key

    @property
    def device(self) -> str:
        return self.inference.device

    @property
    def max_size(self) -> int:
        return self.inference.max_size

    @property
    def fast(self) -> bool:
        return self.inference.fast

    def _inference_changed(self, _choice: InferenceChoice) -> None:
        path = self.current_path
        shown = path is not None and self._shown == str(path) and self._asked is not None
        if shown and self._current_key(path) == self._asked:
            return  # the same file, device, size and mode: what is shown (or on its way) stays
        self._show_current(load=False)

    def keep_features(self, sink, source=None) -> None:
        """Hand every prediction's backbone features to ``sink(path, predictor, prediction)``
        on the inference thread (Label mode trains on them), or stop with None; ``source(path,
        predictor, (H, W))`` says which features are held ((features, size) or None), so a new
        version of the model draws an image by its head alone."""
        self.worker.feature_sink = sink
        self.worker.feature_source = source

    def calibration_images(self) -> tuple[str, ...]:
        """A few of the open images, spread over the folder, for the fast mode's calibration
        (half calibrate it, half measure its agreement with the exact model)."""
        photos = [p for p in self.files if not p.stem.endswith(_EXPORT_SUFFIXES)] or self.files
        return tuple(str(p) for p in calibration_sample(photos))

    def _current_key(self, path: Path) -> tuple | None:
        if not self.model_key:
            return None
        try:
            identity = self.service.identity(self.model_key)
        except FCNStudioError:
            return None  # removed or missing: nothing cached can be right
        return result_key(path, identity, self.device, self.max_size, self.fast)

    # -- requests and answers ------------------------------------------------------------

    def _show_current(self, load: bool) -> None:
        path = self.current_path
        if path is None:
            return
        self._job += 1
        if not load and self._shown != str(path):
            # its image is still decoding (a model switched as the user moved on): the load
            # in flight stays this path's, and segments with the new choice when it arrives
            self.worker.cancel_all()
            return
        if load:
            image = self._images.get(str(path))
            if image is None:
                self.worker.cancel_all()  # the previous image's pass stops; this one's starts once decoded
                self._loading = self._job
                self.loader.submit(InferenceRequest(self._job, str(path), "", self.device, self.max_size, True))
                return
            self._set_image(str(path), image)
        else:  # the image on screen is this path's: its result (or none yet)
            self.current_result = self._cached_result(path)
            self.recomputing = self.current_result is None and bool(self.model_key)
            self.result_shown.emit(self.current_result)
        self._segment(path)

    def _cached_result(self, path: Path) -> SegmentationResult | None:
        key = self._current_key(path)
        return self.results.get(key) if key is not None else None

    def _segment(self, path: Path) -> None:
        """Segment the image on screen with the current choice, unless its result is known."""
        if self._shown != str(path):
            return  # never the pixels of another image under this path
        self._asked = self._current_key(path)
        if not self.model_key or self._cached_result(path) is not None:
            self.worker.cancel_all()  # nothing to compute; make queued work stale
            return
        calibration = self.calibration_images() if self.fast else ()
        self.worker.submit(
            InferenceRequest(
                self._job,
                str(path),
                self.model_key,
                self.device,
                self.max_size,
                rgb=self.current_rgb,
                preview=True,
                fast=self.fast,
                calibration=calibration,
            )
        )

    def _set_image(self, path: str, image: LoadedImage) -> None:
        self._shown, self._loading, self.recomputing = path, None, False
        self.current_rgb = image.rgb
        self.current_display = image.display
        self.current_result = self._cached_result(Path(path))
        self.document.set_image_size((image.rgb.shape[1], image.rgb.shape[0]))
        self.image_shown.emit(path, image.rgb)
        self.result_shown.emit(self.current_result)  # the previous image's legend goes

    def _answers_current(self, job: int, path: str) -> bool:
        """Whether an answer is for what is asked now: the current job, or the load still
        in flight for the current path (a model change since then does not make it stale)."""
        return job == self._job or (job == self._loading and path == str(self.current_path))

    def _on_image(self, job: int, path: str, image: LoadedImage) -> None:
        self._images.put(path, image)
        if not self._answers_current(job, path):
            return
        if self._pending_open is not None and job >= self._pending_open[0]:
            self._open_succeeded()
        self._set_image(path, image)
        self._segment(Path(path))

    def _on_result(self, job: int, path: str, result: SegmentationResult) -> None:
        # Filed under what it was computed with, whatever is selected now.
        self.results.put(result.cache_key(path), result)
        current = self.current_path
        # Drawn only if it belongs to the image and model on screen now, never over another.
        if (
            job == self._job
            and current is not None
            and str(current) == path
            and self._current_key(current) == result.cache_key(path)
        ):
            self.current_result, self.recomputing = result, False
            self.result_shown.emit(result)

    def _on_preview(self, job: int, path: str, result: SegmentationResult) -> None:
        """A quick pass while the full one runs: shown (marked), never cached, never over
        another image or over the full result."""
        current = self.current_path
        if job == self._job and current is not None and str(current) == path and self.current_result is None:
            self.current_result = result
            self.result_shown.emit(result)

    def _on_failed(self, job: int, path: str, message: str) -> None:
        if not self._answers_current(job, path):
            return
        if job == self._loading:
            self._loading = None
        if job == self._job:
            self._asked = None  # asking again may work (a model file fixed, memory freed)
        if self.recomputing:  # a previous result kept on screen goes: no new one is coming
            self.recomputing = False
            self.result_shown.emit(None)
        pending = self._pending_open
        if pending is not None and pending[0] == job:
            self._pending_open = None
            _, files, index, _ = pending
            self.document.open(files, index)  # undo the open: what was on screen stays
            if self.current_path is not None:
                self.navigation_changed.emit(self.index, len(self.files), str(self.current_path))
            self.error.emit(message)
            return
        if self.current_path is not None and str(self.current_path) == path and self._images.get(path) is None:
            # the image itself could not be read: nothing of the previous one stays on screen
            self.current_rgb, self.current_display, self.current_result = None, None, None
            self._shown = None
            self.document.set_image_size(None)
            self.image_failed.emit(path, message)
            return
        self.error.emit(message)

    # -- shutdown ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel queued work and wait for the workers (at most one forward pass)."""
        self._loader_thread.request_stop()
        self._thread.stop()
        self._loader_thread.stop()
