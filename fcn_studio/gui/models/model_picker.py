"""Toolbar pickers: the model (installed and imported weights) and the device."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox

from fcn_studio.gui.shared.class_names import display_label_set
from fcn_studio.messages import Message
from fcn_studio.storage import weights
from fcn_studio.storage.titles import title_message

_ARCH_NAMES = {
    "fcn32s": "FCN-32s",
    "fcn16s": "FCN-16s",
    "fcn8s": "FCN-8s",
    "fcn8s_atonce": QT_TRANSLATE_NOOP("Architecture", "FCN-8s at-once"),  # the paper's one-stage FCN-8s
    "vgg16": "VGG16",  # the backbones of the Models table
}


def arch_name(arch: str) -> str:
    name = _ARCH_NAMES.get(arch, arch)
    return QCoreApplication.translate("Architecture", name) if arch == "fcn8s_atonce" else name


# The titles of weights/manifest.json, listed so lupdate extracts them (a test checks the list).
MANIFEST_TITLES = (
    QT_TRANSLATE_NOOP("ModelTitle", "FCN-8s, PASCAL VOC (converted from the original Caffe model)"),
    QT_TRANSLATE_NOOP("ModelTitle", "FCN-16s, PASCAL VOC (converted from the original Caffe model)"),
    QT_TRANSLATE_NOOP("ModelTitle", "FCN-32s, PASCAL VOC (converted from the original Caffe model)"),
    QT_TRANSLATE_NOOP("ModelTitle", "VGG16 ImageNet classifier (torchvision IMAGENET1K_V1), a base for fine-tuning"),
    QT_TRANSLATE_NOOP("ModelTitle", "VGG16 ImageNet classifier converted from Caffe (the FCN paper's initialisation)"),
)


MANIFEST_SOURCES = (
    QT_TRANSLATE_NOOP(
        "ModelTitle", "Long, Shelhamer, Darrell (fcn.berkeleyvision.org), converted by wkentaro/pytorch-fcn"
    ),
    QT_TRANSLATE_NOOP("ModelTitle", "torchvision (Simonyan and Zisserman, VGG16)"),
    QT_TRANSLATE_NOOP("ModelTitle", "Simonyan and Zisserman, converted by wkentaro/pytorch-fcn"),
)


def display_title(title: str) -> str:
    """A listed model's title (or source) in the interface language; other titles (the user's) as they are."""
    if title in MANIFEST_TITLES or title in MANIFEST_SOURCES:
        return QCoreApplication.translate("ModelTitle", title)
    message = title_message(title)
    if "arch" in message.params:  # "fcn8s fine-tuned on garden": the architecture as the lists name it
        message = Message(message.template, **{**message.params, "arch": arch_name(message.params["arch"])})
    return str(message)


class ModelPicker(QComboBox):
    model_selected = Signal(str)  # weights id, "" when none is installed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(26)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # never cut the id or labels
        self.setToolTip(self.tr("Model used to segment the image"))
        self.currentIndexChanged.connect(lambda _i: self.model_selected.emit(self.current_id()))

    def refresh(self, select: str | None = None) -> list[str]:
        """Re-read the installed models; keep (or set) the selection. Returns the ids."""
        keep = select or self.current_id()
        models = weights.installed_models()
        self.blockSignals(True)
        self.clear()
        for m in models:
            self.addItem(f"{m.id}  ·  {arch_name(m.arch)}  ·  {display_label_set(m.labels)}", m.id)
            self.setItemData(self.count() - 1, display_title(m.title), 3)  # 3 = ToolTipRole
        if not models:
            self.addItem(self.tr("No model installed"), "")
        ids = [m.id for m in models]
        self.setCurrentIndex(ids.index(keep) if keep in ids else 0)
        self.blockSignals(False)
        self.model_selected.emit(self.current_id())
        return ids

    def current_id(self) -> str:
        return self.currentData() or ""


class DevicePicker(QComboBox):
    device_selected = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        for text, value in (
            (self.tr("Auto (GPU if available)"), "auto"),
            (self.tr("CUDA GPU"), "cuda"),
            ("CPU", "cpu"),
        ):
            self.addItem(text, value)
        self.setToolTip(self.tr("Where inference runs; CUDA falls back to the CPU with a message if unavailable"))
        self.currentIndexChanged.connect(lambda _i: self.device_selected.emit(self.currentData()))

    def set_device(self, value: str) -> None:
        index = self.findData(value)
        self.setCurrentIndex(index if index >= 0 else 0)


class SizePicker(QComboBox):
    """The longest side the network sees; smaller is faster (video on a CPU) and lighter."""

    size_selected = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        for text, value in (
            (self.tr("Full resolution"), 0),
            *((self.tr("{n} px").format(n=n), n) for n in (2048, 1024, 512, 320)),
        ):
            self.addItem(text, value)
        self.setToolTip(
            self.tr(
                "Longest side the network sees; larger images are segmented at this size and the result "
                "upsampled. Smaller is faster (use 320-512 px for video on a CPU) and needs less memory."
            )
        )
        self.currentIndexChanged.connect(lambda _i: self.size_selected.emit(int(self.currentData())))

    def set_size(self, value: int) -> None:
        index = self.findData(value)
        self.setCurrentIndex(index if index >= 0 else 1)
