"""Video playback with live segmentation on a background thread.

The GUI sends commands (open, play, pause, seek, step, mode, model) through a queue; the
engine decodes, segments and emits ``frame_ready(index, rgb, result)``: a frame and the
segmentation computed from that very frame travel together, so an overlay can never be
drawn on another frame. In "real time" mode frames are skipped to keep pace with the
clock; in "every frame" mode each frame is segmented (slower than real time on a CPU)
while the next ones are decoded ahead.
"""

from __future__ import annotations

import os
import queue
import time
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QThread, Signal

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.gui.shared.core_text import core_message
from fcn_studio.gui.shared.results import SegmentationResult, use_background_threads

REAL_TIME, EVERY_FRAME = "realtime", "every"
_RESULT_CACHE = 24  # recent frames' results, for stepping back without recomputing


class VideoEngine(QThread):
    opened = Signal(object)  # VideoInfo
    frame_ready = Signal(int, object, object)  # index, RGB frame, SegmentationResult or None
    failed = Signal(str)
    fps_measured = Signal(float)  # frames shown per second while playing
    playing_changed = Signal(bool)
    busy = Signal(str)
    device_ready = Signal(str)  # e.g. "CPU (2 threads)" once a model is loaded

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("video")
        self._commands: queue.Queue = queue.Queue()
        self._cap = None
        self._frames = None  # decode-ahead iterator (every-frame playback)
        self.info = None
        self._source: str | int | None = None
        self._index = -1  # last frame shown
        self._cap_pos = 0  # the frame the capture reads next
        self._playing = False
        self._mode = REAL_TIME
        self._model: tuple[str, str, int] = ("", "auto", 2048)
        self._predictor = None
        self._results: OrderedDict[int, SegmentationResult] = OrderedDict()
        self._clock = (0.0, 0)  # wall time and frame index when playback (re)started
        self._shown = 0

    # -- commands (any thread) ----------------------------------------------------------

    def command(self, name: str, *args) -> None:
        self._commands.put((name, args))

    def open_source(self, source: str | int) -> None:
        self.command("open", source)

    def stop_engine(self) -> None:
        self.command("quit")
        self.wait()

    # -- engine thread ----------------------------------------------------------------

    def run(self) -> None:
        while True:
            try:
                name, args = self._commands.get(timeout=None if not self._playing else 0.0)
            except queue.Empty:
                name, args = None, ()
            if name == "quit":
                self._close()
                return
            try:
                if name is not None:
                    self._dispatch(name, args)
                    continue  # drain all commands before doing work
                if self._playing:
                    self._play_one()
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
            if tuple(args) != self._model:
                self._model, self._predictor = tuple(args), None
                self._results.clear()
                if not self._playing and self._index >= 0:
                    self._show(self._index)
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
            self._restart_clock()

    def _set_playing(self, playing: bool) -> None:
        if playing == self._playing:
            return
        if playing and self.info and self.info.frame_count and self._index >= self.info.frame_count - 1:
            self._index = -1  # at the end: play from the start again
        self._playing = playing
        self._drop_prefetch()
        self._restart_clock()
        self.playing_changed.emit(playing)

    def _restart_clock(self) -> None:
        self._clock = (time.monotonic(), self._index + 1)
        self._shown = 0

    # -- sources ---------------------------------------------------------------------------

    def _open(self, source: str | int) -> None:
        from fcn_studio.video import open_capture

        self._close()
        self._cap, self.info = open_capture(source)
        self._source = source
        self._index = -1
        self._cap_pos = 0
        self._results.clear()
        self.opened.emit(self.info)
        self._show(0)

    def _close(self) -> None:
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
        self._index = index
        cached = self._results.get(index)
        self.frame_ready.emit(index, rgb, cached)
        if cached is None and self._commands.empty():
            result = self._segment(rgb, interruptible=True)
            if result is not None:
                self._remember(index, result)
                self.frame_ready.emit(index, rgb, result)

    def _play_one(self) -> None:
        fps = self.info.fps or 25.0
        start_time, start_index = self._clock
        if self._mode == REAL_TIME or not self._model[0]:
            target = start_index + int((time.monotonic() - start_time) * fps)
            if target <= self._index:  # ahead of the clock: wait for the next frame's time
                time.sleep(
                    min(0.02, (self._index + 1 - start_index) / fps - (time.monotonic() - start_time)) if fps else 0.01
                )
                return
            if self._mode == REAL_TIME and self._model[0]:
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
            self._set_playing(False)
            return
        self._index = index
        result = self._results.get(index) or self._segment(rgb, interruptible=False)
        if result is not None:
            self._remember(index, result)
        self.frame_ready.emit(index, rgb, result)
        self._shown += 1
        elapsed = time.monotonic() - self._clock[0]
        if elapsed > 0 and self._shown % 2 == 0:
            self.fps_measured.emit(self._shown / elapsed)

    def _next_sequential(self) -> tuple[int, np.ndarray | None]:
        if not isinstance(self._source, str):
            return self._index + 1, self._decode(self._index + 1)
        if self._frames is None:
            from fcn_studio.video import read_frames

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

    def _segment(self, rgb: np.ndarray, interruptible: bool) -> SegmentationResult | None:
        key, device, max_size = self._model
        if not key:
            return None
        if self._predictor is None:
            from fcn_studio.predictor import Predictor
            from fcn_studio.weights import resolve_model

            self.busy.emit(self.tr("Loading model {model}…").format(model=key))
            use_background_threads()
            self._predictor = Predictor(resolve_model(key), device, max_size=max_size or None, allow_fallback=True)
            self.busy.emit("")
            choice = self._predictor.device_choice
            self.device_ready.emit(choice.description)
            if choice.fallback_note:
                self.failed.emit(core_message(choice.fallback_note))
        try:
            pred = self._predictor.predict(
                rgb, cancelled=(lambda: not self._commands.empty()) if interruptible else None
            )
        except Cancelled:
            return None
        conf = np.clip(np.rint(pred.confidence * 255.0), 0, 255).astype(np.uint8)
        p = self._predictor
        return SegmentationResult(
            pred.labels, conf, p.labels, key, p.checkpoint.arch, pred.seconds, pred.inference_size
        )


def torch_threads() -> None:
    import torch

    cores = os.cpu_count() or 1
    torch.set_num_threads(cores - 1 if cores > 2 else cores)
