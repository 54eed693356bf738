"""Small file helpers shared by every writer: atomic writes and content sniffing."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    Nothing is left under ``target``'s name if the body raises or is interrupted, and an
    existing file there is only replaced once the new one is complete.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates the file private (0600); the result should get the permissions any
    # new file would (the umask), or keep those of the file it replaces.
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
        os.chmod(tmp_path, mode)
    except OSError:
        pass  # a file system without permissions (FAT, some network shares)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(targets: Iterable[Path]) -> None:
    """Delete the temporaries that :func:`atomic_path` left for ``targets`` when a process
    writing them was killed (call before writing them again, never while another process
    writes the same targets)."""
    by_folder: dict[Path, set[str]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(target.name)
    for folder, names in by_folder.items():
        try:
            entries = [e for e in os.scandir(folder) if e.name.startswith(".")]
        except OSError:
            continue  # no folder yet: nothing stale in it
        for entry in entries:
            # ".<target name>.<random><suffix>", as atomic_path names them
            if entry.name[1:].rsplit(".", 2)[0] in names and entry.name.count(".") >= 3:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once (not thread-safe, but brief)
    os.umask(mask)
    return mask


def looks_like_html(head: bytes) -> bool:
    """True when a file starts like a web page (a login or "can't scan" page, say)."""
    text = head.lstrip()[:512].lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<html" in text


def read_head(path: Path, n: int = 1024) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


# The format tag of FCN Studio checkpoints (safetensors metadata key "format").
CHECKPOINT_FORMAT = "fcn-studio/1"


def read_safetensors_metadata(path: Path) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file, read from its JSON header alone.

    Cheap and free of torch, so listing models never pays for importing it.
    """
    with open(path, "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        if not 0 < header_len < 100_000_000:
            raise ValueError(f"{path}: not a safetensors file")
        header = json.loads(fh.read(header_len))
    return dict(header.get("__metadata__") or {})
