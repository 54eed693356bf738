"""Model loading, image decoding and inference on a background QThread.

The GUI asks with :meth:`InferenceWorker.submit`; the newest request wins: requests that
became stale while queued are skipped, a running prediction is abandoned at its next
check, and every signal carries its job id so the GUI can drop anything late.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.gui.shared.results import SegmentationResult, use_background_threads

# Predictors kept loaded: a VGG16 FCN is ~0.54 GB of float32 weights.
_MAX_LOADED_MODELS = 2


# Above this many pixels, the image is converted for display here, off the GUI thread:
# turning an 80-megapixel RGB888 image into a pixmap takes ~200 ms, an RGB32 one ~0 ms.
_DISPLAY_CONVERT_PIXELS = 4_000_000


class LoadedImage:
    """A decoded image and, for big ones, its display-ready QImage (``nbytes`` for caches)."""

    def __init__(self, rgb: np.ndarray) -> None:
        from PySide6.QtGui import QImage

        from fcn_studio.gui.shared.overlay import rgb_image

        self.rgb = rgb
        self.display = None
        if rgb.shape[0] * rgb.shape[1] > _DISPLAY_CONVERT_PIXELS:
            self.display = rgb_image(rgb).convertToFormat(QImage.Format.Format_RGB32)
        self.nbytes = rgb.nbytes + (self.display.sizeInBytes() if self.display is not None else 0)


class InferenceWorker(QObject):
    image_loaded = Signal(int, str, object)  # job, path, LoadedImage
    result_ready = Signal(int, str, object)  # job, path, SegmentationResult
    failed = Signal(int, str, str)  # job, path ("" for model errors), message
    model_loaded = Signal(str, str, str)  # model key, device description, fallback note ("" if none)
    busy = Signal(str)  # what is happening now, "" when idle

    _request = Signal(int, str, str, str, bool, int)
    _forget = Signal()

    def __init__(self, max_models: int = _MAX_LOADED_MODELS) -> None:
        super().__init__()
        self.max_models = max_models
        self._latest = 0
        self._lock = threading.Lock()
        self._predictors: OrderedDict[tuple[str, str, int], object] = OrderedDict()
        self._request.connect(self._process)
        self._forget.connect(self._drop_models)
        self._threads_set = False

    # -- called from the GUI thread ------------------------------------------------

    def submit(self, job: int, path: str, model_key: str, device: str, load_image: bool, max_size: int) -> None:
        """Queue a request; it supersedes every request with a lower job id. Requests that
        share a job id (one image through several models) all run, one after another."""
        with self._lock:
            self._latest = job
        self._request.emit(job, path, model_key, device, load_image, max_size)

    def cancel_all(self) -> None:
        with self._lock:
            self._latest = -1

    def forget_models(self) -> None:
        """Drop loaded models (e.g. after weights were replaced or removed). Queued, so
        it happens on the worker's thread between requests, never during one."""
        self._forget.emit()

    @Slot()
    def _drop_models(self) -> None:
        self._predictors.clear()

    # -- runs on the worker thread -------------------------------------------------

    def _stale(self, job: int) -> bool:
        with self._lock:
            return job != self._latest

    @Slot(int, str, str, str, bool, int)
    def _process(self, job: int, path: str, model_key: str, device: str, load_image: bool, max_size: int) -> None:
        if self._stale(job):
            return
        self._configure_threads()
        try:
            rgb = None
            if load_image:
                from fcn_studio.images import load_image as read

                self.busy.emit(self.tr("Loading {name}…").format(name=os.path.basename(path)))
                rgb = read(path)
                self.image_loaded.emit(job, path, LoadedImage(rgb))
            if not model_key or self._stale(job):
                return
            predictor = self._predictor(model_key, device, max_size)
            if self._stale(job):
                return
            if rgb is None:
                from fcn_studio.images import load_image as read

                rgb = read(path)
            self.busy.emit(
                self.tr("Segmenting {name} with {model}…").format(name=os.path.basename(path), model=model_key)
            )
            pred = predictor.predict(rgb, cancelled=lambda: self._stale(job))
            self.result_ready.emit(job, path, SegmentationResult.from_prediction(pred, predictor, model_key))
        except Cancelled:
            pass
        except FCNStudioError as exc:
            self.failed.emit(job, path, str(exc))
        except MemoryError:
            self.failed.emit(
                job,
                path,
                self.tr("{name}: out of memory; lower the maximum inference size").format(name=os.path.basename(path)),
            )
        except Exception as exc:
            self.failed.emit(
                job, path, self.tr("unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}")
            )
        finally:
            self.busy.emit("")

    def _configure_threads(self) -> None:
        if not self._threads_set:
            use_background_threads()
            self._threads_set = True

    def _predictor(self, model_key: str, device: str, max_size: int):
        key = (model_key, device, max_size)
        if key in self._predictors:
            self._predictors.move_to_end(key)
            return self._predictors[key]
        for (other, dev, _), pred in list(self._predictors.items()):
            if other == model_key and dev == device:  # same model, new size: reuse the weights
                pred.max_size = max_size or None
                self._predictors[key] = self._predictors.pop((other, dev, _))
                return pred
        from fcn_studio.predictor import Predictor
        from fcn_studio.weights import resolve_model

        self.busy.emit(self.tr("Loading model {model}…").format(model=model_key))
        while len(self._predictors) >= self.max_models:
            self._predictors.popitem(last=False)
        predictor = Predictor(resolve_model(model_key), device, max_size=max_size or None, allow_fallback=True)
        self._predictors[key] = predictor
        choice = predictor.device_choice
        self.model_loaded.emit(model_key, choice.description, choice.fallback_note or "")
        return predictor


class WorkerThread:
    """Owns a QThread and a worker moved onto it; ``stop()`` cancels, quits and waits."""

    def __init__(self, worker: QObject, name: str) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.start()

    def stop(self, timeout_ms: int = 60_000) -> bool:
        cancel = getattr(self.worker, "cancel_all", None)
        if cancel:
            cancel()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
