"""The fine-tune window's options, plots and buttons, built for the dialog (labelme's
small _setup helpers): each widget is kept on the dialog as an attribute, its text in the
dialog's translation context."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QWidget,
)

from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.plot_widget import LinePlot
from fcn_studio.gui.training.machine import table_font


def dataset_box(dialog: QDialog) -> tuple[QHBoxLayout, QGroupBox]:
    """The folder line and the dataset's report beside its editable class names."""
    dialog.folder = QLineEdit()
    dialog.folder.setPlaceholderText(
        QCoreApplication.translate(
            "TrainDialog",
            "Folder with images and masks: a Label mode folder (photos + masks/), VOC, Carvana or images/ + masks/",
        )
    )
    browse = QPushButton(QCoreApplication.translate("TrainDialog", "Choose folder…"))
    browse.clicked.connect(dialog._choose_folder)
    dialog.folder.returnPressed.connect(dialog.scan)
    top = QHBoxLayout()
    top.addWidget(dialog.folder, 1)
    top.addWidget(browse)

    dialog.report_view = QPlainTextEdit()
    dialog.report_view.setReadOnly(True)
    dialog.report_view.setFont(table_font())  # the class table lines up
    dialog.report_view.setMinimumHeight(150)
    dialog.report_view.setPlaceholderText(
        QCoreApplication.translate(
            "TrainDialog", "The dataset report appears here: pairs, classes, and any problem by file name."
        )
    )
    dialog.classes = QTableWidget(0, 1)
    dialog.classes.setHorizontalHeaderLabels([QCoreApplication.translate("TrainDialog", "Class name (editable)")])
    dialog.classes.horizontalHeader().setStretchLastSection(True)
    dialog.classes.verticalHeader().setDefaultSectionSize(dialog.fontMetrics().height() + 8)  # compact rows
    data_box = QGroupBox(QCoreApplication.translate("TrainDialog", "Dataset"))
    data_layout = QHBoxLayout(data_box)
    data_layout.addWidget(dialog.report_view, 3)
    data_layout.addWidget(dialog.classes, 1)

    return top, data_box


def options_box(dialog: QDialog) -> QGroupBox:
    """The run's options, each widget kept on the dialog as an attribute."""
    dialog.base = QComboBox()
    dialog.arch = QComboBox()
    for a in ("fcn8s", "fcn16s", "fcn32s"):
        dialog.arch.addItem(arch_name(a), a)
    dialog.epochs, dialog.batch, dialog.crop, dialog.seed = QSpinBox(), QSpinBox(), QSpinBox(), QSpinBox()
    dialog.epochs.setRange(1, 1000)
    dialog.batch.setRange(1, 64)
    dialog.crop.setRange(32, 1024)
    dialog.crop.setSingleStep(32)
    dialog.seed.setRange(0, 2**31 - 1)
    dialog.lr = QDoubleSpinBox()
    dialog.lr.setDecimals(6)
    dialog.lr.setRange(1e-6, 1.0)
    dialog.lr.setSingleStep(1e-4)
    dialog.optimizer = QComboBox()
    dialog.optimizer.addItems(["adam", "sgd"])
    dialog.val_split = QDoubleSpinBox()
    dialog.val_split.setRange(0.0, 0.9)
    dialog.val_split.setSingleStep(0.05)
    dialog.val_split.setValue(0.2)
    dialog.freeze = QCheckBox(
        QCoreApplication.translate("TrainDialog", "Freeze the backbone (train score layers only; fast on a CPU)")
    )
    dialog.flip = QCheckBox(QCoreApplication.translate("TrainDialog", "Random horizontal flips"))
    dialog.flip.setChecked(True)
    dialog.scale = QCheckBox(QCoreApplication.translate("TrainDialog", "Random scaling 0.75-1.25×"))
    dialog.scale.setChecked(True)
    dialog.amp = QCheckBox(QCoreApplication.translate("TrainDialog", "Mixed precision (CUDA only)"))
    dialog.amp.setChecked(True)
    dialog.freeze.toggled.connect(dialog._follow_freeze)
    dialog.name = QLineEdit("my-fcn")
    form = QFormLayout()
    form.addRow(QCoreApplication.translate("TrainDialog", "Start from"), dialog.base)
    form.addRow(QCoreApplication.translate("TrainDialog", "Architecture"), dialog.arch)
    form.addRow(QCoreApplication.translate("TrainDialog", "Epochs"), dialog.epochs)
    form.addRow(QCoreApplication.translate("TrainDialog", "Batch size"), dialog.batch)
    form.addRow(QCoreApplication.translate("TrainDialog", "Crop size (px)"), dialog.crop)
    form.addRow(QCoreApplication.translate("TrainDialog", "Learning rate"), dialog.lr)
    form.addRow(QCoreApplication.translate("TrainDialog", "Optimizer"), dialog.optimizer)
    form.addRow(QCoreApplication.translate("TrainDialog", "Validation split"), dialog.val_split)
    form.addRow(QCoreApplication.translate("TrainDialog", "Seed"), dialog.seed)
    form.addRow(QCoreApplication.translate("TrainDialog", "Save as (model id)"), dialog.name)
    for box in (dialog.freeze, dialog.flip, dialog.scale, dialog.amp):
        form.addRow(box)
    defaults = QPushButton(QCoreApplication.translate("TrainDialog", "Defaults for this machine"))
    defaults.clicked.connect(dialog._apply_defaults)
    form.addRow(defaults)
    options = QGroupBox(QCoreApplication.translate("TrainDialog", "Options"))
    options.setLayout(form)

    return options


def plots_widget(dialog: QDialog) -> QWidget:
    """Loss and validation mean IoU against epochs, the progress bar and the status line."""
    dialog.loss_plot = LinePlot(QCoreApplication.translate("TrainDialog", "training loss"), "#c0392b")
    dialog.loss_plot.x_label = QCoreApplication.translate("TrainDialog", "epoch")
    dialog.miou_plot = LinePlot(
        QCoreApplication.translate("TrainDialog", "validation mean IoU"), "#2a7ab8", (0.0, 1.0), value_format="{:.1%}"
    )
    dialog.miou_plot.x_label = QCoreApplication.translate("TrainDialog", "epoch")
    dialog.progress = QProgressBar()
    dialog.progress.setRange(0, 1000)
    dialog.status = QLabel(QCoreApplication.translate("TrainDialog", "Choose a folder to begin."))
    dialog.status.setWordWrap(True)
    plots = QWidget()
    plot_layout = QGridLayout(plots)
    plot_layout.addWidget(dialog.loss_plot, 0, 0)
    plot_layout.addWidget(dialog.miou_plot, 1, 0)

    return plots


def button_row(dialog: QDialog) -> QHBoxLayout:
    """Start, Resume, Cancel, Use, Copy command line ... Close, wired to the dialog's slots."""
    dialog.start_button = QPushButton(QCoreApplication.translate("TrainDialog", "Start training"))
    dialog.start_button.setDefault(True)
    dialog.resume_button = QPushButton(QCoreApplication.translate("TrainDialog", "Resume"))
    dialog.resume_button.setToolTip(
        QCoreApplication.translate("TrainDialog", "Continue the cancelled run from its last saved epoch")
    )
    dialog.resume_button.clicked.connect(lambda: dialog.start(resume=True))
    dialog.cancel_button = QPushButton(QCoreApplication.translate("TrainDialog", "Cancel training"))
    dialog.use_button = QPushButton(QCoreApplication.translate("TrainDialog", "Use this model"))
    dialog.copy_button = QPushButton(QCoreApplication.translate("TrainDialog", "Copy command line"))
    close = QPushButton(QCoreApplication.translate("TrainDialog", "Close"))
    dialog.start_button.clicked.connect(dialog.start)
    dialog.cancel_button.clicked.connect(dialog.cancel)
    dialog.use_button.clicked.connect(dialog._use)
    dialog.copy_button.clicked.connect(dialog._copy_command)
    close.clicked.connect(dialog.reject)
    buttons = QHBoxLayout()
    for b in (dialog.start_button, dialog.resume_button, dialog.cancel_button, dialog.use_button, dialog.copy_button):
        buttons.addWidget(b)
    buttons.addStretch(1)
    buttons.addWidget(close)

    return buttons
