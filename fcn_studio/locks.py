"""One writer at a time per model id or training output.

A lock is a small hidden file next to what it protects (``.<name>.lock``) holding the
owner's pid, locked with the operating system's advisory lock (``flock`` / ``msvcrt``):
the lock dies with its process, so a killed run never leaves a lock that blocks the next.
The file is removed on release.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fcn_studio.errors import FCNStudioError

POLL_S = 0.1


def lock_path(target: str | os.PathLike[str]) -> Path:
    target = Path(target)
    return target.with_name(f".{target.name}.lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


@contextlib.contextmanager
def exclusive(target: str | os.PathLike[str], what: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the lock of ``target`` for the body; wait up to ``wait_s`` for another holder,
    then fail with a message that says ``what`` is busy (e.g. "the model id 'x'")."""
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if _try_lock(fd):
            # The holder before us may have removed the file after we opened it: then
            # our lock is on a deleted inode, so start again on the current file.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise FCNStudioError(
                f"{what} is being written by another fcn-studio run{_owner(path)}; "
                "wait for it to finish, or choose another name"
            )
        time.sleep(POLL_S)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # before unlocking, so a waiter re-checks and takes a fresh file
        os.close(fd)
