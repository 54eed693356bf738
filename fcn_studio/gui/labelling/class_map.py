""" "From prediction" across label sets: the model's classes are matched to the folder's by
name; when none of the predicted classes is in the folder's set, the user maps them (or
takes the model's classes as the folder's), instead of getting nothing, silently."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout

from fcn_studio.data.labels import LabelSet
from fcn_studio.gui.shared.class_names import display_name
from fcn_studio.gui.shared.legend import swatch
from fcn_studio.labelling.label_store import UNLABELLED


def map_by_name(model: LabelSet, ours: LabelSet) -> np.ndarray:
    """A 256-entry table: model class id -> the folder's class of the same name, else unlabelled."""
    index = {name: i for i, name in enumerate(ours.classes)}
    lut = np.full(256, UNLABELLED, np.uint8)
    for i, name in enumerate(model.classes[:255]):
        lut[i] = index.get(name, UNLABELLED)
    return lut


class ClassMapDialog(QDialog):
    """One row per class the model predicts on this image: which of the folder's classes it
    becomes (or unlabelled). ``mapped(lut)`` on OK; ``use_model_classes()`` when the user
    takes the model's classes as the folder's instead."""

    mapped = Signal(object)  # np.ndarray, 256 entries
    use_model_classes = Signal()

    def __init__(self, model: LabelSet, ours: LabelSet, present: list[int], lut: np.ndarray, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("From prediction"))
        self.setObjectName("classMapDialog")
        self._lut = lut.copy()
        layout = QVBoxLayout(self)
        note = QLabel(
            self.tr(
                "None of the classes the model predicts here is in this folder's label set. "
                "Choose what each becomes, or use the model's classes for this folder."
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.combos: dict[int, QComboBox] = {}
        for cid in present:
            combo = QComboBox()
            combo.addItem(self.tr("unlabelled"), int(UNLABELLED))
            for our_id, (name, color) in enumerate(zip(ours.classes, ours.colors, strict=True)):
                combo.addItem(swatch(tuple(color)), f"{our_id}  {display_name(name)}", our_id)
            combo.setCurrentIndex(max(combo.findData(int(lut[cid])), 0))
            self.combos[cid] = combo
            form.addRow(display_name(model.name_of(cid)), combo)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.use_model_button = QPushButton(self.tr("Use the model's classes"))
        buttons.addButton(self.use_model_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.use_model_button.clicked.connect(self._use_model)
        layout.addWidget(buttons)

    def accept(self) -> None:
        for cid, combo in self.combos.items():
            self._lut[cid] = combo.currentData()
        super().accept()
        self.mapped.emit(self._lut)

    def _use_model(self) -> None:
        super().accept()
        self.use_model_classes.emit()
