"""A faster CPU runtime for a model's backbone, prepared once per base and cached on disk.

The torch model always works (any device, any input size). A :class:`FastPath` is the
backbone exported to ONNX as a graph that outputs the features the heads need (pool3,
pool4, fc7; inference/conversion.py) and run by ONNX Runtime; the head (score layers and
bilinear upsampling) runs after it in torch. So every version of a model that differs only
in its head (Label mode's rounds) shares one conversion, and the features are there for
Label mode at no extra pass. Converting costs seconds (about 20 s for the full FCN-8s), so it
runs in a child process (exporting holds the GIL, which would freeze the GUI) while the
torch model serves the first requests.

A conversion is keyed by the *content* of the weights file (its SHA-256, computed once per
file identity and remembered: files/identity.py) and the ONNX Runtime version, and is
verified when read: the checksums of its files, and on first opening one small input whose
labels must equal the torch model's; a mismatch rebuilds it, with a note. Caches are
bounded (conversions.py: least recently used first, never one in use).

The session holds its own copy of the weights (ONNX Runtime repacks them for its kernels);
:attr:`FastPath.weight_bytes` says how much, and the predictor reports it.

``precision="int8"`` is the opt-in fast mode: static post-training quantisation (ONNX
Runtime's QDQ int8, per channel) of the backbone, calibrated on a few images and labelled
approximate with the label agreement measured on check images against the exact model.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fcn_studio import environment
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.conversion import DATA_FILE, INT8_RECIPE, check_agreement, head_labels, torch_labels
from fcn_studio.inference.sessions import cpu_key, damage, open_session, remove_abandoned
from fcn_studio.storage import conversions

if TYPE_CHECKING:  # imported where used: the command line's parser reads BACKENDS without torch
    import torch

BACKENDS = ("auto", "torch", "onnxruntime")  # ids; display text is derived (backend_label)
BACKEND_ENV = environment.BACKEND.name  # overrides the default "auto" (e.g. "torch" to troubleshoot)
PRECISIONS = ("fp32", "int8")  # of a conversion; the model service's ModelKey adds "fp16" (CUDA)
# "torch-bf16": bf16_path.Bf16Path; "features": a head drawn over backbone features already held
BACKEND_NAMES = {"torch": "torch", "onnxruntime": "ONNX Runtime", "torch-bf16": "torch", "features": "held features"}
# Bytes a conversion needs on disk per byte of float weights: its weights, and the
# optimised copy saved beside them (int8 needs less; this is the safe side).
_DISK_FACTOR = 2.2
_CHECK_SHAPE = (1, 3, 24, 32)  # the small input whose labels a cache must give on first opening


def backend_label(backend: str, precision: str = "fp32") -> str:
    """Display text for a backend id and precision: "torch", "ONNX Runtime fp32"."""
    name = BACKEND_NAMES.get(backend, backend)
    return name if backend in ("torch", "features") else f"{name} {precision}"


def onnxruntime_version() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime.__version__


class FastPath:
    """A base's backbone exported to ONNX and run by ONNX Runtime on the CPU: ``build()``
    once, then ``features(x)``; the caller runs the head on them.

    ``build`` is safe to run on a background thread while the torch model serves (it only
    reads the model); ``features`` may be called from any thread once ``ready()``.
    """

    kind = "onnxruntime"

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        name: str,
        identity: str,
        cache_root: Path,
        threads: int | None = None,
        precision: str = "fp32",
        calibration: Sequence[torch.Tensor] = (),
        checks: Sequence[torch.Tensor] = (),
        source: tuple[str, str, int] | None = None,
    ) -> None:
        """``model``: a full FCN (torch) whose backbone is converted and whose head checks
        it; ``identity``: the SHA-256 of the weights file (or a hash of weights without one);
        ``source``: (weights file, arch, classes), read by the converting child process."""
        import torch

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        version = onnxruntime_version()
        if version is None:
            raise FCNStudioError(
                "ONNX Runtime is not installed: pip install onnxruntime onnx, or use the torch backend",
                fix="backend-torch",
            )
        if precision == "int8" and not calibration:
            raise FCNStudioError("fast (int8) mode needs a few calibration images (ideally like the ones to segment)")
        self.model = model
        # (weights file, arch, classes): the export then runs in a child process that reads
        # the file itself. Exporting holds the GIL for seconds, which froze the GUI.
        self.source = source
        self.identity = identity
        self.precision = precision
        self.runtime = f"{self.kind}{version}"
        self.threads = threads or torch.get_num_threads()
        self.calibration = [np.ascontiguousarray(x.numpy(), np.float32) for x in calibration]
        self.checks = [np.ascontiguousarray(x.numpy(), np.float32) for x in checks] or self.calibration
        backbone = getattr(model, "backbone", model)
        self.weight_bytes = sum(p.numel() for p in backbone.parameters()) * (1 if precision == "int8" else 4)
        # an int8 conversion made by an earlier recipe is of no further use (stale, below)
        recipe = f"r{INT8_RECIPE}" if precision == "int8" else ""
        self.cache_dir = (
            cache_root / f"{conversions.safe_name(name)}-{self.runtime}-{precision}-{recipe}{identity[:20]}"
        )
        self._stale_glob = f"{conversions.safe_name(name)}-*-{precision}-*"  # this file's earlier conversions
        self.agreement: float | None = None  # int8 only: labels identical to the exact model
        self.error: str | None = None  # why building failed; the torch model keeps serving
        self.notes: list[str] = []  # what was found and repaired (a damaged cache rebuilt, ...)
        self.loaded_from_cache = False
        self._session = None
        self._held: int | None = None  # the descriptor that marks the conversion in use
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------------ state

    @property
    def approximate(self) -> bool:
        return self.precision != "fp32"

    @property
    def graph_dir(self) -> Path:
        """The one graph a conversion keeps: optimised for this CPU (ONNX Runtime's fusions
        and blocked layouts), its weights beside it. The plain export it was made from is
        not kept (it would double the cache); another CPU converts again."""
        return self.cache_dir / f"optimised-{cpu_key()}"

    def is_cached(self) -> bool:
        return (self.cache_dir / "meta.json").is_file() and all(
            (self.graph_dir / name).is_file() for name in ("model.onnx", DATA_FILE)
        )

    def ready(self) -> bool:
        return self._session is not None

    @property
    def label(self) -> str:
        """What a result computed on this path says it came from: "ONNX Runtime fp32"."""
        return backend_label(self.kind, self.precision)

    def describe(self) -> str:
        text = self.label
        if self.approximate:
            text += (
                " (fast, approximate"
                + (f", {100 * self.agreement:.1f} % label agreement on its check images" if self.agreement else "")
                + ")"
            )
        return f"{text}; its own weight copy: {self.weight_bytes / 2**20:.0f} MB"

    # ------------------------------------------------------------------ building

    def start(self) -> threading.Thread:
        """Build on a daemon thread (idempotent); the caller keeps serving with torch.

        At interpreter exit an unfinished build is cancelled at its next step and joined:
        a thread left inside a native runtime can abort the process at exit."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._build_quietly, name="fast-path-build", daemon=True)
            atexit.register(self.stop)  # before start(): the thread unregisters it when done
            self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Cancel a background build (at its next step) and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def wait(self, timeout: float | None = None, cancelled: Callable[[], bool] | None = None) -> bool:
        """Wait for a started build; True when ready. Polls ``cancelled`` every 50 ms."""
        thread = self._thread
        if thread is None:
            return self.ready()
        step = 0.05 if cancelled else timeout
        waited = 0.0
        while thread.is_alive() and (timeout is None or waited < timeout):
            thread.join(step)
            waited += step or 0.0
            if cancelled and cancelled():
                raise Cancelled()
        return self.ready()

    def _build_quietly(self) -> None:
        try:
            self.build(self._stop.is_set)
        except FCNStudioError as exc:  # the torch path keeps working; say why the fast one did not
            self.error = str(exc)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            atexit.unregister(self.stop)  # the registry would otherwise keep this model alive

    def build(self, cancelled: Callable[[], bool] | None = None) -> None:
        """Load the cached conversion (verified), or convert (and cache) it; then open a
        session. Idempotent."""
        with self._build_lock:
            if self._session is not None:
                return
            fresh = self._ensure_converted(cancelled)
            if cancelled and cancelled():
                raise Cancelled()
            session = self._open_checked()
            if session is None and not fresh:  # a cached conversion that gives other labels than torch
                self._discard("its labels differ from the exact model's")
                self._ensure_converted(cancelled)
                session = self._open_checked()
            if session is None:
                raise FCNStudioError(
                    "the ONNX Runtime conversion of {name} gives other labels than the torch model; torch serves (choose the torch backend to silence this)",
                    fix="backend-torch",
                    name=self.cache_dir.name,
                )
            self.agreement = self._read_meta().get("agreement")
            self._held = conversions.hold(self.cache_dir)
            with contextlib.suppress(OSError):
                conversions.enforce_budget(self.cache_dir.parent)
            with self._lock:
                self._session = session

    def _ensure_converted(self, cancelled) -> bool:
        """True when a conversion was made now; False when a verified one was cached."""
        if self.is_cached():
            problem = self._damage()
            if problem is None:
                self.loaded_from_cache = True
                return False
            self._discard(problem)
        self._convert_and_save(cancelled)
        self.loaded_from_cache = False
        return True

    def _damage(self) -> str | None:
        """Why the cached conversion cannot be trusted (its files' checksums), or None."""
        return damage(self.graph_dir)

    def _discard(self, why: str) -> None:
        self.notes.append(f"the cached ONNX Runtime conversion {self.cache_dir.name} was not used ({why}); rebuilt")
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    def _open_checked(self):
        """A session over the conversion whose labels on one small input equal torch's
        (fp32), or come near them (int8); None when they do not (the caller converts again)."""
        session = open_session(self.cache_dir, self.threads, self.notes)
        return session if self._labels_agree(session) else None

    def _labels_agree(self, session) -> bool:
        h, w = _CHECK_SHAPE[2:]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        x = np.stack([np.sin(xx / 3) * 90, np.cos(yy / 4) * 90, (xx - yy) * 4], 0)[None].astype(np.float32)
        exact = torch_labels(self.model, x)
        approx = head_labels(self.model, session.run(None, {"image": x}), (h, w))
        needed = 0.99 if self.precision == "fp32" else 0.5
        return check_agreement([exact], [approx]) >= needed

    def _convert_and_save(self, cancelled: Callable[[], bool] | None) -> None:
        self._check_room()
        remove_abandoned(self.cache_dir.parent, f".{self.cache_dir.name}.*")
        out = Path(tempfile.mkdtemp(prefix=f".{self.cache_dir.name}.", dir=self.cache_dir.parent))
        try:
            if self.precision == "int8":
                np.savez(out / "images.npz", *self.calibration, *self.checks)
                (out / "split.json").write_text(json.dumps({"calibration": len(self.calibration)}))
            if self.source is not None:
                self._convert_in_child(out, cancelled)
            else:  # weights without a file (tests, the API): nothing for a child to read
                from fcn_studio.inference.conversion import prepare

                prepare(self.model, out, self.precision, self.threads)
            if cancelled and cancelled():
                raise Cancelled()
            if not (out / self.graph_dir.name / "model.onnx").is_file():  # the child made it already
                open_session(out, self.threads)  # weights without a file: optimised here
            # One graph per base and precision: the plain export it was made from goes
            for scratch in ("images.npz", "split.json", "stderr.txt", "model.onnx", DATA_FILE):
                (out / scratch).unlink(missing_ok=True)
            self._describe_source(out)
            self._publish(out)
        except OSError as exc:
            raise FCNStudioError(self._write_problem(exc)) from None
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def _check_room(self) -> None:
        """A cache folder that cannot be written, or has no room, is said once, up front."""
        from fcn_studio.files.fileio import check_writable_folder

        root = self.cache_dir.parent
        try:
            check_writable_folder(root, "cache folder ($FCN_STUDIO_CACHE)")
        except FCNStudioError as exc:
            raise FCNStudioError("the faster CPU path cannot be prepared: {error}", error=exc) from None
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(root).free
            needed = int(self.weight_bytes * (1 if self.precision == "int8" else _DISK_FACTOR))
            if free < needed:
                raise FCNStudioError(
                    "no space left on {root} for the faster CPU path: free {mb} MB, set $FCN_STUDIO_CACHE to a folder with room, or use the torch backend",
                    fix="backend-torch",
                    root=root,
                    mb=-(-(needed - free) // 1_000_000),
                )

    def _write_problem(self, exc: OSError) -> str:
        from fcn_studio.files.fileio import is_disk_full

        if is_disk_full(exc):
            return (
                f"no space left on {self.cache_dir.parent} for the faster CPU path: free some space, set "
                "$FCN_STUDIO_CACHE to a folder with room, or use --backend torch"
            )
        return f"could not write the faster CPU path's cache in {self.cache_dir.parent}: {exc.strerror or exc}"

    def _describe_source(self, out: Path) -> None:
        meta = json.loads((out / "meta.json").read_text())
        path = str(Path(self.source[0]).resolve()) if self.source else ""
        meta |= {"source": path, "source_sha256": self.identity if path else "", "runtime": self.runtime}
        (out / "meta.json").write_text(json.dumps(meta))

    def _publish(self, tmp: Path) -> None:
        """A finished conversion in ``tmp`` becomes the cached one (renamed into place),
        with the permissions the umask gives new files (not a temporary folder's 0700)."""
        conversions.follow_umask(tmp)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.cache_dir)
        try:
            os.replace(tmp, self.cache_dir)
        except OSError:
            if not self.is_cached():  # else another process finished the same conversion first
                raise
        # Conversions of earlier versions of this weights file (or runtime) are of no further
        # use, unless another process still has one open.
        for old in self.cache_dir.parent.glob(self._stale_glob):
            if old != self.cache_dir and not old.name.startswith("."):
                conversions.remove(old)

    def _convert_in_child(self, out: Path, cancelled: Callable[[], bool] | None) -> None:
        """The export in a child process (which reads the weights file itself), so this
        process's threads, the GUI's included, never wait for the GIL it would hold."""
        import subprocess
        import sys

        path, arch, num_classes = self.source
        code = "import sys; from fcn_studio.inference.conversion import convert_file; convert_file(*sys.argv[1:])"
        args = [sys.executable, "-c", code, path, arch, str(num_classes), str(out), self.precision, str(self.threads)]
        # stderr to a file, not a pipe: the child's warnings can never fill it up and block it
        with open(out / "stderr.txt", "w+") as log:
            child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
            while child.poll() is None:
                if cancelled and cancelled():
                    child.kill()
                    child.wait()
                    raise Cancelled()
                time.sleep(0.1)
            if child.returncode != 0:
                log.seek(0)
                lines = log.read().strip().splitlines()
                last = lines[-1] if lines else f"exit status {child.returncode}"
                if "No space left" in last or "Errno 28" in last:
                    raise OSError(28, "No space left on device")
                raise FCNStudioError(
                    "converting {name} for ONNX Runtime failed: {error}", name=Path(path).name, error=last
                )

    def _read_meta(self) -> dict:
        try:
            return json.loads((self.cache_dir / "meta.json").read_text())
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------------ running

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(1, 3, H, W)`` float32 (preprocessed) -> the backbone's (pool3, pool4, fc7)."""
        import torch

        if self._session is None:
            raise RuntimeError("FastPath.features called before build()")
        data = np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
        # One call at a time: two at once would only share the same cores, each slower.
        with self._lock:
            out = self._session.run(None, {"image": data})
        return tuple(torch.from_numpy(f) for f in out)

    def close(self) -> None:
        """Let the conversion go (cleanup may then remove it)."""
        with self._lock:
            self._session = None
        if self._held is not None:
            with contextlib.suppress(OSError):
                os.close(self._held)
            self._held = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
