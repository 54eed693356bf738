"""Backbone features (pool3, pool4, fc7) computed once per image and kept for the head.

With the backbone frozen, everything the score layers ever see of an image is these three
maps, so training rounds after the first cost only the head. Entries are keyed by the
image file's identity (path, size, modification time), the backbone weights' fingerprint,
the preprocessing, the input size and whether the image was flipped, so a changed image or
another base simply misses and the stale entry ages out. Features are stored as float16 in
memory and on disk (both bounded in bytes, least recently used first out); every read
returns the same float16-rounded values, so training does not depend on where an entry
came from.

The FCN's geometry is not flip-symmetric (100-pixel padding, ceil-mode pools, fixed crop
offsets from the top-left), so the features of a flipped image are not the flipped
features: a flipped view is cached as an entry of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fcn_studio import environment
from fcn_studio.data.images import load_image
from fcn_studio.errors import Cancelled
from fcn_studio.files.fileio import atomic_path, clean_stale_temporaries, write_safetensors
from fcn_studio.files.identity import FileIdentity
from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
from fcn_studio.inference.resize import inference_image, inference_shape
from fcn_studio.models import FCN
from fcn_studio.models.preprocessing import Preprocessing

CACHE_ENV = environment.CACHE.name
DEFAULT_MEMORY_BYTES = 1 << 30
DEFAULT_DISK_BYTES = 4 << 30
_NAMES = ("pool3", "pool4", "fc7")

Backbone = Callable[[torch.Tensor], tuple[torch.Tensor, ...]]  # network input -> (pool3, pool4, fc7)


def cache_dir() -> Path:
    """Where features go on disk: $FCN_STUDIO_CACHE/features, else the user cache folder."""
    env = environment.read(environment.CACHE)
    if env:
        return env / "features"
    import platformdirs

    return Path(platformdirs.user_cache_dir("fcn-studio", appauthor=False)) / "features"


@dataclass(frozen=True)
class Features:
    """The backbone's output for one network input of ``size`` (h, w), float16, (1, C, h', w')."""

    pool3: torch.Tensor
    pool4: torch.Tensor
    fc7: torch.Tensor
    size: tuple[int, int]

    @classmethod
    def of(cls, features: tuple[torch.Tensor, ...], size: tuple[int, int]) -> Features:
        f16 = [f.detach().to("cpu", torch.float16).contiguous() for f in features]
        return cls(f16[0], f16[1], f16[2], (int(size[0]), int(size[1])))

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.pool3, self.pool4, self.fc7))

    def as_float(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return tuple(t.to(device, torch.float32) for t in (self.pool3, self.pool4, self.fc7))  # type: ignore[return-value]


@dataclass(frozen=True)
class FeatureKey:
    image: str  # path, size and modification time of the image file (or a caller's id)
    weights: str  # fingerprint of the backbone weights
    preprocessing: str
    size: tuple[int, int]  # the network input (after any shrinking)
    flipped: bool

    def digest(self) -> str:
        text = json.dumps([self.image, self.weights, self.preprocessing, list(self.size), self.flipped])
        return hashlib.sha1(text.encode()).hexdigest()


def image_identity(path: str | Path) -> str:
    """Changes whenever the file is replaced or rewritten (files.identity's one answer)."""
    return FileIdentity.of(path).key


# per backbone module, not per FCN: every version over one base wraps the same module
_FINGERPRINTS: weakref.WeakKeyDictionary[torch.nn.Module, tuple[tuple, str]] = weakref.WeakKeyDictionary()


def backbone_fingerprint(model: FCN) -> str:
    """A hash of the backbone's weights in memory, byte for byte (about a second for VGG16):
    features depend on the weights a model holds, not on which file it came from.

    Remembered per model until one of its tensors is replaced or modified in place
    (torch's version counter), so asking again is free."""
    params = list(model.backbone.named_parameters())
    stamp = tuple((p.data_ptr(), p._version) for _, p in params)
    known = _FINGERPRINTS.get(model.backbone)
    if known and known[0] == stamp:
        return known[1]
    h = hashlib.sha1()
    with torch.no_grad():
        for name, p in params:
            h.update(f"{name}{tuple(p.shape)}{p.dtype}".encode())
            h.update(p.detach().cpu().contiguous().view(torch.uint8).numpy().data)
    _FINGERPRINTS[model.backbone] = (stamp, h.hexdigest())
    return h.hexdigest()


def _torch_backbone(model: FCN, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        computed = model.backbone(x.to(device))
    model.train(was_training)
    return computed


# Backbone passes running now, by their features' digest, in this process: the key says what
# is computed whatever cache holds it, so a cache also waits for a pass outside any cache
_PASSES: dict[str, threading.Event] = {}
_PASSES_LOCK = threading.Lock()


def _start_pass(digest: str) -> threading.Event | None:
    """Register a pass of ``digest``: None, or the pass already running (then nothing is registered)."""
    with _PASSES_LOCK:
        running = _PASSES.get(digest)
        if running is None:
            _PASSES[digest] = threading.Event()
        return running


def _end_pass(digest: str) -> None:
    with _PASSES_LOCK:
        _PASSES.pop(digest, threading.Event()).set()


@contextlib.contextmanager
def pass_in_flight(
    image: str | Path, model: FCN, pre: Preprocessing, shape: tuple[int, int], max_size: int | None
) -> Iterator[bool]:
    """A backbone pass over ``image`` (of ``shape`` (H, W)) that runs outside the cache and
    hands its features over before it ends: Label mode's view predicting the open photo.
    A cache asked for these features meanwhile (a round after "Fine-tune on my labels", the
    prefetch) waits for it instead of running the backbone a second time, then computes them
    itself only if the pass ended without handing them over (cancelled, failed). Yields
    False, registering nothing, where a pass of these features already runs or the image
    cannot be identified."""
    try:
        size = inference_shape(shape[0], shape[1], max_size)
        key = FeatureKey(image_identity(image), backbone_fingerprint(model), json.dumps(pre.to_dict()), size, False)
    except OSError:  # the file went away: the prediction says so, not this
        yield False
        return
    digest = key.digest()
    if _start_pass(digest) is not None:
        yield False
        return
    try:
        yield True
    finally:
        _end_pass(digest)


def network_input(rgb: np.ndarray, pre: Preprocessing, max_size: int | None, flipped: bool) -> torch.Tensor:
    """The ``(1, 3, h, w)`` tensor the backbone sees for an image (as the predictor makes it)."""
    small = inference_image(rgb, max_size)
    if flipped:
        small = np.ascontiguousarray(small[:, ::-1])
    return pre.to_tensor(small)


class FeatureCache:
    """Memory and disk caches of :class:`Features`, both bounded in bytes. Thread-safe: the
    GUI thread may hand over the open image's features while a training thread reads."""

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        disk_bytes: int = DEFAULT_DISK_BYTES,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes if self.directory is not None else 0
        self._memory: OrderedDict[str, Features] = OrderedDict()
        self._memory_used = 0
        self._lock = threading.RLock()
        self._shapes: dict[str, tuple[int, int]] = {}
        self.backbone_runs = 0  # how often the backbone actually ran (tests and benchmarks)
        self.hits = 0
        self._cleaned = False

    # ------------------------------------------------------------------ keys

    def key(self, image: str | Path, model: FCN, pre: Preprocessing, size: tuple[int, int], flipped: bool = False):
        return FeatureKey(
            image_identity(image), backbone_fingerprint(model), json.dumps(pre.to_dict()), tuple(size), flipped
        )

    # ------------------------------------------------------------------ get / put

    def get(self, key: FeatureKey) -> Features | None:
        digest = key.digest()
        with self._lock:
            hit = self._memory.get(digest)
            if hit is not None:
                self._memory.move_to_end(digest)
                self.hits += 1
                return hit
        found = self._read_disk(digest)
        if found is not None:
            with self._lock:
                self.hits += 1
                self._remember(digest, found)
        return found

    def put(self, key: FeatureKey, features: Features) -> None:
        digest = key.digest()
        with self._lock:
            self._remember(digest, features)
        self._write_disk(digest, features)

    def hand_over(
        self,
        image: str | Path,
        model: FCN,
        pre: Preprocessing,
        features: tuple[torch.Tensor, ...],
        size: tuple[int, int],
    ) -> Features:
        """Keep the features a prediction already computed (Prediction.features at
        Prediction.inference_size) so training on this image does not run the backbone."""
        kept = Features.of(features, size)
        self.put(self.key(image, model, pre, size), kept)
        return kept

    def features(
        self,
        image: str | Path,
        model: FCN,
        pre: Preprocessing,
        *,
        max_size: int | None = DEFAULT_MAX_SIZE,
        flipped: bool = False,
        rgb: np.ndarray | None = None,
        cancelled: Callable[[], bool] | None = None,
        compute: Backbone | None = None,
    ) -> Features:
        """The features of ``image`` (as the predictor with ``max_size`` would feed it),
        from the cache, or computed now and cached. ``rgb`` saves reading the file again.
        ``compute``: what runs the backbone on a network input (the app passes its loaded
        base's, which takes the converted fast path once it is ready); default ``model.backbone``."""
        identity = image_identity(image)
        shape = self._shapes.get(identity)
        if shape is None or rgb is not None:  # the image is read once to learn its size
            rgb = load_image(image) if rgb is None else rgb
            shape = self._shapes[identity] = rgb.shape[:2]
        size = inference_shape(shape[0], shape[1], max_size)
        key = FeatureKey(identity, backbone_fingerprint(model), json.dumps(pre.to_dict()), size, flipped)
        found = self.get(key)
        if found is not None:
            return found
        with self._computing_for(key, cancelled) as found:  # one backbone pass per image at a time
            if found is not None:
                return found
            if cancelled and cancelled():
                raise Cancelled()
            x = network_input(load_image(image) if rgb is None else rgb, pre, max_size, flipped)
            computed = compute(x) if compute is not None else _torch_backbone(model, x)
            self.backbone_runs += 1
            kept = Features.of(computed, size)
            self.put(key, kept)
            return kept

    @contextlib.contextmanager
    def _computing_for(self, key: FeatureKey, cancelled: Callable[[], bool] | None):
        """While another thread computes these features (a round and the background prefetch
        asking for one image at once), wait for its answer instead of running the backbone
        again; yields the features it made, or None when this thread is to compute them."""
        digest = key.digest()
        # another thread's pass, or the view's prediction (pass_in_flight); when it ends
        # without the features (failed, cancelled) this thread registers its own pass, or
        # waits again for whichever thread registered one first
        while (running := _start_pass(digest)) is not None:
            while not running.wait(0.05):
                if cancelled and cancelled():
                    raise Cancelled()
            found = self.get(key)
            if found is not None:
                yield found
                return
        try:
            yield None
        finally:
            _end_pass(digest)

    def held(
        self, image: str | Path, model: FCN, pre: Preprocessing, shape: tuple[int, int], max_size: int | None
    ) -> Features | None:
        """The features of ``image`` (of ``shape`` (H, W)) if they are held, never computed:
        a view draws a new head over them instead of running the whole network."""
        identity = image_identity(image)
        self._shapes.setdefault(identity, tuple(shape[:2]))
        size = inference_shape(shape[0], shape[1], max_size)
        return self.get(FeatureKey(identity, backbone_fingerprint(model), json.dumps(pre.to_dict()), size, False))

    def store_for(self, max_size: int | None) -> PredictorFeatures:
        """This cache as the feature store a ranking (labelling/uncertainty) asks."""
        return PredictorFeatures(self, max_size)

    def image_shape(self, image: str | Path) -> tuple[int, int]:
        """(H, W) of an image file, read once and remembered while the file is unchanged."""
        identity = image_identity(image)
        if identity not in self._shapes:
            self._shapes[identity] = load_image(image).shape[:2]
        return self._shapes[identity]

    # ------------------------------------------------------------------ memory

    def _remember(self, digest: str, features: Features) -> None:
        if features.nbytes > self.memory_bytes:
            return
        old = self._memory.pop(digest, None)
        if old is not None:
            self._memory_used -= old.nbytes
        self._memory[digest] = features
        self._memory_used += features.nbytes
        while self._memory_used > self.memory_bytes:
            _, dropped = self._memory.popitem(last=False)
            self._memory_used -= dropped.nbytes

    @property
    def memory_used(self) -> int:
        return self._memory_used

    @property
    def held_count(self) -> int:
        """Entries in memory (an image's features, or its flipped view's)."""
        return len(self._memory)

    # ------------------------------------------------------------------ disk

    def _path(self, digest: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{digest}.safetensors"

    def _read_disk(self, digest: str) -> Features | None:
        if not self.disk_bytes:
            return None
        path = self._path(digest)
        if not path.is_file():
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as fh:
                tensors = [fh.get_tensor(n) for n in _NAMES]
                size = json.loads(fh.metadata()["size"])
            os.utime(path)  # most recently used: evicted last
        except Exception:  # a damaged or half-deleted entry is a miss, not an error
            path.unlink(missing_ok=True)
            return None
        return Features(tensors[0], tensors[1], tensors[2], (int(size[0]), int(size[1])))

    def _write_disk(self, digest: str, features: Features) -> None:
        if not self.disk_bytes or features.nbytes > self.disk_bytes:
            return
        from safetensors import SafetensorError

        path = self._path(digest)
        tensors = dict(zip(_NAMES, (features.pool3, features.pool4, features.fc7), strict=True))
        try:
            with self._lock:
                if not self._cleaned:  # what killed runs left (ours only), once per cache
                    self._cleaned = bool(clean_stale_temporaries(path.parent)) or True
                with atomic_path(path) as tmp:
                    write_safetensors(tensors, tmp, {"size": json.dumps(list(features.size))})
                self._trim_disk()
        except (OSError, SafetensorError):
            pass  # a full or read-only disk only costs recomputing later

    def _trim_disk(self) -> None:
        entries = []
        for p in self.directory.glob("*.safetensors") if self.directory else []:
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime_ns, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        for _, size, p in sorted(entries):
            if total <= self.disk_bytes:
                break
            p.unlink(missing_ok=True)
            total -= size

    def disk_used(self) -> int:
        if not self.directory or not self.directory.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.directory.glob("*.safetensors"))


@dataclass(frozen=True)
class PredictorFeatures:
    """A feature cache seen from a predictor: the features of an image as it feeds it."""

    cache: FeatureCache
    max_size: int | None

    def held(self, image: Path, predictor) -> tuple[tuple, tuple[int, int]] | None:
        from fcn_studio.data.images import image_size

        pre = predictor.checkpoint.preprocessing
        found = self.cache.held(image, predictor.model, pre, image_size(image), self.max_size)
        return None if found is None else ((found.pool3, found.pool4, found.fc7), found.size)

    def keep(self, image: Path, predictor, prediction) -> None:
        if prediction.features is not None:
            pre = predictor.checkpoint.preprocessing
            self.cache.hand_over(image, predictor.model, pre, prediction.features, prediction.inference_size)
