"""Versions of a user's model: ``<name>-v2``, ``-v3``, ... installed in the weights folder.

Every retrain installs a new version (nothing is overwritten); rolling back only changes
which version is current, so any earlier version can be chosen again later. The base the
family started from counts as version 1.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.errors import FCNStudioError
from fcn_studio.storage.fileio import atomic_path, read_safetensors_metadata
from fcn_studio.storage.titles import version_title
from fcn_studio.storage.weights import installed_models, manifest_entry, weights_dir

if TYPE_CHECKING:  # torch is imported only when a version is installed (the app's start stays light)
    from fcn_studio.storage.checkpoint import Checkpoint

_VERSION = re.compile(r"^(?P<family>.+)-v(?P<n>\d+)$")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class ModelVersion:
    id: str
    version: int
    path: Path
    metrics: dict  # held-out scores recorded when it was trained ({} for the base)
    created: str


def family_of(model_id: str) -> str:
    """``crack-v3`` -> ``crack``; an id without a version suffix is its own family."""
    match = _VERSION.match(model_id)
    return match["family"] if match else model_id


def family_for(model_id_or_path: str) -> str:
    """The family name a base gives its versions (an id's family; a file's stem)."""
    stem = family_of(Path(model_id_or_path).stem if Path(model_id_or_path).suffix else model_id_or_path)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "model"


def list_versions(family: str) -> list[ModelVersion]:
    """The installed versions of ``family``, oldest first (the base itself as version 1)."""
    out = []
    for info in installed_models():
        if info.id == family:
            out.append(ModelVersion(info.id, 1, info.path, {}, ""))
            continue
        match = _VERSION.match(info.id)
        if match and match["family"] == family:
            try:
                meta = read_safetensors_metadata(info.path)
                prov, metrics = json.loads(meta.get("provenance", "{}")), json.loads(meta.get("metrics", "{}"))
            except (OSError, ValueError):
                continue
            out.append(ModelVersion(info.id, int(match["n"]), info.path, metrics, prov.get("created", "")))
    return sorted(out, key=lambda v: v.version)


def install_version(checkpoint: Checkpoint, family: str) -> ModelVersion:
    """Save ``checkpoint`` as the next version of ``family`` and make it current."""
    if not _ID.fullmatch(family):
        raise FCNStudioError(f"{family!r} cannot name a model: use letters, digits, '-', '_' and '.'")
    taken = [v.version for v in list_versions(family)]
    number = max([1, *taken]) + 1
    while (weights_dir() / f"{family}-v{number}.safetensors").exists() or manifest_entry(f"{family}-v{number}"):
        number += 1  # a file that is not a readable checkpoint still keeps its name
    model_id = f"{family}-v{number}"
    checkpoint.provenance = {**checkpoint.provenance, "family": family, "version": number,
                             "title": version_title(family, number).english(),
                             "created": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    from fcn_studio.storage.checkpoint import save_checkpoint

    path = save_checkpoint(checkpoint, weights_dir() / f"{model_id}.safetensors")
    choose_version(family, model_id)
    return ModelVersion(model_id, number, path, checkpoint.metrics, checkpoint.provenance["created"])


def current_version(family: str) -> str | None:
    """The version in use: the last one chosen, else the newest installed."""
    versions = list_versions(family)
    ids = [v.id for v in versions]
    try:
        chosen = json.loads(_pointer(family).read_text(encoding="utf-8")).get("current")
    except (OSError, ValueError):
        chosen = None
    if chosen in ids:
        return chosen
    return ids[-1] if ids else None


def choose_version(family: str, model_id: str) -> None:
    """Make ``model_id`` the current version (rolling back, or forward again)."""
    if model_id not in {v.id for v in list_versions(family)}:
        raise FCNStudioError(f"{model_id!r} is not an installed version of {family!r}; see the version list")
    path = _pointer(family)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"current": model_id}), encoding="utf-8")
    except OSError as exc:
        raise FCNStudioError(f"could not write {path}: {exc.strerror or exc}") from None


def _pointer(family: str) -> Path:
    return weights_dir() / f"{family}.versions.json"
