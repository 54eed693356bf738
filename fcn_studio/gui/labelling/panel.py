"""The Label panel: how to start an image, the classes (pick, add, rename, recolour), what
is shown, and the retraining controls (fine-tune, live mode, versions, scores)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from fcn_studio.data.labels import LabelSet
from fcn_studio.gui.labelling.round_offer import RoundOffer
from fcn_studio.gui.shared.class_names import display_name
from fcn_studio.gui.shared.legend import swatch


class LayerView:
    """What the canvas shows in Label mode (the combo's data)."""

    BOTH = "both"
    LABELS = "labels"
    PREDICTION = "prediction"


class LabelPanel(QDockWidget):
    class_picked = Signal(int)
    start_blank = Signal()
    start_from_prediction = Signal()
    add_class = Signal()
    rename_class = Signal(int)
    recolour_class = Signal(int)
    new_label_set = Signal()
    layer_view_changed = Signal(str)
    fill_source_changed = Signal(str)
    radius_changed = Signal(int)
    version_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("LabelPanel", "Labels"), parent)
        self.setObjectName("labelPanel")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)

        start = QGroupBox(self.tr("Start this image"))
        row = QHBoxLayout(start)
        self.blank_button = QPushButton(self.tr("Scribbles"))
        self.blank_button.setToolTip(self.tr("Everything unlabelled: paint a few strokes per class"))
        self.prediction_button = QPushButton(self.tr("From prediction"))
        self.prediction_button.setToolTip(self.tr("The model's mask becomes the labels: fix the wrong regions"))
        row.addWidget(self.blank_button)
        row.addWidget(self.prediction_button)
        layout.addWidget(start)

        classes = QGroupBox(self.tr("Classes (keys 1–9)"))
        grid = QVBoxLayout(classes)
        self.active = QLabel("")
        self.active.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.active)
        self.classes = QListWidget()
        self.classes.setMinimumHeight(110)
        grid.addWidget(self.classes)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add…"))
        self.rename_button = QPushButton(self.tr("Rename…"))
        self.recolour_button = QPushButton(self.tr("Colour…"))
        self.new_set_button = QPushButton(self.tr("New set…"))
        self.new_set_button.setToolTip(self.tr("A label set of its own for this folder, e.g. background, crack, rust"))
        for b in (self.add_button, self.rename_button, self.recolour_button, self.new_set_button):
            buttons.addWidget(b)
        grid.addLayout(buttons)
        layout.addWidget(classes)

        tools = QGroupBox(self.tr("Tools"))
        form = QGridLayout(tools)
        form.addWidget(QLabel(self.tr("Brush radius")), 0, 0)
        self.radius = QSlider(Qt.Orientation.Horizontal)
        self.radius.setRange(0, 100)
        self.radius.setToolTip(self.tr("Brush and eraser radius in image pixels ([ and ])"))
        form.addWidget(self.radius, 0, 1)
        self.radius_label = QLabel("")
        self.radius_label.setMinimumWidth(48)
        form.addWidget(self.radius_label, 0, 2)
        form.addWidget(QLabel(self.tr("Fill")), 1, 0)
        self.fill_source = QComboBox()
        self.fill_source.addItem(self.tr("a region of the labels"), "labels")
        self.fill_source.addItem(self.tr("a region of the prediction"), "prediction")
        form.addWidget(self.fill_source, 1, 1, 1, 2)
        form.addWidget(QLabel(self.tr("Show")), 2, 0)
        self.layer_view = QComboBox()
        self.layer_view.addItem(self.tr("Labels and prediction"), LayerView.BOTH)
        self.layer_view.addItem(self.tr("Labels"), LayerView.LABELS)
        self.layer_view.addItem(self.tr("Prediction"), LayerView.PREDICTION)
        form.addWidget(self.layer_view, 2, 1, 1, 2)
        layout.addWidget(tools)

        training = QGroupBox(self.tr("Fine-tune"))
        box = QVBoxLayout(training)
        self.retrain_button = QPushButton(self.tr("Fine-tune on my labels"))
        box.addWidget(self.retrain_button)
        self.live = QCheckBox(self.tr("Live: update the prediction after each stroke"))
        box.addWidget(self.live)
        versions = QHBoxLayout()
        versions.addWidget(QLabel(self.tr("Version")))
        self.versions = QComboBox()
        self.versions.setToolTip(self.tr("Go back to any earlier version of this model"))
        versions.addWidget(self.versions, 1)
        box.addLayout(versions)
        self.scores = QLabel(self.tr("No fine-tuning yet."))
        self.scores.setWordWrap(True)
        box.addWidget(self.scores)
        self.offer = RoundOffer()  # a kept, worse version: one click uses it anyway (headtrain)
        box.addWidget(self.offer)
        layout.addWidget(training)
        layout.addStretch(1)
        scroll = QScrollArea()  # shares the dock area with the legend without overlapping
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(body.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        self.setWidget(scroll)

        for button in body.findChildren(QPushButton):
            # never pressed by Space, which pans the canvas in Label mode
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.classes.currentRowChanged.connect(lambda row: row >= 0 and self.class_picked.emit(row))
        self.classes.itemDoubleClicked.connect(lambda _item: self.rename_class.emit(self.classes.currentRow()))
        self.blank_button.clicked.connect(self.start_blank)
        self.prediction_button.clicked.connect(self.start_from_prediction)
        self.add_button.clicked.connect(self.add_class)
        self.rename_button.clicked.connect(lambda: self.rename_class.emit(self.classes.currentRow()))
        self.recolour_button.clicked.connect(lambda: self.recolour_class.emit(self.classes.currentRow()))
        self.new_set_button.clicked.connect(self.new_label_set)
        self.layer_view.currentIndexChanged.connect(
            lambda _i: self.layer_view_changed.emit(self.layer_view.currentData())
        )
        self.fill_source.currentIndexChanged.connect(
            lambda _i: self.fill_source_changed.emit(self.fill_source.currentData())
        )
        self.radius.valueChanged.connect(self.radius_changed)
        self.versions.activated.connect(lambda _i: self.version_chosen.emit(self.versions.currentData() or ""))

    def set_classes(self, labels: LabelSet, active: int) -> None:
        self.classes.blockSignals(True)
        self.classes.clear()
        for cid, (name, color) in enumerate(zip(labels.classes, labels.colors, strict=True)):
            key = f"  [{cid + 1}]" if cid < 9 else ""  # the number key that picks it
            item = QListWidgetItem(swatch(tuple(color)), f"{cid:>3}  {display_name(name)}{key}")
            self.classes.addItem(item)
        self.classes.blockSignals(False)
        self.set_active(labels, active)

    def set_active(self, labels: LabelSet, active: int) -> None:
        self.classes.blockSignals(True)
        self.classes.setCurrentRow(active)
        self.classes.blockSignals(False)
        name = display_name(labels.classes[active]) if 0 <= active < labels.num_classes else ""
        self.active.setText(self.tr("Painting: {name}").format(name=name))

    def set_radius(self, radius: float) -> None:
        self.radius.blockSignals(True)
        if radius > self.radius.maximum():
            self.radius.setMaximum(int(radius))
        self.radius.setValue(round(radius))
        self.radius.blockSignals(False)
        self.radius_label.setText(self.tr("{r} px").format(r=round(radius)))

    def set_training(self, running: bool) -> None:
        """While a round runs, the button cancels it."""
        self.retrain_button.setText(self.tr("Cancel fine-tuning") if running else self.tr("Fine-tune on my labels"))

    def set_versions(self, versions: list[tuple[str, str]], current: str) -> None:
        """(id, text) pairs, oldest first; ``current`` selected."""
        self.versions.blockSignals(True)
        self.versions.clear()
        for model_id, text in versions:
            self.versions.addItem(text, model_id)
        index = self.versions.findData(current)
        self.versions.setCurrentIndex(index)
        self.versions.setEnabled(self.versions.count() > 1)
        self.versions.blockSignals(False)
