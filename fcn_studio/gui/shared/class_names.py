"""Class names as the interface shows them: the VOC classes in the interface language.

Only the display is translated; files on disk (classes.txt, CSV, checkpoints, masks) keep
the canonical names, which are also what the core's LabelSet.name_of returns."""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.messages import fill

_CONTEXT = "ClassName"
# Listed so that lupdate extracts them; the order is VOC's (class ids 0-20), then 255.
KNOWN_NAMES = (
    QT_TRANSLATE_NOOP("ClassName", "background"),
    QT_TRANSLATE_NOOP("ClassName", "aeroplane"),
    QT_TRANSLATE_NOOP("ClassName", "bicycle"),
    QT_TRANSLATE_NOOP("ClassName", "bird"),
    QT_TRANSLATE_NOOP("ClassName", "boat"),
    QT_TRANSLATE_NOOP("ClassName", "bottle"),
    QT_TRANSLATE_NOOP("ClassName", "bus"),
    QT_TRANSLATE_NOOP("ClassName", "car"),
    QT_TRANSLATE_NOOP("ClassName", "cat"),
    QT_TRANSLATE_NOOP("ClassName", "chair"),
    QT_TRANSLATE_NOOP("ClassName", "cow"),
    QT_TRANSLATE_NOOP("ClassName", "diningtable"),
    QT_TRANSLATE_NOOP("ClassName", "dog"),
    QT_TRANSLATE_NOOP("ClassName", "horse"),
    QT_TRANSLATE_NOOP("ClassName", "motorbike"),
    QT_TRANSLATE_NOOP("ClassName", "person"),
    QT_TRANSLATE_NOOP("ClassName", "pottedplant"),
    QT_TRANSLATE_NOOP("ClassName", "sheep"),
    QT_TRANSLATE_NOOP("ClassName", "sofa"),
    QT_TRANSLATE_NOOP("ClassName", "train"),
    QT_TRANSLATE_NOOP("ClassName", "tvmonitor"),
    QT_TRANSLATE_NOOP("ClassName", "ignore"),
)
_KNOWN = frozenset(KNOWN_NAMES)
_DEFAULT_NAME = re.compile(r"class (\d+)")  # what datasets without a classes.txt call their classes


def display_name(name: str) -> str:
    """A canonical class name (VOC's, "ignore", or a dataset's default "class N") in the
    interface language; any other name (the user's own classes) as it is."""
    if name in _KNOWN:
        return QCoreApplication.translate(_CONTEXT, name)
    default = _DEFAULT_NAME.fullmatch(name)
    if default:
        return QCoreApplication.translate("ClassName", "class {id}").format(id=default.group(1))
    return name


def stored_name(shown: str) -> str:
    """What a name typed in the interface language is saved as: a known class's displayed
    name (猫) is its canonical name (cat), so files keep one name whatever the language."""
    shown = shown.strip()
    default = QCoreApplication.translate("ClassName", "class {id}")
    number = re.fullmatch(re.escape(default).replace(re.escape("{id}"), r"(\d+)"), shown)
    if number:  # a dataset's default name, "类别 3"
        return f"class {number.group(1)}"
    return next((name for name in _KNOWN if display_name(name) == shown), shown)


_GENERIC_SET = re.compile(r"generic-(\d+)")  # data.labels.generic_labels' name


def display_label_set(name: str) -> str:
    """A label set's name as the model lists show it: the built-in ones (PASCAL VOC's, and
    "generic-N" of N unnamed classes) in the interface language; a dataset's own as it is."""
    if name == "voc":
        return QCoreApplication.translate("LabelSet", "VOC classes")
    generic = _GENERIC_SET.fullmatch(name)
    if generic:
        return fill(QCoreApplication.translate("LabelSet", "{n} {n:class|classes}"), n=int(generic.group(1)))
    return name


def display_class_name(label_set: LabelSet, class_id: int) -> str:
    """What the legend, hover and compare readouts call a class id."""
    if 0 <= class_id < label_set.num_classes or class_id == IGNORE_INDEX:
        return display_name(label_set.name_of(class_id))
    return QCoreApplication.translate("ClassName", "label {id}").format(id=class_id)
