"""The window's one non-modal message box: errors and notes, never a stale one."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

Icon = QMessageBox.Icon
_KEEP = 8  # messages shown at once; older ones scroll out


class Messages(QObject):
    """Errors and notes in one non-modal box: the app keeps running and the user keeps
    working. Errors that arrive while it is open are added, never replace each other; a
    note (something worth knowing, not an error: "the CPU could not keep up") is about
    what was on screen, so a new error or a newly opened file sweeps it away."""

    def __init__(self, parent: QWidget, status: QStatusBar) -> None:
        super().__init__(parent)
        self._parent, self._status = parent, status
        self.box: QMessageBox | None = None
        self._shown: list[tuple[str, Icon]] = []

    def error(self, message: str, icon: Icon = Icon.Warning) -> None:
        self._status.showMessage(message, 10_000)
        if self.box is None:
            self.box = QMessageBox(icon, "FCN Studio", "", parent=self._parent)
            self.box.setModal(False)
            self.box.setWindowModality(Qt.WindowModality.NonModal)
        shown = self._shown if self.box.isVisible() else []
        if icon is not Icon.Information:  # an error makes the notes before it stale
            shown = [m for m in shown if m[1] is not Icon.Information]
        if message not in (text for text, _ in shown):
            shown = [*shown, (message, icon)][-_KEEP:]
        self._show(shown)

    def note(self, message: str) -> None:
        self.error(message, Icon.Information)

    def forget_notes(self) -> None:
        """Something new is opened: notes about the previous one go (errors stay)."""
        if self.box is None or not self.box.isVisible():
            return
        kept = [m for m in self._shown if m[1] is not Icon.Information]
        if not kept:
            self._shown = []
            self.box.hide()
        elif kept != self._shown:
            self._show(kept)

    def _show(self, shown: list[tuple[str, Icon]]) -> None:
        self._shown = shown
        warning = any(icon is not Icon.Information for _, icon in shown)
        self.box.setIcon(Icon.Warning if warning else Icon.Information)
        self.box.setText("\n\n".join(text for text, _ in shown))
        self.box.show()
