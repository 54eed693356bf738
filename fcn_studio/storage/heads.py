"""Head files: a version that differs from its base only in the score layers.

A head-only round (Label mode's retrain, ``train --freeze-backbone``) changes three 1x1
convolutions (score_fr, score_pool4, score_pool3); the backbone is the base's and the
upsampling deconvolutions are fixed bilinear (models/fcn.py). So such a version is stored
as those layers plus what describes it (label set and colours, preprocessing, the base it
belongs to by content hash, training summary, scores, date): a safetensors file of
kilobytes, format tag :data:`HEAD_FORMAT`, in the weights folder under the version's id.

Reading one (``load_checkpoint`` of any head file) finds the base by its id among the
installed models (never at a path the file names), checks that it still holds the same bytes (its content hash), and puts the head on it; the
result is an ordinary checkpoint, so everything that loads a model keeps working. The
model service shares one loaded base between its versions. This module stands below the
checkpoint reader and the weights folder: it imports neither.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path, write_error, write_safetensors

if TYPE_CHECKING:
    import torch

    from fcn_studio.models.preprocessing import Preprocessing

HEAD_FORMAT = "fcn-studio-head/1"
SCORE_PREFIXES = ("score_fr.", "score_pool4.", "score_pool3.")
UPSCORE_PREFIX = "upscore"


@dataclass
class BaseRef:
    """The model a head belongs to: its id (or path) and the SHA-256 of its file."""

    id: str
    sha256: str
    path: str = ""  # where it was when the head was made: never written nor read (see to_dict)

    def to_dict(self) -> dict:
        # by id and hash only: a path in a file is never opened (a shared head file could
        # name any file on the reader's machine), so none is written
        return {"id": self.id, "sha256": self.sha256}


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


def write_head(head: Head, path: str | Path, option: str = "folder ($FCN_STUDIO_WEIGHTS)") -> Path:
    """Write ``head`` atomically (temporary name, then rename); ``option`` is what a full
    disk's message offers to choose instead."""
    from safetensors import SafetensorError

    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            write_safetensors(head.tensors, tmp, head.metadata())
    except (OSError, SafetensorError) as exc:
        raise FCNStudioError(write_error(path, exc, 1 << 20, option)) from None
    return path


def is_head_metadata(meta: dict[str, str] | None) -> bool:
    return bool(meta) and meta.get("format") == HEAD_FORMAT


def read_head_file(path: str | Path) -> Head:
    """A head file's contents (without its base)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - safe_open is not a dict
    except (SafetensorError, OSError, ValueError) as exc:
        raise FCNStudioError(
            "{path}: unreadable head file ({error}); train the version again", path=path, error=exc
        ) from None
    if not is_head_metadata(meta):
        raise FCNStudioError("{path}: not an FCN Studio head file", path=path)
    return parse_head(tensors, meta, Path(path))


def parse_head(tensors: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> Head:
    """A head from a head file's tensors and metadata (``path`` names it in messages)."""
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
        raise FCNStudioError(
            "{path}: damaged head file metadata ({error}); train the version again", path=path, error=exc
        ) from None


def base_path(ref: BaseRef, head_path: Path, locate: Callable[[str], Path] | None = None) -> Path:
    """The file of a head's base: an installed model found by its id with ``locate`` (the
    weights folder's lookup of ids, never of paths); it must still hold the same bytes. A
    head file names its base by id and hash only: a path in it (an id that is a path, or
    an older file's recorded path) is never opened."""
    from fcn_studio.files.identity import content_hash

    if not _plain_id(ref.id):
        raise FCNStudioError(
            "{name}: its base is named {base!r}, not by an installed model's id; nothing was opened at that path: "
            "install the base model under an id and train the version again",
            name=head_path.name,
            base=ref.id[:80],
        )
    candidate = None
    if locate is not None:
        with contextlib.suppress(FCNStudioError):
            candidate = locate(ref.id)
    if candidate is not None and candidate.is_file():
        if content_hash(candidate) == ref.sha256:
            return candidate
        raise FCNStudioError(
            "{name}: its base model {id} ({changed}) has changed since this version was trained; put the original {id} back, or remove this version",
            name=head_path.name,
            id=ref.id,
            changed=candidate,
        )
    raise FCNStudioError(
        "{name}: its base model {id} is not installed; install {id} again, or remove this version",
        name=head_path.name,
        id=ref.id,
    )


def _plain_id(text: str) -> bool:
    """A name that can only be a file name in the weights folder, never a path."""
    from fcn_studio.storage.model_ids import is_valid_id

    return is_valid_id(text) and not Path(text).is_absolute()


def composed_state(base_state: dict[str, torch.Tensor], head: Head) -> dict[str, torch.Tensor]:
    """The base's tensors with ``head``'s score layers (the backbone's are the base's own
    objects: nothing is copied) and bilinear upsampling for the head's classes."""
    from fcn_studio.models import bilinear_kernel

    state = {k: v for k, v in base_state.items() if not k.startswith(("score", UPSCORE_PREFIX))}
    c = head.labels.num_classes
    for name, value in base_state.items():
        if name.startswith(UPSCORE_PREFIX):
            state[name] = head.tensors.get(name, bilinear_kernel(c, value.shape[-1]))
    return state | {k: v for k, v in head.tensors.items() if k.startswith(SCORE_PREFIXES)}
