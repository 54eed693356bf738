"""Which number format runs where: fp32, bf16 on CPUs made for it, fp16 on CUDA.

bf16 halves the bytes of every weight and activation; CPUs with AVX512-BF16 (and AMX) have
instructions for it and run FCN's convolutions 2-10x faster than in fp32. CPUs without them
emulate it, about 100x slower: bf16 is never chosen there, and asking for it is an error.

Whether bf16 pays on *this* machine is measured, not assumed: a few convolutions of FCN's
shape (a narrow FCN-8s), fp32 against bf16, forward (inference) and forward + backward
(training), a few seconds once per machine. The result is cached in a small JSON file in the user cache folder
(platformdirs' ``fcn-studio``) under the CPU model, its bf16 flags and the torch version, so
a new CPU or a torch upgrade measures again.

Where the precision is used (README, "Performance"):

- Fine-tuning (``train``): ``auto`` runs bf16 autocast on a CPU with native bf16 when it
  measured faster (the loss curve matches fp32 within noise; tests/unit/inference/
  test_precision.py), fp32 otherwise; fp16 AMP on CUDA (bf16 there on request).
- Inference: ``auto`` stays exact (fp32 on a CPU, fp16 on CUDA). ``bf16`` is an approximate
  mode beside the int8 fast mode: the model converted to bf16 (channels_last), offered only
  where the CPU has native bf16, its label agreement with fp32 measured on check images.
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.errors import FCNStudioError

if TYPE_CHECKING:  # the command line's parser reads PRECISIONS without importing torch
    import torch

PRECISIONS = ("auto", "fp32", "bf16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # Linux /proc/cpuinfo names of native bf16
CACHE_FILE = "precision.json"
# bf16 must beat fp32 by this factor to be chosen: a tie is not worth the approximation
MIN_SPEEDUP = 1.15
PROBE_VERSION = 2  # part of the cache key: a changed probe measures again
_lock = threading.Lock()
_measured: dict[str, Measurement] = {}


# --------------------------------------------------------------------------- detection


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo does not exist."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware: its flags say so and oneDNN agrees.

    On Linux the flags are read from /proc/cpuinfo; elsewhere torch's CPU capability must be
    AVX512 or better and oneDNN must report bf16 support (Apple silicon and older x86 do
    not count: their bf16 is emulated)."""
    import torch

    flags = cpu_flags()
    if flags:
        if not flags & set(BF16_FLAGS):
            return False
    elif torch.backends.cpu.get_cpu_capability() not in ("AVX512", "AMX"):
        return False
    mkldnn_check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(mkldnn_check is None or mkldnn_check())


def machine_key() -> str:
    """What a measurement is valid for: the CPU model, its bf16 flags, the torch version."""
    import torch

    flags = ",".join(sorted(cpu_flags() & set(BF16_FLAGS))) or "no-bf16-flags"
    return f"{cpu_model()} | {flags} | torch {torch.__version__} | probe {PROBE_VERSION}"


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Measurement:
    """Seconds of the same small convolution stack in fp32 and in bf16 on this CPU."""

    native: bool
    inference_fp32_s: float = 0.0
    inference_bf16_s: float = 0.0
    training_fp32_s: float = 0.0
    training_bf16_s: float = 0.0

    def speedup(self, kind: str) -> float:
        fp32, bf16 = getattr(self, f"{kind}_fp32_s"), getattr(self, f"{kind}_bf16_s")
        return fp32 / bf16 if self.native and bf16 > 0 else 0.0

    def prefers_bf16(self, kind: str) -> bool:
        return self.native and self.speedup(kind) >= MIN_SPEEDUP


def cache_path() -> Path:
    """The user cache folder's precision.json: a fact about the machine, shared by every
    process (and test session) on it, unlike the data caches under ``$FCN_STUDIO_CACHE``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("fcn-studio", appauthor=False)) / CACHE_FILE


def measurement(*, remeasure: bool = False) -> Measurement:
    """This machine's measurement, from the cache or measured now (once per machine key).

    Never measures bf16 on a CPU without native bf16 (it would take minutes, and the
    answer is known)."""
    key = machine_key()
    with _lock:
        if key in _measured and not remeasure:
            return _measured[key]
        cached = {} if remeasure else _read_cache()
        result = None
        if key in cached:
            with contextlib.suppress(TypeError):
                result = Measurement(**cached[key])
        if result is None:
            result = _measure() if native_bf16() else Measurement(native=False)
            cached[key] = result.__dict__
            _write_cache(cached)
        _measured[key] = result  # once per process too: the cache folder may change (tests)
        return result


def _read_cache() -> dict:
    from fcn_studio.files.fileio import read_json_table

    return read_json_table(cache_path())


def _write_cache(data: dict) -> None:
    from fcn_studio.files.fileio import write_json_table

    write_json_table(cache_path(), data)


def _probe_net():
    """FCN-8s itself, narrow (every channel count / 8): the layers, kernels, padding and
    upsampling the app runs, at a cost of a fraction of a second a pass."""
    import torch

    from fcn_studio.models import build_fcn

    torch.manual_seed(0)
    return build_fcn("fcn8s", 3, width_divisor=8)


def _best_of_pair(first, second, rounds: int = 6) -> tuple[float, float]:
    """The fastest of ``rounds`` calls of each, interleaved: other work on the machine (a
    busy 2-core CPU varies 10x from call to call) then slows both alike."""
    first(), second()  # warm-up: oneDNN builds its kernels on the first call
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, spent in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def _measure() -> Measurement:
    """fp32 against bf16 for inference (bf16 weights, channels_last) and training (bf16
    autocast, forward + backward): the paths the app would use, in miniature."""
    import torch

    net = _probe_net()
    guard_for_autocast(net, Choice("bf16", "probe"), torch.device("cpu"))  # as training runs it
    x = torch.randn(1, 3, 32, 32)  # the network pads it by 100 a side: 232x232 inside
    from fcn_studio.inference.bf16_path import to_bf16_model

    fast = to_bf16_model(_probe_net())
    xb = x.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        inf32, inf16 = _best_of_pair(lambda: net(x), lambda: fast(xb))

    def step(autocast: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = net(x).float().square().mean()
        loss.backward()

    train32, train16 = _best_of_pair(lambda: step(False), lambda: step(True))
    return Measurement(True, inf32, inf16, train32, train16)


# --------------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class Choice:
    """A resolved precision and the one sentence that says why (printed by the CLI)."""

    precision: str  # "fp32", "bf16" or (CUDA) "fp16"
    reason: str


def _check_requested(requested: str | None) -> str:
    requested = (requested or "auto").lower()
    if requested not in PRECISIONS:
        raise FCNStudioError(
            "unknown precision {requested!r}; choose one of {precisions}",
            requested=requested,
            precisions=", ".join(PRECISIONS),
        )
    return requested


def _refuse_emulated(what: str) -> None:
    raise FCNStudioError(
        "{what}: this CPU has no native bf16 (AVX512-BF16 or AMX), where bf16 runs about 100x slower than fp32; choose fp32 or the automatic precision",
        fix="precision",
        what=what,
    )


def for_training(requested: str | None, device: torch.device, *, amp: bool = True) -> Choice:
    """The fine-tuning precision: on CUDA fp16 AMP (``amp``) unless fp32 or bf16 is asked
    for; on a CPU bf16 autocast where it is native and measured faster, else fp32."""
    requested = _check_requested(requested)
    if device.type == "cuda":
        if requested == "bf16":
            return Choice("bf16", "bf16 autocast on CUDA (--precision bf16)")
        if requested == "fp32" or not amp:
            return Choice("fp32", "fp32 (mixed precision off)")
        return Choice("fp16", "fp16 mixed precision on CUDA")
    if device.type != "cpu" or requested == "fp32":
        return Choice("fp32", "fp32" + (" (--precision fp32)" if requested == "fp32" else ""))
    if requested == "bf16":
        if not native_bf16():
            _refuse_emulated("bf16 training")
        return Choice("bf16", "bf16 autocast (--precision bf16)")
    m = measurement()
    if not m.native:
        return Choice("fp32", "fp32 (this CPU has no native bf16)")
    if m.prefers_bf16("training"):
        return Choice("bf16", f"bf16 autocast: measured {m.speedup('training'):.1f}x faster than fp32 on this CPU")
    return Choice("fp32", f"fp32: bf16 measured only {m.speedup('training'):.2f}x as fast on this CPU")


def for_inference(requested: str | None, device: torch.device) -> Choice:
    """The inference precision: ``auto`` and ``fp32`` are the exact path (fp16 on CUDA for
    ``auto``); ``bf16`` the approximate mode, refused on a CPU without native bf16."""
    requested = _check_requested(requested)
    if requested == "bf16":
        if device.type == "cpu" and not native_bf16():
            _refuse_emulated("bf16 inference")
        return Choice("bf16", "bf16 (approximate)")
    if device.type == "cuda" and requested == "auto":
        return Choice("fp16", "fp16 on CUDA")
    return Choice("fp32", "fp32 (exact)")


def bf16_offered() -> bool:
    """Whether the app offers the approximate bf16 mode: native bf16 that measured faster."""
    return measurement().prefers_bf16("inference")


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def autocast(choice: Choice, device: torch.device):
    """The context a training step's forward pass runs in for ``choice``."""
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(choice.precision)
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else _nothing()


# Convolutions with fewer outputs than this stay fp32 under CPU bf16 autocast: the backward
# pass of a bf16 Conv2d(4096, 3, 1) (FCN's score_fr for 3 classes) corrupts the heap with
# torch 2.14 / oneDNN on AMX ("corrupted size vs. prev_size", an abort), and outputs of
# 1-12 channels all failed while 20 and more passed. Scoring a few classes costs nothing.
NARROW_OUTPUTS = 32


def guard_for_autocast(model: torch.nn.Module, choice: Choice, device: torch.device) -> int:
    """Make ``model`` safe to train under ``choice``'s autocast: its narrow convolutions (the
    score layers) run in fp32. Returns how many; a no-op except for bf16 on a CPU."""
    from torch import nn

    if choice.precision != "bf16" or device.type != "cpu":
        return 0
    narrow = [m for m in model.modules() if type(m) is nn.Conv2d and m.out_channels < NARROW_OUTPUTS]
    for module in narrow:
        module.__class__ = _fp32_conv_class()  # same parameters and state_dict; only forward differs
    return len(narrow)


def _fp32_conv_class():
    """Defined on first use (this module is imported without torch by the CLI's parser) and
    published under its name here, so a guarded model still pickles."""
    if "Fp32Conv2d" in globals():
        return globals()["Fp32Conv2d"]
    from torch import nn

    class Fp32Conv2d(nn.Conv2d):
        """A Conv2d that computes in fp32 even inside autocast (see NARROW_OUTPUTS)."""

        def forward(self, x):
            import torch

            with torch.autocast(x.device.type, enabled=False):
                return super().forward(x.float())

    Fp32Conv2d.__qualname__ = "Fp32Conv2d"
    globals()["Fp32Conv2d"] = Fp32Conv2d
    return Fp32Conv2d


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m fcn_studio.inference.precision [--remeasure]``: this machine's figures."""
    import argparse

    parser = argparse.ArgumentParser(description="bf16 on this CPU: detected, measured, chosen")
    parser.add_argument("--remeasure", action="store_true", help="measure again (e.g. on a quieter machine)")
    args = parser.parse_args(argv)
    m = measurement(remeasure=args.remeasure)
    print(f"{machine_key()}\nnative bf16: {'yes' if m.native else 'no'}; cache: {cache_path()}")
    if m.native:
        for kind in ("inference", "training"):
            fp32, bf16 = getattr(m, f"{kind}_fp32_s"), getattr(m, f"{kind}_bf16_s")
            print(f"{kind}: fp32 {1000 * fp32:.1f} ms, bf16 {1000 * bf16:.1f} ms ({m.speedup(kind):.2f}x)")
    import torch

    print(f"fine-tuning on this CPU: {for_training('auto', torch.device('cpu')).reason}")
    print(f"approximate bf16 inference offered: {'yes' if bf16_offered() else 'no'}")


if __name__ == "__main__":
    main()
