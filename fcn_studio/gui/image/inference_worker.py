"""Model loading, image decoding and inference on a background QThread.

The GUI asks with :meth:`InferenceWorker.submit`; the newest request wins: requests that
became stale while queued are skipped, a running prediction is abandoned at its next
check, and every signal carries its job id so the GUI can drop anything late.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from fcn_studio.errors import Cancelled, FCNStudioError, describe_unexpected
from fcn_studio.gui.shared.results import SegmentationResult, use_background_threads
from fcn_studio.inference.model_service import ModelService, shared_service
from fcn_studio.state.inference_choice import InferenceChoice, load_predictor

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


@dataclass(frozen=True)
class InferenceRequest:
    """One image through one model. ``rgb`` is the decoded image when the caller has it
    (compare, video, a cached image); otherwise the worker reads ``path``."""

    job: int
    path: str
    model: str  # an installed id or a weights path; "" = only load the image
    device: str
    max_size: int
    load_image: bool = False
    rgb: np.ndarray | None = None
    preview: bool = False  # first a quick low-resolution pass (shown, then replaced)
    fast: bool = False  # the int8 fast mode (CPU only; approximate)
    calibration: tuple[str, ...] = ()  # images to calibrate the fast mode on, when it is first built


def worth_a_preview(rgb: np.ndarray, max_size: int) -> bool:
    """A preview pays when the full pass sees several times its pixels (the network pads
    every input by 100 px a side, so a small image costs about as much as its preview)."""
    from fcn_studio.inference.predictor import PREVIEW_MAX_SIZE
    from fcn_studio.inference.resize import inference_shape

    h, w = inference_shape(rgb.shape[0], rgb.shape[1], max_size or None)
    return (h + 200) * (w + 200) > 3 * (PREVIEW_MAX_SIZE + 200) ** 2


class InferenceWorker(QObject):
    image_loaded = Signal(int, str, object)  # job, path, LoadedImage
    result_ready = Signal(int, str, object)  # job, path, SegmentationResult
    preview_ready = Signal(int, str, object)  # job, path, SegmentationResult (preview=True)
    failed = Signal(int, str, str)  # job, path ("" for model errors), message
    model_loaded = Signal(str, str, str)  # model key, device description, fallback note ("" if none)
    busy = Signal(str)  # what is happening now, "" when idle

    _request = Signal(object)

    def __init__(self, service: ModelService | None = None) -> None:
        super().__init__()
        self.service = service or shared_service()
        self._latest = 0
        self._lock = threading.Lock()
        self._request.connect(self._process)
        self._threads_set = False
        self._announced: set[tuple] = set()
        # Label mode keeps the backbone features of each prediction (path, predictor,
        # prediction), so training on the open image does not run the backbone again.
        self.feature_sink = None
        # and, while on, answers whether an image's features are held ((features, size) or
        # None): then a model's head is drawn over them, the backbone does not run again
        self.feature_source = None

    # -- called from the GUI thread ------------------------------------------------

    def submit(self, request: InferenceRequest) -> None:
        """Queue a request; it supersedes every request with a lower job id. Requests that
        share a job id (one image through several models) all run, one after another."""
        with self._lock:
            self._latest = request.job
        self._request.emit(request)

    def cancel_all(self) -> None:
        with self._lock:
            self._latest = -1

    # -- runs on the worker thread -------------------------------------------------

    def _stale(self, job: int) -> bool:
        with self._lock:
            return job != self._latest

    @Slot(object)
    def _process(self, request: InferenceRequest) -> None:
        job, path = request.job, request.path
        if self._stale(job):
            return
        self._configure_threads()
        try:
            rgb = request.rgb
            if request.load_image or rgb is None:
                from fcn_studio.data.images import load_image as read

                self.busy.emit(self.tr("Loading {name}…").format(name=os.path.basename(path)))
                rgb = read(path)
                if request.load_image:
                    self.image_loaded.emit(job, path, LoadedImage(rgb))
            if not request.model or self._stale(job):
                return
            predictor, identity = self._predictor(request)
            if self._stale(job):
                return
            self.busy.emit(
                self.tr("Segmenting {name} with {model}…").format(name=os.path.basename(path), model=request.model)
            )
            held = self.feature_source(path, predictor, rgb.shape[:2]) if self.feature_source else None
            if held is not None:  # features of this image are held: the head alone draws it
                pred = predictor.predict_from_features(*held, *rgb.shape[:2])
                result = SegmentationResult.from_prediction(
                    pred, predictor, request.model, identity, request.device, request.max_size, request.fast
                )
                self.result_ready.emit(job, path, result)
                return
            sink = self.feature_sink
            if request.preview and sink is None and worth_a_preview(rgb, request.max_size):
                quick = predictor.preview(rgb, cancelled=lambda: self._stale(job))
                self.preview_ready.emit(
                    job,
                    path,
                    SegmentationResult.from_prediction(
                        quick, predictor, request.model, identity, request.device, request.max_size, request.fast
                    ),
                )
            pred = self._predict(path, rgb, predictor, sink, lambda: self._stale(job))
            result = SegmentationResult.from_prediction(
                pred, predictor, request.model, identity, request.device, request.max_size, request.fast
            )
            self.result_ready.emit(job, path, result)
        except Cancelled:
            pass
        except FCNStudioError as exc:
            self.failed.emit(job, path, str(exc))
        except MemoryError:
            self.failed.emit(
                job,
                path,
                self.tr("{name}: out of memory; lower the inference size").format(name=os.path.basename(path)),
            )
        except Exception as exc:
            self.failed.emit(job, path, describe_unexpected(exc))
        finally:
            self.busy.emit("")

    def _predict(self, path: str, rgb: np.ndarray, predictor, sink, cancelled):
        """The prediction, and with a ``sink`` (Label mode) its backbone features handed over
        before the result shows. The pass is registered as in flight for this image, so a
        round or the prefetch asking for its features meanwhile waits for them instead of
        running the backbone a second time."""
        if sink is None:
            return predictor.predict(rgb, cancelled=cancelled)
        from fcn_studio.training.feature_cache import pass_in_flight  # torch: not at the app's start

        pre = predictor.checkpoint.preprocessing
        with pass_in_flight(path, predictor.model, pre, rgb.shape[:2], predictor.max_size):
            pred = predictor.predict(rgb, return_features=True, cancelled=cancelled)
            if pred.features is not None:
                sink(path, predictor, pred)  # before the pass ends: a waiting round finds them
        return pred

    def _configure_threads(self) -> None:
        if not self._threads_set:
            use_background_threads()
            self._threads_set = True

    def _predictor(self, request: InferenceRequest):
        if not self.service.is_loaded(request.model, request.device):
            self.busy.emit(self.tr("Loading model {model}…").format(model=request.model))
        choice = InferenceChoice(request.model, request.device, request.max_size, request.fast)
        predictor, identity = load_predictor(self.service, choice, request.calibration, say=self.busy.emit)
        device = predictor.device_choice
        announce = (request.model, identity, request.device)  # a new device choice is answered too
        if announce not in self._announced:  # once per model and device, not per image
            self._announced.add(announce)
            self.model_loaded.emit(request.model, device.description, str(device.fallback_note or ""))
        return predictor, identity
