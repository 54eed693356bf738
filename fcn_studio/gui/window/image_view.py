"""The Image tab's view binding: what the workspace (or the video player) has shown goes
onto the canvas, overlay, legend, status bar and window title; nothing here computes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from fcn_studio.data.stats import class_stats
from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.class_names import display_class_name
from fcn_studio.gui.shared.legend import LegendDock
from fcn_studio.gui.shared.overlay import rgb_image
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.status_bar import StatusBar
from fcn_studio.gui.video.session import VideoSession

_LEGEND_EVERY_S = 0.5  # while a video plays: rebuilding the legend every frame would flicker


class ImageView(QObject):
    """Binds ``workspace`` and ``video`` to the views; ``changed`` is called whenever what
    is on screen changed (the window updates its actions' enabled state)."""

    def __init__(
        self,
        workspace: Workspace,
        video: VideoSession,
        canvas: ImageCanvas,
        overlay: OverlayLayer,
        legend: LegendDock,
        status: StatusBar,
        placeholder: QLabel,
        window: QWidget,
        changed: Callable[[], None],
        show_error: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.workspace, self.video = workspace, video
        self.canvas, self.overlay, self.legend, self.status = canvas, overlay, legend, status
        self.placeholder, self.window = placeholder, window
        self._changed, self._show_error = changed, show_error
        self._hover_at = (-1, -1)
        self._legend_updated = 0.0
        workspace.image_shown.connect(self.image_shown)
        workspace.result_shown.connect(self.result_shown)
        workspace.image_failed.connect(self.image_failed)
        video.frame_shown.connect(self.video_frame)
        video.opened.connect(self.video_opened)
        canvas.hovered.connect(self.hovered)

    def show_canvas(self) -> None:
        self.placeholder.hide()
        self.canvas.show()

    def _title(self, name: str) -> None:
        self.window.setWindowTitle(f"{name} — FCN Studio")

    # -- images ------------------------------------------------------------------------

    def image_shown(self, path: str, rgb) -> None:
        if self.video.active:  # a late answer for the image workspace; the video owns the canvas
            return
        self.show_canvas()
        display = self.workspace.current_display
        self.canvas.set_image(display if display is not None else rgb_image(rgb), keep_view=True)
        self.overlay.set_result(self.workspace.current_result)
        self.hovered(*self._hover_at)
        h, w = rgb.shape[:2]
        self.status.set_file(Path(path).name, w, h, self.workspace.index, len(self.workspace.files))
        self._title(Path(path).name)
        self._changed()

    def result_shown(self, result: SegmentationResult | None) -> None:
        if self.video.active:
            return
        if result is None and self.workspace.recomputing:
            # another model segments this image (a version just installed): its previous
            # overlay stays up until the new result replaces it, never a bare photo meanwhile
            self.hovered(*self._hover_at)
            self._changed()
            return
        self.overlay.set_result(result)
        if result is None:
            self.legend.set_stats([])
            self.status.set_timing(None)
            self.status.set_backend("")
        else:
            self._show_result(result)
            self.status.set_timing(result.seconds, result.inference_size, preview=result.preview)
        self.hovered(*self._hover_at)  # the readout follows the new result under a still cursor
        self._changed()

    def _show_result(self, result: SegmentationResult) -> None:
        self.legend.use_label_set(result.label_set)
        self.legend.set_stats(class_stats(result.labels, result.label_set))
        self.status.set_backend(result.backend, result.approximate, result.agreement, result.backend_detail)

    def image_failed(self, path: str, message: str) -> None:
        """Moving onto an unreadable file: say so, and show nothing of the previous image."""
        if self.video.active:
            return
        self.canvas.set_image(None)
        self.overlay.set_result(None)
        self.legend.set_stats([])
        self.status.set_timing(None)
        self.status.set_file(Path(path).name, 0, 0, self.workspace.index, len(self.workspace.files))
        self._title(Path(path).name)
        self._show_error(message)
        self._changed()

    # -- video -------------------------------------------------------------------------

    def video_opened(self, info) -> None:
        camera = not isinstance(info.path, str) or info.path.isdigit()
        name = self.tr("Camera") if camera else Path(info.path).name
        self._title(name)
        self.status.file.setText(f"{name}  {info.width}×{info.height}  {info.fps:.2f} fps")
        self._changed()

    def video_frame(self, index: int, rgb, result) -> None:
        if result is None:  # pending: nothing of the previous frame's result stays
            self.status.set_timing(None)
            self.legend.set_stats([])
            self._legend_updated = 0.0
        else:
            self.status.set_timing(result.seconds, result.inference_size)
            now = time.monotonic()
            if now - self._legend_updated > _LEGEND_EVERY_S:
                self._legend_updated = now
                self._show_result(result)
            else:
                self.status.set_backend(result.backend, result.approximate, result.agreement, result.backend_detail)
        self.hovered(*self._hover_at)
        self._changed()

    # -- the readout under the cursor ----------------------------------------------------

    def current(self):
        """(rgb, result) on screen: the video's frame in video mode, else the image's."""
        if self.video.active:
            return self.video.rgb, self.video.result
        return self.workspace.current_rgb, self.workspace.current_result

    def hovered(self, x: int, y: int) -> None:
        self._hover_at = (x, y)
        rgb, r = self.current()
        if rgb is not None and not (0 <= x < rgb.shape[1] and 0 <= y < rgb.shape[0]):
            x = y = -1
        if x < 0 or r is None or r.labels.shape != rgb.shape[:2]:
            self.status.set_hover(x, y, None, None)
            return
        name = display_class_name(r.label_set, int(r.labels[y, x]))
        self.status.set_hover(x, y, name, r.confidence[y, x] / 255.0)
