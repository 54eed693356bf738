"""One writer at a time per model id or training output.

A lock is a small hidden file next to what it protects (``.<name>.fcn-lock``) holding the
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
LOCK_SUFFIX = ".fcn-lock"  # recognisable: a stale one is ours to delete, another program's never


def lock_path(target: str | os.PathLike[str]) -> Path:
    target = Path(target)
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


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


def is_lock_file(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(LOCK_SUFFIX)


def remove_if_stale(path: Path) -> bool:
    """Delete a lock file nobody holds (its process was killed); True if it was removed."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        if not _try_lock(fd):
            return False  # held: a live run
        with contextlib.suppress(OSError):
            path.unlink()
            return True
        return False
    finally:
        os.close(fd)


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
