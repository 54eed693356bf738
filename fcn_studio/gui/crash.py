"""When something goes wrong in the app: a crash dialog and a crash report instead of a
traceback lost on a terminal nobody sees, and Help > Show Log.

:func:`install` replaces ``sys.excepthook`` (Qt calls it for an exception raised in a slot
or an event handler, and the event loop goes on) and ``threading.excepthook`` (a worker
thread's). Each writes a crash report (fcn_studio.logs) and shows, on the GUI thread, a
dialog with what happened and where the report is; the app keeps running where it can.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fcn_studio import logs
from fcn_studio.errors import describe_unexpected

translate = QCoreApplication.translate


class CrashReporter(QObject):
    """Receives uncaught exceptions from any thread; shows them on the GUI thread."""

    crashed = Signal(str, str, str)  # summary, report path ("" if none), traceback text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialogs: list[QMessageBox] = []
        self.crashed.connect(self._show)  # queued when emitted from another thread

    def handle(self, exc_type, exc, tb) -> Path | None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return None
        path = logs.write_crash_report(exc_type, exc, tb)
        text = logs.crash_report_text(exc_type, exc, tb)
        self.crashed.emit(describe_unexpected(exc), str(path or ""), text)
        return path

    def _show(self, summary: str, path: str, details: str) -> None:
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, translate("Crash", "Something went wrong"), "", parent=parent)
        box.setText(
            translate("Crash", "FCN Studio hit an error it did not expect: {summary}").format(summary=summary)
            + "\n\n"
            + translate("Crash", "The app keeps running; if something looks wrong, save your work and restart it.")
        )
        if path:
            box.setInformativeText(translate("Crash", "A crash report was written to:\n{path}").format(path=path))
        box.setDetailedText(details)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path can be copied
        box.setModal(False)
        box.finished.connect(lambda _r, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        self.dialogs.append(box)
        box.show()


_reporter: CrashReporter | None = None


def install(app: QApplication) -> CrashReporter:
    """Route uncaught exceptions (GUI thread and worker threads) to a crash report and dialog."""
    global _reporter
    _reporter = CrashReporter(app)
    sys.excepthook = _reporter.handle
    threading.excepthook = lambda args: _reporter.handle(args.exc_type, args.exc_value, args.exc_traceback)
    return _reporter


def show_log(parent: QWidget) -> None:
    """Help > Show Log: the log file in the system's viewer; where there is none yet, its path."""
    path = logs.log_file()
    foreign = logs.foreign_file(path)
    if foreign is not None:  # a link planted at its name opens someone else's file
        QMessageBox.warning(parent, translate("Crash", "Log"), str(foreign))
        return
    if path.is_file() and QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return
    QMessageBox.information(
        parent,
        translate("Crash", "Log"),
        translate("Crash", "The log file is {path}\n(crash reports are written beside it).").format(path=path),
    )
