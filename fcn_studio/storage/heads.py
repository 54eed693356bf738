"""Head files: a version that differs from its base only in the score layers.

A head-only round (Label mode's retrain, ``train --freeze-backbone``) changes three 1x1
convolutions (score_fr, score_pool4, score_pool3); the backbone is the base's and the
upsampling deconvolutions are fixed bilinear (models/fcn.py). So such a version is stored
as those layers plus what describes it (label set and colours, preprocessing, the base it
belongs to by content hash, training summary, scores, date): a safetensors file of
kilobytes, format tag :data:`HEAD_FORMAT`, in the weights folder under the version's id.

Reading one (:func:`head_checkpoint`, called by ``load_checkpoint`` for any head file)
finds the base by id, checks that it still holds the same bytes (its content hash), and
puts the head on it; the result is an ordinary checkpoint, so everything that loads a
model keeps working. The model service shares one loaded base between its versions.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.storage.fileio import atomic_path, write_error, write_safetensors

if TYPE_CHECKING:
    import torch

    from fcn_studio.models.preprocessing import Preprocessing
    from fcn_studio.storage.checkpoint import Checkpoint

HEAD_FORMAT = "fcn-studio-head/1"
SCORE_PREFIXES = ("score_fr.", "score_pool4.", "score_pool3.")
UPSCORE_PREFIX = "upscore"


@dataclass
class BaseRef:
    """The model a head belongs to: its id (or path) and the SHA-256 of its file."""

    id: str
    sha256: str
    path: str = ""  # where it was when the head was made (used when the id no longer resolves)

    def to_dict(self) -> dict:
        return {"id": self.id, "sha256": self.sha256, "path": self.path}


@dataclass
class Head:
    """What a head file holds."""

    arch: str
    labels: LabelSet
    preprocessing: Preprocessing
    tensors: dict[str, torch.Tensor]  # score layers (and upsampling only where not bilinear)
    base: BaseRef
    provenance: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def metadata(self) -> dict[str, str]:
        return {
            "format": HEAD_FORMAT,
            "arch": self.arch,
            "num_classes": str(self.labels.num_classes),
            "labels": json.dumps(self.labels.to_dict()),
            "preprocessing": json.dumps(self.preprocessing.to_dict()),
            "base": json.dumps(self.base.to_dict()),
            "provenance": json.dumps(self.provenance),
            "metrics": json.dumps(self.metrics),
            "training": json.dumps(self.training),
        }


def head_tensors(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The part of a (head or full) state dict a head file keeps: the score layers, and an
    upsampling layer only where it is not the fixed bilinear filter it is rebuilt as."""
    from fcn_studio.models import bilinear_kernel

    out = {k: v.detach().to("cpu").float().contiguous() for k, v in state.items() if k.startswith(SCORE_PREFIXES)}
    for name, value in state.items():
        if name.startswith(UPSCORE_PREFIX):
            w = value.detach().to("cpu").float()
            if w.ndim != 4 or not bool((w == bilinear_kernel(w.shape[0], w.shape[-1])).all()):
                out[name] = w.contiguous()
    return out


def write_head(head: Head, path: str | Path) -> Path:
    """Write ``head`` atomically (temporary name, then rename)."""
    from safetensors import SafetensorError

    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            write_safetensors(head.tensors, tmp, head.metadata())
    except (OSError, SafetensorError) as exc:
        raise FCNStudioError(write_error(path, exc, 1 << 20, "folder ($FCN_STUDIO_WEIGHTS)")) from None
    return path


def is_head_metadata(meta: dict[str, str] | None) -> bool:
    return bool(meta) and meta.get("format") == HEAD_FORMAT


def read_head_file(path: str | Path) -> Head:
    """A head file's contents (without its base)."""
    from fcn_studio.storage.checkpoint import read_tensors

    tensors, meta = read_tensors(path)
    if not is_head_metadata(meta):
        raise FCNStudioError(f"{path}: not an FCN Studio head file")
    return _head_from(tensors, meta, Path(path))


def _head_from(tensors: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> Head:
    from fcn_studio.models.preprocessing import Preprocessing

    try:
        labels = LabelSet.from_dict(json.loads(meta["labels"]))
        base = json.loads(meta["base"])
        return Head(
            arch=meta["arch"],
            labels=labels,
            preprocessing=Preprocessing.from_dict(json.loads(meta["preprocessing"])),
            tensors=tensors,
            base=BaseRef(str(base["id"]), str(base["sha256"]), str(base.get("path", ""))),
            provenance=json.loads(meta.get("provenance", "{}")),
            metrics=json.loads(meta.get("metrics", "{}")),
            training=json.loads(meta.get("training", "{}")),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise FCNStudioError(f"{path}: damaged head file metadata ({exc}); train the version again") from None


def base_path(ref: BaseRef, head_path: Path) -> Path:
    """The file of a head's base: the id first (re-resolved, so a moved weights folder
    works), then the recorded path; either must still hold the same bytes."""
    from fcn_studio.storage.identity import content_hash
    from fcn_studio.storage.weights import locate_weights

    candidates: list[Path] = []
    with contextlib.suppress(FCNStudioError):
        candidates.append(locate_weights(ref.id)[0])
    if ref.path:
        candidates.append(Path(ref.path))
    changed = None
    for candidate in candidates:
        if candidate.is_file():
            if content_hash(candidate) == ref.sha256:
                return candidate
            changed = candidate
    if changed is not None:
        raise FCNStudioError(
            f"{head_path.name}: its base model {ref.id} ({changed}) has changed since this version was trained; "
            f"put the original {ref.id} back, or remove this version"
        )
    raise FCNStudioError(
        f"{head_path.name}: its base model {ref.id} is not installed; install {ref.id} again, or remove this version"
    )


def base_known(ref: BaseRef) -> dict:
    """What the weights manifest knows about the base that its file cannot say."""
    from fcn_studio.storage.weights import locate_weights

    try:
        path, known = locate_weights(ref.id)
    except FCNStudioError:
        return {}
    return known if path.is_file() else {}


def head_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> Checkpoint:
    """The full checkpoint a head file stands for: its base with this head on it."""
    from fcn_studio.storage.checkpoint import load_checkpoint

    head = _head_from(tensors, meta, path)
    known = base_known(head.base)
    base = load_checkpoint(base_path(head.base, path), **{k: v for k, v in known.items() if k != "provenance"})
    return put_head(base, head, path)


def put_head(base: Checkpoint, head: Head, source: Path | None) -> Checkpoint:
    """``base`` with ``head``'s score layers, labels and preprocessing (the backbone's
    tensors are the base's own objects: nothing is copied)."""
    from fcn_studio.models import bilinear_kernel
    from fcn_studio.storage.checkpoint import Checkpoint

    if base.arch != head.arch:
        raise FCNStudioError(f"{source}: a {head.arch} head cannot go on the {base.arch} base {head.base.id}")
    state = {k: v for k, v in base.state_dict.items() if not k.startswith(("score", UPSCORE_PREFIX))}
    c = head.labels.num_classes
    for name, value in base.state_dict.items():
        if name.startswith(UPSCORE_PREFIX):
            state[name] = head.tensors.get(name, bilinear_kernel(c, value.shape[-1]))
    state |= {k: v for k, v in head.tensors.items() if k.startswith(SCORE_PREFIXES)}
    provenance = {**head.provenance, "base_model": head.base.id}
    checkpoint = Checkpoint(head.arch, c, head.labels, head.preprocessing, state, provenance=provenance,
                            metrics=head.metrics, training=head.training, source=source)  # fmt: skip
    checkpoint.base = LoadedBase(head.base, base.source, base)
    return checkpoint


def version_checkpoint(head: Head, path: Path) -> Checkpoint:
    """A head file as a checkpoint of its own tensors (the score layers), for a caller that
    puts them on a base it already has loaded (the model service)."""
    from fcn_studio.storage.checkpoint import Checkpoint

    return Checkpoint(head.arch, head.labels.num_classes, head.labels, head.preprocessing, dict(head.tensors),
                      provenance={**head.provenance, "base_model": head.base.id}, metrics=head.metrics,
                      training=head.training, source=path)  # fmt: skip


@dataclass
class LoadedBase:
    """The base under a checkpoint read from a head file: its reference, its file, and its
    own checkpoint (whose tensors the head's checkpoint shares)."""

    ref: BaseRef
    path: Path | None
    checkpoint: Checkpoint


def head_base(checkpoint: Checkpoint) -> LoadedBase | None:
    """The base a checkpoint read from a head file sits on (None for a full file)."""
    return checkpoint.base if isinstance(checkpoint.base, LoadedBase) else None


def export_standalone(spec: str, file: str | Path, *, overwrite: bool = False) -> Path:
    """Write the model ``spec`` (an id or a path; a head version with its base) as one
    standalone FCN Studio weights file in the published layout (conv1_1 ... upscore8, with
    its label set, preprocessing and scores), to share or import elsewhere."""
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
    from fcn_studio.storage.weights import resolve_model

    file = Path(file)
    if file.suffix.lower() != ".safetensors":
        raise FCNStudioError(f"{file.name}: export writes a .safetensors file; give a name ending in .safetensors")
    if file.exists() and not overwrite:
        raise FCNStudioError(f"{file} exists; choose another file name, or replace it with --force")
    ckpt = resolve_model(spec)
    provenance = {k: v for k, v in ckpt.provenance.items() if k not in ("family", "version")}
    standalone = Checkpoint(ckpt.arch, ckpt.num_classes, ckpt.labels, ckpt.preprocessing, ckpt.state_dict,
                            provenance={**provenance, "exported_from": spec}, metrics=ckpt.metrics,
                            training=ckpt.training)  # fmt: skip
    return save_checkpoint(standalone, file, option="FILE")
