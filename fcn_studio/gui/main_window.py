"""The main window: composes the state (the Qt-free inference choice and open document of
state/, the workspace, video), the views and the controllers of gui/window/. Each part
lives in its own module: window/wiring.py builds the controllers and connects the menus'
actions and the parts' signals, window/closing.py ends everything in order on exit; this
one builds the parts and lays them out."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from fcn_studio import __version__
from fcn_studio.gui import i18n
from fcn_studio.gui import settings as keys
from fcn_studio.gui.actions import build_actions, build_menus
from fcn_studio.gui.compare.view import CompareView
from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.models.welcome import NoModelBanner
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.legend import LegendDock
from fcn_studio.gui.shared.overlay import OverlayMode
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.status_bar import StatusBar
from fcn_studio.gui.shared.tasks import TaskRunner
from fcn_studio.gui.video.controls import VideoControls
from fcn_studio.gui.video.session import VideoSession
from fcn_studio.gui.window.closing import quitting_stops_training, shut_down
from fcn_studio.gui.window.files import image_filter  # noqa: F401  (image_filter: tests)
from fcn_studio.gui.window.image_view import ImageView
from fcn_studio.gui.window.inference_controls import bind_inference_controls, remembered_choice
from fcn_studio.gui.window.messages import Messages
from fcn_studio.gui.window.toolbar import build_toolbar
from fcn_studio.gui.window.wiring import build_controllers, connect_window
from fcn_studio.inference.model_service import shared_service
from fcn_studio.state.document import OpenDocument
from fcn_studio.state.inference_choice import InferenceSettings

LEGEND_WIDTH, LABEL_PANEL_WIDTH = 260, 340  # px, side by side in Label mode


class MainWindow(QMainWindow):
    DEFAULT_SIZE = (1360, 900)  # Label mode's legend and Labels panel side by side, both whole
    MINIMUM_SIZE = (800, 560)

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.setWindowTitle("FCN Studio")
        self.setAcceptDrops(True)
        self.settings = settings  # given by app.py (the user's) or by a test (its own file)
        self.persist_window = True  # False for smoke tests, which must not touch user settings
        self.service = shared_service()  # one copy of each model for every view
        # what every view segments with (model, device, size, fast mode); they listen to it
        self.inference = InferenceSettings(remembered_choice(self.settings))
        # the one runner: owns every background task and worker thread of the app until it ends
        self.tasks = TaskRunner(self)
        self.document = OpenDocument()  # what is open (files, position, image size); views read it
        self._build_state_and_views()
        self.actions_ = build_actions(self)
        build_menus(self, self.actions_)
        i18n.attach_language_menu(self, self.actions_.languages, self.settings)
        bar = build_toolbar(self, self.actions_)
        self.models, self.devices, self.sizes = bar.models, bar.devices, bar.sizes
        self.opacity, self.opacity_label = bar.opacity, bar.opacity_label
        build_controllers(self)
        connect_window(self)
        from fcn_studio.gui.export_labels import LabelExport
        from fcn_studio.gui.labelling.context import LabelContext
        from fcn_studio.gui.labelling.label_mode import LabelMode

        self.label_mode = LabelMode(
            LabelContext(  # painting labels, retraining on them
                host=self,
                workspace=self.workspace,
                inference=self.inference,
                canvas=self.canvas,
                overlay=self.overlay,
                legend=self.legend,
                status=self.status,
                service=self.service,
                runner=self.tasks,
                settings=self.settings,
                show_error=self.show_error,
                use_model=self._models_changed,
                video_opened=self.video.opened,
                video_active=lambda: self.video.active,
            )
        )
        self.label_export = LabelExport(self)  # File > Export Labels As…
        self._place_label_docks()
        self._restore_settings()  # a layout the user made wins over the default one
        self.models.refresh(select=self.inference.model_key)
        self.model_actions.model_shown(self.inference.model_key)
        self._update_enabled()

    # -- construction ----------------------------------------------------------------

    def _build_state_and_views(self) -> None:
        self.workspace = Workspace(
            self, service=self.service, inference=self.inference, runner=self.tasks, document=self.document
        )
        self.canvas = ImageCanvas()
        self.overlay = OverlayLayer(self.canvas)
        self.legend = LegendDock(self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.legend)
        self.messages = Messages(self, self.status)
        self.banner = NoModelBanner()
        self.video_controls = VideoControls()
        self.video = VideoSession(
            self.canvas,
            self.overlay,
            self.video_controls,
            self,
            service=self.service,
            inference=self.inference,
            runner=self.tasks,
        )
        self.compare = CompareView(
            settings=self.settings,
            service=self.service,
            results=self.workspace.results,
            inference=self.inference,
            runner=self.tasks,
        )
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        self.placeholder = QLabel(self.tr("Open an image (Ctrl+O) or a folder (Ctrl+Shift+O), or drop files here."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #9a9aa0; font-size: 15px; background: #26262a;")
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.video_controls)
        self.canvas.hide()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(central, self.tr("Image"))
        self.tabs.addTab(self.compare, self.tr("Compare models"))
        self.setCentralWidget(self.tabs)
        self.view = ImageView(
            self.workspace,
            self.video,
            self.canvas,
            self.overlay,
            self.legend,
            self.status,
            self.placeholder,
            self,
            self._update_enabled,
            self.show_error,
        )

    def _restore_settings(self) -> None:
        s = self.settings
        self.setMinimumSize(*self.MINIMUM_SIZE)
        if s.geometry() is None or not self.restoreGeometry(s.geometry()):
            self.resize(*default_size())
        if s.window_state() is not None:
            self.restoreState(s.window_state())
        bind_inference_controls(self.inference, s, self.models, self.devices, self.sizes, self.actions_.fast_mode)
        self.opacity.setValue(s.read(keys.OPACITY))
        self._opacity_changed(self.opacity.value())
        try:
            mode = OverlayMode(s.read(keys.OVERLAY_MODE))
        except ValueError:
            mode = OverlayMode.FILLED
        self.set_overlay_mode(mode)

    def _place_label_docks(self) -> None:
        """In Label mode the legend and the Labels panel stand side by side, each the full
        height of the dock area: stacked, at the default size the legend kept 4 rows and the
        panel scrolled."""
        panel = self.label_mode.panel
        self.splitDockWidget(self.legend, panel, Qt.Orientation.Horizontal)

        def size_docks(on: bool) -> None:
            if on:
                self.resizeDocks([self.legend, panel], [LEGEND_WIDTH, LABEL_PANEL_WIDTH], Qt.Orientation.Horizontal)
            else:  # the panel's room goes back to the image, not to the legend's column
                self.resizeDocks([self.legend], [LEGEND_WIDTH], Qt.Orientation.Horizontal)

        # after Label mode's own handler (connected first), which sizes the docks too
        self.label_mode.actions.mode.toggled.connect(size_docks)

    # -- opening -----------------------------------------------------------------------

    def open_paths(self, paths: list[str]) -> None:
        self.files.open_paths(paths)

    def reopen_last(self) -> bool:
        return self.files.reopen_last()

    def _open_video(self, source: str | int) -> None:
        self.tabs.setCurrentIndex(0)
        self.view.show_canvas()
        self.video.open(source)
        self._update_enabled()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()

    # -- views -------------------------------------------------------------------------

    def _feed_compare(self) -> None:
        """The compare view follows the workspace's image, but only works while visible."""
        ws = self.workspace
        comparing = self.tabs.currentWidget() is self.compare
        self.legend.setVisible(not comparing)  # the legend describes the Image tab's result
        mode = getattr(self, "label_mode", None)  # Label mode paints on the Image tab only
        if mode is not None:
            mode.panel.setVisible(mode.active and not comparing)
        if comparing and ws.current_rgb is not None:
            self.compare.set_image(str(ws.current_path), ws.current_rgb, ws.current_display)

    def _current_folder(self) -> str | None:
        folder = self.document.folder
        return str(folder) if folder is not None else None

    def _model_ready(self, key: str, device: str, note: str) -> None:
        self.status.set_device(device)
        if note:  # e.g. CUDA chosen but absent: said in the status bar, never a box at every start
            self.status.showMessage(note, 15_000)  # in the interface language already

    def _hovered(self, x: int, y: int) -> None:
        self.view.hovered(x, y)

    def _opacity_changed(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        if self.overlay.mode is not OverlayMode.OFF:
            self.overlay.set_opacity(value / 100.0)
        self.settings.write(keys.OPACITY, value)

    def set_overlay_mode(self, mode: OverlayMode) -> None:
        self.actions_.modes[mode].setChecked(True)
        self.canvas.set_overlay_opacity(0.0 if mode is OverlayMode.OFF else self.opacity.value() / 100.0)
        self.overlay.set_mode(mode)
        self.settings.write(keys.OVERLAY_MODE, mode.value)

    def _update_enabled(self) -> None:
        video, doc, a = self.video.active, self.document.document, self.actions_
        result = self.workspace.current_result
        has_result = result is not None and not result.preview and not video  # a preview is not exported
        for act in (a.save_mask, a.export_overlay, a.export_stats):
            act.setEnabled(has_result)
        for act in (a.play_pause, a.frame_back, a.frame_forward, a.export_video):
            act.setEnabled(video)
        a.previous.setEnabled(not video and doc.has_previous)
        a.next.setEnabled(not video and doc.has_next)

    # -- models (the Models menu's controller; these names are used by Label mode and tests) --

    @property
    def train_dialog(self):
        return self.model_actions.train_dialog

    @train_dialog.setter
    def train_dialog(self, dialog) -> None:
        self.model_actions.train_dialog = dialog

    def fine_tune_dialog(self):
        return self.model_actions.fine_tune_dialog()

    def fine_tune(self) -> None:
        self.model_actions.fine_tune()

    def manage_models(self) -> None:
        self.model_actions.manage()

    def import_weights(self) -> None:
        self.model_actions.import_weights()

    def models_changed(self, weights_id: str = "") -> None:
        self.model_actions.models_changed(weights_id)

    _models_changed = models_changed

    def _segment_folder(self) -> None:
        self.exporter.segment_folder()

    # -- messages ------------------------------------------------------------------------

    @property
    def error_box(self) -> QMessageBox | None:
        return self.messages.box

    def show_error(self, message: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> None:
        self.messages.error(message, icon)

    def show_note(self, message: str) -> None:
        """Worth knowing, not an error (e.g. the CPU could not keep up with a video)."""
        self.messages.note(message)

    def show_shortcuts(self) -> QDialog:
        from fcn_studio.gui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.findChildren(QAction), self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About FCN Studio"),
            f"<b>FCN Studio {__version__}</b><br>"
            + self.tr("Semantic segmentation with FCN-32s/16s/8s (Long, Shelhamer, Darrell, CVPR 2015)."),
        )

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not quitting_stops_training(self):
            event.ignore()
            return
        shut_down(self)
        super().closeEvent(event)


def default_size() -> tuple[int, int]:
    """The default size, within the screen's free area (a laptop's 1366x768 too)."""
    w, h = MainWindow.DEFAULT_SIZE
    screen = QGuiApplication.primaryScreen()
    if screen is not None:
        free = screen.availableGeometry()
        w, h = min(w, free.width()), min(h, free.height())
    return max(w, MainWindow.MINIMUM_SIZE[0]), max(h, MainWindow.MINIMUM_SIZE[1])


def show_when_idle(window: MainWindow, paths: list[str]) -> None:
    """Open command-line paths once the event loop runs, so the window shows first; with
    none, the image or folder open when the app last closed."""
    QTimer.singleShot(0, lambda: window.open_paths(paths) if paths else window.reopen_last())
