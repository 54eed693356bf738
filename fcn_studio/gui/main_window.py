"""The main window: composes the views and wires them to the workspace."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from fcn_studio import __version__
from fcn_studio.data.images import IMAGE_EXTENSIONS
from fcn_studio.data.stats import class_stats
from fcn_studio.gui import i18n
from fcn_studio.gui.actions import build_actions, build_menus
from fcn_studio.gui.compare.view import CompareView
from fcn_studio.gui.image import export
from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.models.model_picker import DevicePicker, ModelPicker, SizePicker, arch_name
from fcn_studio.gui.models.weights_dialog import WeightsDialog, start_download, start_import, weight_filter
from fcn_studio.gui.models.weights_watch import WeightsFolderWatch
from fcn_studio.gui.models.welcome import NoModelBanner
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.class_names import display_class_name
from fcn_studio.gui.shared.inference_settings import InferenceSettings
from fcn_studio.gui.shared.legend import LegendDock
from fcn_studio.gui.shared.overlay import OverlayMode, rgb_image
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.status_bar import StatusBar
from fcn_studio.gui.shared.tasks import TaskRunner, stop_runners
from fcn_studio.gui.video.controls import VideoControls
from fcn_studio.gui.video.session import VideoSession
from fcn_studio.gui.window.inference_controls import bind_inference_controls, remembered_choice
from fcn_studio.inference.model_service import shared_service
from fcn_studio.inference.video import VIDEO_EXTENSIONS, is_video_file

_IMAGES = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS))
_VIDEOS = " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS))


def image_filter() -> str:
    return QCoreApplication.translate(
        "MainWindow", "Images and videos ({images} {videos});;Images ({images});;Videos ({videos});;All files (*)"
    ).format(images=_IMAGES, videos=_VIDEOS)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("FCN Studio")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        self.service = shared_service()  # one copy of each model for every view
        # what every view segments with (model, device, size, fast mode); they listen to it
        self.inference = InferenceSettings(remembered_choice(self.settings), self)
        self.tasks = TaskRunner(self)  # owns the window's background tasks and worker threads
        self.workspace = Workspace(self, service=self.service, inference=self.inference, runner=self.tasks)
        self.canvas = ImageCanvas()
        self.overlay = OverlayLayer(self.canvas)
        self.legend = LegendDock(self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.legend)
        self.banner = NoModelBanner()
        self.video_controls = VideoControls()
        self.video = VideoSession(self.canvas, self.overlay, self.video_controls, self, service=self.service,
                                  inference=self.inference, runner=self.tasks)  # fmt: skip
        self._legend_updated = 0.0
        self.error_box: QMessageBox | None = None
        self.train_dialog = None  # non-modal: the app stays usable while a model trains
        self._weights_watch = WeightsFolderWatch(self)
        self._hover_at = (-1, -1)
        self.persist_window = True  # False for smoke tests, which must not touch user settings
        self._build_central()
        self.actions_ = build_actions(self)
        build_menus(self, self.actions_)
        i18n.attach_language_menu(self, self.actions_.languages, self.settings)
        self._build_toolbar()
        self._connect()
        from fcn_studio.gui.labelling.context import LabelContext
        from fcn_studio.gui.labelling.label_mode import LabelMode

        self.label_mode = LabelMode(LabelContext(  # painting labels, retraining on them
            host=self, workspace=self.workspace, inference=self.inference, canvas=self.canvas, overlay=self.overlay,
            legend=self.legend, status=self.status, service=self.service, runner=self.tasks, settings=self.settings,
            show_error=self.show_error, use_model=self._models_changed, video_opened=self.video.opened,
            video_active=lambda: self.video.active))  # fmt: skip
        from fcn_studio.gui.export_labels import LabelExport

        self.label_export = LabelExport(self)  # File > Export Labels As…
        self._restore_settings()
        self._refresh_recent()
        self.models.refresh(select=self.inference.model_key)
        self._model_changed(self.inference.model_key)
        self._update_enabled()

    # -- construction ----------------------------------------------------------------

    def _build_central(self) -> None:
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
        self.compare = CompareView(settings=self.settings, service=self.service, results=self.workspace.results,
                                   inference=self.inference, runner=self.tasks)  # fmt: skip
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(central, self.tr("Image"))
        self.tabs.addTab(self.compare, self.tr("Compare models"))
        self.setCentralWidget(self.tabs)

    def _build_toolbar(self) -> None:
        a = self.actions_
        tb = QToolBar(self.tr("Main"), self)
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        self.addToolBar(tb)
        tb.addActions([a.open, a.previous, a.next])
        tb.addSeparator()
        tb.addWidget(QLabel(self.tr(" Model ")))
        self.models = ModelPicker()
        tb.addWidget(self.models)
        tb.addWidget(QLabel(self.tr(" Device ")))
        self.devices = DevicePicker()
        tb.addWidget(self.devices)
        tb.addWidget(QLabel(self.tr(" Inference size ")))
        self.sizes = SizePicker()
        tb.addWidget(self.sizes)
        tb.addSeparator()
        tb.addActions([a.fit, a.actual_size])
        # Overlay controls on a second row, so nothing is pushed into the overflow menu.
        self.addToolBarBreak()
        view = QToolBar(self.tr("Overlay"), self)
        view.setObjectName("overlayToolbar")
        view.setMovable(False)
        self.addToolBar(view)
        view.addWidget(QLabel(self.tr(" Overlay ")))
        view.addActions(list(a.modes.values()))
        view.addSeparator()
        view.addWidget(QLabel(self.tr(" Opacity ")))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setFixedWidth(140)
        self.opacity.setToolTip(self.tr("Overlay opacity"))
        view.addWidget(self.opacity)
        self.opacity_label = QLabel("")
        self.opacity_label.setMinimumWidth(40)
        view.addWidget(self.opacity_label)

    def _connect(self) -> None:
        a, ws = self.actions_, self.workspace
        a.open.triggered.connect(self.open_dialog)
        a.open_folder.triggered.connect(self.open_folder_dialog)
        a.save_mask.triggered.connect(self._save_mask)
        a.export_overlay.triggered.connect(self._export_overlay)
        a.export_stats.triggered.connect(self._export_stats)
        a.segment_folder.triggered.connect(self._segment_folder)
        a.quit.triggered.connect(self.close)
        a.next.triggered.connect(ws.next)
        a.previous.triggered.connect(ws.previous)
        a.zoom_in.triggered.connect(lambda: self.canvas.zoom_by(1.25, anchor_under_mouse=False))
        a.zoom_out.triggered.connect(lambda: self.canvas.zoom_by(0.8, anchor_under_mouse=False))
        a.fit.triggered.connect(self.canvas.fit)
        a.actual_size.triggered.connect(self.canvas.actual_size)
        for mode, action in a.modes.items():
            action.triggered.connect(lambda _c=False, m=mode: self.set_overlay_mode(m))
        a.manage_models.triggered.connect(self.manage_models)
        a.import_weights.triggered.connect(self.import_weights)
        a.fine_tune.triggered.connect(self.fine_tune)
        a.play_pause.triggered.connect(self.video.toggle)
        a.frame_back.triggered.connect(lambda: self.video.step(-1))
        a.frame_forward.triggered.connect(lambda: self.video.step(1))
        a.export_video.triggered.connect(self._export_video)
        a.open_camera.triggered.connect(lambda: self._open_video(0))
        self.video.frame_shown.connect(self._video_frame)
        self.video.opened.connect(self._video_opened)
        self.video.error.connect(self.show_error)
        self.video.engine.device_ready.connect(self.status.set_device)
        self.video.engine.note.connect(self.show_note)
        self.video_controls.export_requested.connect(self._export_video)
        self._weights_watch.changed.connect(self._weights_folder_changed)
        a.about.triggered.connect(self._about)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        self.inference.model_changed.connect(self._model_changed)
        self.inference.changed.connect(lambda _c: self._update_enabled())
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.legend.visibility_changed.connect(self.overlay.set_hidden)
        self.canvas.hovered.connect(self._hovered)
        self.banner.download_requested.connect(self.download_model)
        self.banner.import_requested.connect(self.import_weights)
        self.banner.manage_requested.connect(self.manage_models)
        self.banner.train_requested.connect(self.fine_tune)
        ws.image_shown.connect(self._image_shown)
        ws.result_shown.connect(self._result_shown)
        ws.navigation_changed.connect(self._navigation_changed)
        ws.opened.connect(self._remember_opened)
        ws.image_failed.connect(self._image_failed)
        ws.error.connect(self.show_error)
        ws.busy.connect(lambda text: self.status.showMessage(text) if text else self.status.clearMessage())
        ws.model_ready.connect(self._model_ready)
        self.tabs.currentChanged.connect(lambda _i: self._feed_compare())
        self.compare.error.connect(self.show_error)
        self.compare.saved.connect(self._remember_export)

    def _restore_settings(self) -> None:
        s = self.settings
        self.setMinimumSize(800, 560)
        if s.geometry() is None or not self.restoreGeometry(s.geometry()):
            self.resize(1280, 820)
        if s.window_state() is not None:
            self.restoreState(s.window_state())
        a = self.actions_
        bind_inference_controls(self.inference, s, self.models, self.devices, self.sizes, a.fast_mode)
        self.opacity.setValue(s.get("opacity", 55, int))
        self._opacity_changed(self.opacity.value())
        try:
            mode = OverlayMode(s.get("overlay_mode", "filled"))
        except ValueError:
            mode = OverlayMode.FILLED
        self.set_overlay_mode(mode)

    # -- opening -----------------------------------------------------------------------

    def _last_dir(self) -> str:
        return self.settings.get("last_dir", str(Path.home()))

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Open images"), self._last_dir(), image_filter())
        if paths:
            self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a folder of images"), self._last_dir())
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: list[str]) -> None:
        if len(paths) == 1 and is_video_file(paths[0]):
            self._open_video(str(paths[0]))
        else:
            if self.workspace.open_paths(paths) and len(paths) > 1:
                self._pending_recent = paths[1:MAX_RECENT_PER_OPEN]

    def _remember_opened(self, path: str) -> None:
        """Only what opened goes into Open Recent (a file that failed never does)."""
        self.video.deactivate()
        first = Path(path)
        self.settings.set("last_dir", str(first if first.is_dir() else first.parent))
        for p in [*getattr(self, "_pending_recent", []), path]:
            self.settings.add_recent(str(Path(p).resolve()))
        self._pending_recent = []
        self._refresh_recent()

    def _image_failed(self, path: str, message: str) -> None:
        """Moving onto an unreadable file: say so, and show nothing of the previous image."""
        if self.video.active:
            return
        self.canvas.set_image(None)
        self.overlay.set_result(None)
        self.legend.set_stats([])
        self.status.set_timing(None)
        self.status.set_file(Path(path).name, 0, 0, self.workspace.index, len(self.workspace.files))
        self.setWindowTitle(f"{Path(path).name} — FCN Studio")
        self.show_error(message)
        self._update_enabled()

    def _open_video(self, source: str | int) -> None:
        self.tabs.setCurrentIndex(0)
        self.placeholder.hide()
        self.canvas.show()
        self.video.open(source)
        self._update_enabled()

    def _video_opened(self, info) -> None:
        if isinstance(info.path, str) and not info.path.isdigit():
            self.settings.add_recent(str(Path(info.path).resolve()))
            self.settings.set("last_dir", str(Path(info.path).parent))
            self._refresh_recent()
        name = self.tr("Camera") if not isinstance(info.path, str) or info.path.isdigit() else Path(info.path).name
        self.setWindowTitle(f"{name} — FCN Studio")
        self.status.file.setText(f"{name}  {info.width}×{info.height}  {info.fps:.2f} fps")
        self._update_enabled()

    def _video_frame(self, index: int, rgb, result) -> None:
        import time

        if result is None:  # pending: nothing of the previous frame's result stays
            self.status.set_timing(None)
            self.legend.set_stats([])
            self._legend_updated = 0.0
        else:
            self.status.set_timing(result.seconds, result.inference_size)
            self.status.set_backend(result.backend, result.approximate, result.agreement, result.backend_detail)
            now = time.monotonic()
            if now - self._legend_updated > 0.5:  # rebuilding the legend every frame would flicker
                self._legend_updated = now
                self.legend.use_label_set(result.label_set)
                self.legend.set_stats(class_stats(result.labels, result.label_set))
        self._hovered(*self._hover_at)
        self._update_enabled()

    def _export_video(self) -> None:
        from fcn_studio.gui.video.export import export_video

        info = self.video.info
        if not self.video.active or info is None or not isinstance(info.path, str):
            QMessageBox.information(self, self.tr("Export video"), self.tr("Open a video file first."))
            return
        export_video(self, info.path, self.service, self.inference.choice, self.opacity.value() / 100.0,
                     self.show_error, runner=self.tasks)  # fmt: skip

    def _current(self):
        """(rgb, result) on screen: the video's frame in video mode, else the image's."""
        if self.video.active:
            return self.video.rgb, self.video.result
        return self.workspace.current_rgb, self.workspace.current_result

    def _refresh_recent(self) -> None:
        menu = self.actions_.recent_menu
        menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            act = menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_paths([p]))
        if recent:
            menu.addSeparator()
            menu.addAction(self.tr("Clear Menu")).triggered.connect(
                lambda: (self.settings.clear_recent(), self._refresh_recent())
            )
        menu.setEnabled(bool(recent))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()

    # -- workspace signals ---------------------------------------------------------------

    def _image_shown(self, path: str, rgb) -> None:
        if self.video.active:  # a late answer for the image workspace; the video owns the canvas
            return
        self.placeholder.hide()
        self.canvas.show()
        display = self.workspace.current_display
        self.canvas.set_image(display if display is not None else rgb_image(rgb), keep_view=True)
        self.overlay.set_result(self.workspace.current_result)
        self._hovered(*self._hover_at)
        h, w = rgb.shape[:2]
        self.status.set_file(Path(path).name, w, h, self.workspace.index, len(self.workspace.files))
        self.setWindowTitle(f"{Path(path).name} — FCN Studio")
        self._feed_compare()
        self._update_enabled()

    def _feed_compare(self) -> None:
        """The compare view follows the workspace's image, but only works while visible."""
        ws = self.workspace
        comparing = self.tabs.currentWidget() is self.compare
        self.legend.setVisible(not comparing)  # the legend describes the Image tab's result
        if comparing and ws.current_rgb is not None:
            self.compare.set_image(str(ws.current_path), ws.current_rgb, ws.current_display)

    def _result_shown(self, result: SegmentationResult | None) -> None:
        if self.video.active:
            return
        self.overlay.set_result(result)
        if result is None:
            self.legend.set_stats([])
            self.status.set_timing(None)
            self.status.set_backend("")
        else:
            self.legend.use_label_set(result.label_set)
            self.legend.set_stats(class_stats(result.labels, result.label_set))
            self.status.set_timing(result.seconds, result.inference_size, preview=result.preview)
            self.status.set_backend(result.backend, result.approximate, result.agreement, result.backend_detail)
        self._hovered(*self._hover_at)  # the readout follows the new result under a still cursor
        self._update_enabled()

    def _navigation_changed(self, index: int, count: int, path: str) -> None:
        self._update_enabled()

    def _model_ready(self, key: str, device: str, note: str) -> None:
        self.status.set_device(device)
        if note:  # e.g. CUDA chosen but absent: said in the status bar, never a box at every start
            self.status.showMessage(note, 15_000)  # in the interface language already

    def _hovered(self, x: int, y: int) -> None:
        self._hover_at = (x, y)
        rgb, r = self._current()
        if rgb is not None and not (0 <= x < rgb.shape[1] and 0 <= y < rgb.shape[0]):
            x = y = -1
        if x < 0 or r is None or r.labels.shape != rgb.shape[:2]:
            self.status.set_hover(x, y, None, None)
            return
        cid = int(r.labels[y, x])
        name = display_class_name(r.label_set, cid)
        self.status.set_hover(x, y, name, r.confidence[y, x] / 255.0)

    # -- controls --------------------------------------------------------------------------

    def _model_changed(self, key: str) -> None:
        self.banner.setVisible(not key)
        if key:
            info = next((m for m in self._installed() if m.id == key), None)
            self.status.set_model(f"{key} ({arch_name(info.arch)})" if info else key)
        else:
            self.status.set_model(self.tr("No model"))

    def _installed(self):
        from fcn_studio.storage.weights import installed_models

        return installed_models()

    def _opacity_changed(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        if self.overlay.mode is not OverlayMode.OFF:
            self.overlay.set_opacity(value / 100.0)
        self.settings.set("opacity", value)

    def set_overlay_mode(self, mode: OverlayMode) -> None:
        self.actions_.modes[mode].setChecked(True)
        self.canvas.set_overlay_opacity(0.0 if mode is OverlayMode.OFF else self.opacity.value() / 100.0)
        self.overlay.set_mode(mode)
        self.settings.set("overlay_mode", mode.value)

    def _update_enabled(self) -> None:
        video = self.video.active
        result = self.workspace.current_result
        has_result = result is not None and not result.preview and not video  # a preview is not exported
        for act in (self.actions_.save_mask, self.actions_.export_overlay, self.actions_.export_stats):
            act.setEnabled(has_result)
        for act in (self.actions_.play_pause, self.actions_.frame_back, self.actions_.frame_forward):
            act.setEnabled(video)
        self.actions_.export_video.setEnabled(video)
        ws = self.workspace
        self.actions_.previous.setEnabled(not video and ws.index > 0)
        self.actions_.next.setEnabled(not video and 0 <= ws.index < len(ws.files) - 1)

    # -- models -----------------------------------------------------------------------------

    def manage_models(self) -> None:
        dialog = WeightsDialog(self)
        dialog.models_changed.connect(self._models_changed)
        dialog.exec()

    def fine_tune_dialog(self):
        """The one fine-tune window (non-modal: segmenting, comparing and playing go on
        while a model trains)."""
        from fcn_studio.gui.training.dialog import TrainDialog

        if self.train_dialog is None:
            dialog = TrainDialog(self, self._last_dir(), self.workspace.device, settings=self.settings)
            dialog.use_model.connect(self._models_changed)  # registers the new id and selects it
            dialog.trained.connect(self._models_changed_keep_selection)
            self.train_dialog = dialog
        return self.train_dialog

    def fine_tune(self) -> None:
        dialog = self.fine_tune_dialog()
        if self.workspace.current_path is not None:
            dialog.offer_folder(str(self.workspace.current_path.parent))  # the folder being labelled or viewed
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def download_model(self, weights_id: str) -> None:
        start_download(self, weights_id, self._model_task_done)

    def import_weights(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import weights files"), self._last_dir(), weight_filter()
        )
        if paths:  # every file chosen is imported, one after another
            start_import(self, paths, self._model_task_done)

    def _model_task_done(self, weights_id: str, error: str) -> None:
        if error:
            self.show_error(error)
        else:
            self._models_changed(weights_id)

    def _models_changed(self, weights_id: str) -> None:
        """After a download, import, re-training or removal: every view sees the files as
        they are now (a replaced file has a new identity, so nothing stale is served)."""
        self.service.prune()
        before = self.inference.model_key
        self.models.refresh(select=weights_id or None)
        if self.inference.model_key == before:  # same id, maybe a new file: every view segments anew
            self.inference.reload()
        self.compare.refresh_models()

    def _models_changed_keep_selection(self, _weights_id: str = "") -> None:
        self._models_changed(self.models.current_id())

    def _weights_folder_changed(self) -> None:
        """A model imported or trained from the command line while the app runs."""
        self._models_changed_keep_selection()

    # -- export -----------------------------------------------------------------------------

    def _export_folder(self) -> Path:
        return Path(self.settings.get("export_dir", self._last_dir()))

    def _remember_export(self, path: Path | None) -> None:
        if path:
            self.settings.set("export_dir", str(path.parent))
            self.status.showMessage(self.tr("Saved {path}").format(path=path), 5000)

    def _save_mask(self) -> None:
        r, p = self.workspace.current_result, self.workspace.current_path
        if r and p:
            export.save_mask_as(self, p, r, self._export_folder(), self._export_done, self.tasks)

    def _export_overlay(self) -> None:
        r, p = self.workspace.current_result, self.workspace.current_path
        if r and p:
            export.export_overlay(self, p, self.workspace.current_rgb, r, self.overlay.hidden,
                                  self.opacity.value() / 100.0, self._export_folder(), self._export_done,
                                  self.tasks)  # fmt: skip

    def _export_stats(self) -> None:
        r, p = self.workspace.current_result, self.workspace.current_path
        if r and p:
            export.export_stats(self, p, r, self._export_folder(), self._export_done, self.tasks)

    def _export_done(self, path: Path | None, error: str) -> None:
        if error:
            self.show_error(error)
        else:
            self._remember_export(path)

    def _segment_folder(self) -> None:
        start = self.workspace.current_path.parent if self.workspace.current_path else Path(self._last_dir())
        export.segment_folder(self, self.service, self.inference.choice, start, self._batch_done, self.tasks)

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
            text += (
                self.tr("; {n} file(s) failed:").format(n=len(report.failures)) + "\n" + "\n".join(report.failures[:10])
            )
        QMessageBox.information(self, self.tr("Segment folder"), text)

    # -- messages and lifetime ------------------------------------------------------------------

    def show_error(self, message: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> None:
        """A non-modal message: the app keeps running and the user keeps working. Messages
        that arrive while it is open are added to it, never replace each other."""
        self.status.showMessage(message, 10_000)
        if self.error_box is None:
            self.error_box = QMessageBox(icon, "FCN Studio", "", parent=self)
            self.error_box.setModal(False)
            self.error_box.setWindowModality(Qt.WindowModality.NonModal)
        box = self.error_box
        shown = box.text().split("\n\n") if box.isVisible() and box.text() else []
        if message not in shown:
            shown = [*shown, message][-8:]
        box.setIcon(icon)
        box.setText("\n\n".join(shown))
        box.show()

    def show_note(self, message: str) -> None:
        """Worth knowing, not an error (e.g. the CPU could not keep up with a video)."""
        self.show_error(message, QMessageBox.Icon.Information)

    def show_shortcuts(self) -> QDialog:
        from fcn_studio.gui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.findChildren(QAction), self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(self, self.tr("About FCN Studio"),
                          f"<b>FCN Studio {__version__}</b><br>" + self.tr("Semantic segmentation with FCN-32s/16s/8s "
                          "(Long, Shelhamer, Darrell, CVPR 2015)."))  # fmt: skip

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.status.showMessage(self.tr("Finishing the current step…"))
        self.label_mode.shutdown()  # the last stroke is written before anything stops
        stop_runners([self.tasks, TaskRunner.shared()])  # the label mode's and dialogs' tasks too
        self.workspace.shutdown()
        self.compare.shutdown()
        self.video.shutdown()
        if self.train_dialog is not None:
            self.train_dialog.stop_for_exit()
        super().closeEvent(event)


MAX_RECENT_PER_OPEN = 10


def show_when_idle(window: MainWindow, paths: list[str]) -> None:
    """Open command-line paths once the event loop runs, so the window shows first."""
    if paths:
        QTimer.singleShot(0, lambda: window.open_paths(paths))
