"""The banner shown while no model is installed: download, import or fine-tune."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from fcn_studio.storage import weights


class NoModelBanner(QFrame):
    download_requested = Signal(str)
    import_requested = Signal()
    manage_requested = Signal()
    train_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("noModelBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        entry = weights.manifest_entry("fcn8s-voc")
        size = f" ({entry.size_mb:.0f} MB)" if entry else ""
        text = QLabel(
            self.tr(
                "<b>No model installed.</b> Download the published FCN-8s (PASCAL VOC, 21 classes), "
                "import a weights file you already have, or fine-tune on your own images and masks."
            )
        )
        text.setWordWrap(True)
        self.download_button = QPushButton(self.tr("Download FCN-8s VOC{size}").format(size=size))
        self.import_button = QPushButton(self.tr("Import weights file…"))
        self.train_button = QPushButton(self.tr("Fine-tune on my data…"))
        self.more_button = QPushButton(self.tr("All models…"))
        self.download_button.clicked.connect(lambda: self.download_requested.emit("fcn8s-voc"))
        self.import_button.clicked.connect(self.import_requested)
        self.more_button.clicked.connect(self.manage_requested)
        self.train_button.clicked.connect(self.train_requested)
        layout.addWidget(text, 1)
        for b in (self.download_button, self.import_button, self.train_button, self.more_button):
            layout.addWidget(b)
