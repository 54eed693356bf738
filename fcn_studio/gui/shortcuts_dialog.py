"""Help > Keyboard Shortcuts: a sheet built from the actions themselves, so it can never
disagree with what the keys do."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout

from fcn_studio.gui.i18n import without_accelerator

# Keys handled by widgets rather than actions (the canvas, the legend, the label tools).
EXTRA_KEYS = (
    (QT_TRANSLATE_NOOP("Shortcuts", "Mouse wheel"), QT_TRANSLATE_NOOP("Shortcuts", "Zoom at the cursor")),
    (QT_TRANSLATE_NOOP("Shortcuts", "Drag, or Space + drag"), QT_TRANSLATE_NOOP("Shortcuts", "Pan")),
    (
        QT_TRANSLATE_NOOP("Shortcuts", "Double-click a legend class"),
        QT_TRANSLATE_NOOP("Shortcuts", "Show that class alone"),
    ),
)


def action_rows(actions) -> list[tuple[str, str]]:
    """(keys, what) for every action of the window that has a shortcut, in menu order."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append((", ".join(keys), without_accelerator(action.text()).rstrip("…")))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        extra = [
            (QCoreApplication.translate("Shortcuts", k), QCoreApplication.translate("Shortcuts", w))
            for k, w in EXTRA_KEYS
        ]
        rows = action_rows(actions) + extra
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        for i, (keys, what) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(keys))
            self.table.setItem(i, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 560)
