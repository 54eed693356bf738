"""File > Save Mask, Export Overlay / Statistics / Video and Segment Folder, for what the
window shows: its image and result, its overlay settings, its inference choice."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from fcn_studio.gui import settings as keys
from fcn_studio.gui.image import export
from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.tasks import TaskRunner
from fcn_studio.gui.video.session import VideoSession
from fcn_studio.state.inference_choice import InferenceSettings


class Exporter(QObject):
    def __init__(
        self,
        window: QWidget,
        settings: Settings,
        workspace: Workspace,
        video: VideoSession,
        overlay: OverlayLayer,
        opacity: Callable[[], float],
        inference: InferenceSettings,
        service,
        tasks: TaskRunner,
        status: QStatusBar,
        show_error: Callable[[str], None],
        last_dir: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self.window, self.settings, self.workspace, self.video = window, settings, workspace, video
        self.overlay, self.opacity, self.inference, self.service = overlay, opacity, inference, service
        self.tasks, self.status, self.show_error, self.last_dir = tasks, status, show_error, last_dir

    def folder(self) -> Path:
        return Path(self.settings.read(keys.EXPORT_DIR) or self.last_dir())

    def remember(self, path: Path | None) -> None:
        if path:
            self.settings.write(keys.EXPORT_DIR, str(path.parent))
            # quoted as a shell would need it: a path with spaces copied into a terminal still works
            self.status.showMessage(self.tr("Saved {path}").format(path=shlex.quote(str(path))), 5000)

    def _done(self, path: Path | None, error: str) -> None:
        if error:
            self.show_error(error)
        else:
            self.remember(path)

    def _shown(self):
        ws = self.workspace
        return (ws.current_result, ws.current_path) if ws.current_result and ws.current_path else (None, None)

    def save_mask(self) -> None:
        r, p = self._shown()
        if r:
            export.save_mask_as(self.window, p, r, self.folder(), self._done, self.tasks)

    def overlay_image(self) -> None:
        r, p = self._shown()
        if r:
            rgb = self.workspace.current_rgb
            export.export_overlay(
                self.window, p, rgb, r, self.overlay.hidden, self.opacity(), self.folder(), self._done, self.tasks
            )

    def stats(self) -> None:
        r, p = self._shown()
        if r:
            export.export_stats(self.window, p, r, self.folder(), self._done, self.tasks)

    def segment_folder(self) -> None:
        path = self.workspace.current_path
        start = path.parent if path else Path(self.last_dir())
        export.segment_folder(self.window, self.service, self.inference.choice, start, self._batch_done, self.tasks)

    def _batch_done(self, report, error: str) -> None:
        if report is None:
            self.show_error(error)
            return
        text = self.tr("Wrote {n} mask(s)").format(n=len(report.written))
        if report.skipped:
            text += self.tr(", kept {n} existing").format(n=len(report.skipped))
        if report.processed:
            text += self.tr(" ({rate:.2f} images/s)").format(rate=report.images_per_s)
        if report.failures:
            failed = self.tr("; {n} file(s) failed:").format(n=len(report.failures))
            text += failed + "\n" + "\n".join(report.failures[:10])
        QMessageBox.information(self.window, self.tr("Segment folder"), text)

    def video_file(self) -> None:
        from fcn_studio.gui.video.export import export_video

        info = self.video.info
        if not self.video.active or info is None or not isinstance(info.path, str):
            QMessageBox.information(self.window, self.tr("Export video"), self.tr("Open a video file first."))
            return
        export_video(
            self.window,
            info.path,
            self.service,
            self.inference.choice,
            self.opacity(),
            self.show_error,
            runner=self.tasks,
        )
