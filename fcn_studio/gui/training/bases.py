"""What a fine-tune starts from: the installed models (any version; one stored as a head
over its base says so) and random weights, and the architecture a base brings with it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox

from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.class_names import display_label_set
from fcn_studio.storage import weights


def fill_bases(combo: QComboBox) -> None:
    """The installed models, then random weights; the first installed model is chosen."""
    translate = QCoreApplication.translate
    combo.clear()
    for m in weights.list_weights():
        if not m.installed:
            continue
        if m.base:
            text = translate("TrainDialog", "{id}  ({arch}, {labels}, head over {base})").format(
                id=m.id, arch=arch_name(m.arch), labels=display_label_set(m.labels), base=m.base
            )
        else:
            text = f"{m.id}  ({arch_name(m.arch)}, {display_label_set(m.labels)})"
        combo.addItem(text, m.id)
    combo.addItem(translate("TrainDialog", "random weights (scratch; for testing the pipeline)"), "scratch")
    combo.setCurrentIndex(0)


def follow_base(base: QComboBox, arch: QComboBox) -> None:
    """An FCN base sets the architecture to its own: an FCN-16s base trains an FCN-16s
    unless the user then picks another on purpose."""
    chosen = base.currentData()
    own = next((m.arch for m in weights.list_weights() if m.id == chosen and m.kind == "segmentation"), None)
    index = arch.findData(own) if own else -1
    if index >= 0:
        arch.setCurrentIndex(index)
