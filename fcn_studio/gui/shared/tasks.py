"""The one way the GUI runs work off its thread, and who owns it until it ends.

Two shapes of work, one owner (:class:`TaskRunner`):

- a :class:`BackgroundTask`: a one-off job (download, import, export, batch segmentation,
  a retraining round) on its own QThread, with an optional progress dialog whose Cancel
  works while the job runs;
- a :class:`WorkerThread`: a long-lived worker object (image inference, compare, video
  playback) moved onto a QThread of its own, fed by queued signals or its own queue.

The runner keeps a Python reference to each until its thread ends (a collected running
QThread aborts the process), forgets it then, and on exit cancels everything first and
only then waits, so the waits overlap instead of adding up. There is one runner, the main
window's (``window.tasks``), handed to whatever starts work: no global one to forget.

Kept rather than superqt's thread workers: those bring qtpy and pygments at run time, and
neither owns threads until they end nor stops them all within one deadline on exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QDeadlineTimer, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

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
            # the modal dialog takes the keys: the app's Quit key asks here, then quits
            for key in QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]:
                QShortcut(key, self.dialog).activated.connect(self._quit_requested)
        self._label = label

    def start(self, runner: TaskRunner) -> BackgroundTask:
        """Run on its own thread, owned by ``runner`` (the window's) until it ends."""
        runner.adopt(self)
        if self.dialog:
            self.dialog.show()
        self.thread.start()
        return self

    def cancel(self) -> None:
        self.worker.stop_event.set()
        if self.dialog:
            self.dialog.setLabelText(self.tr("Cancelling…"))

    def _quit_requested(self) -> None:
        """Ctrl+Q while this (modal) task runs: cancel it and quit, if the user agrees."""
        if not self.dialog:
            return
        window = self.dialog.parentWidget().window() if self.dialog.parentWidget() else None
        answer = QMessageBox.question(
            self.dialog,
            self.tr("Quit"),
            self.tr("{task} is still running. Cancel it and quit?").format(task=self.dialog.windowTitle()),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if window is not None:
            self.finished.connect(window.close)  # once the job has stopped: nothing is left half-written
        self.cancel()

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
        self.worker.deleteLater()

    @property
    def running(self) -> bool:
        return not self.thread.isFinished()

    def request_stop(self) -> None:
        """Cancel and let the thread end when the job returns (without waiting)."""
        self.worker.stop_event.set()
        self.thread.quit()


class WorkerThread:
    """A long-lived worker object on a QThread of its own. ``loop`` names the worker's
    method that runs the thread (a worker that reads its own queue); without it the
    worker is driven by queued signals. ``stop()`` cancels, quits and waits, bounded."""

    def __init__(self, worker: QObject, name: str, runner: TaskRunner, loop: str = "") -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        if loop:
            self.thread.started.connect(getattr(worker, loop))
        self._runner = runner
        self._runner.adopt(self)
        self.thread.start()

    @property
    def running(self) -> bool:
        return not self.thread.isFinished()

    def request_stop(self) -> None:
        """Ask the worker to stop (its ``stop``/``cancel_all``) and the thread to quit."""
        for name in ("stop", "cancel_all"):
            method = getattr(self.worker, name, None)
            if method is not None:
                method()
                break
        self.thread.quit()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, quit and wait: a forward pass stops at its next check."""
        self.request_stop()
        done = self.thread.wait(timeout_ms)
        if done:
            self._runner.forget(self)
        return done


Owned = BackgroundTask | WorkerThread


class TaskRunner(QObject):
    """Owns every background task and worker thread until it ends."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._owned: list[Owned] = []

    def adopt(self, item: Owned) -> Owned:
        self._prune()
        if item not in self._owned:
            self._owned.append(item)
            if isinstance(item, BackgroundTask):
                item.finished.connect(lambda i=item: self.forget(i))
        return item

    def start(self, task: BackgroundTask | None) -> BackgroundTask | None:
        """Start ``task`` (None passes through: a dialog the user cancelled)."""
        return task.start(self) if task is not None else None

    def forget(self, item: Owned) -> None:
        if item in self._owned:
            self._owned.remove(item)

    def _prune(self) -> None:
        self._owned = [i for i in self._owned if i.running]

    @property
    def tasks(self) -> list[BackgroundTask]:
        """One-off tasks still running, oldest first."""
        self._prune()
        return [i for i in self._owned if isinstance(i, BackgroundTask)]

    def busy(self) -> bool:
        """Whether a one-off task (an export, a download, ...) is still running."""
        return bool(self.tasks)

    def stop_all(self, timeout_ms: int = 30_000) -> bool:
        """On exit: cancel everything at once, then wait for all of it within one bounded
        time (not one timeout per thread, one after another). True when every thread ended."""
        owned = list(self._owned)
        for item in owned:
            item.request_stop()
        deadline = QDeadlineTimer(timeout_ms)
        done = all([item.thread.wait(deadline) for item in owned])
        self._prune()
        return done
