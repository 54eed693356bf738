"""The Label panel: how to start an image, the classes (pick, add, rename, recolour), what
is shown, and the retraining controls (fine-tune, live mode, versions, scores)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
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
from fcn_studio.gui.labelling.retrain import version_text
from fcn_studio.gui.labelling.round_offer import RoundOffer
from fcn_studio.gui.shared.class_names import display_name
from fcn_studio.gui.shared.legend import swatch
from fcn_studio.state.label_tools import FillSource, LabelState, LayerView
from fcn_studio.state.versions_list import VersionsList

CLASS_KEYS = 10  # keys 0-9 pick classes 0-9: the key reads as the class number


class LabelPanel(QDockWidget):
    """The panel's commands are its signals; the tool settings it shows (class, radius,
    fill source, view, live) are a binding of the :class:`LabelState` (see :meth:`bind`)."""

    start_blank = Signal()
    start_from_prediction = Signal()
    add_class = Signal()
    rename_class = Signal(int)
    recolour_class = Signal(int)
    new_label_set = Signal()
    version_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("LabelPanel", "Labels"), parent)
        self.setObjectName("labelPanel")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._start_box())
        layout.addWidget(self._classes_box(), 1)  # the class list takes the height left over
        layout.addWidget(self._tools_box())
        layout.addWidget(self._training_box())
        scroll = QScrollArea()  # on a small screen it scrolls rather than squeezing the controls
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(body.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        self.setWidget(scroll)
        self._state: LabelState | None = None
        self._versions: VersionsList | None = None
        for button in body.findChildren(QPushButton):
            # never pressed by Space, which pans the canvas in Label mode
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.classes.itemDoubleClicked.connect(lambda _item: self.rename_class.emit(self.classes.currentRow()))
        self.blank_button.clicked.connect(self.start_blank)
        self.prediction_button.clicked.connect(self.start_from_prediction)
        self.add_button.clicked.connect(self.add_class)
        self.rename_button.clicked.connect(lambda: self.rename_class.emit(self.classes.currentRow()))
        self.recolour_button.clicked.connect(lambda: self.recolour_class.emit(self.classes.currentRow()))
        self.new_set_button.clicked.connect(self.new_label_set)
        self.versions.activated.connect(lambda _i: self.version_chosen.emit(self.versions.currentData() or ""))

    def _start_box(self) -> QGroupBox:
        start = QGroupBox(self.tr("Start this image"))
        row = QHBoxLayout(start)
        self.blank_button = QPushButton(self.tr("Scribbles"))
        self.blank_button.setToolTip(self.tr("Everything unlabelled: paint a few strokes per class"))
        self.prediction_button = QPushButton(self.tr("From prediction"))
        self.prediction_button.setToolTip(self.tr("The model's mask becomes the labels: fix the wrong regions"))
        row.addWidget(self.blank_button)
        row.addWidget(self.prediction_button)
        return start

    def _classes_box(self) -> QGroupBox:
        classes = QGroupBox(self.tr("Classes (keys 0–9)"))
        grid = QVBoxLayout(classes)
        self.active = QLabel("")
        self.active.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.active)
        self.classes = _ClassList()
        grid.addWidget(self.classes)
        buttons = QGridLayout()  # two by two: the panel stays narrow beside the canvas
        self.add_button = QPushButton(self.tr("Add…"))
        self.rename_button = QPushButton(self.tr("Rename…"))
        self.recolour_button = QPushButton(self.tr("Colour…"))
        self.new_set_button = QPushButton(self.tr("New set…"))
        self.new_set_button.setToolTip(self.tr("A label set of its own for this folder, e.g. background, crack, rust"))
        for i, b in enumerate((self.add_button, self.rename_button, self.recolour_button, self.new_set_button)):
            buttons.addWidget(b, i // 2, i % 2)
        grid.addLayout(buttons)
        return classes

    def _tools_box(self) -> QGroupBox:
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
        self.fill_source.addItem(self.tr("a region of the labels"), FillSource.LABELS)
        self.fill_source.addItem(self.tr("a region of the prediction"), FillSource.PREDICTION)
        form.addWidget(self.fill_source, 1, 1, 1, 2)
        form.addWidget(QLabel(self.tr("Show")), 2, 0)
        self.layer_view = QComboBox()
        self.layer_view.addItem(self.tr("Labels and prediction"), LayerView.BOTH)
        self.layer_view.addItem(self.tr("Labels"), LayerView.LABELS)
        self.layer_view.addItem(self.tr("Prediction"), LayerView.PREDICTION)
        form.addWidget(self.layer_view, 2, 1, 1, 2)
        return tools

    def _training_box(self) -> QGroupBox:
        training = QGroupBox(self.tr("Fine-tune"))
        box = QVBoxLayout(training)
        self.retrain_button = QPushButton(self.tr("Fine-tune on my labels"))
        box.addWidget(self.retrain_button)
        self.live = QCheckBox(self.tr("Live: update after each stroke"))
        self.live.setToolTip(self.tr("After each stroke, a quick update of the prediction"))
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
        return training

    # -- binding -----------------------------------------------------------------------

    def bind(self, state: LabelState) -> None:
        """Show ``state`` and write the user's choices to it (it alone decides)."""
        self._state = state
        self.classes.currentRowChanged.connect(lambda row: row >= 0 and state.set_class(row))
        self.radius.valueChanged.connect(state.set_radius)
        self.fill_source.currentIndexChanged.connect(lambda _i: state.set_fill_source(self.fill_source.currentData()))
        self.layer_view.currentIndexChanged.connect(lambda _i: state.set_view(self.layer_view.currentData()))
        self.live.toggled.connect(state.set_live)
        state.label_set_changed.connect(self._show_classes)
        state.class_changed.connect(self._show_active)
        state.radius_changed.connect(self._show_radius)
        state.fill_source_changed.connect(lambda s: _select(self.fill_source, s))
        state.view_changed.connect(lambda v: _select(self.layer_view, v))
        state.live_changed.connect(lambda on: self.live.setChecked(on))  # a Qt builtin shows psygnal no signature
        self._show_classes(state.label_set)
        self._show_radius(state.radius)
        _select(self.fill_source, state.fill_source)
        _select(self.layer_view, state.view)
        self.live.setChecked(state.live)

    def _show_classes(self, labels: LabelSet | None) -> None:
        self.classes.blockSignals(True)
        self.classes.clear()
        for cid, (name, color) in enumerate(zip(labels.classes, labels.colors, strict=True) if labels else ()):
            # the number is both the class id and, up to 9, the key that picks it
            self.classes.addItem(QListWidgetItem(swatch(tuple(color)), f"{cid:>3}   {display_name(name)}"))
        self.classes.blockSignals(False)
        self._show_active(self._state.class_id)

    def _show_active(self, active: int) -> None:
        labels = self._state.label_set
        self.classes.blockSignals(True)
        self.classes.setCurrentRow(active if labels is not None and active < labels.num_classes else -1)
        self.classes.blockSignals(False)
        if self.classes.currentItem() is not None:
            self.classes.scrollToItem(self.classes.currentItem())  # picked by its key: in sight
        name = display_name(labels.classes[active]) if labels is not None and 0 <= active < labels.num_classes else ""
        self.active.setText(self.tr("Painting: {id} {name}").format(id=active, name=name) if name else "")

    def _show_radius(self, radius: float) -> None:
        self.radius.blockSignals(True)
        if radius > self.radius.maximum():
            self.radius.setMaximum(int(radius))
        self.radius.setValue(round(radius))
        self.radius.blockSignals(False)
        self.radius_label.setText(self.tr("{r} px").format(r=round(radius)))

    def set_training(self, running: bool) -> None:
        """While a round runs, the button cancels it."""
        self.retrain_button.setText(self.tr("Cancel fine-tuning") if running else self.tr("Fine-tune on my labels"))

    def bind_versions(self, versions: VersionsList) -> None:
        """The Version box shows ``versions`` (the user's pick is ``version_chosen``)."""
        self._versions = versions
        versions.changed.connect(lambda _entries: self._show_versions())
        self._show_versions()

    def _show_versions(self) -> None:
        """Every version, oldest first, the active one selected."""
        model = self._versions
        self.versions.blockSignals(True)
        self.versions.clear()
        for entry in model.entries:
            self.versions.addItem(version_text(entry), entry.id)
        self.versions.setCurrentIndex(self.versions.findData(model.active))
        self.versions.setEnabled(self.versions.count() > 1)
        self.versions.blockSignals(False)


class _ClassList(QListWidget):
    """Asks for a few rows only: the panel lays itself out at its preferred height (its
    word-wrapped lines make it do so), and the list takes whatever height is left over,
    so the panel fits a small window instead of scrolling."""

    ROWS_HEIGHT = 110

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(self.ROWS_HEIGHT)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.ROWS_HEIGHT)


def _select(combo: QComboBox, data) -> None:
    """Show the entry whose data is ``data`` (its signal then finds nothing changed)."""
    index = combo.findData(data)
    if index >= 0 and index != combo.currentIndex():
        combo.setCurrentIndex(index)
