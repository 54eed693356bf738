"""The Models menu and the no-model banner: manage, download, import, fine-tune; and what
every view does when the model files change."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from fcn_studio.gui.models.model_picker import ModelPicker, arch_name
from fcn_studio.gui.models.weights_dialog import WeightsDialog, start_download, start_import, weight_filter
from fcn_studio.gui.models.weights_watch import WeightsFolderWatch
from fcn_studio.gui.models.welcome import NoModelBanner
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.status_bar import StatusBar
from fcn_studio.state.inference_choice import InferenceSettings


class ModelActions(QObject):
    """``models_changed(id)`` after a download, import, re-training or removal: every view
    sees the files as they are now (a replaced file has a new identity, so nothing stale is
    served); ``id`` is selected when given."""

    def __init__(
        self,
        window: QWidget,
        settings: Settings,
        service,
        inference: InferenceSettings,
        picker: ModelPicker,
        banner: NoModelBanner,
        status: StatusBar,
        show_error: Callable[[str], None],
        last_dir: Callable[[], str],
        refresh_views: Callable[[], None],
        current_folder: Callable[[], str | None] = lambda: None,
        compare_models: Callable[[], list[str]] = list,
    ) -> None:
        super().__init__(window)
        self.window, self.settings, self.service, self.inference = window, settings, service, inference
        self.picker, self.banner, self.status = picker, banner, status
        self.show_error, self.last_dir, self.refresh_views = show_error, last_dir, refresh_views
        self.current_folder = current_folder  # the folder being labelled or viewed
        self.compare_models = compare_models  # the models the compare panes show
        self.train_dialog = None  # non-modal: the app stays usable while a model trains
        self._watch = WeightsFolderWatch(self)  # imported or trained from the command line
        self._watch.changed.connect(self.models_changed_keep_selection)
        banner.download_requested.connect(self.download)
        banner.import_requested.connect(self.import_weights)
        banner.manage_requested.connect(self.manage)
        banner.train_requested.connect(self.fine_tune)
        inference.model_changed.connect(self.model_shown)

    def model_shown(self, key: str) -> None:
        """The banner offers models while none is chosen; the status bar names the model."""
        self.banner.setVisible(not key)
        if not key:
            self.status.set_model(self.tr("No model"))
            return
        from fcn_studio.storage.weights import installed_models

        info = next((m for m in installed_models() if m.id == key), None)
        self.status.set_model(f"{key} ({arch_name(info.arch)})" if info else key)

    def manage(self) -> None:
        self.weights_dialog().exec()

    def weights_dialog(self) -> WeightsDialog:
        """The Models dialog, wired to every view."""
        dialog = WeightsDialog(self.window, in_use=self.models_in_use, runner=self.window.tasks)
        dialog.models_changed.connect(self.models_changed)
        return dialog

    def models_in_use(self) -> frozenset[str]:
        """What the open views show or hold (the view, video and Label mode's model, the
        compare panes', every loaded one): Clean up leaves them alone."""
        ids = {m.spec for m in self.service.loaded()} | {self.inference.model_key, *self.compare_models()}
        return frozenset(i for i in ids if i)

    def fine_tune_dialog(self):
        """The one fine-tune window (non-modal: segmenting, comparing and playing go on
        while a model trains)."""
        from fcn_studio.gui.training.dialog import TrainDialog

        if self.train_dialog is None:
            dialog = TrainDialog(
                self.window, self.last_dir(), self.inference.device, settings=self.settings, runner=self.window.tasks
            )
            dialog.use_model.connect(self.models_changed)  # registers the new id and selects it
            dialog.trained.connect(self.models_changed_keep_selection)
            self.train_dialog = dialog
        return self.train_dialog

    def fine_tune(self) -> None:
        dialog = self.fine_tune_dialog()
        dialog.offer_base(self.picker.current_id())  # start from the model in use, any version
        folder = self.current_folder()
        if folder is not None:
            dialog.offer_folder(folder)  # the folder being labelled or viewed
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def training(self) -> bool:
        """Whether a fine-tune is running now (quitting would stop it)."""
        dialog = self.train_dialog
        thread = getattr(dialog, "thread", None)
        return getattr(dialog, "worker", None) is not None and thread is not None and thread.isRunning()

    def download(self, weights_id: str) -> None:
        start_download(self.window, weights_id, self._task_done, self.window.tasks)

    def import_weights(self) -> None:
        title = self.tr("Import weights files")
        paths, _ = QFileDialog.getOpenFileNames(self.window, title, self.last_dir(), weight_filter())
        if paths:  # every file chosen is imported, one after another
            start_import(self.window, paths, self._task_done, self.window.tasks)

    def _task_done(self, weights_id: str, error: str) -> None:
        if error:
            self.show_error(error)
        else:
            self.models_changed(weights_id)

    def models_changed(self, weights_id: str = "") -> None:
        self.service.prune()
        before = self.inference.model_key
        self.picker.refresh(select=weights_id or None)
        if self.inference.model_key == before:  # same id, maybe a new file: every view segments anew
            self.inference.reload()
        self.refresh_views()

    def models_changed_keep_selection(self, _weights_id: str = "") -> None:
        self.models_changed(self.picker.current_id())
