"""Small file helpers shared by every writer: atomic writes, temporaries, disk-full
messages and content sniffing.

Every file FCN Studio writes goes through :func:`atomic_path`: the bytes go to a hidden
temporary next to the target, named ``.<target>.fcn-tmp-<pid>-<random><suffix>`` so that
it is recognisable (never listed as a model, never mistaken for an output) and so that the
next run can tell whether its writer is still alive (:func:`clean_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

TEMP_MARK = ".fcn-tmp-"
# .<name>.fcn-tmp-<pid>-<token><suffix>
_TEMP_RE = re.compile(r"^\..+\.fcn-tmp-(?P<pid>\d+)-[0-9a-f]+(\.[^.]*)?$")
# A temporary whose writer still runs is kept unless it is this old (pid reuse, another host).
STALE_AFTER_S = 24 * 3600


def temporary_name(target: Path, suffix: str | None = None) -> Path:
    """A fresh recognisable temporary name next to ``target`` (nothing is created)."""
    suffix = suffix or target.suffix or ".tmp"
    return target.with_name(f".{target.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def is_temporary(path: Path) -> bool:
    return bool(_TEMP_RE.match(path.name))


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other portable way to read it
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    Nothing is left under ``target``'s name if the body raises or is interrupted, and an
    existing file there is only replaced once the new one is complete. The result gets the
    permissions any new file would get (0666 less the umask), not a private temporary's 0600.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = temporary_name(target, suffix)
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    os.close(fd)
    try:
        yield tmp_path
        if tmp_path.exists():  # writers that replace the file (safetensors) reset its mode
            os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def read_json_table(path: Path) -> dict:
    """A small JSON object kept in the cache folder (measurements); {} when it is missing or
    damaged: a lost table only costs measuring again."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json_table(path: Path, data: dict) -> None:
    """Write such a table atomically; a read-only or full cache folder only costs measuring again."""
    with contextlib.suppress(OSError), atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1))


def make_folders(root: str | os.PathLike[str], folder: str | os.PathLike[str], option: str = "--out") -> Path:
    """Create ``folder`` (``root`` or inside it) one level at a time, never through a link:
    a symbolic link planted at a subfolder FCN Studio makes (``OUT/sub`` -> elsewhere) would
    send every file written there to its target. ``root`` itself is the user's choice and
    may be a link. Raises FCNStudioError for a link, or a file where a folder goes."""
    from fcn_studio.errors import FCNStudioError

    root, folder = Path(root), Path(folder)
    relative = folder.relative_to(root)
    current = root
    for part in relative.parts:
        current = current / part
        try:
            os.mkdir(current, 0o777)
            continue
        except FileExistsError:
            pass
        except OSError as exc:
            raise FCNStudioError(
                "cannot create {path} ({error}); choose another {option}",
                path=current,
                error=str(exc.strerror or exc),
                option=option,
            ) from None
        st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            raise FCNStudioError(
                "{path} is a symbolic link where FCN Studio writes a folder of its own (someone may have planted it "
                "to write elsewhere); nothing was written through it: remove it, or choose another {option}",
                path=current,
                option=option,
            )
        if not stat.S_ISDIR(st.st_mode):
            raise FCNStudioError(
                "{path} is a file where FCN Studio writes the folder {folder}/; move it away, or choose another "
                "{option}",
                path=current,
                folder=relative.as_posix(),
                option=option,
            )
    return folder


@contextlib.contextmanager
def scratch_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A private hidden folder next to ``target`` for a writer that makes temporaries of its
    own (safetensors writes ``.tmpXXXXXX`` files, then renames): named as our temporaries
    are, so what a killed write leaves inside is removed by the next run's clean-up."""
    folder = temporary_name(Path(target), ".dir")
    os.mkdir(folder, 0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def claim_and_remove(path: str | os.PathLike[str]) -> bool:
    """Remove a folder (or file) that several processes may remove at once: it is first
    renamed to a temporary name of this process (one rename wins), then deleted; True only
    for the process that removed it, so two cleans never both report one removal."""
    path = Path(path)
    claimed = temporary_name(path, ".dir")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return False
    except OSError:
        return False
    if claimed.is_dir() and not claimed.is_symlink():
        shutil.rmtree(claimed, ignore_errors=True)
    else:
        claimed.unlink(missing_ok=True)
    return True


def write_safetensors(tensors: dict, path: Path, metadata: dict[str, str] | None = None) -> None:
    """safetensors' ``save_file`` onto ``path`` (a temporary from :func:`atomic_path`), its own
    temporary kept inside a :func:`scratch_folder` rather than loose in the user's folder."""
    from safetensors.torch import save_file

    with scratch_folder(path) as folder:
        written = folder / "w.safetensors"
        save_file(tensors, str(written), metadata=metadata)
        os.replace(written, path)


def _remove_entry(entry: os.DirEntry) -> None:
    """A temporary file, or a scratch folder with what is in it (links are never followed)."""
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)


def remove_stale_temporaries(targets: Iterable[Path]) -> None:
    """Delete the temporaries that :func:`atomic_path` left for ``targets`` when a process
    writing them was killed (call before writing them again, never while another process
    writes the same targets)."""
    by_folder: dict[Path, set[str]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(target.name)
    for folder, names in by_folder.items():
        try:
            entries = [e for e in os.scandir(folder) if _TEMP_RE.match(e.name)]
        except OSError:
            continue  # no folder yet: nothing stale in it
        for entry in entries:
            # ".<target name>.fcn-tmp-<pid>-<hex><suffix>", as atomic_path names them
            if entry.name[1:].split(TEMP_MARK, 1)[0] in names:
                with contextlib.suppress(OSError):
                    _remove_entry(entry)


def _owner_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep it
    return True


def clean_stale_temporaries(folder: str | os.PathLike[str], max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete this program's temporaries in ``folder`` whose writer is gone (dead pid) or
    that are older than ``max_age_s``, and lock files nobody holds; returns what was
    removed. Other files are never touched."""
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    from fcn_studio.files.locks import is_lock_file, remove_if_stale

    for entry in entries:
        if is_lock_file(Path(entry.name)) and entry.is_file(follow_symlinks=False):
            if remove_if_stale(Path(entry.path)):
                removed.append(Path(entry.path))
            continue
        if _is_abandoned_safetensors_temporary(entry, now):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            continue
        match = _TEMP_RE.match(entry.name)
        if not match or not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > max_age_s
            if old or not _owner_alive(int(match["pid"])):
                _remove_entry(entry)
                removed.append(Path(entry.path))
        except OSError:
            continue  # vanished meanwhile, or not ours to delete
    return removed


# safetensors' own temporary name (earlier versions of FCN Studio let it write loose ones)
_SAFETENSORS_TMP_RE = re.compile(r"^\.tmp[A-Za-z0-9]{6}$")
_SAFETENSORS_TMP_QUIET_S = 60.0  # untouched this long: its writer is gone (a live one writes on)


def _is_abandoned_safetensors_temporary(entry: os.DirEntry, now: float) -> bool:
    """A ``.tmpXXXXXX`` file safetensors left when a checkpoint write was killed: only a plain
    file of this user, idle for a minute, whose header says it is an FCN Studio checkpoint;
    another program's temporaries never match."""
    if not _SAFETENSORS_TMP_RE.match(entry.name) or not entry.is_file(follow_symlinks=False):
        return False
    try:
        st = entry.stat(follow_symlinks=False)
        if (hasattr(os, "geteuid") and st.st_uid != os.geteuid()) or now - st.st_mtime < _SAFETENSORS_TMP_QUIET_S:
            return False
        return read_safetensors_metadata(Path(entry.path)).get("format") == CHECKPOINT_FORMAT
    except (OSError, ValueError):
        return False


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT, also when a library wrapped it in its own exception's text."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    text = str(exc)
    return "No space left" in text or "code: 28" in text or "Disk quota exceeded" in text


def write_error(
    path: str | os.PathLike[str], exc: BaseException, needed_bytes: int | None = None, option: str = "--out"
) -> str:
    """One line for a failed write of ``path``: disk full says how much to free."""
    path = Path(path)
    free = _free_bytes(path.parent)
    # Some writers (torch.save) hide the errno; too little room left says it as well.
    if is_disk_full(exc) or (needed_bytes and free is not None and free < needed_bytes):
        short_mb = -(-(needed_bytes - (free or 0)) // 1_000_000) if needed_bytes else 0  # rounded up
        need = f"free {max(1, short_mb)} MB" if needed_bytes else "free some space"
        return f"no space left on {path.parent} while writing {path.name}: {need} or choose another {option}"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first_line(exc)
    return f"could not write {path}: {reason}"


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_writable_folder(folder: str | os.PathLike[str], option: str = "--out") -> Path:
    """Create ``folder`` if needed and prove a file can be created there, before any long
    work whose results would go there. Raises FCNStudioError naming the folder."""
    from fcn_studio.errors import FCNStudioError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = temporary_name(folder / "write-check", ".probe")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except FileExistsError:
        raise FCNStudioError(
            "{folder} is a file, not a folder; choose another {option}", folder=folder, option=option
        ) from None
    except OSError as exc:
        raise FCNStudioError(
            "cannot write to {folder} ({error}); choose another {option}",
            folder=folder,
            error=exc.strerror or exc,
            option=option,
        ) from None
    return folder


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
