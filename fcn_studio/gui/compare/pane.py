"""One pane of the compare view (a model picker, its canvas and readout) and the models
the panes start with."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.results import SegmentationResult

ARCH_ORDER = ("fcn32s", "fcn16s", "fcn8s")


class ComparePane(QWidget):
    model_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.picker = QComboBox()
        self.picker.currentIndexChanged.connect(lambda _i: self.model_changed.emit())
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: bold;")
        self.readout = QLabel("")
        # Long titles and readouts never widen their pane (panes stay equal and do not jump
        # when results arrive); the title has a line of its own, so it does not wrap.
        for label in (self.title, self.readout):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # the picker spans the pane (its own row): "fcn32s_from_caffe · FCN-32s" is read whole
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.setMinimumContentsLength(14)
        self.picker.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._installed: set[str] = set()
        self.canvas = ImageCanvas()
        self.overlay = OverlayLayer(self.canvas)
        self.result: SegmentationResult | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.picker)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.readout)

    @property
    def model_key(self) -> str:
        return self.picker.currentData() or ""

    def fill_models(self, models: list, choice: str) -> None:
        """``models``: weights.list_weights() rows (read once per refresh, not per pane)."""
        self.picker.blockSignals(True)
        self.picker.clear()
        for m in models:
            if m.kind != "segmentation":
                continue
            suffix = "" if m.installed else self.tr("  (not installed)")
            self.picker.addItem(f"{m.id}  ·  {arch_name(m.arch)}{suffix}", m.id)
        index = self.picker.findData(choice)
        self.picker.setCurrentIndex(max(index, 0))
        self.picker.blockSignals(False)
        self._installed = {m.id for m in models if m.installed and m.kind == "segmentation"}

    def installed(self) -> bool:
        return self.model_key in self._installed


def default_choices(models: list, remembered: list[str]) -> list[str]:
    """One model id per pane: the remembered pick where still installed, else an installed
    model of the pane's architecture (32s, 16s, 8s, ...), else the published one to download."""
    installed = [m for m in models if m.installed and m.kind == "segmentation"]
    ids = {m.id for m in installed}
    choices = []
    for i in range(4):
        if i < len(remembered) and remembered[i] in ids:
            choices.append(remembered[i])
            continue
        arch = ARCH_ORDER[i % len(ARCH_ORDER)]
        preferred = f"{arch}-voc"
        same_arch = [m.id for m in installed if m.arch == arch and m.id not in choices]
        unused = [m.id for m in installed if m.id not in choices]
        if preferred in ids and preferred not in choices:
            choices.append(preferred)
        elif same_arch:
            choices.append(same_arch[0])
        elif i >= len(ARCH_ORDER) and (unused or installed):  # a 4th pane: another installed model
            choices.append((unused or [m.id for m in installed])[0])
        else:
            choices.append(preferred)
    return choices
