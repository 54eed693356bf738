"""One writer at a time per model id or training output.

A lock is a small hidden file next to what it protects (``.<name>.fcn-lock``) holding the
owner's pid, locked with the operating system's advisory lock (``flock`` / ``msvcrt``):
the lock dies with its process, so a killed run never leaves a lock that blocks the next.
The file is removed on release.

Lock files often live in shared folders (a cluster's file system, say), where another user
could plant a symbolic link at a lock's name: the file is opened without following links
(``O_NOFOLLOW``) and only ever written when it is a plain file of our own with one name, so
a planted link or hard link can never make FCN Studio truncate or write another file.

Kept rather than filelock (installed with torch, and not following links since 4.x): these
locks name their holder in the waiting message, and the temporaries cleaner knows them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import Message

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


def _owner(path: Path) -> Message | str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return Message(" (process {pid})", pid=pid) if pid.isdigit() else ""


def is_lock_file(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(LOCK_SUFFIX)


# Never follow a link at the lock's name; never block on a FIFO planted there.
_OPEN_FLAGS = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_lock_file(path: Path) -> int:
    """The lock file's descriptor, created if needed; FCNStudioError when something other
    than a plain file of ours is at that name (a planted link, FIFO or hard link)."""
    try:
        fd = os.open(path, _OPEN_FLAGS | os.O_CREAT, 0o666)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or path.is_symlink():
            raise _not_ours(path, "a symbolic link") from None
        raise FCNStudioError(
            "cannot create the lock file {path} ({error})", path=path, error=exc.strerror or exc
        ) from None
    st = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(st.st_mode):
        problem = "not a plain file"
    elif st.st_nlink != 1:
        problem = "a hard link to another file"
    elif hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        problem = "another user's file"
    if problem:
        os.close(fd)
        raise _not_ours(path, problem)
    return fd


def _not_ours(path: Path, what: str) -> FCNStudioError:
    return FCNStudioError(
        "{path} is {what}, not a lock file FCN Studio made (someone may have planted it to overwrite another file); nothing was written through it: remove it and run again",
        path=path,
        what=what,
    )


def remove_if_stale(path: Path) -> bool:
    """Delete a lock file nobody holds (its process was killed); True if it was removed."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
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


# Locks this process holds for a whole run (``reserve=True``): any lock of the same file taken
# inside is a no-op. Training reserves its model id from the check to the install, and the
# install, wherever it runs, takes the id's lock as usual.
_reserved: set[str] = set()


@contextlib.contextmanager
def exclusive(
    target: str | os.PathLike[str], what: str, wait_s: float = 0.0, *, reserve: bool = False
) -> Iterator[None]:
    """Hold the lock of ``target`` for the body; wait up to ``wait_s`` for another holder,
    then fail with a message that says ``what`` is busy (e.g. "the model id 'x'").
    ``reserve``: this process's later locks of ``target`` pass while the body runs."""
    path = lock_path(target)
    key = os.path.abspath(path)
    if key in _reserved:
        yield
        return
    with _locked(path, what, wait_s):
        if reserve:
            _reserved.add(key)
        try:
            yield
        finally:
            _reserved.discard(key)


@contextlib.contextmanager
def _locked(path: Path, what: str, wait_s: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        fd = _open_lock_file(path)
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
                "{what} is being written by another fcn-studio run{owner}; wait for it to finish, or choose another name",
                what=what,
                owner=_owner(path),
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
