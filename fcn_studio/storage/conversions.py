"""The conversion caches on disk: what each one is of, how big, when last used, whether in
use or stale; and the budget that keeps them bounded (least recently used go first).

A conversion folder holds ``meta.json`` naming its source (path, SHA-256 of the weights)
and one graph with its weights, optimised for this CPU (another CPU converts again). A process that has a conversion
open holds a shared lock on its ``.in-use`` file, so cleanup (here or in another process)
never removes one in use; each opening touches ``.last-used``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

CACHE_DIRNAME = ".fcn-studio-cache"  # beside the weights file it converts, when that folder is writable
IN_USE = ".in-use"
LAST_USED = ".last-used"
ABANDONED_AFTER_S = 3600.0


@dataclass(frozen=True)
class Conversion:
    folder: Path
    size_bytes: int
    last_used: float
    source: str  # the weights file it was made from ("" when unknown)
    sha256: str  # of that file's bytes when converted
    runtime: str  # e.g. "onnxruntime1.20.1"

    @property
    def name(self) -> str:
        return self.folder.name


def budget_bytes() -> int:
    """$FCN_STUDIO_CONVERSION_BUDGET_MB (default 4096: about seven fp32 FCN-8s conversions,
    each one graph optimised for this CPU, the size of the weights file: ~0.54 GB)."""
    from fcn_studio import environment

    return max(0, environment.read(environment.CONVERSION_BUDGET_MB)) * 2**20


def folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def read_conversion(folder: Path) -> Conversion | None:
    """The conversion in ``folder`` (None: not a finished conversion)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    stamp = folder / LAST_USED
    last = stamp.stat().st_mtime if stamp.exists() else folder.stat().st_mtime
    return Conversion(
        folder,
        folder_size(folder),
        last,
        str(meta.get("source", "")),
        str(meta.get("source_sha256", "")),
        str(meta.get("runtime", "")),
    )


def list_conversions(root: Path) -> list[Conversion]:
    """Every finished conversion under ``root``, least recently used first."""
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
    found = [c for c in map(read_conversion, folders) if c is not None]
    return sorted(found, key=lambda c: c.last_used)


def abandoned_folders(root: Path) -> list[Path]:
    """Temporary folders of conversions that never finished (the process ended mid-way)."""
    out = []
    with contextlib.suppress(OSError):
        for p in root.iterdir():
            if p.name.startswith(".") and p.is_dir() and time.time() - p.stat().st_mtime > ABANDONED_AFTER_S:
                out.append(p)
    return out


def hold(folder: Path) -> int | None:
    """Mark ``folder`` in use for as long as the returned descriptor stays open."""
    try:
        fd = os.open(folder / IN_USE, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError:
        return None  # a read-only cache: nothing will remove it from here either
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    _touch(folder / LAST_USED)
    return fd


def _touch(path: Path) -> None:
    """Stamp ``path`` with the time now (a link planted there is not followed)."""
    with contextlib.suppress(OSError):
        stamp = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            os.utime(stamp)
        finally:
            os.close(stamp)


def in_use(folder: Path) -> bool:
    try:
        fd = os.open(folder / IN_USE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: keep it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def remove(folder: Path) -> bool:
    """Delete a conversion unless some process has it open; True when removed."""
    if in_use(folder):
        return False
    from fcn_studio.files.fileio import claim_and_remove

    return claim_and_remove(folder)  # of two cleans at once, only the one that removed it says so


def enforce_budget(root: Path, budget: int | None = None) -> list[Path]:
    """Remove the least recently used conversions under ``root`` until they fit ``budget``
    (default: $FCN_STUDIO_CONVERSION_BUDGET_MB); ones in use are never removed."""
    budget = budget_bytes() if budget is None else budget
    conversions = list_conversions(root)
    used = sum(c.size_bytes for c in conversions)
    removed = []
    for c in conversions:
        if used <= budget:
            break
        if remove(c.folder):
            used -= c.size_bytes
            removed.append(c.folder)
    return removed


def is_stale(c: Conversion, runtime: str | None) -> bool:
    """Of no further use: its weights file is gone or holds other bytes now, or it was made
    by another ONNX Runtime version than the one installed."""
    from fcn_studio.files.identity import content_hash

    if runtime and c.runtime and c.runtime != runtime:
        return True
    if not c.source or not c.sha256:
        return False  # made from weights without a file: only the budget removes it
    try:
        return content_hash(c.source) != c.sha256
    except Exception:  # gone or unreadable
        return True


def cache_roots(weights_folder: Path) -> list[Path]:
    """Where conversions are kept: beside the weights folder's files, and the user cache."""
    from fcn_studio.files.identity import cache_home

    beside = weights_folder / CACHE_DIRNAME
    # a link planted at the name is not our cache: never listed, so never cleaned through
    return [*([] if beside.is_symlink() else [beside]), cache_home() / "compiled"]


def all_conversions(weights_folder: Path) -> list[Conversion]:
    return [c for root in cache_roots(weights_folder) for c in list_conversions(root)]


def conversions_of(path: Path, weights_folder: Path) -> list[Conversion]:
    """The conversions made from the weights file ``path``."""
    target = str(Path(path).resolve())
    return [c for c in all_conversions(weights_folder) if c.source == target]


def cache_root_for(source: Path | None) -> Path:
    """Next to the weights file when that folder is writable, else the user cache folder."""
    if source is not None:
        folder = Path(source).parent
        beside = folder / CACHE_DIRNAME
        # a link (or file) planted at the name would send the conversion elsewhere: not ours
        if os.access(folder, os.W_OK) and (not os.path.lexists(beside) or own_folder(beside)):
            return beside
    from fcn_studio.files.identity import cache_home

    return cache_home() / "compiled"


def own_folder(path: Path) -> bool:
    """A real folder (not a link) of this user, as FCN Studio makes its cache folders."""
    import stat

    try:
        st = os.lstat(path)
    except OSError:
        return False
    mine = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    return stat.S_ISDIR(st.st_mode) and mine


def follow_umask(folder: Path) -> None:
    """Folders 0777 and files 0666 less the umask, as any new ones would be (mkdtemp and
    some writers make them private)."""
    from fcn_studio.files.fileio import current_umask

    mask = current_umask()
    for root, dirs, files in os.walk(folder):
        with contextlib.suppress(OSError):
            os.chmod(root, 0o777 & ~mask)
        for name in files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o666 & ~mask)
        del dirs  # walked on by os.walk itself


def safe_name(name: str) -> str:
    """``name`` as a folder name: letters, digits, - _ . only, at most 60 characters."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60] or "model"
