"""The fine-tune window's training run: a child process watched from a thread of the app."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal, Slot

from fcn_studio.errors import Cancelled, FCNStudioError, describe_unexpected
from fcn_studio.training.config import Event, IterationEvent  # torch-free


class TrainWorker(QObject):
    """Runs :func:`fcn_studio.training.trainer.train` in a child process, watched from its thread;
    every event becomes a signal."""

    event = Signal(object)
    finished = Signal(object, str)  # TrainResult or None, error message

    def __init__(self, config, report) -> None:
        super().__init__()
        self.config, self.report = config, report
        self.stopping = threading.Event()
        self._last = 0.0

    def stop(self) -> None:
        """Stop after the current step (the task runner calls this on exit too)."""
        self.stopping.set()

    def _emit(self, e: Event) -> None:
        now = time.monotonic()
        # a GPU can do 50 it/s: thin the iterations, but keep each epoch's last, so the loss
        # curve has a point per epoch however fast the run
        last_of_epoch = isinstance(e, IterationEvent) and e.iteration == e.iterations
        if not isinstance(e, IterationEvent) or last_of_epoch or now - self._last > 0.05:
            self._last = now
            self.event.emit(e)

    @Slot()
    def run(self) -> None:
        from fcn_studio.training.process import train_in_child

        try:  # in a child process: its GIL is not the window's
            result = train_in_child(self.config, self.report, self._emit, self.stopping.is_set)
        except Cancelled as exc:
            self.finished.emit(None, str(exc))
        except FCNStudioError as exc:
            self.finished.emit(None, str(exc))
        except MemoryError:
            self.finished.emit(None, self.tr("out of memory: lower the batch size or crop size"))
        except Exception as exc:
            self.finished.emit(None, describe_unexpected(exc))
        else:
            self.finished.emit(result, "")
