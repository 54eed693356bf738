""" "Next uncertain image": the folder's unlabelled images ranked by the model's mean
uncertainty (1 - confidence), on a worker thread, shown in a dock with their scores."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.inference.model_service import ModelService
from fcn_studio.labelling.uncertainty import RankedImage, rank_unlabelled  # no torch until it runs


def start_ranking(service: ModelService, folder: Path, model_key: str, device: str, max_size: int) -> BackgroundTask:
    """A started task whose ``succeeded`` carries the list of :class:`RankedImage`."""

    def run(progress, cancelled) -> list[RankedImage]:
        use_background_threads()
        predictor = service.predictor(model_key, device, max_size=max_size)
        return rank_unlabelled(predictor, folder, progress=progress, cancelled=cancelled)

    return BackgroundTask(run, None).start()


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
