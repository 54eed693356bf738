"""Texts of Qt's own dialogs that the qtbase_zh_CN catalogue shipped with PySide6 lacks (Qt
changed their sources, e.g. "Look in:" became "&Look in:"). Listed here in Qt's contexts so
that lupdate puts them into our catalogue, which Qt consults before its own."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

QT_GAPS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
    QT_TRANSLATE_NOOP("QAbstractFileIconProvider", "Folder"),
    QT_TRANSLATE_NOOP("QAbstractFileIconProvider", "Drive"),
)
