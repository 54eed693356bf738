"""ONNX Runtime sessions over a conversion folder, its optimised copy saved once per CPU."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

DATA_FILE = "model.onnx.data"  # the weights of a conversion, beside its graph (mapped, not parsed)
SUMS = "sha256.json"  # beside an optimised copy: its files' checksums, verified before it is used


def open_session(folder: Path, threads: int, notes: list[str] | None = None):
    """A session over the conversion in ``folder``; what was found damaged and made again
    is appended to ``notes``.

    ONNX Runtime's full graph optimisation (fusions, the blocked NCHWc layout) takes seconds
    for a VGG16 FCN at every session start, and its result is specific to the CPU. So the
    first session on this kind of CPU (normally the conversion process's) saves its
    optimised graph beside the conversion, and later ones map that file as it is: choosing a
    model then costs a fraction of a second.
    """
    optimised = folder / f"optimised-{cpu_key()}"
    remove_abandoned(folder, f".{optimised.name}.*")  # a process that died while saving one
    if (optimised / "model.onnx").is_file():
        problem = _damage(optimised)
        if problem is None:
            try:
                return _session(optimised / "model.onnx", threads, optimise=False)
            except Exception:  # from another runtime build, say: optimise again below
                problem = "ONNX Runtime could not read it"
        if notes is not None:
            notes.append(f"the optimised copy of {folder.name} was not used ({problem}); made again")
        shutil.rmtree(optimised, ignore_errors=True)
    tmp = folder / f".{optimised.name}.{os.getpid()}-{threading.get_ident()}"
    try:
        tmp.mkdir()
    except OSError:  # a read-only cache: optimise at every start instead
        return _session(folder / "model.onnx", threads)
    try:
        session = _session(folder / "model.onnx", threads, save_to=tmp / "model.onnx")
        _write_sums(tmp)
        with contextlib.suppress(OSError):  # another process may have saved the same one first
            os.replace(tmp, optimised)
        return session
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_sums(folder: Path) -> None:
    from fcn_studio.files.identity import hash_file

    sums = {p.name: hash_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
    (folder / SUMS).write_text(json.dumps(sums))


def _damage(folder: Path) -> str | None:
    """Why the files in ``folder`` differ from the checksums saved with them, or None
    (hashed once per file identity: files/identity.py)."""
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.files.identity import content_hash

    try:
        sums = json.loads((folder / SUMS).read_text())
    except (OSError, ValueError):
        return "it has no checksums"
    for name, expected in sums.items():
        try:
            if content_hash(folder / name) != expected:
                return f"{name} was damaged"
        except FCNStudioError:
            return f"{name} cannot be read"
    return None


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


def remove_abandoned(folder: Path, pattern: str) -> None:
    """Temporary folders (``pattern`` in ``folder``) of conversions or optimised graphs that
    never finished: the process ended mid-way. An hour old, no live process is writing them."""
    for tmp in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)
