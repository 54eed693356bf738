"""Status bar: file, hover readout, model, device, inference time."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from fcn_studio.gui.shared.core_text import device_description
from fcn_studio.inference.runtime import BACKEND_NAMES


class StatusBar(QStatusBar):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.hover = QLabel("")
        self.hover.setMinimumWidth(260)
        self.file = QLabel(self.tr("No image"))
        self.model = QLabel(self.tr("No model"))
        self.device = QLabel("")
        self.timing = QLabel("")
        self.backend = QLabel("")  # what computed the result; the fast mode's agreement
        self.addWidget(self.hover, 1)
        for w in (self.file, self.model, self.device, self.timing, self.backend):
            w.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(w)

    def set_file(self, name: str, width: int, height: int, index: int, count: int) -> None:
        self.file.setText(f"{name}  {width}×{height}  ({index + 1}/{count})")

    def set_hover(self, x: int, y: int, class_name: str | None, confidence: float | None) -> None:
        if x < 0:
            self.hover.setText("")
        elif class_name is None:
            self.hover.setText(f"x {x}, y {y}")
        else:
            self.hover.setText(f"x {x}, y {y}  —  {class_name}  ({100 * confidence:.0f} %)")

    def set_model(self, text: str) -> None:
        self.model.setText(text)

    def set_device(self, text: str) -> None:
        self.device.setText(device_description(text))

    def set_backend(
        self,
        backend: str,
        approximate: bool = False,
        agreement: float | None = None,
        detail: str = "",
        speedup: float | None = None,
    ) -> None:
        """``backend`` as a result names it ("ONNX Runtime f32", "torch bf16"); an approximate
        result says so: the fast mode's precision, and its speed-up and label agreement
        measured on the user's images with this model."""
        if approximate:
            precision = backend.split()[-1] if backend else ""
            text = self.tr("fast {precision}, approximate").format(precision=precision)
            if agreement is not None and speedup:
                text = self.tr("fast {precision}: {speedup:.1f}x, {pct:.1f} % agreement").format(
                    precision=precision, speedup=speedup, pct=100 * agreement
                )
            elif agreement is not None:
                text = self.tr("fast {precision}: {pct:.1f} % agreement").format(
                    precision=precision, pct=100 * agreement
                )
            self.backend.setText(text)
            tip = self.tr(
                "Fast mode: the approximate precision measured fastest on this computer that keeps this "
                "model's labels; they equal the exact model's on this share of the pixels of a few of the "
                "images or video frames open when it was measured. Turn it off in the Models menu."
            )
        else:  # Label mode's head over the cached backbone features has a name in words
            held = backend == BACKEND_NAMES["features"]
            self.backend.setText(self.tr("held features") if held else backend)
            tip = self.tr("What computed the result")
        # the converted model's own weight copy, so its memory is never a surprise
        self.backend.setToolTip(f"{tip}\n{detail}" if detail else tip)

    def set_timing(self, seconds: float | None, size: tuple[int, int] | None = None, preview: bool = False) -> None:
        if seconds is None:
            self.timing.setText("")
            return
        at = self.tr(" at {w}×{h}").format(w=size[1], h=size[0]) if size else ""
        if preview:  # the quick pass on screen until the full result replaces it
            self.timing.setText(
                self.tr("preview {ms:.0f} ms{at}; full result coming…").format(ms=seconds * 1000, at=at)
            )
            return
        self.timing.setText(self.tr("inference {ms:.0f} ms{at}").format(ms=seconds * 1000, at=at))
