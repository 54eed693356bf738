"""Torch's thread pool for many small operations: one thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

_threads = {"users": 0, "saved": 1}
_threads_lock = threading.Lock()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Many small operations (a head solver's evaluations, a ranking's head per image) run
    on one thread: on a busy 2-core CPU torch's thread pool cost far more than it saved (a
    200x150 sample's solver step: 40 ms with 2 threads while other work ran, 0.8 ms with one;
    ranking 80 photos from held features at load 9: 373 ms a photo with 2 threads, 34 ms
    with one). Several users may overlap (a round's folds); the process's setting is
    restored when the last one ends. torch's setting is process-wide: keep the block short."""
    with _threads_lock:
        if _threads["users"] == 0:
            _threads["saved"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads["users"] += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads["users"] -= 1
            if _threads["users"] == 0:
                torch.set_num_threads(_threads["saved"])
