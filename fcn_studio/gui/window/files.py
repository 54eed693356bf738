"""Opening: the Open dialogs, drops, File > Open Recent, and the folder of the last session."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from fcn_studio.data.images import IMAGE_EXTENSIONS
from fcn_studio.gui import settings as keys
from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.settings import Settings
from fcn_studio.inference.video import VIDEO_EXTENSIONS, is_video_file

_IMAGES = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS))
_VIDEOS = " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS))
MAX_RECENT_PER_OPEN = 10  # of several files opened at once, this many go into Open Recent


def image_filter() -> str:
    return QCoreApplication.translate(
        "MainWindow", "Images and videos ({images} {videos});;Images ({images});;Videos ({videos});;All files (*)"
    ).format(images=_IMAGES, videos=_VIDEOS)


class FileOpener(QObject):
    """Opens what the user asks for: images go to the workspace, a video is announced with
    ``video_requested`` (the window shows the player); only what opened is remembered."""

    video_requested = Signal(object)  # a video file path (str) or a camera index (int)
    opening = Signal()  # something new is about to be opened

    def __init__(self, window: QWidget, settings: Settings, workspace: Workspace, recent_menu: QMenu) -> None:
        super().__init__(window)
        self.window, self.settings, self.workspace, self.recent_menu = window, settings, workspace, recent_menu
        self._pending_recent: list[str] = []
        workspace.opened.connect(self.remember_opened)
        self.refresh_recent()

    def last_dir(self) -> str:
        return self.settings.read(keys.LAST_DIR) or str(Path.home())

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, self.tr("Open images"), self.last_dir(), image_filter())
        if paths:
            self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, self.tr("Open a folder of images"), self.last_dir())
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: list[str]) -> None:
        self.opening.emit()
        if len(paths) == 1 and is_video_file(paths[0]):
            self.video_requested.emit(str(paths[0]))
        elif self.workspace.open_paths(paths) and len(paths) > 1:
            self._pending_recent = [str(p) for p in paths[1:MAX_RECENT_PER_OPEN]]

    def open_camera(self) -> None:
        self.opening.emit()
        self.video_requested.emit(0)

    def reopen_last(self) -> bool:
        """At start: the image (in its folder) or folder open when the app last closed."""
        last = self.settings.read(keys.LAST_OPENED)
        if not last or not Path(last).exists():
            return False
        self.open_paths([last])
        return True

    def remember_at_exit(self) -> None:
        path = self.workspace.current_path
        self.settings.write(keys.LAST_OPENED, str(path) if path is not None else "")

    # -- what opened is remembered ---------------------------------------------------------

    def remember_opened(self, path: str) -> None:
        """Only what opened goes into Open Recent (a file that failed never does)."""
        first = Path(path)
        self.settings.write(keys.LAST_DIR, str(first if first.is_dir() else first.parent))
        for p in [*self._pending_recent, path]:
            self.settings.add_recent(str(Path(p).resolve()))
        self._pending_recent = []
        self.refresh_recent()

    def remember_video(self, info) -> None:
        if isinstance(info.path, str) and not info.path.isdigit():
            self.settings.add_recent(str(Path(info.path).resolve()))
            self.settings.write(keys.LAST_DIR, str(Path(info.path).parent))
            self.refresh_recent()

    def refresh_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            act = menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_paths([p]))
        if recent:
            menu.addSeparator()
            menu.addAction(self.tr("Clear Menu")).triggered.connect(
                lambda: (self.settings.clear_recent(), self.refresh_recent())
            )
        menu.setEnabled(bool(recent))
