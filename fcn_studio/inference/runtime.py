"""A faster CPU runtime for a model, prepared once per weights file and cached on disk.

The torch model always works (any device, any input size, the backbone features Label mode
caches). A :class:`FastPath` is the same network exported to ONNX and run by ONNX Runtime,
which runs FCN-8s 1.6-1.7x faster than eager torch on a 2-core CPU with the same labels
(bench/bench_inference.py measures every candidate: channels_last, inductor, OpenVINO, ONNX
Runtime). Exporting and optimising cost seconds (about 20 s for the full FCN-8s), so they
run in a child process (exporting holds the GIL, which would freeze the GUI) while the
torch model serves the first requests; the result is saved next to the weights file under a
name keyed by the file's identity (path, size, modification time) and the ONNX Runtime
version, and later sessions only load it. The predictor asks ``ready()`` before each image and uses whichever
path is available.

The session holds its own copy of the weights (ONNX Runtime repacks them for its kernels);
:attr:`FastPath.weight_bytes` says how much, and the predictor reports it.

``precision="int8"`` is the opt-in fast mode: static post-training quantisation (ONNX
Runtime's QDQ int8, per channel), calibrated on a few images and labelled approximate with
the label agreement measured on check images against the exact model.
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
from typing import TYPE_CHECKING

import numpy as np

from fcn_studio import environment
from fcn_studio.errors import Cancelled, FCNStudioError

if TYPE_CHECKING:  # imported where used: the command line's parser reads BACKENDS without torch
    import torch

BACKENDS = ("auto", "torch", "onnxruntime")
BACKEND_ENV = environment.BACKEND.name  # overrides the default "auto" (e.g. "torch" to troubleshoot)
CACHE_DIRNAME = ".fcn-studio-cache"
PRECISIONS = ("f32", "int8")
DATA_FILE = "model.onnx.data"  # the weights of a conversion, beside its graph (mapped, not parsed)
# Kept in float: the layers whose outputs are the class scores (quantising them costs the
# most agreement for the least time) and conv1_1, which sees the raw pixel values.
FLOAT_LAYERS = ("conv1_1", "score_fr", "score_pool4", "score_pool3")


def onnxruntime_version() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime.__version__


def weights_identity(source: Path | None, state_dict: dict[str, torch.Tensor]) -> str:
    """A short key that changes whenever the weights do.

    A file is identified by its resolved path, size and modification time (cheap: no
    reading); weights without a file by a hash of their bytes.
    """
    import torch

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
    """The model exported to ONNX and run by ONNX Runtime on the CPU: ``build()`` once, then
    ``logits(x)``.

    ``build`` is safe to run on a background thread while the torch model serves (it only
    reads the model); ``logits`` may be called from any thread once ``ready()``.
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
        precision: str = "f32",
        calibration: Sequence[torch.Tensor] = (),
        checks: Sequence[torch.Tensor] = (),
        source: tuple[str, str, int] | None = None,
    ) -> None:
        import torch

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        version = onnxruntime_version()
        if version is None:
            raise FCNStudioError("ONNX Runtime is not installed: pip install onnxruntime onnx (or use --backend torch)")
        if precision == "int8" and not calibration:
            raise FCNStudioError("fast (int8) mode needs a few calibration images (ideally like the ones to segment)")
        self.model = model
        # (weights file, arch, classes): the export then runs in a child process that reads
        # the file itself. Exporting holds the GIL for seconds, which froze the GUI.
        self.source = source
        self.precision = precision
        self.threads = threads or torch.get_num_threads()
        self.calibration = [np.ascontiguousarray(x.numpy(), np.float32) for x in calibration]
        self.checks = [np.ascontiguousarray(x.numpy(), np.float32) for x in checks] or self.calibration
        self.weight_bytes = sum(p.numel() for p in model.parameters()) * (1 if precision == "int8" else 4)
        self.cache_dir = cache_root / f"{_safe(name)}-{self.kind}{version}-{precision}-{identity}"
        self._stale_glob = f"{_safe(name)}-*-{precision}-*"  # this file's earlier conversions
        self.agreement: float | None = None  # int8 only: labels identical to the exact model
        self.error: str | None = None  # why building failed; the torch model keeps serving
        self.loaded_from_cache = False
        self._session = None
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------------ state

    @property
    def approximate(self) -> bool:
        return self.precision != "f32"

    def is_cached(self) -> bool:
        return all((self.cache_dir / name).is_file() for name in ("model.onnx", DATA_FILE, "meta.json"))

    def ready(self) -> bool:
        return self._session is not None

    @property
    def label(self) -> str:
        """What a result computed on this path says it came from: "ONNX Runtime f32"."""
        return f"ONNX Runtime {self.precision}"

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
        except Exception as exc:  # the torch path keeps working; say why the fast one did not
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            atexit.unregister(self.stop)  # the registry would otherwise keep this model alive

    def build(self, cancelled: Callable[[], bool] | None = None) -> None:
        """Load the cached export, or export (and cache) it; then open a session. Idempotent."""
        with self._build_lock:
            if self._session is not None:
                return
            if not self.is_cached():
                self._convert_and_save(cancelled)
            else:
                self.loaded_from_cache = True
            if cancelled and cancelled():
                raise Cancelled()
            self.agreement = self._read_meta().get("agreement")
            session = open_session(self.cache_dir, self.threads)
            with self._lock:
                self._session = session

    def _convert_and_save(self, cancelled: Callable[[], bool] | None) -> None:
        self.cache_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.cache_dir.parent, f".{self.cache_dir.name}.*")
        out = Path(tempfile.mkdtemp(prefix=f".{self.cache_dir.name}.", dir=self.cache_dir.parent))
        try:
            if self.precision == "int8":
                np.savez(out / "images.npz", *self.calibration, *self.checks)
                (out / "split.json").write_text(json.dumps({"calibration": len(self.calibration)}))
            if self.source is not None:
                self._convert_in_child(out, cancelled)
            else:  # weights without a file (tests, the API): nothing for a child to read
                prepare(self.model, out, self.precision, self.threads)
            if cancelled and cancelled():
                raise Cancelled()
            for scratch in ("images.npz", "split.json", "stderr.txt"):
                (out / scratch).unlink(missing_ok=True)
            self._publish(out)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def _publish(self, tmp: Path) -> None:
        """A finished conversion in ``tmp`` becomes the cached one (renamed into place)."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.cache_dir)
        try:
            os.replace(tmp, self.cache_dir)
        except OSError:
            if not self.is_cached():  # else another process finished the same conversion first
                raise
        # Conversions of earlier versions of this weights file (or runtime) are of no further use.
        for old in self.cache_dir.parent.glob(self._stale_glob):
            if old != self.cache_dir and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    def _convert_in_child(self, out: Path, cancelled: Callable[[], bool] | None) -> None:
        """The export in a child process (which reads the weights file itself), so this
        process's threads, the GUI's included, never wait for the GIL it would hold."""
        import subprocess
        import sys

        path, arch, num_classes = self.source
        code = "import sys; from fcn_studio.inference.runtime import convert_file; convert_file(*sys.argv[1:])"
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
                raise FCNStudioError(f"converting {Path(path).name} for ONNX Runtime failed: {last}")

    def _read_meta(self) -> dict:
        try:
            return json.loads((self.cache_dir / "meta.json").read_text())
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------------ running

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(1, 3, H, W)`` float32 (preprocessed) -> ``(1, C, H, W)`` float32 logits."""
        import torch

        if self._session is None:
            raise RuntimeError("FastPath.logits called before build()")
        data = np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
        # One call at a time: two at once would only share the same cores, each slower.
        with self._lock:
            out = self._session.run(None, {"image": data})[0]
        return torch.from_numpy(out)


def open_session(folder: Path, threads: int):
    """A session over the conversion in ``folder``.

    ONNX Runtime's full graph optimisation (fusions, the blocked NCHWc layout) takes seconds
    for a VGG16 FCN at every session start, and its result is specific to the CPU. So the
    first session on this kind of CPU (normally the conversion process's) saves its
    optimised graph beside the conversion, and later ones map that file as it is: choosing a
    model then costs a fraction of a second.
    """
    optimised = folder / f"optimised-{cpu_key()}"
    _remove_abandoned(folder, f".{optimised.name}.*")  # a process that died while saving one
    if (optimised / "model.onnx").is_file():
        try:
            return _session(optimised / "model.onnx", threads, optimise=False)
        except Exception:  # damaged or from another runtime build: optimise again below
            shutil.rmtree(optimised, ignore_errors=True)
    tmp = folder / f".{optimised.name}.{os.getpid()}-{threading.get_ident()}"
    try:
        tmp.mkdir()
    except OSError:  # a read-only cache: optimise at every start instead
        return _session(folder / "model.onnx", threads)
    try:
        session = _session(folder / "model.onnx", threads, save_to=tmp / "model.onnx")
        with contextlib.suppress(OSError):  # another process may have saved the same one first
            os.replace(tmp, optimised)
        return session
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _session(path: Path, threads: int, *, optimise: bool = True, save_to: Path | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    level = ort.GraphOptimizationLevel
    options.graph_optimization_level = level.ORT_ENABLE_ALL if optimise else level.ORT_DISABLE_ALL
    options.log_severity_level = 3  # errors only: its warnings are not the user's business
    # Idle threads sleep instead of spinning: the GUI, video decoding and Label mode share
    # these cores, and FCN's long convolutions ran no slower for it (1.71 s vs 1.78 s).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if save_to is not None:
        options.optimized_model_filepath = str(save_to)
        # the weights in a file of their own, which a later session maps instead of parsing
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", DATA_FILE)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cpu_key() -> str:
    """What an optimised graph is specific to: the CPU's vector instruction sets."""
    import platform

    flags = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("flags"):
                wanted = ("avx", "amx", "fma", "f16c", "sse4", "vnni")
                flags = " ".join(sorted(f for f in line.split(":", 1)[1].split() if f.startswith(wanted)))
                break
    flags = flags or f"{platform.machine()} {platform.processor()}"
    return hashlib.blake2b(flags.encode(), digest_size=6).hexdigest()


def _remove_abandoned(folder: Path, pattern: str) -> None:
    """Temporary folders (``pattern`` in ``folder``) of conversions or optimised graphs that
    never finished: the process ended mid-way. An hour old, no live process is writing them."""
    for tmp in folder.glob(pattern):
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


def prepare(model: torch.nn.Module, out: Path, precision: str, threads: int) -> None:
    """Export ``model`` to ``out/model.onnx`` (dynamic height and width) and write
    ``out/meta.json``; for int8, quantise it with the calibration images in
    ``out/images.npz`` and record its label agreement on the check images there."""
    import torch

    out = Path(out)
    exported = out / ("float.onnx" if precision == "int8" else "model.onnx")
    example = torch.zeros(1, 3, 64, 64)
    with torch.no_grad(), warnings_quiet():
        torch.onnx.export(
            model.eval(), (example,), str(exported), input_names=["image"], output_names=["scores"],
            dynamic_axes={"image": {2: "height", 3: "width"}, "scores": {2: "height", 3: "width"}},
            dynamo=False,  # the TorchScript exporter: dynamic crops, no onnxscript needed
        )  # fmt: skip
    meta: dict = {"precision": precision}
    if precision == "int8":
        with np.load(out / "images.npz") as npz:
            images = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        n = json.loads((out / "split.json").read_text())["calibration"]
        meta["agreement"] = _quantize(model, exported, out / "model.onnx", images[:n], images[n:], threads)
        exported.unlink()
    _weights_beside(out / "model.onnx")
    (out / "meta.json").write_text(json.dumps(meta))


def _weights_beside(path: Path) -> None:
    """Move the weights out of the graph file into DATA_FILE: a 0.5 GB protobuf takes
    seconds to parse at every session start, a file beside it is read directly."""
    import onnx

    model = onnx.load(str(path))
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=DATA_FILE, size_threshold=1024)  # fmt: skip


def _quantize(model, exported: Path, target: Path, calibration, checks, threads: int) -> float:
    """Quantise ``exported`` into ``target`` (a conversion folder's model.onnx) and return
    its label agreement with ``model`` on ``checks``."""
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Images(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(calibration)

        def get_next(self):
            x = next(self._it, None)
            return None if x is None else {"image": x}

    float_nodes = [f"/{name}/Conv" for name in FLOAT_LAYERS]
    with warnings_quiet():
        quantize_static(
            str(exported), str(target), Images(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"], nodes_to_exclude=float_nodes,
        )  # fmt: skip
    # the session the conversion keeps: optimised once here, saved, and mapped from then on
    session = open_session(target.parent, threads)
    with torch.no_grad():
        exact = [model(torch.from_numpy(x)).argmax(1)[0].numpy() for x in checks]
    approx = [session.run(None, {"image": x})[0].argmax(1)[0] for x in checks]
    return check_agreement(exact, approx)


def convert_file(path: str, arch: str, num_classes: str, out: str, precision: str = "f32", threads: str = "0") -> None:
    """Child-process side of :meth:`FastPath._convert_and_save`: read the weights file,
    build the model and :func:`prepare` its ONNX Runtime conversion in ``out``."""
    import torch

    from fcn_studio.storage.checkpoint import load_checkpoint

    threads = int(threads) or torch.get_num_threads()
    torch.set_num_threads(threads)
    checkpoint = load_checkpoint(path, arch=arch)
    if checkpoint.num_classes != int(num_classes):
        raise FCNStudioError(f"{path}: {checkpoint.num_classes} classes, expected {num_classes}")
    model = checkpoint.build_model()
    del checkpoint  # its tensors are the model's now
    prepare(model, Path(out), precision, threads)
    del model
    # Optimise here too (seconds of CPU for a VGG16 graph), with torch's copy of the weights
    # freed: the process that uses the conversion then only maps the saved result. Same
    # machine, so the same CPU key.
    open_session(Path(out), threads)
