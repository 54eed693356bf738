"""One place that loads models, for every consumer (image workspace, compare, video,
exports, batch, the trainer's "use this model").

A model is loaded once per (weights file identity, device, precision) and kept in a
byte-bounded LRU. Consumers get their own :class:`~fcn_studio.inference.predictor.Predictor` (own
inference size) over the shared module: a forward pass in eval mode mutates nothing, so
worker threads can run the same weights at once.

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

if TYPE_CHECKING:
    from fcn_studio.inference.device import DeviceChoice
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.checkpoint import Checkpoint

# Two VGG16 FCNs (~0.54 GB each) in RAM, two on a GPU: enough to switch back and forth.
DEFAULT_RAM_BYTES = 1200 << 20
DEFAULT_GPU_BYTES = 1200 << 20


@dataclass(frozen=True)
class FileIdentity:
    """What changes when a weights file is replaced, even under the same name."""

    path: str
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: str | Path) -> FileIdentity:
        resolved = Path(path).resolve()
        try:
            st = resolved.stat()
        except OSError as exc:
            raise FCNStudioError(f"{path}: cannot read the weights file ({exc.strerror or exc})") from None
        return cls(str(resolved), st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(frozen=True)
class ModelKey:
    identity: FileIdentity
    device: str  # the resolved torch device, e.g. "cpu", "cuda:0"
    precision: str  # "fp32", "fp16" (CUDA), "int8" (the CPU's opt-in fast mode) or "bf16" (approximate)


@dataclass
class LoadedModel:
    key: ModelKey
    spec: str  # the id or path it was asked for by (for messages)
    checkpoint: Checkpoint
    predictor: Predictor  # owns the module (and, on a CPU, its faster converted copy)
    device_choice: DeviceChoice
    nbytes: int  # of the torch weights; a converted copy (ONNX Runtime) adds about as much

    @property
    def model(self):
        return self.predictor.model


class ModelService:
    """Thread-safe: any worker thread may ask; loading happens on the asking thread."""

    def __init__(self, ram_bytes: int = DEFAULT_RAM_BYTES, gpu_bytes: int = DEFAULT_GPU_BYTES) -> None:
        self.ram_bytes, self.gpu_bytes = ram_bytes, gpu_bytes
        self._models: OrderedDict[ModelKey, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[ModelKey, threading.Event] = {}
        self.loads = 0  # how many times a file was read (tests and benchmarks)

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
        self, spec: str, device: str = "auto", *, half: bool | None = None, fast: bool = False,
        calibration: Sequence[object] = (), precision: str | None = None,
    ) -> LoadedModel:  # fmt: skip
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
        return loaded

    # -- keeping -------------------------------------------------------------------------

    def forget(self, path: str | Path | None = None) -> None:
        """Drop every model (or those of one file): after a removal, to free memory."""
        with self._lock:
            target = str(Path(path).resolve()) if path is not None else None
            for key in [k for k in self._models if target is None or k.identity.path == target]:
                del self._models[key]

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

    def loaded(self) -> list[LoadedModel]:
        with self._lock:
            return list(self._models.values())

    def _read(
        self, spec: str, path: Path, known: dict, key: ModelKey, choice: DeviceChoice, calibration: Sequence[object]
    ) -> LoadedModel:
        from fcn_studio.inference.predictor import Predictor
        from fcn_studio.storage.checkpoint import load_checkpoint

        checkpoint = load_checkpoint(path, **known)
        fast = key.precision == "int8"
        if fast and not calibration:
            raise FCNStudioError("fast mode needs a few images to calibrate on: open an image or a folder first")
        checked = fast or key.precision == "bf16"  # the approximate modes measure their agreement
        predictor = Predictor(checkpoint, choice, half=key.precision == "fp16", max_size=None, fast=fast,
                              calibration=calibration if checked else (),
                              precision="bf16" if key.precision == "bf16" else None)  # fmt: skip
        checkpoint.state_dict = {}  # the module holds the tensors now; keep one copy
        nbytes = sum(p.numel() * p.element_size() for p in predictor.model.parameters())
        self.loads += 1
        return LoadedModel(key, spec, checkpoint, predictor, choice, nbytes)

    def _drop_older_versions(self, key: ModelKey) -> None:
        """A file replaced under the same path: its old weights are never served again."""
        for old in [k for k in self._models if k.identity.path == key.identity.path and k.identity != key.identity]:
            del self._models[old]

    def _evict(self) -> None:
        for on_gpu, budget in ((False, self.ram_bytes), (True, self.gpu_bytes)):
            keys = [k for k in self._models if (k.device != "cpu") == on_gpu]
            used = sum(self._models[k].nbytes for k in keys)
            for k in keys[:-1]:  # least recently used first; the newest always stays
                if used <= budget:
                    break
                used -= self._models.pop(k).nbytes


_shared: ModelService | None = None
_shared_lock = threading.Lock()


def shared_service() -> ModelService:
    """The process's one service (the app's views and exports all use it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            ram = (environment.read(environment.MODEL_CACHE_MB) or DEFAULT_RAM_BYTES >> 20) << 20
            _shared = ModelService(ram_bytes=ram)
        return _shared
