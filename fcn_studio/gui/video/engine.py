"""Video playback with live segmentation on a background thread.

The GUI sends commands (open, play, pause, seek, step, mode, model with its fast mode)
through a queue; the engine decodes, segments and emits ``frame_ready(index, rgb,
result)``: a frame and the segmentation computed from that very frame travel together, so
an overlay can never be drawn on another frame. In "real time" mode frames are skipped to
keep pace with the clock; in "every frame" mode each frame is segmented (slower than real
time on a CPU) while the next ones are decoded ahead. In "keyframes" mode the model runs on
keyframes on a thread of its own and every frame shown carries the finished keyframes'
labels by optical flow (gui/video/keyframes.py): the display never waits for the model, an
interactive rate on a CPU, approximate.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.gui.image.inference_worker import worth_a_preview
from fcn_studio.gui.shared.results import SegmentationResult, use_background_threads
from fcn_studio.gui.video.keyframes import FramesAhead, PlayerKeyframes
from fcn_studio.inference.model_service import ModelService, shared_service
from fcn_studio.state.inference_choice import InferenceChoice, load_predictor

REAL_TIME, EVERY_FRAME, KEYFRAMES = "realtime", "every", "keyframes"
_RESULT_CACHE = 24  # recent frames' results, for stepping back without recomputing


class VideoEngine(QObject):
    opened = Signal(object)  # VideoInfo
    frame_ready = Signal(int, object, object)  # index, RGB frame, SegmentationResult or None
    failed = Signal(str)
    fps_measured = Signal(float)  # frames shown per second while playing
    playing_changed = Signal(bool)
    busy = Signal(str)
    device_ready = Signal(str)  # e.g. "CPU (2 threads)" once a model is loaded
    note = Signal(str)  # something worth telling that is not an error

    def __init__(self, service: ModelService | None = None) -> None:
        super().__init__()
        self.setObjectName("video")
        self.service = service or shared_service()
        self._commands: queue.Queue = queue.Queue()
        self._stopping = threading.Event()  # set from the GUI thread: even a playing frame stops
        self._cap = None
        self._frames = None  # decode-ahead iterator (every-frame playback)
        self.info = None
        self._source: str | int | None = None
        self._index = -1  # last frame shown
        self._cap_pos = 0  # the frame the capture reads next
        self._playing = False
        self._mode = REAL_TIME
        self._model = InferenceChoice()
        self._announced: tuple | None = None  # the model and device last reported
        self._results: OrderedDict[int, SegmentationResult] = OrderedDict()
        self._rgb: np.ndarray | None = None  # the frame on screen
        self._needs_result = False  # the frame on screen still waits for its segmentation
        self._clock = (0.0, 0)  # wall time and frame index when playback (re)started
        self._shown = 0
        self._skipped = 0  # frames real-time playback could not segment in time
        self._keyframes = PlayerKeyframes(lambda rgb, stop: self._segment(rgb, interruptible=False, cancelled=stop))

    # -- commands (any thread) ----------------------------------------------------------

    def command(self, name: str, *args) -> None:
        self._commands.put((name, args))

    def open_source(self, source: str | int) -> None:
        self.command("open", source)

    def set_model(self, choice: InferenceChoice) -> None:
        self.command("model", choice)

    def stop(self) -> None:
        """The loop ends at once: the frame being segmented stops at its next check."""
        self._stopping.set()
        self.command("quit")

    # -- engine thread ----------------------------------------------------------------

    def run(self) -> None:
        while True:
            try:
                name, args = self._commands.get(timeout=0.0 if self._playing or self._needs_result else None)
            except queue.Empty:
                name, args = None, ()
            if name == "quit":
                self._close()
                self._keyframes.close(wait=20.0)  # within the 30 s the engine's thread is given
                return
            try:
                if name is not None:
                    self._dispatch(name, args)
                    continue  # drain all commands before doing work
                if self._playing:
                    self._play_one()
                elif self._needs_result:
                    self._finish_current()
            except FCNStudioError as exc:
                self._set_playing(False)
                self.failed.emit(str(exc))
            except MemoryError:
                self._set_playing(False)
                self.failed.emit(self.tr("out of memory: lower the maximum inference size"))
            except Exception as exc:
                self._set_playing(False)
                self.failed.emit(self.tr("video error: {error}").format(error=f"{type(exc).__name__}: {exc}"))

    def _dispatch(self, name: str, args: tuple) -> None:
        if name == "open":
            self._open(args[0])
        elif name == "model":
            # Always honoured, even when the id is unchanged: the file behind it may be new
            # (re-trained, re-imported); the current frame is segmented again once the
            # queue is empty, so a burst of model commands cannot leave it without overlay.
            self._model = args[0]
            self._keyframes.reset(model=True)
            if self._index >= 0 and not self._playing:
                self._needs_result = True
        elif name == "play":
            if self._cap is not None:
                self._set_playing(True)
        elif name == "pause":
            self._set_playing(False)
        elif name == "toggle":
            self._set_playing(not self._playing and self._cap is not None)
        elif name == "seek":
            self._show(int(args[0]))
        elif name == "step":
            self._set_playing(False)
            self._show(self._index + int(args[0]))
        elif name == "mode":
            self._mode = args[0]
            self._keyframes.reset()
            self._restart_clock()
            if not self._playing:
                self._buffer_keyframes()

    def _set_playing(self, playing: bool) -> None:
        if playing == self._playing:
            return
        if playing and self.info and self.info.frame_count and self._index >= self.info.frame_count - 1:
            self._index = -1  # at the end: play from the start again
        if playing:
            self._skipped = 0
        self._playing = playing
        self._drop_prefetch()
        self._restart_clock()
        seed = self._cached(self._index) if playing and self._mode == KEYFRAMES and self._rgb is not None else None
        if seed is not None:  # the paused frame's own result: the first keyframe at once
            self._keyframes.seed(self._index, self._rgb, seed)
        if not playing:
            self._buffer_keyframes()
        self.playing_changed.emit(playing)

    def _buffer_keyframes(self, result: SegmentationResult | None = None) -> None:
        """Paused in keyframes mode: the keyframe playback will reach is made meanwhile
        (``result``: the paused frame's exact one, else the remembered one if any)."""
        if self._mode != KEYFRAMES or not self._model.model_key or self._rgb is None or self.info is None:
            return
        last = self.info.frame_count - 1 if self.info.frame_count else None
        result = result or self._cached(self._index)
        self._keyframes.buffer(self._index, self._rgb, result, self.info.fps or 25.0, last)

    def _restart_clock(self) -> None:
        self._clock = (time.monotonic(), self._index + 1)
        self._shown = 0

    # -- sources ---------------------------------------------------------------------------

    def _open(self, source: str | int) -> None:
        from fcn_studio.inference.video import open_capture

        self._close()
        self._cap, self.info = open_capture(source)
        self._source = source
        self._keyframes.ahead = FramesAhead(source) if isinstance(source, str) else None  # a file: read ahead
        self._index = -1
        self._cap_pos = 0
        self._results.clear()
        self.opened.emit(self.info)
        self._show(0)

    def _close(self) -> None:
        self._keyframes.reset()
        self._drop_prefetch()
        if self._cap is not None:
            self._cap.release()
        self._cap, self.info, self._source = None, None, None
        self._set_playing(False)

    def _drop_prefetch(self) -> None:
        if self._frames is not None:
            self._frames.close()  # stops its decoding thread
            self._frames = None

    def _decode(self, index: int) -> np.ndarray | None:
        """Frame ``index`` by random access (seeking, stepping, skipping)."""
        import cv2

        if self._cap is None:
            return None
        if isinstance(self._source, str) and index != self._cap_pos:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = self._cap.read()
        self._cap_pos = index + 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None

    # -- showing frames ----------------------------------------------------------------------

    def _show(self, index: int) -> None:
        """Seek/step while paused: the frame at once, its segmentation when ready."""
        if self._cap is None:
            return
        last = (self.info.frame_count - 1) if self.info.frame_count else index
        index = max(0, min(index, last))
        rgb = self._decode(index)
        if rgb is None:
            raise FCNStudioError(
                self.tr("{source}: frame {index} cannot be decoded (damaged or truncated file)").format(
                    source=self._source, index=index
                )
            )
        self._index, self._rgb = index, rgb
        self._keyframes.reset()  # a seek or a step: playback goes on from a new keyframe
        cached = self._cached(index)
        self.frame_ready.emit(index, rgb, cached)
        self._needs_result = cached is None and bool(self._model.model_key)
        if self._needs_result and self._commands.empty():
            self._finish_current()
        elif cached is not None:
            self._buffer_keyframes(cached)

    def _finish_current(self) -> None:
        """Segment the frame on screen (interrupted by the next command, then retried)."""
        self._needs_result = False
        if self._rgb is None or not self._model.model_key:
            return
        cached = self._cached(self._index)
        result = cached or self._segment(self._rgb, interruptible=True)
        if result is None:  # interrupted: try again when the commands are handled
            self._needs_result = True
            return
        self._remember(self._index, result)
        self.frame_ready.emit(self._index, self._rgb, result)
        if not self._playing:
            self._buffer_keyframes(result)

    def _play_one(self) -> None:
        fps = self.info.fps or 25.0
        start_time, start_index = self._clock
        paced = self._mode in (REAL_TIME, KEYFRAMES)
        if paced or not self._model.model_key:
            target = start_index + int((time.monotonic() - start_time) * fps)
            if target <= self._index:  # ahead of the clock: wait for the next frame's time
                time.sleep(
                    min(0.02, (self._index + 1 - start_index) / fps - (time.monotonic() - start_time)) if fps else 0.01
                )
                return
            if paced and self._model.model_key:
                last = self.info.frame_count - 1 if self.info.frame_count else None
                if last is not None and target > last:
                    if self._index >= last:  # the last frame was shown: the end
                        self._end_of_video()
                        return
                    target = last  # a slow model still ends on the last frame, segmented
                self._skipped += max(0, target - self._index - 1)
                index, rgb = target, self._skip_to(target)
            else:
                index, rgb = self._next_sequential()
        else:
            index, rgb = self._next_sequential()
            # never faster than the video itself
            due = start_time + (index - start_index) / fps
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
        if rgb is None:  # end of the video
            self._end_of_video()
            return
        self._index, self._rgb = index, rgb
        # in real time, a quick pass is on screen first and the frame's full result replaces it
        quick = (lambda r: self.frame_ready.emit(index, rgb, r)) if self._mode == REAL_TIME else None
        if self._mode == KEYFRAMES and self._model.model_key:
            last = self.info.frame_count - 1 if self.info.frame_count else None
            result = self._keyframes.result(index, rgb, fps, last)  # at once; never remembered: approximate
        else:
            result = self._cached(index) or self._segment(rgb, interruptible=False, on_preview=quick)
            if result is not None:
                self._remember(index, result)
        self.frame_ready.emit(index, rgb, result)
        self._shown += 1
        elapsed = time.monotonic() - self._clock[0]
        if elapsed > 0 and self._shown % 2 == 0:
            self.fps_measured.emit(self._shown / elapsed)

    def _end_of_video(self) -> None:
        total = self._shown + self._skipped
        if self._mode == REAL_TIME and total and self._skipped > total // 2:
            on_gpu = "cuda" in (self._announced or ("", ""))[1].lower()
            text = (
                self.tr("The GPU could not keep up: {shown} of {total} frames were segmented in real time.")
                if on_gpu
                else self.tr("The CPU could not keep up: {shown} of {total} frames were segmented in real time.")
            )
            self.note.emit(
                text.format(shown=self._shown, total=total)
                + " "
                + self.tr(
                    "For smoother playback: turn on Fast mode (Models menu), lower the inference size (e.g. 320 px), "
                    "or choose Every frame."
                )
            )
        self._set_playing(False)

    def _next_sequential(self) -> tuple[int, np.ndarray | None]:
        if not isinstance(self._source, str):
            return self._index + 1, self._decode(self._index + 1)
        if self._frames is None:
            from fcn_studio.inference.video import read_frames

            self._frames = read_frames(self._source, start=self._index + 1)
        item = next(self._frames, None)
        return (self._index + 1, None) if item is None else item

    def _skip_to(self, target: int) -> np.ndarray | None:
        import cv2

        if isinstance(self._source, str):
            if self.info.frame_count and target >= self.info.frame_count:
                return None
            gap = target - self._cap_pos
            if gap > 30 or gap < 0:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, target)
            else:
                for _ in range(gap):  # grab() skips without converting: cheaper than seeking
                    self._cap.grab()
        ok, bgr = self._cap.read()
        self._cap_pos = target + 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None

    def _remember(self, index: int, result: SegmentationResult) -> None:
        self._results[index] = result
        while len(self._results) > _RESULT_CACHE:
            self._results.popitem(last=False)

    def _cached(self, index: int) -> SegmentationResult | None:
        """A frame's result only if it was computed with today's model file and settings."""
        result = self._results.get(index)
        if result is None:
            return None
        key, device, max_size, fast = (
            self._model.model_key,
            self._model.device,
            self._model.max_size,
            self._model.fast,
        )
        try:
            same = result.key == (self.service.identity(key), device, max_size, fast) if key else False
        except FCNStudioError:
            same = False
        return result if same else None

    def _segment(
        self, rgb: np.ndarray, interruptible: bool, on_preview=None, cancelled: Callable[[], bool] = lambda: False
    ) -> SegmentationResult | None:
        """The frame's exact result; None without a model, or stopped: by the engine's end,
        by a command (``interruptible``), or by ``cancelled()`` (a keyframe left behind)."""
        choice = self._model
        key, device, max_size, fast = choice.model_key, choice.device, choice.max_size, choice.fast
        if not key:
            return None
        use_background_threads()
        if not self.service.is_loaded(key, device):
            self.busy.emit(self.tr("Loading model {model}…").format(model=key))
        calibration = LazyFrames(self._calibration_frames) if fast else ()
        predictor, identity = load_predictor(self.service, choice, calibration, say=self.busy.emit)
        self.busy.emit("")
        choice = predictor.device_choice
        if self._announced != (identity, choice.description):
            self._announced = (identity, choice.description)
            self.device_ready.emit(choice.description)
            if choice.fallback_note:
                self.failed.emit(str(choice.fallback_note))
        if on_preview is not None and worth_a_preview(rgb, max_size):
            quick = predictor.preview(rgb)
            on_preview(SegmentationResult.from_prediction(quick, predictor, key, identity, device, max_size, fast))

        def stop() -> bool:
            return self._stopping.is_set() or (interruptible and not self._commands.empty()) or cancelled()

        try:
            pred = predictor.predict(rgb, cancelled=stop)
        except Cancelled:
            return None
        return SegmentationResult.from_prediction(pred, predictor, key, identity, device, max_size, fast)

    def _calibration_frames(self) -> list[np.ndarray]:
        """Frames for the fast mode's int8 calibration: a few spread over a video file, else
        the frame on screen. Only read when the int8 model is first made for a weights
        file; later it is loaded as it is."""
        count = self.info.frame_count if self.info is not None else 0
        frames = calibration_frames(self._source, count) if isinstance(self._source, str) else []
        if not frames and self._rgb is not None:
            frames.append(self._rgb)
        return frames


def calibration_frames(source: str, count: int) -> list[np.ndarray]:
    """A few frames spread over a video file (half calibrate the int8 model, half measure
    its agreement), decoded with a capture of their own so playback's position is untouched."""
    import cv2

    from fcn_studio.data.images import calibration_sample

    frames = []
    if count > 1:
        cap = cv2.VideoCapture(source)
        try:
            for index in calibration_sample(range(count)):
                cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                ok, bgr = cap.read()
                if ok:
                    frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        finally:
            cap.release()
    return frames


class LazyFrames(Sequence):
    """Calibration frames decoded only if the service reads them: once, when it first makes
    the int8 model, never for every frame segmented with it."""

    def __init__(self, read: Callable[[], list[np.ndarray]]) -> None:
        self._read = read
        self._frames: list[np.ndarray] | None = None

    def _all(self) -> list[np.ndarray]:
        if self._frames is None:
            self._frames = self._read()
        return self._frames

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index):
        return self._all()[index]
