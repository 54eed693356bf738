""" "Next uncertain image": the folder's unlabelled images ranked by the model's mean
uncertainty (1 - confidence), on a worker thread, shown in a dock with their scores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.context import LabelContext
from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.inference.model_service import ModelService
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.uncertainty import RankedImage, rank_unlabelled  # no torch until it runs


def start_ranking(
    service: ModelService,
    folder: Path,
    model_key: str,
    device: str,
    max_size: int,
    runner: TaskRunner | None = None,
    cache: Callable[[], object] | None = None,
) -> BackgroundTask:
    """A started task whose ``succeeded`` carries the list of :class:`RankedImage`; with
    ``cache`` (the feature cache), images whose features are held cost the head alone."""

    def run(progress, cancelled) -> list[RankedImage]:
        use_background_threads()
        predictor = service.predictor(model_key, device, max_size=max_size)
        store = cache().store_for(max_size) if cache is not None else None
        return rank_unlabelled(predictor, folder, progress=progress, cancelled=cancelled, features=store)

    return BackgroundTask(run, None).start(runner)


class UncertaintyDock(QDockWidget):
    """The ranking, most uncertain first; a double-click opens an image."""

    open_requested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("UncertaintyDock", "Uncertain images"), parent)
        self.setObjectName("uncertainImages")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.note = QLabel(self.tr("Unlabelled images, most uncertain first (mean of 1 − confidence)."))
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Image"), self.tr("Uncertainty")])
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemDoubleClicked.connect(
            lambda item, _c: self.open_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        layout.addWidget(self.tree)
        self.setWidget(body)
        self.ranking: list[RankedImage] = []

    def set_ranking(self, ranking: list[RankedImage]) -> None:
        self.ranking = list(ranking)
        self.tree.clear()
        for r in ranking:
            item = QTreeWidgetItem([r.image.name, f"{r.uncertainty:.3f}"])
            item.setData(0, Qt.ItemDataRole.UserRole, str(r.image))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        if not ranking:
            self.note.setText(self.tr("Every image of this folder has labels."))
        else:
            self.note.setText(self.tr("Unlabelled images, most uncertain first (mean of 1 − confidence)."))

    def mark_labelled(self, image: str) -> None:
        """An image got labels: it leaves the ranking."""
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == image:
                self.tree.takeTopLevelItem(i)
                break
        self.ranking = [r for r in self.ranking if str(r.image) != image]


class NextUncertain(QObject):
    """ "Next uncertain image" (N): ranks the folder once per model, device and size, then
    opens the most uncertain image still unlabelled; the ranking shows in a dock tabbed
    beside the legend. ``finished()`` when a ranking run ends."""

    finished = Signal()

    def __init__(
        self,
        ctx: LabelContext,
        folder: Callable[[], Path | None],
        store: Callable[[Path], LabelStore],
        flush: Callable[[], bool],
        cache: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(ctx.host)
        self.ctx, self._folder, self._store, self._flush, self._cache = ctx, folder, store, flush, cache
        self.dock = UncertaintyDock(ctx.host)
        self.dock.hide()
        ctx.host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self._tabbed = False  # tabified when first shown: a hidden tabified dock leaves a
        # stray tab bar over the menu bar (seen under Xvfb)
        self.task: BackgroundTask | None = None
        self._ranked_for: tuple | None = None  # (folder, model identity, device, size) of the ranking
        self.dock.open_requested.connect(self.open_image)

    def can_run(self) -> bool:
        return bool(self.ctx.inference.model_key) and self.task is None and self._folder() is not None

    def next(self) -> None:
        folder, inf = self._folder(), self.ctx.inference
        if folder is None or not inf.model_key or self.task is not None:
            return
        self._flush()
        if not self._tabbed:
            self._tabbed = True
            self.ctx.host.tabifyDockWidget(self.ctx.legend, self.dock)  # a tab beside the legend
        self.dock.show()
        self.dock.raise_()
        if self._open_next_ranked(folder):
            return  # the ranking by this model is still valid: no need to segment the folder again
        status = self.ctx.status
        status.showMessage(self.tr("Ranking the unlabelled images of {folder}…").format(folder=folder.name))
        self._ranked_for = self._ranking_key(folder)
        task = start_ranking(
            self.ctx.service, folder, inf.model_key, inf.device, inf.max_size, self.ctx.runner, self._cache
        )
        task.worker.progress.connect(
            lambda done, total, note: status.showMessage(
                self.tr("Ranking {done}/{total}: {note}").format(done=done, total=total, note=note)
            )
        )
        task.succeeded.connect(self._ranked)
        task.failed.connect(self.ctx.show_error)
        task.finished.connect(self._finished)
        self.task = task

    def _ranking_key(self, folder: Path) -> tuple:
        inf = self.ctx.inference
        try:
            identity = self.ctx.service.identity(inf.model_key)
        except FCNStudioError:
            identity = None
        return (folder.resolve(), identity, inf.device, inf.max_size)

    def _open_next_ranked(self, folder: Path) -> bool:
        """Open the most uncertain image of the last ranking that is still unlabelled and
        not the one on screen; False when the ranking is stale or used up."""
        if not self.dock.ranking or self._ranked_for != self._ranking_key(folder):
            return False
        store, current = self._store(folder), self.ctx.workspace.current_path
        for ranked in self.dock.ranking:
            if store.has_mask(ranked.image):
                self.dock.mark_labelled(str(ranked.image))
            elif current is None or ranked.image.resolve() != current.resolve():
                self.open_image(str(ranked.image))
                return True
        return False

    def _ranked(self, ranking) -> None:
        self.dock.set_ranking(ranking)
        self.ctx.status.clearMessage()
        if ranking:
            self.open_image(str(ranking[0].image))
        else:
            self.ctx.status.showMessage(self.tr("Every image of this folder has labels."), 5000)

    def _finished(self) -> None:
        self.task = None
        self.finished.emit()

    def open_image(self, path: str) -> None:
        ws, target = self.ctx.workspace, Path(path).resolve()
        files = [p.resolve() for p in ws.files]
        if target in files:
            ws.go_to(files.index(target))
        else:
            ws.open_paths([target])
