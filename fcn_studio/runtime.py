"""A faster CPU runtime for a model, prepared once per weights file and cached on disk.

The torch model always works (any device, any input size). A :class:`FastPath` is the same
network converted for OpenVINO, which runs FCN-8s about 1.5x faster than eager torch on a
CPU (bench/bench_inference.py). Converting costs seconds (about 12 s for the full FCN-8s), so
it is built in the background while the torch model serves the first requests, saved next
to the weights file under a name keyed by the file's identity (path, size, modification
time) and the OpenVINO version, and later sessions only load it. The predictor asks
``ready()`` before each image and uses whichever path is available.

The compiled model holds its own copy of the weights (OpenVINO repacks them for its
kernels); :attr:`FastPath.weight_bytes` says how much, and the predictor reports it.

``precision="int8"`` is the opt-in fast mode: post-training quantisation with NNCF,
calibrated on a few images, and labelled approximate with the label agreement measured on
check images against the exact model.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from fcn_studio.errors import Cancelled, FCNStudioError

BACKENDS = ("auto", "torch", "openvino")
BACKEND_ENV = "FCN_STUDIO_BACKEND"  # overrides the default "auto" (e.g. "torch" to troubleshoot)
CACHE_DIRNAME = ".fcn-studio-cache"
PRECISIONS = ("f32", "int8")


def openvino_version() -> str | None:
    try:
        import openvino
    except ImportError:
        return None
    return openvino.__version__.split("-")[0]


def nncf_available() -> bool:
    try:
        import nncf  # noqa: F401
    except ImportError:
        return False
    return True


def weights_identity(source: Path | None, state_dict: dict[str, torch.Tensor]) -> str:
    """A short key that changes whenever the weights do.

    A file is identified by its resolved path, size and modification time (cheap: no
    reading); weights without a file by a hash of their bytes.
    """
    h = hashlib.blake2b(digest_size=10)
    if source is not None and Path(source).is_file():
        st = Path(source).stat()
        h.update(f"{Path(source).resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    else:
        for name in sorted(state_dict):
            t = state_dict[name].detach().to("cpu").contiguous()
            h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
            h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def cache_root_for(source: Path | None) -> Path:
    """Next to the weights file when that folder is writable, else the user cache folder."""
    if source is not None:
        folder = Path(source).parent
        if os.access(folder, os.W_OK):
            return folder / CACHE_DIRNAME
    import platformdirs

    return Path(platformdirs.user_cache_dir("fcn-studio", appauthor=False)) / "compiled"


def check_agreement(reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray]) -> float:
    """Share of pixels whose labels are identical, over all check images."""
    same = sum(int((a == b).sum()) for a, b in zip(reference, candidate, strict=True))
    return same / max(1, sum(a.size for a in reference))


class FastPath:
    """The model converted for OpenVINO on the CPU: ``build()`` once, then ``logits(x)``.

    ``build`` is safe to run on a background thread while the torch model serves (it only
    reads the model); ``logits`` may be called from any thread once ``ready()``.
    """

    kind = "openvino"

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        name: str,
        identity: str,
        cache_root: Path,
        threads: int | None = None,
        precision: str = "f32",
        calibration: Sequence[torch.Tensor] = (),
        checks: Sequence[torch.Tensor] = (),
        source: tuple[str, str, int] | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        version = openvino_version()
        if version is None:
            raise FCNStudioError("the OpenVINO backend is not installed: pip install openvino (or use --backend torch)")
        if precision == "int8" and not nncf_available():
            raise FCNStudioError("fast (int8) mode needs NNCF: pip install nncf (or leave fast mode off)")
        self.model = model
        # (weights file, arch, classes): an f32 conversion then runs in a child process that
        # reads the file itself. Converting holds the GIL for seconds, which froze the GUI.
        self.source = source
        self.precision = precision
        self.threads = threads or torch.get_num_threads()
        self.calibration = list(calibration)
        self.checks = list(checks)
        self.weight_bytes = sum(p.numel() for p in model.parameters()) * (1 if precision == "int8" else 4)
        self.cache_dir = cache_root / f"{_safe(name)}-{self.kind}{version}-{precision}-{identity}"
        self._stale_glob = f"{_safe(name)}-{self.kind}*-{precision}-*"
        self.agreement: float | None = None  # int8 only: labels identical to the exact model
        self.error: str | None = None  # why building failed; the torch model keeps serving
        self.loaded_from_cache = False
        self._compiled = None
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------------ state

    @property
    def approximate(self) -> bool:
        return self.precision != "f32"

    @property
    def xml_path(self) -> Path:
        return self.cache_dir / "model.xml"

    def is_cached(self) -> bool:
        return self.xml_path.is_file() and (self.cache_dir / "model.bin").is_file()

    def ready(self) -> bool:
        return self._compiled is not None

    def describe(self) -> str:
        text = f"OpenVINO {self.precision}"
        if self.approximate:
            text += (
                " (fast, approximate"
                + (f", {100 * self.agreement:.1f} % label agreement" if self.agreement else "")
                + ")"
            )
        return f"{text}; its own weight copy: {self.weight_bytes / 2**20:.0f} MB"

    # ------------------------------------------------------------------ building

    def start(self) -> threading.Thread:
        """Build on a daemon thread (idempotent); the caller keeps serving with torch.

        At interpreter exit an unfinished build is cancelled at its next step and joined:
        a thread left inside OpenVINO would abort the process ("terminate called")."""
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
        except Exception as exc:  # the torch path keeps working; say why the fast one did not
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            atexit.unregister(self.stop)  # the registry would otherwise keep this model alive

    def build(self, cancelled: Callable[[], bool] | None = None) -> None:
        """Load the cached conversion, or convert (and cache) it; then compile. Idempotent."""
        with self._build_lock:
            if self._compiled is not None:
                return
            import openvino as ov

            core = ov.Core()
            if not self.is_cached():
                self._convert_and_save(cancelled)
            else:
                self.loaded_from_cache = True
            if cancelled and cancelled():
                raise Cancelled()
            meta = self._read_meta()
            self.agreement = meta.get("agreement")
            config = {
                "INFERENCE_PRECISION_HINT": "f32",  # never bf16/f16 behind the user's back
                "INFERENCE_NUM_THREADS": self.threads,
                "NUM_STREAMS": 1,
                "PERFORMANCE_HINT": "LATENCY",
                # pinned threads cannot move to a free core when other programs share the CPU
                "ENABLE_CPU_PINNING": False,
            }
            compiled = core.compile_model(str(self.xml_path), "CPU", config)
            with self._lock:
                self._compiled = compiled
                self._request = compiled.create_infer_request()

    def _convert_and_save(self, cancelled: Callable[[], bool] | None) -> None:
        import openvino as ov

        if self.source is not None and self.precision == "f32":
            self._convert_in_child(cancelled)  # writes the cached conversion itself
            return
        example = torch.zeros(1, 3, 64, 64)
        with torch.no_grad(), warnings_quiet():
            converted = ov.convert_model(self.model, example_input=example, input=[ov.PartialShape([1, 3, -1, -1])])
        if cancelled and cancelled():
            raise Cancelled()
        meta: dict = {"precision": self.precision}
        if self.precision == "int8":
            converted, meta["agreement"] = self._quantize(converted)
        self.cache_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.cache_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.cache_dir.name}.", dir=self.cache_dir.parent))
        try:
            ov.save_model(converted, str(tmp / "model.xml"), compress_to_fp16=False)
            (tmp / "meta.json").write_text(json.dumps(meta))
            if cancelled and cancelled():
                raise Cancelled()
            self._publish(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _publish(self, tmp: Path) -> None:
        """A finished conversion in ``tmp`` becomes the cached one (renamed into place)."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.cache_dir)
        try:
            os.replace(tmp, self.cache_dir)
        except OSError:
            if not self.is_cached():  # else another process finished the same conversion first
                raise
        # Conversions of earlier versions of this weights file are of no further use.
        for old in self.cache_dir.parent.glob(self._stale_glob):
            if old != self.cache_dir and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    def _convert_in_child(self, cancelled: Callable[[], bool] | None):
        """The conversion in a child process (which reads the weights file itself), so this
        process's threads, the GUI's included, never wait for the GIL it would hold."""
        import subprocess
        import sys

        path, arch, num_classes = self.source
        self.cache_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.cache_dir)
        out = Path(tempfile.mkdtemp(prefix=f".{self.cache_dir.name}.", dir=self.cache_dir.parent))
        code = "import sys; from fcn_studio.runtime import convert_file; convert_file(*sys.argv[1:])"
        args = [sys.executable, "-c", code, path, arch, str(num_classes), str(out / "model.xml"), str(self.threads)]
        try:
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
                    raise FCNStudioError(f"converting {Path(path).name} failed: {last}")
            (out / "stderr.txt").unlink(missing_ok=True)
            (out / "meta.json").write_text(json.dumps({"precision": self.precision}))
            self._publish(out)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def _quantize(self, converted):
        import nncf
        import openvino as ov

        if not self.calibration:
            raise FCNStudioError("fast (int8) mode needs a few calibration images")
        data = nncf.Dataset([x.numpy() for x in self.calibration])
        quantized = nncf.quantize(converted, data, subset_size=len(self.calibration))
        checks = self.checks or self.calibration
        compiled = ov.Core().compile_model(
            quantized, "CPU", {"INFERENCE_NUM_THREADS": self.threads, "INFERENCE_PRECISION_HINT": "f32"}
        )
        with torch.no_grad():
            exact = [self.model(x).argmax(1)[0].numpy() for x in checks]
        approx = [compiled(x.numpy())[0].argmax(1)[0] for x in checks]
        return quantized, check_agreement(exact, approx)

    def _read_meta(self) -> dict:
        try:
            return json.loads((self.cache_dir / "meta.json").read_text())
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------------ running

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(1, 3, H, W)`` float32 (preprocessed) -> ``(1, C, H, W)`` float32 logits."""
        if self._compiled is None:
            raise RuntimeError("FastPath.logits called before build()")
        data = np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
        with self._lock:  # one infer request: OpenVINO requests are not re-entrant
            out = self._request.infer({0: data})[0]
            return torch.from_numpy(np.array(out, copy=True))


def _remove_abandoned(cache_dir: Path) -> None:
    """Temporary folders of conversions that never finished (the process ended mid-way)."""
    import time

    for tmp in cache_dir.parent.glob(f".{cache_dir.name}.*"):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60] or "model"


@contextlib.contextmanager
def warnings_quiet():
    """Tracing warns about shape-dependent Python values (the crops); they are intended."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def convert_file(path: str, arch: str, num_classes: str, xml_out: str, threads: str = "0") -> None:
    """Child-process side of :meth:`FastPath._convert_and_save`: read the weights file,
    build the model and save its OpenVINO conversion (dynamic input shape) to ``xml_out``."""
    import openvino as ov

    from fcn_studio.checkpoint import load_checkpoint

    if int(threads):
        torch.set_num_threads(int(threads))
    checkpoint = load_checkpoint(path, arch=arch)
    if checkpoint.num_classes != int(num_classes):
        raise FCNStudioError(f"{path}: {checkpoint.num_classes} classes, expected {num_classes}")
    model = checkpoint.build_model()
    example = torch.zeros(1, 3, 64, 64)
    with torch.no_grad(), warnings_quiet():
        converted = ov.convert_model(model, example_input=example, input=[ov.PartialShape([1, 3, -1, -1])])
    ov.save_model(converted, xml_out, compress_to_fp16=False)
