"""An exception nobody caught, in a slot or a worker thread: a crash report on disk (traceback,
versions, machine), a dialog that says what happened and where the report is, and the app
goes on. Help > Show Log names the log file. And the hint after an export is shell-quoted."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

import pytest
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from fcn_studio import logs
from fcn_studio.gui import crash


class Emitter(QObject):
    fired = Signal()


@pytest.fixture()
def log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FCN_STUDIO_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


@pytest.fixture()
def reporter(qapp, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = crash.install(qapp)
    yield reporter
    for box in list(reporter.dialogs):
        with contextlib.suppress(RuntimeError):  # already gone with its window
            box.close()


def _boom() -> None:
    raise RuntimeError("the slot broke")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_the_crash_dialog_and_writes_the_report(qtbot, log_dir, reporter):
    emitter, after = Emitter(), []
    emitter.fired.connect(_boom)
    emitter.fired.connect(lambda: after.append("still running"))
    emitter.fired.emit()
    qtbot.waitUntil(lambda: bool(reporter.dialogs), timeout=5000)
    box = reporter.dialogs[0]
    reports = list(log_dir.glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "RuntimeError: the slot broke" in text and "_boom" in text
    assert "fcn-studio:" in text and "PySide6:" in text and "platform:" in text
    assert isinstance(box, QMessageBox) and box.isVisible() and not box.isModal()
    assert "the slot broke" in box.text() and str(reports[0]) in box.informativeText()
    assert "Traceback" in box.detailedText()
    QTimer.singleShot(0, lambda: after.append("event loop alive"))
    qtbot.waitUntil(lambda: "event loop alive" in after, timeout=2000)
    assert after[0] == "still running"


@pytest.mark.qt_no_exception_capture
def test_a_worker_threads_exception_reaches_the_gui_thread(qtbot, log_dir, reporter):
    worker = threading.Thread(target=_boom)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(reporter.dialogs), timeout=5000)
    assert len(list(log_dir.glob("crash-*.txt"))) == 1


def test_the_log_file_gets_the_core_loggers_and_show_log_names_it(qtbot, log_dir, monkeypatch):
    path = logs.configure(to_file=True)
    try:
        logging.getLogger("fcn_studio.storage").info("a line for the log")
        for handler in logging.getLogger("fcn_studio").handlers:
            handler.flush()
        assert path == log_dir / "fcn-studio.log" and "a line for the log" in path.read_text(encoding="utf-8")
    finally:
        logs.configure()
    shown = []
    monkeypatch.setattr(crash.QDesktopServices, "openUrl", lambda url: shown.append(url.toLocalFile()) or True)
    crash.show_log(None)
    assert shown == [str(path)]
    assert QApplication.instance() is not None


def test_the_saved_path_is_quoted_for_a_shell(win, tmp_path):
    """The hint after an export can be copied into a terminal even with spaces in the path."""
    target = tmp_path / "my photos" / "cat mask.png"
    win.exporter.remember(target)
    shown = win.statusBar().currentMessage()
    assert f"'{target}'" in shown, shown


def test_ctrl_q_during_a_modal_task_asks_then_cancels_it_and_quits(qtbot, monkeypatch):
    """A video export's progress dialog is modal, so the window's Ctrl+Q never fires: the
    dialog itself asks whether to cancel the task, then the window closes once it stopped."""
    from PySide6.QtGui import QKeySequence, QShortcut
    from PySide6.QtWidgets import QMainWindow

    from fcn_studio.errors import Cancelled
    from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()

    def job(progress, cancelled):
        while not cancelled():
            progress(0, 10, "")
            threading.Event().wait(0.02)
        raise Cancelled()

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    task = BackgroundTask(job, window, "Export segmented video", "Segmenting clip.mp4…").start(TaskRunner(window))
    qtbot.waitUntil(lambda: task.dialog is not None and task.dialog.isVisible(), timeout=5000)
    keys = {s.key().toString(): s for s in task.dialog.findChildren(QShortcut)}
    shortcut = keys[QKeySequence("Ctrl+Q").toString()]
    shortcut.activated.emit()  # the key itself: the offscreen platform activates no window
    qtbot.waitUntil(lambda: not task.running and not window.isVisible(), timeout=10000)
    assert asked and "Export segmented video" in asked[0]


@pytest.mark.parametrize("planted", ["symlink", "hardlink"])
def test_show_log_never_opens_a_file_planted_at_the_logs_name(qtbot, log_dir, tmp_path, monkeypatch, planted):
    """Help > Show Log opened whatever the log's name pointed to: a link planted there (as the
    log itself refuses to be written through) opened someone else's file in the viewer.
    Now it says what is there and opens nothing."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours", encoding="utf-8")
    log_dir.mkdir(parents=True)
    name = log_dir / "fcn-studio.log"
    name.symlink_to(secret) if planted == "symlink" else os.link(secret, name)
    opened, told = [], []
    monkeypatch.setattr(crash.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    monkeypatch.setattr(crash.QMessageBox, "warning", lambda parent, title, text: told.append(text))
    monkeypatch.setattr(crash.QMessageBox, "information", lambda parent, title, text: told.append(text))
    crash.show_log(None)
    assert opened == [] and len(told) == 1 and str(name) in told[0]
    assert secret.read_text(encoding="utf-8") == "not yours"
