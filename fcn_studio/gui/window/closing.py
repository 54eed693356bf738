"""Closing the main window: ask before stopping a running fine-tune, then write what is
remembered, let Label mode save its last stroke, and stop the one task runner's work
(every thread told first, then all waited for together, within one bound)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

EXIT_WAIT_MS = 30_000  # the longest a closing window waits for background work


def quitting_stops_training(w) -> bool:
    """True when the user agrees to stop a running fine-tune (or none runs)."""
    if not w.model_actions.training():
        return True
    translate = QCoreApplication.translate
    answer = QMessageBox.question(
        w,
        translate("MainWindow", "Quit FCN Studio"),
        translate(
            "MainWindow",
            "A fine-tune is running. Quit and stop it? Its checkpoints are kept; Resume continues it later.",
        ),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def shut_down(w) -> None:
    """Everything the window started ends here, in order, under a wait cursor."""
    w.status.showMessage(QCoreApplication.translate("MainWindow", "Quitting: stopping background work…"))
    w.status.repaint()  # painted now: no event loop runs again before the window goes
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        if w.persist_window:
            w.settings.save_window(w.saveGeometry(), w.saveState())
            w.files.remember_at_exit()
        w.label_mode.shutdown()  # the last stroke is written before anything stops
        if w.train_dialog is not None:
            w.train_dialog.stop_for_exit()
        w.tasks.stop_all(EXIT_WAIT_MS)  # the app's one runner: every worker and task
    finally:
        QApplication.restoreOverrideCursor()
