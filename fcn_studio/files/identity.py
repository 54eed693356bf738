"""One answer to "is this the same file as before?", and to "what does it hold?".

:class:`FileIdentity` is what changes whenever a file is replaced or rewritten, even under
the same name and size: resolved path, size, modification and change times and inode (the
change time cannot be set back by a user, so an in-place edit followed by ``touch -d`` is
still seen). It costs a ``stat``.

:func:`content_hash` is what the file holds: a SHA-256 of its bytes, computed once per
identity and remembered (in memory and in a small table in the cache folder), so a 0.5 GB
weights file is read once, not at every start. Conversions and head versions are keyed by
it: a file replaced by another of the same size and time is a different model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from fcn_studio.errors import FCNStudioError

_MEMO_NAME = "content-hashes.json"
_MEMO_MAX = 2000  # entries; the oldest go first
_memo: dict[str, str] = {}
_memo_lock = threading.Lock()


@dataclass(frozen=True)
class FileIdentity:
    """What changes when a file is replaced or rewritten, even under the same name."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int = 0

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileIdentity:
        """The identity of ``path`` (links followed); FCNStudioError when it cannot be read."""
        resolved = Path(path).resolve()
        try:
            st = resolved.stat()
        except OSError as exc:
            raise FCNStudioError(
                "{path}: cannot read the file ({error})", path=path, error=exc.strerror or exc
            ) from None
        return cls(str(resolved), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)

    @classmethod
    def maybe(cls, path: str | os.PathLike[str]) -> FileIdentity | None:
        """:meth:`of`, or None for a file that is gone or unreadable."""
        try:
            return cls.of(path)
        except FCNStudioError:
            return None

    @property
    def key(self) -> str:
        return f"{self.path}|{self.size}|{self.mtime_ns}|{self.ctime_ns}|{self.inode}"


def cache_home() -> Path:
    """FCN Studio's cache folder: $FCN_STUDIO_CACHE, else the user cache folder."""
    from fcn_studio import environment

    env = environment.read(environment.CACHE)
    if env:
        return env
    import platformdirs

    return Path(platformdirs.user_cache_dir("fcn-studio", appauthor=False))


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of the file's bytes, read once per :class:`FileIdentity`."""
    identity = FileIdentity.of(path)
    with _memo_lock:
        if not _memo:
            _memo.update(_read_memo())
        known = _memo.get(identity.key)
    if known:
        return known
    digest = hash_file(Path(identity.path))
    if FileIdentity.maybe(identity.path) != identity:  # changed while being read: not remembered
        return digest
    with _memo_lock:
        _memo[identity.key] = digest
        _write_memo()
    return digest


def hash_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    except OSError as exc:
        raise FCNStudioError("{path}: cannot read the file ({error})", path=path, error=exc.strerror or exc) from None
    return h.hexdigest()


def _memo_path() -> Path:
    return cache_home() / _MEMO_NAME


def _read_memo() -> dict[str, str]:
    try:
        data = json.loads(_memo_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_memo() -> None:
    """Best effort: a read-only cache folder only means hashing again next time."""
    from fcn_studio.files.fileio import atomic_path

    while len(_memo) > _MEMO_MAX:
        _memo.pop(next(iter(_memo)))
    with contextlib.suppress(OSError), atomic_path(_memo_path()) as tmp:
        tmp.write_text(json.dumps(_memo), encoding="utf-8")
