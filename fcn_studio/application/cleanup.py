"""Keeping the weights folder and the conversion caches bounded: ``weights clean`` and the
Models dialog's "Clean up".

What goes: conversions that are stale (their weights file is gone or holds other bytes, or
they were made by another ONNX Runtime version), unfinished conversion folders, the least
recently used conversions beyond the budget, and, when asked, old versions of a model
(every version but the base, the one in use and the newest). Never what is in use: a
conversion a running program has open, a version chosen as current, one that versions stored
as heads sit on, or one in ``keep`` (the models the app's open views show or hold).

Each removal says what it frees: a file that another link (a training's ``--out``, say)
still holds frees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fcn_studio.storage import conversions


@dataclass(frozen=True)
class Removal:
    path: Path
    size_bytes: int
    why: str


def clean(*, versions: bool = False, keep: frozenset[str] = frozenset(), dry_run: bool = False) -> list[Removal]:
    """Remove (or with ``dry_run`` only list) what is of no further use; see the module."""
    from fcn_studio.inference.runtime import onnxruntime_version

    runtime = f"onnxruntime{onnxruntime_version()}" if onnxruntime_version() else None
    out: list[Removal] = []
    from fcn_studio.storage.weights import weights_dir

    for root in conversions.cache_roots(weights_dir()):
        for folder in conversions.abandoned_folders(root):
            out.append(_gone(folder, conversions.folder_size(folder), "unfinished conversion", dry_run))
        for c in conversions.list_conversions(root):
            if conversions.is_stale(c, runtime) and (dry_run or conversions.remove(c.folder)):
                out.append(Removal(c.folder, c.size_bytes, "stale conversion"))
        if not dry_run:
            before = {c.folder: c.size_bytes for c in conversions.list_conversions(root)}
            out += [Removal(f, before.get(f, 0), "over the cache budget") for f in conversions.enforce_budget(root)]
    if versions:
        out += _old_versions(keep, dry_run)
    return [r for r in out if r is not None]


def _gone(folder: Path, size: int, why: str, dry_run: bool) -> Removal | None:
    from fcn_studio.files.fileio import claim_and_remove

    if not dry_run and not claim_and_remove(folder):
        return None  # another clean took it first: said once, by that one
    return Removal(folder, size, why)


def old_versions(keep: frozenset[str] = frozenset()) -> list[str]:
    """Ids of versions that could go: not the base, not the current, not the newest, not kept."""
    from fcn_studio.labelling.versions import current_version, list_versions
    from fcn_studio.storage.weights import installed_models

    models = installed_models()
    families = {m.id.rsplit("-v", 1)[0] for m in models if "-v" in m.id}
    bases = {m.base for m in models if m.base}  # versions stored as heads need theirs
    out = []
    for family in sorted(families):
        found = list_versions(family)
        if len(found) < 3:
            continue
        spare = {found[0].id, found[-1].id, current_version(family), *keep, *bases}
        out += [v.id for v in found if v.id not in spare]
    return out


def freed_bytes(path: Path, cache_bytes: int = 0) -> int:
    """What removing a model file frees: its bytes unless another link keeps them (a link
    itself frees nothing), and its conversions."""
    try:
        st = path.lstat()
    except OSError:
        return cache_bytes
    own = st.st_size if path.is_file() and not path.is_symlink() and st.st_nlink == 1 else 0
    return own + cache_bytes


def _old_versions(keep: frozenset[str], dry_run: bool) -> list[Removal]:
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.storage.weights import list_weights, remove_weights

    sizes = {r.id: (r.path, freed_bytes(r.path, r.cache_bytes)) for r in list_weights() if r.installed}
    out = []
    for model_id in old_versions(keep):
        path, size = sizes.get(model_id, (Path(model_id), 0))
        if not dry_run:
            try:
                remove_weights(model_id)
            except FCNStudioError:  # the base of other versions, say: kept
                continue
        out.append(Removal(path, size, "old version"))
    return out
