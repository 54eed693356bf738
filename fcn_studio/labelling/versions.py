"""Versions of a user's model: ``<name>-v2``, ``-v3``, ... installed in the weights folder.

Every retrain installs a new version (nothing is overwritten); rolling back only changes
which version is current, so any earlier version can be chosen again later. The base the
family started from counts as version 1.

A head-only round is installed as a head file (:func:`install_head_version`, storage/heads.py):
its score layers over the base, kilobytes instead of a copy of the network, and no new
conversion for the fast path. Versions saved before, as full files, keep loading.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path, read_safetensors_metadata
from fcn_studio.storage.titles import version_title
from fcn_studio.storage.weights import installed_models, manifest_entry, weights_dir

if TYPE_CHECKING:  # torch is imported only when a version is installed (the app's start stays light)
    import torch

    from fcn_studio.data.labels import LabelSet
    from fcn_studio.models.preprocessing import Preprocessing
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
    head_only: bool = False  # stored as a head file over its base (kilobytes)


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
            out.append(
                ModelVersion(
                    info.id, int(match["n"]), info.path, metrics, prov.get("created", ""), info.base is not None
                )
            )
    return sorted(out, key=lambda v: v.version)


def install_version(checkpoint: Checkpoint, family: str) -> ModelVersion:
    """Save ``checkpoint`` as the next version of ``family`` (a full file) and make it current."""
    model_id, number = _next_version(family)
    checkpoint.provenance = {**checkpoint.provenance, **_described(family, number)}
    from fcn_studio.storage.checkpoint import save_checkpoint

    path = save_checkpoint(checkpoint, weights_dir() / f"{model_id}.safetensors")
    choose_version(family, model_id)
    return ModelVersion(model_id, number, path, checkpoint.metrics, checkpoint.provenance["created"])


def install_head_version(
    base: Checkpoint,
    head_state: dict[str, torch.Tensor],
    labels: LabelSet,
    preprocessing: Preprocessing,
    info: dict,
    family: str | None = None,
    *,
    make_current: bool = True,
) -> ModelVersion:
    """Install trained score layers over ``base`` as the next version of ``family`` (default:
    the base's family), stored as a head file of kilobytes; ``make_current`` chooses it.

    ``head_state``: the head's tensors under the FCN's names (score_fr.weight, ...; any
    upscore* are dropped when they are the bilinear filter). ``info``: ``provenance``,
    ``metrics`` and ``training`` dicts, as a checkpoint holds them. A base without a file
    (weights made in memory) is installed as a full file instead."""
    from fcn_studio.storage.checkpoint import head_base

    loaded = head_base(base)  # retraining from a head version: the new head goes on its base
    root = loaded.checkpoint if loaded is not None else base
    family = family or family_for(_base_id(root) or "model")
    active = current_version(family)  # without a choice on record, the newest would become current
    if root.source is None:
        version = _install_full(base, head_state, labels, preprocessing, info, family)
    else:
        model_id, number = _next_version(family)
        info = {**info, "provenance": {**info.get("provenance", {}), **_described(family, number)}}
        path = write_head_over(root, head_state, labels, preprocessing, info, weights_dir() / f"{model_id}.safetensors")
        version = ModelVersion(model_id, number, path, info.get("metrics", {}), info["provenance"]["created"], True)
    # kept but not used (make_current=False): the version in use stays, on record
    choose_version(family, version.id if make_current or active is None else active)
    return version


def write_head_over(
    base: Checkpoint, head_state: dict, labels: LabelSet, preprocessing: Preprocessing, info: dict, path: Path
) -> Path:
    """Write ``head_state`` as a head file at ``path`` over ``base`` (a checkpoint read from
    a full file: its id, or path, and content hash are recorded)."""
    from fcn_studio.files.identity import content_hash
    from fcn_studio.storage.heads import BaseRef, Head, head_tensors, write_head

    source = Path(base.source).resolve()
    ref = BaseRef(_base_id(base) or str(source), content_hash(source), str(source))
    head = Head(
        base.arch,
        labels,
        preprocessing,
        head_tensors(head_state),
        ref,
        provenance=dict(info.get("provenance", {})),
        metrics=info.get("metrics", {}),
        training={**info.get("training", {}), "head_only": True},
    )
    return write_head(head, path)


def register_trained(out: Path, base_spec: str, model_id: str) -> str | None:
    """Make a trained checkpoint ``out`` usable as ``model_id``: a head file when its
    backbone is exactly that of the base it was trained from (``train --freeze-backbone``),
    else a link to the full file. None when there is no ``out``."""
    from fcn_studio.files.locks import exclusive
    from fcn_studio.storage.checkpoint import head_base, load_checkpoint
    from fcn_studio.storage.weights import IMPORT_WAIT_S, model_path, register_checkpoint, resolve_model

    if not Path(out).is_file():
        return None
    trained = load_checkpoint(out)
    base = None
    if base_spec != "scratch":
        try:
            base = resolve_model(base_spec)
        except FCNStudioError:  # a VGG16 classifier, say: no FCN to put a head on
            base = None
    if base is not None and head_base(base) is not None:  # trained from a head version: the head goes on its base
        base = head_base(base).checkpoint
    # A head only over an installed base (a path elsewhere may move or go), with the same backbone
    if base is None or base.base is not None or _base_id(base) is None or not same_backbone(trained, base):
        return register_checkpoint(out, model_id)
    info = {"provenance": trained.provenance, "metrics": trained.metrics, "training": trained.training}
    target = model_path(model_id)
    with exclusive(target, f"the model id {model_id!r}", wait_s=IMPORT_WAIT_S):
        write_head_over(base, trained.state_dict, trained.labels, trained.preprocessing, info, target)
    return model_id


def same_backbone(a: Checkpoint, b: Checkpoint) -> bool:
    """True when ``a`` and ``b`` differ at most in their heads (score and upscore layers)."""
    import torch

    names = [k for k in a.state_dict if not k.startswith(("score", "upscore"))]
    if a.arch != b.arch or set(names) != {k for k in b.state_dict if not k.startswith(("score", "upscore"))}:
        return False
    return all(torch.equal(a.state_dict[k], b.state_dict[k]) for k in names)


def _install_full(base, head_state, labels, preprocessing, info, family) -> ModelVersion:
    from fcn_studio.storage.checkpoint import Checkpoint

    state = {k: v for k, v in base.state_dict.items() if not k.startswith(("score", "upscore"))} | head_state
    ckpt = Checkpoint(
        base.arch,
        labels.num_classes,
        labels,
        preprocessing,
        state,
        provenance=dict(info.get("provenance", {})),
        metrics=info.get("metrics", {}),
        training=info.get("training", {}),
    )
    return install_version(ckpt, family)


def _base_id(checkpoint: Checkpoint) -> str | None:
    """The installed id of the file ``checkpoint`` was read from, if it is in the weights folder."""
    source = checkpoint.source
    if source is None:
        return None
    source = Path(source).resolve()
    for info in installed_models():
        if info.path.resolve() == source:
            return info.id
    return None


def _next_version(family: str) -> tuple[str, int]:
    if not _ID.fullmatch(family):
        raise FCNStudioError("{family!r} cannot name a model: use letters, digits, '-', '_' and '.'", family=family)
    taken = [v.version for v in list_versions(family)]
    number = max([1, *taken]) + 1
    while (weights_dir() / f"{family}-v{number}.safetensors").exists() or manifest_entry(f"{family}-v{number}"):
        number += 1  # a file that is not a readable checkpoint still keeps its name
    return f"{family}-v{number}", number


def _described(family: str, number: int) -> dict:
    return {
        "family": family,
        "version": number,
        "title": version_title(family, number).english(),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


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
        raise FCNStudioError(
            "{model_id!r} is not an installed version of {family!r}; see the version list",
            model_id=model_id,
            family=family,
        )
    path = _pointer(family)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"current": model_id}), encoding="utf-8")
    except OSError as exc:
        raise FCNStudioError("could not write {path}: {error}", path=path, error=exc.strerror or exc) from None


def _pointer(family: str) -> Path:
    return weights_dir() / f"{family}.versions.json"


def export_standalone(spec: str, file: str | Path, *, overwrite: bool = False) -> Path:
    """Write the model ``spec`` (an id or a path; a head version with its base) as one
    standalone FCN Studio weights file in the published layout (conv1_1 ... upscore8, with
    its label set, preprocessing and scores), to share or import elsewhere."""
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
    from fcn_studio.storage.weights import resolve_model

    file = Path(file)
    if file.suffix.lower() != ".safetensors":
        raise FCNStudioError(
            "{name}: export writes a .safetensors file; give a name ending in .safetensors", name=file.name
        )
    if file.exists() and not overwrite:
        raise FCNStudioError("{file} exists; choose another file name, or replace it", fix="replace", file=file)
    ckpt = resolve_model(spec)
    provenance = {k: v for k, v in ckpt.provenance.items() if k not in ("family", "version")}
    standalone = Checkpoint(
        ckpt.arch,
        ckpt.num_classes,
        ckpt.labels,
        ckpt.preprocessing,
        ckpt.state_dict,
        provenance={**provenance, "exported_from": spec},
        metrics=ckpt.metrics,
        training=ckpt.training,
    )
    return save_checkpoint(standalone, file, option="FILE")
