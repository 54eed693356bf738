"""Label mode: paint labels over the open image, save them as data, retrain on them.

Composes the label layer, the tools, the panel, autosave, the fine-tune round, live mode
and the uncertainty ranking, and wires them to the main window's workspace and canvas.
The main window only creates it and tells it when it closes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QLineEdit, QMessageBox

from fcn_studio.data.labels import LabelSet
from fcn_studio.data.stats import class_stats
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.actions import build_label_actions, build_label_ui
from fcn_studio.gui.labelling.label_layer import LabelLayer
from fcn_studio.gui.labelling.live import LiveUpdater
from fcn_studio.gui.labelling.panel import LabelPanel, LayerView
from fcn_studio.gui.labelling.retrain import PROGRESS_STEPS, scores_text, start_retrain, version_entries
from fcn_studio.gui.labelling.session import LabelSession
from fcn_studio.gui.labelling.tools import FillSource, PaintTools, Tool
from fcn_studio.gui.labelling.uncertain import UncertaintyDock, start_ranking
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.labelling.edits import Box, Change
from fcn_studio.labelling.label_store import UNLABELLED, LabelStore
from fcn_studio.labelling.versions import choose_version, family_for


class LabelMode(QObject):
    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.workspace, self.canvas = win.workspace, win.canvas
        self.active = False
        self.session: LabelSession | None = None
        self.label_set: LabelSet | None = None
        self.active_class = 0
        self.view = LayerView.BOTH
        self._train_config = None  # made on first use: the head trainer imports torch
        self._cache = None
        self.retrain_task: BackgroundTask | None = None
        self.rank_task: BackgroundTask | None = None
        self.last_round = None
        self._ranked_for: tuple | None = None  # (folder, model identity, device, size) of the ranking
        self._stores: dict[Path, LabelStore] = {}

        self.layer = LabelLayer()
        self.layer.setVisible(False)
        self.canvas.scene().addItem(self.layer)
        self.tools = PaintTools(self.canvas, self._editor, self._prediction, lambda: self.active_class)
        self.live = LiveUpdater(win.service, lambda: self.cache, self)
        self.panel = LabelPanel(win)
        self.panel.hide()
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.ranking = UncertaintyDock(win)
        self.ranking.hide()
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.ranking)
        self._ranking_tabbed = False  # tabified when first shown: a hidden tabified dock leaves a
        # stray tab bar over the menu bar (seen under Xvfb)
        self.actions = build_label_actions(win)
        self.toolbar = build_label_ui(win, self.actions)
        self._connect()
        self.tools.set_radius(self.tools.radius)
        self.actions.brush.setChecked(True)
        self._update_enabled()

    @property
    def cache(self):
        """The backbone feature cache (memory- and disk-bounded), made on first use."""
        if self._cache is None:
            from fcn_studio.training.feature_cache import FeatureCache, cache_dir

            self._cache = FeatureCache(cache_dir())
        return self._cache

    @cache.setter
    def cache(self, cache) -> None:
        self._cache = cache

    @property
    def train_config(self):
        """Head-only training defaults that work on a laptop CPU, made on first use."""
        if self._train_config is None:
            from fcn_studio.training.head_trainer import HeadTrainConfig

            self._train_config = HeadTrainConfig()
        return self._train_config

    @train_config.setter
    def train_config(self, config) -> None:
        self._train_config = config

    def _connect(self) -> None:
        a, p, ws = self.actions, self.panel, self.workspace
        a.mode.toggled.connect(self.set_active)
        for name, action in a.tools.items():
            action.triggered.connect(lambda _c=False, t=name: self.tools.set_tool(Tool(t)))
        a.smaller.triggered.connect(lambda: self.tools.grow(1 / 1.25))
        a.bigger.triggered.connect(lambda: self.tools.grow(1.25))
        a.undo.triggered.connect(self.undo)
        a.redo.triggered.connect(self.redo)
        a.cycle_view.triggered.connect(self._cycle_view)
        a.retrain.triggered.connect(self.retrain)
        a.live.toggled.connect(self._live_toggled)
        a.next_uncertain.triggered.connect(self.next_uncertain)
        for i, action in enumerate(a.classes):
            action.triggered.connect(lambda _c=False, cid=i: self.pick_class(cid))
        p.class_picked.connect(self.pick_class)
        p.start_blank.connect(self.start_blank)
        p.start_from_prediction.connect(self.start_from_prediction)
        p.add_class.connect(self.add_class)
        p.rename_class.connect(self.rename_class)
        p.recolour_class.connect(self.recolour_class)
        p.new_label_set.connect(self.new_label_set)
        p.layer_view_changed.connect(self.set_view)
        p.fill_source_changed.connect(lambda s: setattr(self.tools, "fill_source", FillSource(s)))
        p.radius_changed.connect(self.tools.set_radius)
        p.version_chosen.connect(self.choose_version)
        p.retrain_button.clicked.connect(self.retrain)
        p.offer.use_version.connect(self.choose_version)
        p.live.toggled.connect(a.live.setChecked)
        a.live.toggled.connect(p.live.setChecked)
        self.tools.radius_changed.connect(p.set_radius)
        self.tools.changed.connect(self.layer.redraw)
        self.tools.stroke_done.connect(self._stroke_done)
        self.live.updated.connect(self._live_result)
        self.live.failed.connect(self.win.show_error)
        self.ranking.open_requested.connect(self.open_image)
        ws.image_shown.connect(self._image_shown)
        ws.result_shown.connect(self._result_shown)
        ws.image_failed.connect(lambda _p, _m: self._end_session())  # nothing to label on screen
        self.win.video.opened.connect(lambda _info: self.set_active(False))  # labels are for images
        self.win.models.model_selected.connect(lambda _k: self._refresh_versions())

    # -- mode ------------------------------------------------------------------------------

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        self.actions.mode.setChecked(active)
        self.tools.set_enabled(active)
        self.panel.setVisible(active)
        self.workspace.worker.feature_sink = self._keep_features if active else None
        if active:
            self.canvas.setFocus()
            # most of the dock area to the panel; the legend keeps a few rows
            self.win.resizeDocks([self.win.legend, self.panel], [160, 640], Qt.Orientation.Vertical)
            self._start_session()
            self._refresh_versions()
        else:
            self._end_session()
            self.live.reset()
            self.win.overlay.set_result(self.workspace.current_result)
        self._apply_view()
        self._update_enabled()

    def _update_enabled(self) -> None:
        on = self.active and self.session is not None
        for action in self.actions.in_mode():
            action.setEnabled(on)
        has_model = bool(self.workspace.model_key)
        self.actions.retrain.setEnabled(self.retrain_task is not None or (has_model and self._folder() is not None))
        self.panel.retrain_button.setEnabled(self.actions.retrain.isEnabled())
        self.actions.next_uncertain.setEnabled(has_model and self.rank_task is None and self._folder() is not None)
        self.actions.live.setEnabled(on and has_model)
        self.panel.live.setEnabled(on and has_model)
        self.panel.prediction_button.setEnabled(on and self._prediction() is not None)

    # -- sessions --------------------------------------------------------------------------

    def _folder(self) -> Path | None:
        path = self.workspace.current_path
        return None if path is None else path.parent

    def store(self, folder: Path) -> LabelStore:
        folder = folder.resolve()
        if folder not in self._stores:
            self._stores[folder] = LabelStore(folder)
        return self._stores[folder]

    def _model_labels(self) -> LabelSet | None:
        result = self.workspace.current_result
        return result.label_set if result is not None else None

    def _start_session(self) -> None:
        self._end_session()
        path, rgb = self.workspace.current_path, self.workspace.current_rgb
        if path is None or rgb is None:
            return
        try:
            store = self.store(path.parent)
            self.label_set = store.label_set(default=self._model_labels())
        except FCNStudioError as exc:
            self.win.show_error(str(exc))
            return
        session = LabelSession(store, path, rgb.shape[:2], self.label_set, self)
        session.error.connect(self.win.show_error)
        session.saved.connect(self._saved)
        if session.load_error:
            self.win.show_error(session.load_error)
        self.session = session
        self.layer.set_mask(session.mask, self.label_set)
        default = 1 if self.label_set.num_classes > 1 else 0
        self.active_class = self.active_class if 0 < self.active_class < self.label_set.num_classes else default
        self.panel.set_classes(self.label_set, self.active_class)
        self._update_enabled()

    def _end_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None
        self.layer.set_mask(None, None)

    def _keep_features(self, path: str, predictor, prediction) -> None:
        """On the inference thread: the open image's backbone features, computed for its
        prediction, kept for live mode and retraining (the backbone does not run twice)."""
        with contextlib.suppress(OSError, FCNStudioError):  # a shortcut only: else computed when needed
            self.cache.hand_over(path, predictor.model, predictor.checkpoint.preprocessing, prediction.features,
                                 prediction.inference_size)  # fmt: skip

    def _saved(self, _mask_path: str) -> None:
        if self.session is not None:
            self.ranking.mark_labelled(str(self.session.image))

    def flush(self) -> bool:
        """Write pending labels now (before retraining, switching, closing)."""
        return self.session.save(wait=True) if self.session is not None else True

    def shutdown(self) -> None:
        self._end_session()
        self.live.wait()

    # -- workspace signals -----------------------------------------------------------------

    def _image_shown(self, path: str, _rgb) -> None:
        if self.win.video.active:
            return
        if self.active and (self.session is None or str(self.session.image) != path):
            self._start_session()
        self.live.reset()
        self._apply_view()

    def _result_shown(self, result: SegmentationResult | None) -> None:
        if self.active and self.session is not None and result is not None:
            store = self.session.store
            if not store.classes_path.is_file() and not self.session.dirty and self.label_set != result.label_set:
                # nothing saved yet: the folder's classes are the model's, now that it is known
                self._set_label_set(store.label_set(default=result.label_set))
        self._update_enabled()

    # -- classes ---------------------------------------------------------------------------

    def pick_class(self, class_id: int) -> None:
        if self.label_set is None or not 0 <= class_id < self.label_set.num_classes:
            return
        self.active_class = class_id
        self.panel.set_active(self.label_set, class_id)
        if self.tools.tool is Tool.ERASER:  # picking a class means painting it
            self.actions.brush.setChecked(True)
            self.tools.set_tool(Tool.BRUSH)

    def _set_label_set(self, labels: LabelSet) -> None:
        self.label_set = labels
        if self.session is not None:
            self.session.label_set = labels
        self.layer.set_label_set(labels)
        self.active_class = min(self.active_class, labels.num_classes - 1)
        self.panel.set_classes(labels, self.active_class)
        self.live.reset()

    def _class_op(self, op) -> None:
        if self.session is None or self.label_set is None:
            return
        try:
            op(self.session.store, self.label_set)
            self._set_label_set(self.session.store.label_set(default=self.label_set))
        except FCNStudioError as exc:
            self.win.show_error(str(exc))

    def add_class(self, name: str | None = None, color: tuple[int, int, int] | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self.win, self.tr("Add a class"), self.tr("Name of the new class:"))
            if not ok or not name.strip():
                return
        self._class_op(lambda store, labels: store.add_class(name.strip(), color, default=labels))
        if self.label_set is not None:
            self.pick_class(self.label_set.num_classes - 1)

    def rename_class(self, class_id: int, name: str | None = None) -> None:
        if self.label_set is None or not 0 <= class_id < self.label_set.num_classes:
            return
        if name is None:
            name, ok = QInputDialog.getText(self.win, self.tr("Rename a class"), self.tr("New name:"),
                                            QLineEdit.EchoMode.Normal, self.label_set.classes[class_id])  # fmt: skip
            if not ok or not name.strip():
                return
        self._class_op(lambda store, labels: store.rename_class(class_id, name.strip(), default=labels))

    def recolour_class(self, class_id: int, color: tuple[int, int, int] | None = None) -> None:
        if self.label_set is None or not 0 <= class_id < self.label_set.num_classes:
            return
        if color is None:
            chosen = QColorDialog.getColor(QColor(*self.label_set.colors[class_id]), self.win, self.tr("Class colour"))
            if not chosen.isValid():
                return
            color = (chosen.red(), chosen.green(), chosen.blue())
        self._class_op(lambda store, labels: store.recolour_class(class_id, color, default=labels))

    def new_label_set(self, names: list[str] | None = None) -> None:
        """A label set of the folder's own (e.g. background, crack, rust), whatever the model."""
        if self.session is None:
            return
        store = self.session.store
        if names is None:
            text, ok = QInputDialog.getText(self.win, self.tr("New label set"),
                                            self.tr("Class names, separated by commas:"), text="background, ")  # fmt: skip
            names = [n.strip() for n in text.split(",") if n.strip()] if ok else []
            if not names:
                return
            if store.labelled_images() and QMessageBox.question(
                self.win, self.tr("New label set"),
                self.tr("This folder already has masks; their class ids will mean the new classes. Go on?"),
            ) != QMessageBox.StandardButton.Yes:  # fmt: skip
                return
        from fcn_studio.data.labels import generic_labels

        colors = generic_labels(len(names)).colors
        try:
            store.save_label_set(LabelSet(store.folder.name, tuple(names), tuple(colors)))
            self._set_label_set(store.label_set())
        except FCNStudioError as exc:
            self.win.show_error(str(exc))

    # -- editing ---------------------------------------------------------------------------

    def _editor(self):
        return self.session.editor if self.active and self.session is not None else None

    def _prediction(self) -> np.ndarray | None:
        result = self.workspace.current_result
        if result is None or result.preview or self.session is None or result.labels.shape != self.session.mask.shape:
            return None  # a quick preview is never taken as the labels' starting point
        return result.labels

    def _stroke_done(self) -> None:
        if self.session is None:
            return
        self.session.edited()
        if self.actions.live.isChecked():
            self._live_update()

    def _whole(self) -> Box:
        h, w = self.session.mask.shape
        return Box(0, 0, h, w)

    def start_blank(self) -> None:
        """ "Scribbles": every pixel back to unlabelled (one undo step)."""
        if self.session is None:
            return
        editor = self.session.editor
        editor.begin_stroke()
        self.layer.redraw(editor.apply(Change(self._whole(), editor.mask != UNLABELLED, UNLABELLED)))
        editor.end_stroke()
        self._stroke_done()

    def start_from_prediction(self) -> None:
        """The model's mask becomes the labels (one undo step); the model's classes are
        matched to the folder's by name, others stay unlabelled."""
        pred, result = self._prediction(), self.workspace.current_result
        if pred is None or self.session is None or self.label_set is None or result is None:
            return
        ours = {name: i for i, name in enumerate(self.label_set.classes)}
        lut = np.full(256, UNLABELLED, np.uint8)
        for i, name in enumerate(result.label_set.classes[:255]):
            lut[i] = ours.get(name, UNLABELLED)
        target = lut[pred]
        editor, whole = self.session.editor, self._whole()
        editor.begin_stroke()
        for value in np.unique(target):
            editor.apply(Change(whole, target == value, int(value)))
        editor.end_stroke()
        self.layer.redraw(whole)
        self._stroke_done()

    def undo(self) -> None:
        if self.session is not None:
            self.layer.redraw(self.session.editor.undo())
            self._stroke_done()

    def redo(self) -> None:
        if self.session is not None:
            self.layer.redraw(self.session.editor.redo())
            self._stroke_done()

    # -- what is shown ---------------------------------------------------------------------

    def set_view(self, view: str) -> None:
        self.view = view
        index = self.panel.layer_view.findData(view)
        if index != self.panel.layer_view.currentIndex():
            self.panel.layer_view.setCurrentIndex(index)
        self._apply_view()

    def _cycle_view(self) -> None:
        order = [LayerView.BOTH, LayerView.LABELS, LayerView.PREDICTION]
        self.set_view(order[(order.index(self.view) + 1) % len(order)])

    def _apply_view(self) -> None:
        self.layer.setVisible(self.active and self.view != LayerView.PREDICTION)
        self.canvas.set_overlay_visible(not self.active or self.view != LayerView.LABELS)

    # -- live mode -------------------------------------------------------------------------

    def _live_toggled(self, on: bool) -> None:
        if on:
            self._live_update()
        else:
            self.live.reset()
            self.win.overlay.set_result(self.workspace.current_result)

    def _live_update(self) -> None:
        ws = self.workspace
        if self.session is None or ws.current_rgb is None or not ws.model_key or self.label_set is None:
            return
        self.live.stroke_done(self.session.image, ws.current_rgb, self.session.mask, ws.model_key, ws.device,
                              ws.max_size, self.label_set)  # fmt: skip

    def _live_result(self, result: SegmentationResult, seconds: float) -> None:
        if not (self.active and self.actions.live.isChecked()):
            return
        self.win.overlay.set_result(result)
        self.win.legend.set_stats(class_stats(result.labels, result.label_set))
        self.win.status.showMessage(
            self.tr("Live prediction updated {s:.2f} s after the stroke").format(s=seconds), 5000
        )

    # -- retraining ------------------------------------------------------------------------

    def retrain(self) -> None:
        folder, ws = self._folder(), self.workspace
        if self.retrain_task is not None:  # the same button cancels a round in progress
            self.retrain_task.cancel()
            return
        if folder is None or not ws.model_key:
            return
        if not self.flush():
            return
        self.win.status.showMessage(self.tr("Fine-tuning on the labels of {folder}…").format(folder=folder.name))
        task = start_retrain(folder, ws.model_key, ws.device, ws.max_size, self.cache, self.train_config)
        task.worker.progress.connect(self._retrain_progress)
        task.succeeded.connect(self._retrained)
        task.failed.connect(self._retrain_failed)
        task.cancelled.connect(lambda _m: self.win.status.showMessage(self.tr("Fine-tuning cancelled"), 5000))
        task.finished.connect(self._retrain_finished)
        self.retrain_task = task
        self.panel.set_training(True)
        self._update_enabled()

    def _retrain_progress(self, done: int, _total: int, note: str) -> None:
        self.win.status.showMessage(
            self.tr("Fine-tuning {pct:.0f} %: {note}").format(pct=100 * done / PROGRESS_STEPS, note=note)
        )

    def _retrained(self, result) -> None:
        self.last_round = result
        text = scores_text(result)
        self.panel.scores.setText(text)
        self.panel.offer.show_round(result)
        self.win.status.showMessage(text, 15_000)
        if result.version is not None and result.made_current:  # a worse one waits for the user
            self.live.reset()
            self.win._models_changed(result.version.id)  # every view switches to the new version

    def _retrain_failed(self, message: str) -> None:
        self.win.show_error(message)

    def _retrain_finished(self) -> None:
        self.retrain_task = None
        self.panel.set_training(False)
        self._update_enabled()

    def _refresh_versions(self) -> None:
        entries, current = version_entries(self.workspace.model_key)
        self.panel.set_versions(entries, current)
        self._update_enabled()

    def choose_version(self, model_id: str) -> None:
        """Go back (or forward) to any installed version: it becomes current everywhere."""
        if not model_id:
            return
        try:
            choose_version(family_for(model_id), model_id)
        except FCNStudioError as exc:
            self.win.show_error(str(exc))
            return
        self.live.reset()
        self.win._models_changed(model_id)

    # -- next uncertain image --------------------------------------------------------------

    def next_uncertain(self) -> None:
        folder, ws = self._folder(), self.workspace
        if folder is None or not ws.model_key or self.rank_task is not None:
            return
        self.flush()
        if not self._ranking_tabbed:
            self._ranking_tabbed = True
            self.win.tabifyDockWidget(self.win.legend, self.ranking)  # a tab beside the legend
        self.ranking.show()
        self.ranking.raise_()
        if self._open_next_ranked(folder):
            return  # the ranking by this model is still valid: no need to segment the folder again
        self.win.status.showMessage(self.tr("Ranking the unlabelled images of {folder}…").format(folder=folder.name))
        self._ranked_for = self._ranking_key(folder)
        task = start_ranking(self.win.service, folder, ws.model_key, ws.device, ws.max_size)
        task.worker.progress.connect(
            lambda done, total, note: self.win.status.showMessage(
                self.tr("Ranking {done}/{total}: {note}").format(done=done, total=total, note=note)
            )
        )
        task.succeeded.connect(self._ranked)
        task.failed.connect(self.win.show_error)
        task.finished.connect(self._rank_finished)
        self.rank_task = task
        self._update_enabled()

    def _ranking_key(self, folder: Path) -> tuple:
        ws = self.workspace
        try:
            identity = ws.service.identity(ws.model_key)
        except FCNStudioError:
            identity = None
        return (folder.resolve(), identity, ws.device, ws.max_size)

    def _open_next_ranked(self, folder: Path) -> bool:
        """Open the most uncertain image of the last ranking that is still unlabelled and
        not the one on screen; False when the ranking is stale or used up."""
        if not self.ranking.ranking or self._ranked_for != self._ranking_key(folder):
            return False
        store, current = self.store(folder), self.workspace.current_path
        for ranked in self.ranking.ranking:
            if store.has_mask(ranked.image):
                self.ranking.mark_labelled(str(ranked.image))
            elif current is None or ranked.image.resolve() != current.resolve():
                self.open_image(str(ranked.image))
                return True
        return False

    def _ranked(self, ranking) -> None:
        self.ranking.set_ranking(ranking)
        self.win.status.clearMessage()
        if ranking:
            self.open_image(str(ranking[0].image))
        else:
            self.win.status.showMessage(self.tr("Every image of this folder has labels."), 5000)

    def _rank_finished(self) -> None:
        self.rank_task = None
        self._update_enabled()

    def open_image(self, path: str) -> None:
        target = Path(path)
        files = [p.resolve() for p in self.workspace.files]
        if target.resolve() in files:
            self.workspace.go_to(files.index(target.resolve()))
        else:
            self.workspace.open_paths([target])
