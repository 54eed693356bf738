"""Glue between the video engine and the views of the Image tab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.overlay import rgb_image
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.tasks import TaskRunner, WorkerThread
from fcn_studio.gui.video.controls import VideoControls
from fcn_studio.gui.video.engine import VideoEngine
from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings


class VideoSession(QObject):
    """Shows the engine's frames on the canvas; ``frame_shown`` lets the window update
    its legend, title and status bar. The engine segments with ``inference``, following
    each change."""

    frame_shown = Signal(int, object, object)  # index, rgb, result (None while pending)
    opened = Signal(object)  # VideoInfo
    error = Signal(str)

    def __init__(
        self,
        canvas: ImageCanvas,
        overlay: OverlayLayer,
        controls: VideoControls,
        parent=None,
        service=None,
        inference: InferenceSettings | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.canvas, self.overlay, self.controls = canvas, overlay, controls
        self.engine = VideoEngine(service)
        self._thread = WorkerThread(self.engine, "video", runner or TaskRunner(self), loop="run")
        self.inference = inference or InferenceSettings()
        # the engine's thread runs its own loop, not Qt's: a queued slot there never runs
        self.inference.changed.connect(self._inference_changed)
        self.engine.set_model(self.inference.choice)
        self.active = False
        self.info = None
        self.index = -1
        self.rgb: np.ndarray | None = None
        self.result: SegmentationResult | None = None
        self._last_size: tuple[int, int] | None = None
        self.engine.opened.connect(self._opened)
        self.engine.frame_ready.connect(self._frame)
        self.engine.failed.connect(self.error)
        self.engine.playing_changed.connect(controls.set_playing)
        self.engine.fps_measured.connect(controls.set_fps)
        controls.play_toggled.connect(lambda: self.engine.command("toggle"))
        controls.step.connect(lambda d: self.engine.command("step", d))
        controls.seek.connect(lambda i: self.engine.command("seek", i))
        controls.mode_changed.connect(lambda m: self.engine.command("mode", m))
        controls.hide()

    def open(self, source: str | int) -> None:
        self.active = True
        self.result = None
        self.controls.show()
        self.engine.open_source(source)

    def deactivate(self) -> None:
        if self.active:
            self.engine.command("pause")
            self.active = False
            self.controls.hide()

    def _inference_changed(self, choice: InferenceChoice) -> None:
        self.engine.set_model(choice)

    def toggle(self) -> None:
        if self.active:
            self.engine.command("toggle")

    def step(self, delta: int) -> None:
        if self.active:
            self.engine.command("step", delta)

    def _opened(self, info) -> None:
        self.info = info
        self._last_size = None
        self.controls.set_video(info.fps, info.frame_count, live=not isinstance(info.path, str) or info.path.isdigit())
        self.opened.emit(info)

    def _frame(self, index: int, rgb: np.ndarray, result: SegmentationResult | None) -> None:
        if not self.active:
            return
        new_frame = index != self.index or self.rgb is not rgb
        self.index, self.rgb = index, rgb
        if new_frame:
            size = (rgb.shape[1], rgb.shape[0])
            self.canvas.set_image(rgb_image(rgb), keep_view=self._last_size == size)
            self._last_size = size
        # the result arrives with its own frame; it is drawn only over that frame
        self.result = result
        self.overlay.set_result(result)
        self.controls.set_position(index)
        self.frame_shown.emit(index, rgb, result)

    def shutdown(self) -> None:
        self._thread.stop()

    @property
    def title(self) -> str:
        return Path(str(self.info.path)).name if self.info else ""
