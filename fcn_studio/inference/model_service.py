"""One place that loads models, for every consumer (image workspace, compare, video,
exports, batch, the trainer's "use this model").

A model is loaded once per (weights file identity, device, precision) and kept in a
byte-bounded LRU. Consumers get their own :class:`~fcn_studio.inference.predictor.Predictor` (own
inference size) over the shared module: a forward pass in eval mode mutates nothing, so
worker threads can run the same weights at once.

A base's backbone (and its fast path) is loaded once too, and shared by every version that
sits on it: a version stored as a head file (storage/heads.py) costs the read of a few
kilobytes and a head of its own, so switching between v2, v3 and v4, or comparing them side
by side, holds one backbone.

Entries are keyed by the file's *identity* (resolved path, size, mtime, inode), not by the
model id: re-importing or re-training under the same id gives a new identity, so every
consumer gets the new weights at its next request and the old copy is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio import environment
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.identity import FileIdentity

if TYPE_CHECKING:
    from fcn_studio.inference.device import DeviceChoice
    from fcn_studio.inference.predictor import Backbone, Predictor
    from fcn_studio.storage.checkpoint import Checkpoint

# fp16 on CUDA; int8 the CPU's fast mode (runtime.PRECISIONS); bf16 the approximate mode of
# CPUs with native bf16 (inference/precision.py)
PRECISIONS = ("fp32", "fp16", "int8", "bf16")

# Two VGG16 FCNs (~0.54 GB each) in RAM, two on a GPU: enough to switch back and forth.
DEFAULT_RAM_BYTES = 1200 << 20
DEFAULT_GPU_BYTES = 1200 << 20


@dataclass(frozen=True)
class ModelKey:
    identity: FileIdentity
    device: str  # the resolved torch device, e.g. "cpu", "cuda:0"
    precision: str  # one of PRECISIONS


@dataclass(frozen=True)
class BaseKey:
    identity: FileIdentity  # of the base's weights file
    device: str
    precision: str


@dataclass
class SharedBase:
    """A base model as loaded once and shared (unlike the base under one checkpoint,
    :class:`fcn_studio.storage.checkpoint.LoadedBase`): its metadata with its own head's
    tensors only (the backbone's live in ``backbone``), verified when it was read and never read again while
    its file's identity is unchanged. Every version over it, the views, Label mode's rounds
    and rankings use this one copy."""

    key: BaseKey
    checkpoint: Checkpoint  # state_dict: the base's score/upscore tensors (kilobytes)
    backbone: Backbone
    _model: object | None = None

    @property
    def source(self) -> Path:
        return Path(self.key.identity.path)

    def model(self):
        """The base as an FCN over the shared backbone module (its own head: small), built once."""
        if self._model is None:
            from fcn_studio.inference.predictor import Predictor

            self._model = Predictor(self.checkpoint, self.backbone_device(), backbone=self.backbone).model
        return self._model

    def backbone_device(self) -> str:
        return str(next(self.backbone.module.parameters()).device)

    def features(self, x):
        """(pool3, pool4, fc7) of a network input ``x`` (1, 3, h, w): by the path that draws
        predictions (the converted fast path once ready, else torch)."""
        import torch

        fast = self.backbone.fast_path
        if fast is not None and fast.ready():
            return fast.features(x)
        with torch.inference_mode():
            return self.backbone.module(x.to(self.backbone_device()))


@dataclass
class LoadedModel:
    key: ModelKey
    spec: str  # the id or path it was asked for by (for messages)
    checkpoint: Checkpoint
    predictor: Predictor  # owns the module (and, on a CPU, its faster converted copy)
    device_choice: DeviceChoice
    nbytes: int  # of its own torch weights (its head); the backbone's are counted once, in base
    base: BaseKey | None = None  # the shared backbone it runs on

    @property
    def backbone(self) -> Backbone:
        return self.predictor.backbone

    @property
    def total_bytes(self) -> int:
        """Its head's bytes and its backbone's (which other versions may share)."""
        return self.nbytes + self.backbone.nbytes

    @property
    def model(self):
        return self.predictor.model


class ModelService:
    """Thread-safe: any worker thread may ask; loading happens on the asking thread."""

    def __init__(self, ram_bytes: int = DEFAULT_RAM_BYTES, gpu_bytes: int = DEFAULT_GPU_BYTES) -> None:
        self.ram_bytes, self.gpu_bytes = ram_bytes, gpu_bytes
        self._models: OrderedDict[ModelKey, LoadedModel] = OrderedDict()
        self._backbones: dict[BaseKey, Backbone] = {}
        self._bases: dict[BaseKey, SharedBase] = {}  # what each backbone was loaded from
        self._lock = threading.Lock()
        self._loading: dict[ModelKey, threading.Event] = {}
        self.loads = 0  # how many times a file was read (tests and benchmarks)
        self.base_loads = 0  # how many times a backbone was built
        self.reads = 0  # how many times a full weights file was read (a head file's few kB not counted)

    # -- asking --------------------------------------------------------------------------

    def identity(self, spec: str) -> FileIdentity:
        """The identity of the file behind an id or path (cheap: a lookup and a stat)."""
        from fcn_studio.storage.weights import locate_weights

        path, _ = locate_weights(spec)
        return FileIdentity.of(path)

    def is_loaded(self, spec: str, device: str = "auto") -> bool:
        """Whether asking for ``spec`` now would be served from memory (for "Loading…" notes)."""
        try:
            identity = self.identity(spec)
        except FCNStudioError:
            return False
        with self._lock:
            return any(
                k.identity == identity and (device == "auto" or k.device.startswith(device)) for k in self._models
            )

    def predictor(
        self, spec: str, device: str = "auto", *, max_size: int | None = None, half: bool | None = None
    ) -> Predictor:
        """A predictor of its own over the shared weights of ``spec`` (an id or a path)."""

        return self.load(spec, device, half=half).predictor.sharing(max_size)

    def load(
        self,
        spec: str,
        device: str = "auto",
        *,
        half: bool | None = None,
        fast: bool = False,
        calibration: Sequence[object] = (),
        precision: str | None = None,
    ) -> LoadedModel:
        """``half``: fp16 weights on CUDA (default there: on; never on a CPU). ``fast``: the
        int8 fast mode on a CPU (approximate; ignored on a GPU), quantised with a few
        ``calibration`` images (paths or arrays, read only when the model is loaded).
        ``precision="bf16"``: the approximate bf16 mode (inference/precision.py), its label
        agreement measured on the ``calibration`` images."""
        from fcn_studio.inference.device import choose_device
        from fcn_studio.storage.weights import locate_weights

        path, known = locate_weights(spec)
        choice = choose_device(device, allow_fallback=True)
        precision_wanted = precision
        if choice.device.type == "cuda":
            precision = "fp32" if half is False else "fp16"
        else:
            precision = "int8" if fast else "fp32"
        if precision_wanted == "bf16":
            precision = "bf16"
        key = ModelKey(FileIdentity.of(path), str(choice.device), precision)
        while True:
            with self._lock:
                hit = self._models.get(key)
                if hit is not None:
                    self._models.move_to_end(key)
                    return hit
                waiting = self._loading.get(key)
                if waiting is None:  # this thread loads it; others asking for it wait
                    self._loading[key] = threading.Event()
                    break
            waiting.wait()
        try:
            loaded = self._read(spec, path, known, key, choice, calibration)
        finally:
            with self._lock:
                self._loading.pop(key).set()
        with self._lock:
            self._drop_older_versions(key)
            self._models[key] = loaded
            self._evict()
            self._drop_unused_backbones()
        return loaded

    # -- keeping -------------------------------------------------------------------------

    def forget(self, path: str | Path | None = None) -> None:
        """Drop every model (or those of one file): after a removal, to free memory."""
        with self._lock:
            target = str(Path(path).resolve()) if path is not None else None
            for key in [k for k in self._models if target is None or k.identity.path == target]:
                del self._models[key]
            for key in [k for k in self._backbones if target is None or k.identity.path == target]:
                self._models = OrderedDict((k, m) for k, m in self._models.items() if m.base != key)
            self._drop_unused_backbones()

    def prune(self) -> None:
        """Drop models whose file was removed or replaced since it was loaded."""
        with self._lock:
            for key in list(self._models):
                try:
                    current = FileIdentity.of(key.identity.path)
                except FCNStudioError:
                    current = None
                if current != key.identity:
                    del self._models[key]
            for key in list(self._backbones):
                if FileIdentity.maybe(key.identity.path) != key.identity:  # a base replaced: its versions go too
                    self._models = OrderedDict((k, m) for k, m in self._models.items() if m.base != key)
            self._drop_unused_backbones()

    def loaded(self) -> list[LoadedModel]:
        with self._lock:
            return list(self._models.values())

    def _read(
        self, spec: str, path: Path, known: dict, key: ModelKey, choice: DeviceChoice, calibration: Sequence[object]
    ) -> LoadedModel:
        from fcn_studio.inference.predictor import Predictor
        from fcn_studio.storage.heads import base_path, read_head_file
        from fcn_studio.storage.weights import locate_installed

        fast = key.precision == "int8"
        if fast and not calibration:
            raise FCNStudioError("fast mode needs a few images to calibrate on: open an image or a folder first")
        approximate = fast or key.precision == "bf16"  # measure their label agreement
        options = {
            "half": key.precision == "fp16",
            "max_size": None,
            "fast": fast,
            "calibration": calibration if approximate else (),
            "precision": "bf16" if key.precision == "bf16" else None,
        }
        if _is_head_file(path):  # a version over a base: only its head is read
            head = read_head_file(path)
            base_file = base_path(head.base, path, locate_installed)
            base_key = BaseKey(FileIdentity.of(base_file), key.device, key.precision)
            backbone = self._backbone(base_key, base_file, choice, options)
            checkpoint = _version_checkpoint(head, path)
            predictor = Predictor(checkpoint, choice, backbone=backbone, **options)
        else:
            base_key = BaseKey(key.identity, key.device, key.precision)
            with self._lock:
                entry = self._bases.get(base_key)
            if entry is not None:  # its backbone is loaded (a version of it is on screen): no read
                checkpoint = _copy_of(entry.checkpoint)
                predictor = Predictor(checkpoint, choice, backbone=entry.backbone, **options)
            else:
                checkpoint = self._read_full(path, known)
                predictor = Predictor(checkpoint, choice, **options)
                self.base_loads += 1
                self._keep_base(base_key, checkpoint, predictor.backbone)
        checkpoint.state_dict = {}  # the modules hold the tensors now; keep one copy
        head_bytes = sum(p.numel() * p.element_size() for p in predictor.model.head.parameters())
        self.loads += 1
        return LoadedModel(key, spec, checkpoint, predictor, choice, head_bytes, base_key)

    def _backbone(self, base_key: BaseKey, base_file: Path, choice: DeviceChoice, options: dict) -> Backbone:
        """The shared backbone of ``base_file``, loaded now if no version of it is."""
        from fcn_studio.inference.predictor import Predictor
        from fcn_studio.storage.weights import locate_weights

        with self._lock:
            backbone = self._backbones.get(base_key)
        if backbone is not None:
            return backbone
        try:
            known = locate_weights(str(base_file))[1]
        except FCNStudioError:
            known = {}
        base = self._read_full(base_file, known)
        backbone = Predictor(base, choice, **options).backbone
        self.base_loads += 1
        return self._keep_base(base_key, base, backbone).backbone

    def _read_full(self, path: Path, known: dict) -> Checkpoint:
        """Read and verify a full weights file: once per identity while its backbone is kept."""
        from fcn_studio.storage.checkpoint import load_checkpoint

        self.reads += 1
        return load_checkpoint(path, **known)

    def _keep_base(self, base_key: BaseKey, checkpoint: Checkpoint, backbone: Backbone) -> SharedBase:
        """Remember a freshly read base: its backbone for the versions over it, its metadata
        and own head (kilobytes) so that asking for it again reads nothing."""
        own = _copy_of(checkpoint)
        own.state_dict = {k: v for k, v in checkpoint.state_dict.items() if k.startswith(_HEAD_PREFIXES)}
        with self._lock:
            kept = self._backbones.setdefault(base_key, backbone)
            entry = self._bases.get(base_key)
            if entry is None or entry.backbone is not kept:
                entry = self._bases[base_key] = SharedBase(base_key, own, kept)
            return entry

    def base(self, spec: str, device: str = "auto", precision: str = "fp32") -> SharedBase:
        """The loaded base under ``spec`` (a version over a base, or a full model: itself),
        served from memory while its file is unchanged; loaded now otherwise."""
        loaded = self.load(spec, device, precision=None if precision == "fp32" else precision)
        if loaded.base is None:
            raise FCNStudioError("{model}: no base model is loaded for it", model=spec)
        with self._lock:
            entry = self._bases.get(loaded.base)
        if entry is None:  # dropped by an eviction between the two calls: load it again
            return self.base(spec, device, precision)
        return entry

    def _drop_older_versions(self, key: ModelKey) -> None:
        """A file replaced under the same path: its old weights are never served again."""
        for old in [k for k in self._models if k.identity.path == key.identity.path and k.identity != key.identity]:
            del self._models[old]

    def _evict(self) -> None:
        for on_gpu, budget in ((False, self.ram_bytes), (True, self.gpu_bytes)):
            keys = [k for k in self._models if (k.device != "cpu") == on_gpu]
            for k in keys[:-1]:  # least recently used first; the newest always stays
                if self._bytes_used(on_gpu) <= budget:
                    break
                self._models.pop(k)
                self._drop_unused_backbones()

    def _bytes_used(self, on_gpu: bool) -> int:
        models = [m for k, m in self._models.items() if (k.device != "cpu") == on_gpu]
        bases = {m.base for m in models}
        return sum(m.nbytes for m in models) + sum(self._backbones[b].nbytes for b in bases if b in self._backbones)

    def _drop_unused_backbones(self) -> None:
        used = {m.base for m in self._models.values()}
        for key in [k for k in self._backbones if k not in used]:
            # not closed here: a view may still hold a predictor on it; it closes when freed
            del self._backbones[key]
            self._bases.pop(key, None)

    def backbones(self) -> int:
        """How many backbones are loaded (tests: versions share theirs)."""
        with self._lock:
            return len(self._backbones)


_shared: ModelService | None = None
_shared_lock = threading.Lock()


def _version_checkpoint(head, path: Path) -> Checkpoint:
    """A head file as a checkpoint of its own tensors (the score layers), for a base
    already loaded here."""
    from fcn_studio.storage.checkpoint import Checkpoint

    return Checkpoint(
        head.arch,
        head.labels.num_classes,
        head.labels,
        head.preprocessing,
        dict(head.tensors),
        provenance={**head.provenance, "base_model": head.base.id},
        metrics=head.metrics,
        training=head.training,
        source=path,
    )


_HEAD_PREFIXES = ("score", "upscore")


def _copy_of(checkpoint: Checkpoint) -> Checkpoint:
    """A checkpoint record of its own (a predictor empties its state_dict) over the same tensors."""
    import copy

    other = copy.copy(checkpoint)
    other.state_dict = dict(checkpoint.state_dict)
    return other


def _is_head_file(path: Path) -> bool:
    from fcn_studio.files.fileio import read_safetensors_metadata
    from fcn_studio.storage.heads import is_head_metadata

    try:
        return is_head_metadata(read_safetensors_metadata(path))
    except (OSError, ValueError):
        return False  # not safetensors, or damaged: load_checkpoint says why


def shared_service() -> ModelService:
    """The process's one service (the app's views and exports all use it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            ram = (environment.read(environment.MODEL_CACHE_MB) or DEFAULT_RAM_BYTES >> 20) << 20
            _shared = ModelService(ram_bytes=ram)
        return _shared
