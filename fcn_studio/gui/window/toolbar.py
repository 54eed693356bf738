"""The window's two toolbars: files and the inference choice on the first row, the
overlay on the second (so nothing is pushed into an overflow menu)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QSlider, QToolBar

from fcn_studio.gui.actions import Actions
from fcn_studio.gui.models.model_picker import DevicePicker, ModelPicker, SizePicker

translate = QCoreApplication.translate


@dataclass
class Toolbar:
    models: ModelPicker
    devices: DevicePicker
    sizes: SizePicker
    opacity: QSlider
    opacity_label: QLabel


def _bar(win: QMainWindow, title: str, name: str) -> QToolBar:
    bar = QToolBar(title, win)
    bar.setObjectName(name)
    bar.setMovable(False)
    win.addToolBar(bar)
    return bar


def build_toolbar(win: QMainWindow, a: Actions) -> Toolbar:
    main = _bar(win, translate("MainWindow", "Main"), "mainToolbar")
    main.addActions([a.open, a.previous, a.next])
    main.addSeparator()
    pickers = (ModelPicker(), DevicePicker(), SizePicker())
    for text, picker in zip(
        (
            translate("MainWindow", " Model "),
            translate("MainWindow", " Device "),
            translate("MainWindow", " Inference size "),
        ),
        pickers,
        strict=True,
    ):
        main.addWidget(QLabel(text))
        main.addWidget(picker)
    main.addSeparator()
    main.addActions([a.fit, a.actual_size])
    win.addToolBarBreak()
    view = _bar(win, translate("MainWindow", "Overlay"), "overlayToolbar")
    view.addWidget(QLabel(translate("MainWindow", " Overlay ")))
    view.addActions(list(a.modes.values()))
    view.addSeparator()
    view.addWidget(QLabel(translate("MainWindow", " Opacity ")))
    opacity = QSlider(Qt.Orientation.Horizontal)
    opacity.setRange(0, 100)
    opacity.setFixedWidth(140)
    opacity.setToolTip(translate("MainWindow", "Overlay opacity"))
    view.addWidget(opacity)
    label = QLabel("")
    label.setMinimumWidth(40)
    view.addWidget(label)
    return Toolbar(*pickers, opacity, label)
