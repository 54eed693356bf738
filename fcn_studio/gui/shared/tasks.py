"""Long one-off jobs (downloads, imports, batch segmentation) on a QThread, with a
progress dialog and a Cancel button that works while the job runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from fcn_studio.errors import Cancelled, FCNStudioError, describe_unexpected

# fn(progress(done, total, note), cancelled()) -> result
TaskFn = Callable[[Callable[[int, int, str], None], Callable[[], bool]], object]


class TaskWorker(QObject):
    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    done = Signal()

    def __init__(self, fn: TaskFn) -> None:
        super().__init__()
        self.fn = fn
        self.stop_event = threading.Event()
        self._last_emit = 0.0

    def _progress(self, done: int, total: int, note: str = "") -> None:
        # At most ~20 updates a second: a download calls this for every megabyte.
        now = time.monotonic()
        if now - self._last_emit >= 0.05 or done >= total:
            self._last_emit = now
            self.progress.emit(int(done), int(total), note)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self._progress, self.stop_event.is_set)
        except Cancelled as exc:
            self.cancelled.emit(str(exc))
        except FCNStudioError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit(self.tr("out of memory"))
        except Exception as exc:
            self.failed.emit(describe_unexpected(exc))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class BackgroundTask(QObject):
    """Runs ``fn`` on its own thread; shows a progress dialog when ``title`` is given."""

    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    finished = Signal()

    _running: ClassVar[set[BackgroundTask]] = set()  # keeps Python references until the thread ends

    def __init__(self, fn: TaskFn, parent: QWidget | None, title: str = "", label: str = "", scale: int = 1) -> None:
        super().__init__()
        self.worker = TaskWorker(fn)
        self.thread = QThread()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.done.connect(self.thread.quit)
        self.thread.finished.connect(self._cleanup)
        self.worker.succeeded.connect(self.succeeded)
        self.worker.failed.connect(self.failed)
        self.worker.cancelled.connect(self.cancelled)
        self._scale = scale  # e.g. 1_000_000 to show megabytes in an int progress bar
        self.dialog: QProgressDialog | None = None
        if title:
            self.dialog = QProgressDialog(label, self.tr("Cancel"), 0, 0, parent)
            self.dialog.setWindowTitle(title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self.cancel)
            self.worker.progress.connect(self._on_progress)
        self._label = label

    def start(self) -> BackgroundTask:
        BackgroundTask._running.add(self)
        if self.dialog:
            self.dialog.show()
        self.thread.start()
        return self

    def cancel(self) -> None:
        self.worker.stop_event.set()
        if self.dialog:
            self.dialog.setLabelText(self.tr("Cancelling…"))

    def wait(self, ms: int = 60_000) -> bool:
        return self.thread.wait(ms)

    def _on_progress(self, done: int, total: int, note: str) -> None:
        if not self.dialog:
            return
        if note:  # first: a modal dialog's setValue runs the event loop, where the task can end
            self.dialog.setLabelText(f"{self._label}\n{note}")
        if total > 0:
            self.dialog.setMaximum(max(1, total // self._scale))
            if self.dialog:  # setMaximum can run the event loop too (it sets the value)
                self.dialog.setValue(min(done // self._scale, total // self._scale))

    def _cleanup(self) -> None:
        if self.dialog:
            self.worker.progress.disconnect(self._on_progress)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None  # progress still queued must not reach a deleted dialog
        self.finished.emit()
        BackgroundTask._running.discard(self)
        self.worker.deleteLater()

    @classmethod
    def stop_all(cls, ms: int = 30_000) -> None:
        """On exit: cancel every running task and wait for its thread."""
        for task in list(cls._running):
            task.worker.stop_event.set()
            task.thread.quit()
            task.thread.wait(ms)
