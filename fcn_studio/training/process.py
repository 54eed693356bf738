"""Training in a child process, for the app.

In the app's own process a training thread competes with the GUI for the GIL: writing the
epoch's resumable state (``torch.save`` holds the GIL while the disk takes the 0.5 GB)
and torch's first-use imports stalled the window for 0.3 s at a time (bench_gui.py). A
child process has its own interpreter: the window keeps its 10 ms rhythm. Events come back
through a queue; Stop sets an event the trainer polls between steps, as before.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
from collections.abc import Callable

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.training.config import EventFn, ProcessEvent


def train_in_child(config, report, on_event: EventFn, cancelled: Callable[[], bool], poll_s: float = 0.05):
    """:func:`fcn_studio.training.trainer.train` in a child process; returns its TrainResult and
    raises what it raised (Cancelled, FCNStudioError, MemoryError; anything else as an
    FCNStudioError with the message the app would show)."""
    ctx = mp.get_context("spawn")  # fork would copy the app's threads and Qt state
    events = ctx.Queue()
    stop = ctx.Event()
    child = ctx.Process(
        target=_run, args=(config, report, events, stop, os.getpid()), daemon=True, name="fcn-studio-training"
    )
    child.start()
    try:
        while True:
            if cancelled() and not stop.is_set():
                stop.set()
            try:
                kind, *payload = events.get(timeout=poll_s)
            except queue.Empty:
                if not child.is_alive():
                    raise FCNStudioError(
                        "the training process ended unexpectedly (exit code {exitcode}); Resume continues from the last completed epoch",
                        exitcode=child.exitcode,
                    ) from None
                continue
            if kind == "event":
                on_event(payload[0])
            elif kind == "done":
                return payload[0]
            else:
                raise _error(kind, payload[0])
    finally:
        stop.set()  # a parent that gives up early stops the child at its next step
        child.join(30)
        if child.is_alive():
            child.kill()
        events.close()


def _error(kind: str, text) -> BaseException:
    if kind == "cancelled":
        return Cancelled(text)
    if kind == "memory":
        return MemoryError(text)
    return FCNStudioError(text)


def _run(config, report, events, stop, parent_pid: int) -> None:
    """The child: train, sending every event back; stop when asked or when the app is gone."""
    from fcn_studio.errors import unexpected_message
    from fcn_studio.training.trainer import train

    def cancelled() -> bool:
        return stop.is_set() or os.getppid() != parent_pid

    if hasattr(os, "nice"):  # on a small CPU the window comes first; training takes what is left
        with contextlib.suppress(OSError):
            os.nice(5)

    events.put(("event", ProcessEvent(os.getpid())))  # which process trains (for tests, logs)
    try:
        result = train(config, lambda e: events.put(("event", e)), cancelled, report=report)
    except Cancelled as exc:
        events.put(("cancelled", exc.message))
    except FCNStudioError as exc:
        events.put(("error", exc.message))
    except MemoryError as exc:
        events.put(("memory", str(exc)))
    except Exception as exc:
        events.put(("error", unexpected_message(exc)))
    else:
        events.put(("done", result))
