"""The state behind the image workspace: which files, which image, which model, which
result; views listen to its signals and never talk to the worker themselves."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fcn_studio.gui.image.inference_worker import InferenceWorker, LoadedImage, WorkerThread
from fcn_studio.gui.shared.results import ByteLRU, SegmentationResult
from fcn_studio.images import is_image_file


def images_in(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith(".")),
        key=lambda p: p.name.lower(),
    )


class Workspace(QObject):
    image_shown = Signal(str, object)  # path, RGB array
    result_shown = Signal(object)  # SegmentationResult, or None while pending / without a model
    navigation_changed = Signal(int, int, str)  # index, count, path
    error = Signal(str)
    busy = Signal(str)
    model_ready = Signal(str, str, str)  # model key, device description, fallback note

    def __init__(
        self, parent: QObject | None = None, *, image_cache_mb: int = 768, result_cache_mb: int = 1024
    ) -> None:
        super().__init__(parent)
        self.files: list[Path] = []
        self.index = -1
        self.model_key = ""
        self.device = "auto"
        self.max_size = 2048
        self.current_rgb = None
        self.current_result: SegmentationResult | None = None
        self._job = 0
        self._images: ByteLRU[LoadedImage] = ByteLRU(image_cache_mb << 20)
        self.current_display = None  # display-ready QImage for big images, else None
        self._results: ByteLRU[SegmentationResult] = ByteLRU(result_cache_mb << 20)
        self.worker = InferenceWorker()
        self._thread = WorkerThread(self.worker, "inference")
        self.worker.image_loaded.connect(self._on_image)
        self.worker.result_ready.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.busy.connect(self.busy)
        self.worker.model_loaded.connect(self.model_ready)

    # -- files -----------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        return self.files[self.index] if 0 <= self.index < len(self.files) else None

    def open_paths(self, paths: list[str | Path]) -> bool:
        """One folder: its images. One file: it, among its folder's images. Several: those."""
        paths = [Path(p) for p in paths]
        if len(paths) == 1 and paths[0].is_dir():
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
        self.files = files
        self.go_to(start)
        return True

    def go_to(self, index: int) -> None:
        if not self.files:
            return
        self.index = max(0, min(index, len(self.files) - 1))
        self.navigation_changed.emit(self.index, len(self.files), str(self.current_path))
        self._show_current(load=True)

    def next(self) -> None:
        if self.index < len(self.files) - 1:
            self.go_to(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.go_to(self.index - 1)

    # -- model -----------------------------------------------------------------------

    def set_model(self, model_key: str) -> None:
        if model_key != self.model_key:
            self.model_key = model_key
            self._show_current(load=False)

    def set_device(self, device: str) -> None:
        if device != self.device:
            self.device = device
            self._results.clear()  # results may differ slightly between devices
            self._show_current(load=False)

    def set_max_size(self, max_size: int) -> None:
        if max_size != self.max_size:
            self.max_size = max_size
            self._results.clear()
            self._show_current(load=False)

    def forget_model(self, model_key: str) -> None:
        """After weights were replaced or removed: drop cached results and loaded models."""
        self.worker.forget_models()
        self._results.clear()
        if model_key == self.model_key:
            self._show_current(load=False)

    def _result_key(self, path: Path) -> tuple[str, str, str, int]:
        return (str(path), self.model_key, self.device, self.max_size)

    # -- requests and answers ------------------------------------------------------------

    def _show_current(self, load: bool) -> None:
        path = self.current_path
        if path is None:
            return
        self._job += 1
        cached_image = self._images.get(str(path))
        if load and cached_image is not None:
            self._set_image(str(path), cached_image)
            load = False
        cached = self._results.get(self._result_key(path)) if self.model_key else None
        self.current_result = cached
        self.result_shown.emit(cached)
        if cached is not None and not load:
            self.worker.cancel_all()  # nothing to compute; make queued work stale
            return
        self.worker.submit(self._job, str(path), "" if cached else self.model_key, self.device, load, self.max_size)

    def _set_image(self, path: str, image: LoadedImage) -> None:
        self.current_rgb = image.rgb
        self.current_display = image.display
        self.image_shown.emit(path, image.rgb)

    def _on_image(self, job: int, path: str, image: LoadedImage) -> None:
        self._images.put(path, image)
        if job == self._job:
            self._set_image(path, image)

    def _on_result(self, job: int, path: str, result: SegmentationResult) -> None:
        key = (path, result.model_key, self.device, self.max_size)
        self._results.put(key, result)
        current = self.current_path
        # Drawn only if it belongs to the image and model on screen now, never over another.
        if job == self._job and current is not None and str(current) == path and result.model_key == self.model_key:
            self.current_result = result
            self.result_shown.emit(result)

    def _on_failed(self, job: int, path: str, message: str) -> None:
        if job == self._job:
            self.error.emit(message)

    # -- shutdown ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel queued work and wait for the worker (at most one forward pass)."""
        self._thread.stop()
