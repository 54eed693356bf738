"""Reading and writing model weights, whatever form they come in.

Supported inputs, detected from the file's content rather than its name:

* FCN Studio checkpoints: safetensors with metadata (architecture, label set,
  preprocessing, provenance, metrics, training settings);
* converted Caffe FCN weights (wkentaro/pytorch-fcn layout), raw or wrapped in
  ``model_state_dict`` / ``state_dict``, optionally with a DataParallel ``module.`` prefix;
* VGG16 ImageNet weights in torchvision's layout (as a training base only).

Nothing here ever runs code from a file: pickles are read with ``weights_only=True``.
"""

from __future__ import annotations

import json
import pickle
import textwrap
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from fcn_studio.data.labels import LabelSet, generic_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import CHECKPOINT_FORMAT as FORMAT_TAG
from fcn_studio.files.fileio import atomic_path, looks_like_html, read_head, write_error, write_safetensors
from fcn_studio.messages import Message
from fcn_studio.models import (
    ARCHITECTURES,
    FCN,
    build_fcn,
    detect_architecture,
    is_vgg16_classifier_state,
    width_divisor_of,
)
from fcn_studio.models.preprocessing import CAFFE_BGR, Preprocessing
from fcn_studio.storage import heads
from fcn_studio.storage.heads import HEAD_FORMAT, BaseRef


@dataclass
class Checkpoint:
    """A segmentation model's weights with everything needed to use them correctly."""

    arch: str
    num_classes: int
    labels: LabelSet
    preprocessing: Preprocessing
    state_dict: dict[str, torch.Tensor]
    provenance: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    # The file these weights were read from (None for weights made in memory): compiled
    # copies of the model are cached under a key of its identity (see runtime.FastPath).
    source: Path | None = field(default=None, compare=False, repr=False)
    # For a version stored as a head file (storage/heads.py): the base it sits on, whose
    # loaded backbone and conversion its versions share. None for a full file.
    base: LoadedBase | None = field(default=None, compare=False, repr=False)

    def build_model(self) -> FCN:
        """An FCN with these weights loaded (strictly), in eval mode, on the CPU."""
        # Built on the meta device and given the loaded tensors (assign=True): the weights
        # exist once in memory, not twice (random init + copy), which saves ~0.5 GB.
        with torch.device("meta"):
            model = build_fcn(self.arch, self.num_classes, width_divisor=width_divisor_of(self.state_dict))
        state = {k: v.float() if v.is_floating_point() else v for k, v in self.state_dict.items()}
        try:
            model.load_state_dict(state, strict=True, assign=True)
        except RuntimeError as exc:
            where = f"{self.source}: " if self.source else ""
            raise FCNStudioError(
                "{where}the weights do not fit {arch} with {num_classes} classes ({clip}); the file is damaged or was saved for another model",
                where=where,
                arch=self.arch,
                num_classes=self.num_classes,
                clip=_clip(_first_line(exc).rstrip("."), 240),
            ) from None
        return model.eval()

    def metadata(self) -> dict[str, str]:
        return {
            "format": FORMAT_TAG,
            "arch": self.arch,
            "num_classes": str(self.num_classes),
            "labels": json.dumps(self.labels.to_dict()),
            "preprocessing": json.dumps(self.preprocessing.to_dict()),
            "provenance": json.dumps(self.provenance),
            "metrics": json.dumps(self.metrics),
            "training": json.dumps(self.training),
        }


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[1].strip() if len(text) > 1 and text[0].endswith(":") else (text[0] if text else repr(exc))


def _clip(text: str, width: int = 160) -> str:
    """A quoted library message shortened at a word boundary, never mid-word."""
    return textwrap.shorten(text, width, placeholder=" ...")


# --------------------------------------------------------------------------- reading


def read_tensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str] | None]:
    """A file's tensors and, for safetensors, its metadata. Raises FCNStudioError."""
    path = Path(path)
    if not path.is_file():
        raise FCNStudioError("{path}: no such weights file", path=str(path))
    if path.stat().st_size == 0:
        raise FCNStudioError("{path}: the file is empty; download or export it again", path=str(path))
    head = read_head(path, 1024)
    if looks_like_html(head):
        raise FCNStudioError(
            "{path}: this is a web page, not weights (a download that hit a login or confirmation page); download it again",
            fix="download-again",
            path=path,
        )
    if _is_safetensors(head):
        return _read_safetensors(path)
    if not _could_be_torch(head):
        raise FCNStudioError(
            "{path}: {what}, not a weights file; give a .pth or .safetensors file",
            path=str(path),
            what=_describe_content(head),
        )
    return _read_torch(path), None


def _could_be_torch(head: bytes) -> bool:
    """torch.save writes a zip archive (PK), or a pickle (protocol byte 0x80) in old files."""
    return head.startswith((b"PK\x03\x04", b"\x80"))


def _describe_content(head: bytes) -> Message:
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        try:
            json.loads(text.decode("utf-8"))
            return Message("this is JSON text")
        except (UnicodeDecodeError, ValueError):
            if len(head) < 1024:
                return Message("this is damaged JSON text")
            return Message("this is JSON text")
    try:
        head.decode("utf-8")
        return Message("this is a text file")
    except UnicodeDecodeError:
        return Message("this file has an unknown format")


def _is_safetensors(head: bytes) -> bool:
    if len(head) < 9:
        return False
    header_len = int.from_bytes(head[:8], "little")
    return 0 < header_len < 100_000_000 and head[8:9] == b"{"


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - safe_open is not a dict
    except (SafetensorError, OSError, ValueError) as exc:
        raise FCNStudioError(
            "{path}: unreadable safetensors file ({error}); it may be truncated: download or export it again",
            path=path,
            error=exc,
        ) from None
    return tensors, meta


def _read_torch(path: Path) -> dict[str, torch.Tensor]:
    try:
        with warnings.catch_warnings():  # torch's note on pickle protocols is for its developers
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            if path.suffix.lower() == ".safetensors":  # torch.load would go by the name: read what the bytes are
                with open(path, "rb") as fh:
                    obj = torch.load(fh, map_location="cpu", weights_only=True)
            else:
                obj = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as exc:
        if "weights only load failed" not in str(exc).lower():  # not a pickle at all: damaged
            raise FCNStudioError(
                "{path}: not a readable PyTorch weights file ({clip}); it may be truncated or in another format: download it again",
                path=path,
                clip=_clip(_first_line(exc)),
            ) from None
        raise FCNStudioError(
            "{path}: refused to load: the file holds Python objects other than tensors, which could run code ({clip}); only load weights from sources you trust, and convert them to safetensors",
            path=path,
            clip=_clip(_unsafe_detail(exc), 120),
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise FCNStudioError(
            "{path}: not a readable PyTorch weights file ({clip}); it may be truncated or in another format: download it again",
            path=path,
            clip=_clip(_first_line(exc)),
        ) from None
    return _unwrap_state_dict(obj, path)


def torch_load_problem(exc: BaseException) -> str:
    """What torch.load refused, in one short line, without torch's advice to load the file
    with ``weights_only=False`` (which would run whatever code an untrusted file holds)."""
    if "weights only load failed" in str(exc).lower():
        return f"it holds Python objects other than tensors, which could run code: {_clip(_unsafe_detail(exc), 120)}"
    return _clip(_first_line(exc))


def _unsafe_detail(exc: BaseException) -> str:
    """The line of torch's long weights-only message that names what was refused."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in lines:
        if "unsupported" in line.lower() or "global" in line.lower():
            return line.removeprefix("WeightsUnpickler error:").strip().rstrip(".")
    return (lines[0] if lines else repr(exc)).rstrip(".")


def _unwrap_state_dict(obj: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict):
        for key in ("model_state_dict", "state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise FCNStudioError("{path}: no state dict of tensors in this file; it is not a weights file", path=str(path))
    state = {str(k): v for k, v in obj.items()}
    if all(k.startswith("module.") for k in state):  # saved from DataParallel
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


# --------------------------------------------------------------------------- checkpoints


def load_checkpoint(
    path: str | Path,
    *,
    arch: str | None = None,
    labels: LabelSet | None = None,
    preprocessing: Preprocessing | None = None,
    provenance: dict | None = None,
    locate_base: Callable[[str], Path] | None = None,
) -> Checkpoint:
    """Read any supported segmentation weights file.

    A head file (storage/heads.py) comes with its base: found by id with ``locate_base``
    (the weights folder's lookup), else at the path it was recorded at.

    For files without metadata (converted Caffe weights) the architecture and class count
    come from the tensors, and the keyword arguments supply what a file cannot say (the
    weights manifest passes the published label set and preprocessing).
    """
    path = Path(path)
    tensors, meta = read_tensors(path)
    refuse_non_finite(tensors, path)
    if meta and meta.get("format") == HEAD_FORMAT:  # a version stored as its score layers
        return _head_on_base(path, tensors, meta, locate_base)
    checkpoint = checkpoint_from_tensors(
        tensors, meta, path, arch=arch, labels=labels, preprocessing=preprocessing, provenance=provenance
    )
    checkpoint.source = path
    return checkpoint


def refuse_non_finite(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """NaN or infinite weights make every pixel one class without any error: refused, with
    the layers named (a diverged training, or a damaged file)."""
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise FCNStudioError(
            "{path}: weights that are not numbers (NaN or infinity) in {shown}; the file is damaged or comes from a training that diverged: use another file",
            path=path,
            shown=shown,
        )


def _head_on_base(path: Path, tensors: dict, meta: dict[str, str], locate_base) -> Checkpoint:
    """The checkpoint a head file stands for: its base with the head's score layers."""
    head = heads.parse_head(tensors, meta, path)
    base = load_checkpoint(heads.base_path(head.base, path, locate_base), arch=head.arch)
    if base.arch != head.arch:
        raise FCNStudioError(
            "{path}: a {arch} head cannot go on the {arch2} base {id}",
            path=path,
            arch=head.arch,
            arch2=base.arch,
            id=head.base.id,
        )
    checkpoint = Checkpoint(
        head.arch,
        head.labels.num_classes,
        head.labels,
        head.preprocessing,
        heads.composed_state(base.state_dict, head),
        provenance={**head.provenance, "base_model": head.base.id},
        metrics=head.metrics,
        training=head.training,
        source=path,
    )
    checkpoint.base = LoadedBase(head.base, base.source, base)
    return checkpoint


def checkpoint_from_tensors(
    tensors: dict[str, torch.Tensor],
    meta: dict[str, str] | None,
    path: Path,
    *,
    arch: str | None = None,
    labels: LabelSet | None = None,
    preprocessing: Preprocessing | None = None,
    provenance: dict | None = None,
) -> Checkpoint:
    """:func:`load_checkpoint` for tensors already read (``path`` names them in messages)."""
    if meta and meta.get("format") == FORMAT_TAG:
        return _from_metadata(tensors, meta, path)
    if is_vgg16_classifier_state(tensors):
        raise FCNStudioError(
            "{path}: these are VGG16 classification weights, not a segmentation model; use them as the base of a training run",
            fix="train-base",
            path=path,
        )
    detected = detect_architecture(set(tensors))
    if detected is None or "score_fr.weight" not in tensors:
        raise FCNStudioError(
            "{path}: not FCN weights: expected layers such as conv1_1, score_fr and upscore*, found {found}...",
            path=path,
            found=", ".join(sorted(tensors)[:4]),
        )
    if arch is not None and arch.replace("_atonce", "") != detected:
        raise FCNStudioError(
            "{path}: the file holds {detected} weights, not {arch}", path=path, detected=detected, arch=arch
        )
    num_classes = int(tensors["score_fr.weight"].shape[0])
    if not 1 <= num_classes <= 255:
        raise FCNStudioError(
            "{path}: the model predicts {num_classes} classes; a segmentation model has 1 to 255",
            path=path,
            num_classes=num_classes,
        )
    if labels is not None and labels.num_classes != num_classes:
        raise FCNStudioError(
            "{path}: the model predicts {num_classes} classes but the label set {name!r} has {num_classes2}",
            path=path,
            num_classes=num_classes,
            name=labels.name,
            num_classes2=labels.num_classes,
        )
    return Checkpoint(
        arch=arch or detected,
        num_classes=num_classes,
        labels=labels or generic_labels(num_classes),
        preprocessing=preprocessing or CAFFE_BGR,
        state_dict=tensors,
        provenance=provenance or {"source": str(path), "format": "converted-caffe"},
        source=path,
    )


def _from_metadata(tensors: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> Checkpoint:
    try:
        arch = meta["arch"]
        if arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {arch!r}")
        labels = LabelSet.from_dict(json.loads(meta["labels"]))
        if labels.num_classes != int(meta["num_classes"]):
            raise ValueError(f"{labels.num_classes} label names for {meta['num_classes']} classes")
        return Checkpoint(
            arch=arch,
            num_classes=int(meta["num_classes"]),
            labels=labels,
            preprocessing=Preprocessing.from_dict(json.loads(meta["preprocessing"])),
            state_dict=tensors,
            provenance=json.loads(meta.get("provenance", "{}")),
            metrics=json.loads(meta.get("metrics", "{}")),
            training=json.loads(meta.get("training", "{}")),
            source=path,
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise FCNStudioError(
            "{path}: damaged FCN Studio metadata ({error}); export the model again", path=path, error=exc
        ) from None


def save_checkpoint(checkpoint: Checkpoint, path: str | Path, option: str = "--out") -> Path:
    """Write a checkpoint as safetensors, atomically (temporary name, then rename): a
    failure (a full disk, say) leaves the previous file at ``path`` as it was."""
    from safetensors import SafetensorError

    path = Path(path)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in checkpoint.state_dict.items()}
    try:
        with atomic_path(path) as tmp:
            write_safetensors(tensors, tmp, checkpoint.metadata())
    except (OSError, SafetensorError) as exc:
        needed = sum(t.numel() * t.element_size() for t in tensors.values())
        raise FCNStudioError(write_error(path, exc, needed, option)) from None
    return path


@dataclass
class LoadedBase:
    """The base under a checkpoint read from a head file: its reference, its file, and its
    own checkpoint (whose tensors the head's checkpoint shares)."""

    ref: BaseRef
    path: Path | None
    checkpoint: Checkpoint


def head_base(checkpoint: Checkpoint) -> LoadedBase | None:
    """The base a checkpoint read from a head file sits on (None for a full file)."""
    return checkpoint.base
