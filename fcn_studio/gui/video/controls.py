"""Player controls under the canvas: play/pause, step, seek, time, pace mode, FPS, export."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from fcn_studio.gui.video.engine import EVERY_FRAME, KEYFRAMES, REAL_TIME
from fcn_studio.gui.video.export import audio_note


def clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


class VideoControls(QWidget):
    play_toggled = Signal()
    step = Signal(int)
    seek = Signal(int)
    mode_changed = Signal(str)
    export_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.play = QPushButton(self.tr("Play"))
        self.play.setToolTip(self.tr("Play / pause (Space)"))
        self.back = QPushButton("◀")
        self.back.setToolTip(self.tr("Previous frame (,)"))
        self.forward = QPushButton("▶")
        self.forward.setToolTip(self.tr("Next frame (.)"))
        for b in (self.back, self.forward):
            b.setFixedWidth(34)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTracking(True)
        self.position = QLabel("")
        self.position.setMinimumWidth(230)
        self.mode = QComboBox()
        self.mode.addItem(self.tr("Real time (skip frames)"), REAL_TIME)
        self.mode.addItem(self.tr("Every frame (slower)"), EVERY_FRAME)
        self.mode.addItem(self.tr("Keyframes + motion (fast, approximate)"), KEYFRAMES)
        self.mode.setToolTip(
            self.tr(
                "When the model is slower than the video: keep pace by skipping frames, "
                "segment every frame more slowly than real time, or run the model on keyframes "
                "and carry its labels to the frames between by optical flow (approximate)"
            )
        )
        self.fps = QLabel("")
        self.fps.setMinimumWidth(90)
        self.export = QPushButton(self.tr("Export video…"))
        self.export.setToolTip(audio_note())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for w in (self.play, self.back, self.forward):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        for w in (self.position, self.mode, self.fps, self.export):
            layout.addWidget(w)
        self.play.clicked.connect(self.play_toggled)
        self.back.clicked.connect(lambda: self.step.emit(-1))
        self.forward.clicked.connect(lambda: self.step.emit(1))
        self.slider.valueChanged.connect(self._slider_moved)
        self.mode.currentIndexChanged.connect(lambda _i: self.mode_changed.emit(self.mode.currentData()))
        self.export.clicked.connect(self.export_requested)
        self._fps = 25.0
        self._count = 0

    def set_video(self, fps: float, frame_count: int, live: bool) -> None:
        self._fps, self._count = fps, frame_count
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(frame_count - 1, 0))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(not live)
        self.back.setEnabled(not live)
        self.forward.setEnabled(not live)
        self.export.setEnabled(not live)
        self.fps.setText("")

    def set_position(self, index: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        total = f" / {clock(self._count / self._fps)}" if self._count else ""
        frames = self.tr(" · frame {n}").format(n=index + 1) + (f"/{self._count}" if self._count else "")
        self.position.setText(f"{clock(index / self._fps)}{total}{frames}")

    def set_playing(self, playing: bool) -> None:
        self.play.setText(self.tr("Pause") if playing else self.tr("Play"))

    def set_fps(self, fps: float) -> None:
        self.fps.setText(self.tr("{fps:.1f} fps shown").format(fps=fps))

    def _slider_moved(self, value: int) -> None:
        self.seek.emit(value)
