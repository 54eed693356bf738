"""Label mode's fine-tune controls: a round on the folder's labels (the button cancels a
round in progress), its progress in the status bar, the versions box, and a line that
always says which version is in use and how it scored.

That line follows the version in use, not the last event: right after a round it gives
the round's scores; after going back to another version, or after a restart, it describes
that version from what was recorded when it was trained.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.actions import LabelActions
from fcn_studio.gui.labelling.context import LabelContext
from fcn_studio.gui.labelling.panel import LabelPanel
from fcn_studio.gui.labelling.retrain import PROGRESS_STEPS, scores_text, start_retrain
from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.labelling.versions import ModelVersion, choose_version, family_for, list_versions
from fcn_studio.messages import fill
from fcn_studio.state.versions_list import VersionsList

REMEASURE_DELAY_MS = 3000  # after the last saved stroke: one re-measurement, not one per stroke


class FineTuneControl(QObject):
    def __init__(
        self,
        ctx: LabelContext,
        panel: LabelPanel,
        actions: LabelActions,
        folder: Callable[[], Path | None],
        flush: Callable[[], bool],
        cache: Callable[[], object],
    ) -> None:
        super().__init__(panel)
        self.ctx, self.panel, self.actions = ctx, panel, actions
        self._folder, self._flush, self._cache = folder, flush, cache
        self._train_config = None  # made on first use: the head trainer imports torch
        self.task: BackgroundTask | None = None
        self.last_round = None
        self._round_text: tuple[str, str] | None = None  # (model in use after the round, its scores)
        # the versions over the base, each with its figure on the folder's current labels
        # (all on the same pixels, re-measured in the background after a round and when
        # labels change), and the active one: the panel's Version box shows it
        self.versions = VersionsList()
        self._stale = False  # labels saved since the figures were measured
        panel.bind_versions(self.versions)
        self.figures_task: BackgroundTask | None = None
        self._remeasure = QTimer(self, singleShot=True, interval=REMEASURE_DELAY_MS)
        self._remeasure.timeout.connect(self.measure_figures)
        actions.retrain.triggered.connect(self.retrain)
        panel.retrain_button.clicked.connect(self.retrain)
        panel.version_chosen.connect(self.choose_version)
        panel.offer.use_version.connect(self.choose_version)  # "Use v4 anyway" (round_offer.py)
        panel.offer.bind(ctx.settings)

    @property
    def figures(self) -> dict:
        """Version id -> its figure on the folder's current labels (ScoreSummary)."""
        return self.versions.figures

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

    def update_enabled(self) -> None:
        can = self.task is not None or (bool(self.ctx.inference.model_key) and self._folder() is not None)
        self.actions.retrain.setEnabled(can)
        self.panel.retrain_button.setEnabled(can)

    # -- a round ---------------------------------------------------------------------------

    def retrain(self) -> None:
        folder, inf, status = self._folder(), self.ctx.inference, self.ctx.status
        if self.task is not None:  # the same button cancels a round in progress
            self.task.cancel()
            return
        if folder is None or not inf.model_key or not self._flush():
            return
        if self.figures_task is not None:  # a round measures its two on the same pixels itself
            self.figures_task.cancel()
        self._remeasure.stop()
        status.showMessage(self.tr("Fine-tuning on the labels of {folder}…").format(folder=folder.name))
        task = start_retrain(
            folder,
            inf.model_key,
            inf.device,
            inf.max_size,
            self.ctx.service,
            self._cache(),
            self.train_config,
            self.panel.offer.switch,
            self.ctx.runner,
        )
        task.worker.progress.connect(self._progress)
        task.succeeded.connect(self._retrained)
        task.failed.connect(self.ctx.show_error)
        task.cancelled.connect(lambda _m: status.showMessage(self.tr("Fine-tuning cancelled"), 5000))
        task.finished.connect(self._finished)
        self.task = task
        self.panel.set_training(True)
        self.update_enabled()

    def _progress(self, done: int, _total: int, note: str) -> None:
        self.ctx.status.showMessage(
            self.tr("Fine-tuning {pct:.0f} %: {note}").format(pct=100 * done / PROGRESS_STEPS, note=note)
        )

    def _retrained(self, result) -> None:
        self.last_round = result
        self._stale = False
        self.versions.set_figures({result.compared_with: result.before, result.version.id: result.after})
        text = scores_text(result) + " " + features_text(self._cache())
        self.panel.offer.show_round(result)  # a kept, worse version: offered, one click away
        self.ctx.status.showMessage(text, 15_000)
        if result.made_current:  # the round's one decision: every view follows it
            self.ctx.use_model(result.version.id)
        self._round_text = (self.ctx.inference.model_key, text)
        self.refresh()

    def _finished(self) -> None:
        self.task = None
        self.panel.set_training(False)
        self.update_enabled()
        self.measure_figures()  # the other versions, on the same pixels as the round's two

    # -- every version on the same pixels ----------------------------------------------------

    def labels_changed(self) -> None:
        """Labels were saved: the listed figures rest on old pixels; measure again soon (they
        stay listed until the new ones replace them: no flicker after every stroke)."""
        self._stale = True
        self._remeasure.start()

    def measure_figures(self) -> None:
        folder, inf = self._folder(), self.ctx.inference
        if folder is None or not inf.model_key or self.task is not None:
            return
        if self.figures_task is not None:
            self.figures_task.cancel()
        request = self._request(folder)
        service, cache = self.ctx.service, self._cache()

        def run(_progress, cancelled):
            from fcn_studio.application.version_figures import measure_versions

            use_background_threads()
            return measure_versions(request, service, cache, cancelled)

        task = BackgroundTask(run, None)
        task.succeeded.connect(self._measured)
        task.failed.connect(lambda _message: self._not_measured())
        task.finished.connect(lambda t=task: self._figures_done(t))
        self.figures_task = task.start(self.ctx.runner)

    def _request(self, folder: Path):
        from dataclasses import replace

        from fcn_studio.application.retrain_round import RoundRequest

        inf = self.ctx.inference
        config = replace(self.train_config, device=inf.device, max_size=inf.max_size)
        return RoundRequest(folder, inf.model_key, inf.device, self.panel.offer.switch, config)

    def _measured(self, figures: dict) -> None:
        self._stale = False
        self.versions.set_figures(figures)
        self.refresh()

    def _not_measured(self) -> None:
        """No labels yet, or no base: figures resting on old labels go (the list shows
        what was recorded at training); a round's own two stay."""
        if self._stale:
            self._stale = False
            self.versions.clear_figures()

    def _figures_done(self, task) -> None:
        if self.figures_task is task:
            self.figures_task = None

    # -- versions --------------------------------------------------------------------------

    def refresh(self) -> None:
        """The versions box and the line under it, for the model in use now."""
        model_key = self.ctx.inference.model_key
        self.versions.show(model_key)
        if self._round_text is not None and self._round_text[0] == model_key:
            self.panel.scores.setText(self._round_text[1])
        else:
            self.panel.scores.setText(version_status(model_key))
        self.update_enabled()

    def choose_version(self, model_id: str) -> None:
        """Go back (or forward) to any installed version: it becomes current everywhere."""
        if not model_id:
            return
        try:
            choose_version(family_for(model_id), model_id)
        except FCNStudioError as exc:
            self.ctx.show_error(str(exc))
            return
        self.ctx.use_model(model_id)
        self.refresh()


def features_text(cache) -> str:
    """What the features the rounds train on take in memory, and the cap they stay under."""
    template = QCoreApplication.translate(
        "FineTuneControl", "Features held for {n} {n:image|images}: {mb} MB (at most {cap} MB; the oldest leave first)."
    )
    return fill(
        template, n=cache.held_count, mb=f"{cache.memory_used / 2**20:,.0f}", cap=f"{cache.memory_bytes / 2**20:,.0f}"
    )


def version_status(model_key: str) -> str:
    """Which version is in use and what its fine-tuning scored, as recorded at the time."""
    translate = QCoreApplication.translate
    version, count = _find_version(model_key)
    if version is None or count < 2:
        return translate("FineTuneControl", "No fine-tuning yet.")
    if version.version == 1:
        return translate("FineTuneControl", "In use: {version}, the base model.").format(version=version.id)
    miou = version.metrics.get("mean_iou")
    if isinstance(miou, int | float):
        return translate(
            "FineTuneControl", "In use: {version}, held-out mean IoU {miou:.1f} % when it was trained."
        ).format(version=version.id, miou=100 * miou)
    return translate("FineTuneControl", "In use: {version} (no held-out score recorded).").format(version=version.id)


def _find_version(model_key: str) -> tuple[ModelVersion | None, int]:
    """``model_key``'s version record and how many versions its family has."""
    if not model_key:
        return None, 0
    try:
        versions = list_versions(family_for(model_key))
    except FCNStudioError:
        return None, 0
    return next((v for v in versions if v.id == model_key), None), len(versions)
