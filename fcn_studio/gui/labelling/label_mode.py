"""Label mode: paint labels over the open image, save them as data, retrain on them.

The tool settings live on a :class:`LabelState` that the panel, the actions and the canvas
tools are bindings of. This module composes the parts (label layer, tools, panel, autosave
session, class editing, fine-tune controls, live mode, uncertainty ranking) over what the
window hands it in a :class:`LabelContext`; the window only creates it and tells it when
it closes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt

from fcn_studio.data.labels import LabelSet
from fcn_studio.data.stats import class_stats
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.actions import build_label_actions, build_label_ui
from fcn_studio.gui.labelling.at_risk import AtRiskQuestion
from fcn_studio.gui.labelling.class_map import ClassMapDialog, map_by_name
from fcn_studio.gui.labelling.classes import ClassEditor
from fcn_studio.gui.labelling.context import LabelContext
from fcn_studio.gui.labelling.fine_tune import FineTuneControl
from fcn_studio.gui.labelling.label_layer import LabelLayer
from fcn_studio.gui.labelling.live import LiveUpdater
from fcn_studio.gui.labelling.panel import LabelPanel
from fcn_studio.gui.labelling.prefetch import FeaturePrefetch
from fcn_studio.gui.labelling.session import LabelSession
from fcn_studio.gui.labelling.state import remember
from fcn_studio.gui.labelling.tools import PaintTools
from fcn_studio.gui.labelling.uncertain import NextUncertain
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.labelling.edits import Box, Change
from fcn_studio.labelling.label_store import UNLABELLED, LabelStore
from fcn_studio.state.label_tools import LabelState, LayerView


class LabelMode(QObject):
    def __init__(self, ctx: LabelContext) -> None:
        super().__init__(ctx.host)
        self.ctx = ctx
        self.workspace, self.canvas = ctx.workspace, ctx.canvas
        self.active = False
        self.session: LabelSession | None = None
        self._cache = None
        self._stores: dict[Path, LabelStore] = {}
        self._prediction_maps: dict[tuple, np.ndarray] = {}  # (model's classes, ours) -> table chosen
        self.class_map_dialog: ClassMapDialog | None = None

        self.state = LabelState()
        remember(self.state, ctx.settings)
        self.layer = LabelLayer()
        self.layer.setVisible(False)
        self.canvas.scene().addItem(self.layer)
        self.tools = PaintTools(self.canvas, self.state, self._editor, self._prediction)
        self.live = LiveUpdater(ctx.service, lambda: self.cache, ctx.runner, self)
        self.prefetch = FeaturePrefetch(ctx, lambda: self.cache, self)
        self.panel = LabelPanel(ctx.host)
        self.panel.hide()
        # on the left, as image editors keep their tools: the legend keeps the right column
        ctx.host.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.panel)
        self.actions = build_label_actions(ctx.host)
        self.toolbar = build_label_ui(ctx.host, self.actions)
        self.panel.bind(self.state)
        self.actions.bind(self.state)
        self.classes = ClassEditor(self.state, lambda: self.session, ctx.host, ctx.show_error)
        self.fine_tune = FineTuneControl(ctx, self.panel, self.actions, self._folder, self.flush, lambda: self.cache)
        self.uncertain = NextUncertain(ctx, self._folder, self.store, self.flush, lambda: self.cache)
        # the folder renamed or deleted, a mask deleted outside: the user is asked
        self.at_risk = AtRiskQuestion(
            ctx.host,
            ctx.show_error,
            lambda s: s is self.session and self._start_session(),
            lambda path: self.workspace.open_paths([path]),
        )
        self._connect()
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

    def _connect(self) -> None:
        a, p, ws, state = self.actions, self.panel, self.workspace, self.state
        a.mode.toggled.connect(self.set_active)
        a.undo.triggered.connect(self.undo)
        a.redo.triggered.connect(self.redo)
        a.next_uncertain.triggered.connect(self.uncertain.next)
        p.start_blank.connect(self.start_blank)
        p.start_from_prediction.connect(self.start_from_prediction)
        p.add_class.connect(self.classes.add_class)
        p.rename_class.connect(self.classes.rename_class)
        p.recolour_class.connect(self.classes.recolour_class)
        p.new_label_set.connect(self.classes.new_label_set)
        # a dock restored by the window's saved layout shows only while Label mode is on
        p.visibilityChanged.connect(lambda shown: shown and not self.active and p.hide())
        state.view_changed.connect(self._apply_view)
        state.live_changed.connect(self._live_toggled)
        state.label_set_changed.connect(self._label_set_changed)
        self.tools.changed.connect(self.layer.redraw)
        self.tools.stroke_done.connect(self._stroke_done)
        self.live.updated.connect(self._live_result)
        self.live.failed.connect(self.ctx.show_error)
        self.uncertain.finished.connect(self._update_enabled)
        ws.image_shown.connect(self._image_shown)
        ws.result_shown.connect(self._result_shown)
        ws.image_failed.connect(lambda _p, _m: self._end_session())  # nothing to label on screen
        self.ctx.video_opened.connect(lambda _info: self.set_active(False))  # labels are for images
        self.ctx.inference.model_changed.connect(self._model_changed)

    # -- mode ------------------------------------------------------------------------------

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        self.actions.mode.setChecked(active)
        self.tools.set_enabled(active)
        self.panel.setVisible(active)
        self.workspace.keep_features(*((self._keep_features, self._held_features) if active else (None, None)))
        if active:
            self.canvas.setFocus()
            self._start_session()
            self.fine_tune.refresh()
        else:
            self._end_session()
            self.live.reset()
            self.prefetch.cancel()
            self.ctx.overlay.set_result(self.workspace.current_result)
        self._apply_view()
        self._update_enabled()

    def _update_enabled(self) -> None:
        on = self.active and self.session is not None
        for action in self.actions.in_mode():
            action.setEnabled(on)
        has_model = bool(self.ctx.inference.model_key)
        self.fine_tune.update_enabled()
        self.actions.next_uncertain.setEnabled(self.uncertain.can_run())
        self.actions.live.setEnabled(on and has_model)
        self.panel.live.setEnabled(on and has_model)
        self.panel.prediction_button.setEnabled(on and self._prediction() is not None)

    def _model_changed(self, _model_id: str) -> None:
        self.live.reset()
        self.fine_tune.refresh()
        if self.active and self.session is not None:
            self._prefetch_labelled(self.session.store)

    def _prefetch_labelled(self, store: LabelStore, also: Path | None = None) -> None:
        """The features of the open image and of every labelled one, held before a round asks."""
        try:
            labelled = [image for image, _mask in store.labelled_images()]
        except (OSError, FCNStudioError):
            labelled = []
        self.prefetch.want(([also] if also is not None else []) + labelled)

    # -- sessions --------------------------------------------------------------------------

    def _folder(self) -> Path | None:
        path = self.workspace.current_path
        return None if path is None else path.parent

    def store(self, folder: Path) -> LabelStore:
        folder = folder.resolve()
        if folder not in self._stores:
            self._stores[folder] = LabelStore(folder)
        return self._stores[folder]

    def _start_session(self) -> None:
        self._end_session()
        path, rgb, result = self.workspace.current_path, self.workspace.current_rgb, self.workspace.current_result
        if path is None or rgb is None:
            return
        try:
            store = self.store(path.parent)
            labels = store.label_set(default=result.label_set if result is not None else None)
        except FCNStudioError as exc:
            self.ctx.show_error(str(exc))
            return
        session = LabelSession(store, path, rgb.shape[:2], labels, self, self.ctx.runner)
        session.error.connect(self.ctx.show_error)
        session.saved.connect(self._saved)
        session.at_risk.connect(lambda _m, s=session: self.at_risk.ask(s))
        if session.load_error:
            self.ctx.show_error(session.load_error)
        self.session = session
        # the open image's features come with its prediction while Label mode is on; one
        # shown before it was on is run again here, in the background, while the user paints
        shown = result is not None and not result.preview
        self._prefetch_labelled(store, path if shown else None)
        self.state.set_label_set(labels)
        self.layer.set_mask(session.mask, labels)
        self._update_enabled()

    def _end_session(self) -> None:
        self.tools.finish_stroke()  # a drag in progress stays on the image it began on
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None
        self.layer.set_mask(None, None)

    def _label_set_changed(self, labels: LabelSet | None) -> None:
        if self.session is not None and labels is not None:
            self.session.label_set = labels
            self.layer.set_label_set(labels)
        self.live.reset()

    def _keep_features(self, path: str, predictor, prediction) -> None:
        """On the inference thread: the open image's backbone features, computed for its
        prediction, kept for live mode and retraining (the backbone does not run twice)."""
        with contextlib.suppress(OSError, FCNStudioError):  # a shortcut only: else computed when needed
            self.cache.hand_over(
                path,
                predictor.model,
                predictor.checkpoint.preprocessing,
                prediction.features,
                prediction.inference_size,
            )

    def _held_features(self, path: str, predictor, shape: tuple[int, int]):
        """On the inference thread: the image's features if held ((pool3, pool4, fc7), size),
        so a new version draws it with its head alone."""
        try:
            held = self.cache.held(path, predictor.model, predictor.checkpoint.preprocessing, shape, predictor.max_size)
        except (OSError, FCNStudioError):
            return None
        return None if held is None else ((held.pool3, held.pool4, held.fc7), held.size)

    def _saved(self, mask_path: str) -> None:
        if self.session is not None and Path(mask_path).is_file():  # an emptied mask is removed
            self.uncertain.dock.mark_labelled(str(self.session.image))
            self.prefetch.want([self.session.image])
        self.fine_tune.labels_changed()

    def flush(self) -> bool:
        """Write pending labels now (before retraining, switching, closing)."""
        return self.session.save(wait=True) if self.session is not None else True

    def shutdown(self) -> None:
        """The window closes: the last stroke is written; a live update or a feature pass in
        progress is dropped, not waited for (its answer would be thrown away anyway)."""
        self._end_session()
        self.live.cancel()
        self.prefetch.cancel()

    # -- workspace signals -----------------------------------------------------------------

    def _image_shown(self, path: str, _rgb) -> None:
        if self.ctx.video_active():
            return
        if self.active and (self.session is None or str(self.session.image) != path):
            self._start_session()
        self.live.reset()
        self._apply_view()

    def _result_shown(self, result: SegmentationResult | None) -> None:
        if self.active and self.session is not None and result is not None and not result.preview:
            self.prefetch.want([self.session.image])  # held already (handed over): a lookup
        if self.active and self.session is not None and result is not None:
            store = self.session.store
            labels = self.state.label_set
            if not store.classes_path.is_file() and not self.session.dirty and labels != result.label_set:
                # nothing saved yet: the folder's classes are the model's, now that it is known
                self.state.set_label_set(store.label_set(default=result.label_set))
        self._update_enabled()

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
        if self.state.live:
            self._live_update()

    def _set_all(self, target: np.ndarray) -> None:
        """Every pixel to ``target``'s value, as one undo step."""
        editor = self.session.editor
        h, w = target.shape
        whole = Box(0, 0, h, w)
        editor.begin_stroke()
        for value in np.unique(target):
            editor.apply(Change(whole, target == value, int(value)))
        editor.end_stroke()
        self.layer.redraw(whole)
        self._stroke_done()

    def start_blank(self) -> None:
        """ "Scribbles": every pixel back to unlabelled (one undo step)."""
        if self.session is not None:
            self._set_all(np.full(self.session.mask.shape, UNLABELLED, np.uint8))

    def start_from_prediction(self) -> None:
        """The model's mask becomes the labels (one undo step): the model's classes are
        matched to the folder's by name (others stay unlabelled); when none of the classes
        predicted here is in the folder's set, the user says what each becomes."""
        pred, result, ours = self._prediction(), self.workspace.current_result, self.state.label_set
        if pred is None or self.session is None or ours is None or result is None:
            return
        key = (result.label_set.classes, ours.classes)
        lut = self._prediction_maps.get(key)
        if lut is None:
            lut = map_by_name(result.label_set, ours)
            present = [int(c) for c in np.unique(pred)]
            if (lut[present] == UNLABELLED).all():
                self._ask_class_map(result.label_set, ours, present, lut)
                return
        self._set_all(lut[pred])

    def _ask_class_map(self, model: LabelSet, ours: LabelSet, present: list[int], lut: np.ndarray) -> None:
        dialog = ClassMapDialog(model, ours, present, lut, self.ctx.host)
        dialog.mapped.connect(lambda table: self._use_class_map((model.classes, ours.classes), table))
        dialog.use_model_classes.connect(lambda: self._use_model_classes(model))
        dialog.finished.connect(self._class_map_closed)
        self.class_map_dialog = dialog
        dialog.open()  # window-modal, without a nested event loop

    def _class_map_closed(self) -> None:
        if self.class_map_dialog is not None:
            self.class_map_dialog.deleteLater()
            self.class_map_dialog = None

    def _use_class_map(self, key: tuple, table: np.ndarray) -> None:
        self._prediction_maps[key] = table  # asked once per pair of label sets
        self.start_from_prediction()

    def _use_model_classes(self, model: LabelSet) -> None:
        session = self.session
        if session is None or not self.classes.confirm_new_meaning(session, self.tr("From prediction")):
            return
        if self.classes.use_label_set(LabelSet(session.store.folder.name, model.classes, model.colors)):
            self.start_from_prediction()

    def undo(self) -> None:
        if self.session is not None:
            self.layer.redraw(self.session.editor.undo())
            self._stroke_done()

    def redo(self) -> None:
        if self.session is not None:
            self.layer.redraw(self.session.editor.redo())
            self._stroke_done()

    # -- what is shown ---------------------------------------------------------------------

    def _apply_view(self, _view=None) -> None:
        view = self.state.view
        self.layer.setVisible(self.active and view != LayerView.PREDICTION)
        self.canvas.set_overlay_visible(not self.active or view != LayerView.LABELS)

    # -- live mode -------------------------------------------------------------------------

    def _live_toggled(self, on: bool) -> None:
        if on:
            self._live_update()
        else:
            self.live.reset()
            self.ctx.overlay.set_result(self.workspace.current_result)

    def _live_update(self) -> None:
        rgb, choice, labels = self.workspace.current_rgb, self.ctx.inference.choice, self.state.label_set
        if not self.active or self.session is None or rgb is None or not choice.model_key or labels is None:
            return
        self.live.stroke_done(
            self.session.image, rgb, self.session.mask, choice.model_key, choice.device, choice.max_size, labels
        )

    def _live_result(self, result: SegmentationResult, seconds: float) -> None:
        if not (self.active and self.state.live):
            return
        self.ctx.overlay.set_result(result)
        self.ctx.legend.set_stats(class_stats(result.labels, result.label_set))
        self.ctx.status.showMessage(
            self.tr("Live prediction updated {s:.2f} s after the stroke").format(s=seconds), 5000
        )
