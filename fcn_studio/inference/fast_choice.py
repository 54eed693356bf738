"""Fast mode that picks itself: the fastest approximate precision this machine runs that
keeps the model's own labels.

The candidates are the CPU's approximate modes: ``int8`` (ONNX Runtime, quantised;
runtime.FastPath) and ``bf16`` (torch, on CPUs with native bf16; bf16_path.Bf16Path). Each
is timed against the exact path (ONNX Runtime fp32 where it is installed, else torch) on a
few of the user's images, side by side, and its labels are compared with the exact ones,
*with this model's head*: a version over a shared base is measured as itself, not by the
base's conversion. The fastest candidate with at least :data:`MIN_AGREEMENT` of labels
equal and at least :data:`MIN_SPEEDUP` the exact speed wins; none qualifying leaves the
exact path. The measurement is cached per machine (CPU, torch and ONNX Runtime versions)
and model content in ``fast-choice.json`` of the cache folder, so it runs once.

The app's Fast mode, ``segment --fast`` and the API's ``precision="fast"`` all call
:func:`choose_fast`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fcn_studio.messages import Message

if TYPE_CHECKING:
    from fcn_studio.storage.checkpoint import Checkpoint

CANDIDATES = ("int8", "bf16")
MIN_AGREEMENT = 0.99  # labels equal to the exact model's, over every pixel of the check images
MIN_SPEEDUP = 1.15  # an approximation must buy at least this much
MEASURE_SIZE = 512  # check images are measured with their longer side at most this
CACHE_FILE = "fast-choice.json"
CHOICE_VERSION = 2  # part of the cache key: a changed measurement measures again
_lock = threading.Lock()  # the cache file
_measuring = threading.Lock()  # one measurement at a time in a process


@dataclass(frozen=True)
class Trial:
    """One candidate measured: seconds for the check images, and the share of its labels
    equal to the exact path's (None when it cannot run here; ``note`` says why)."""

    precision: str
    seconds: float = 0.0
    agreement: float | None = None
    note: str = ""

    def speedup(self, exact_seconds: float) -> float:
        return exact_seconds / self.seconds if self.seconds > 0 and self.agreement is not None else 0.0


@dataclass(frozen=True)
class FastChoice:
    """What fast mode runs for one model on this machine, and the figures it chose by."""

    precision: str  # "int8", "bf16", or "fp32" when no approximate mode qualified
    exact_seconds: float
    trials: tuple[Trial, ...]
    images: int  # how many check images were measured
    measured_now: bool = True
    key: str = field(default="", compare=False)

    @property
    def approximate(self) -> bool:
        return self.precision != "fp32"

    def trial(self, precision: str) -> Trial | None:
        return next((t for t in self.trials if t.precision == precision), None)

    @property
    def speedup(self) -> float:
        chosen = self.trial(self.precision)
        return chosen.speedup(self.exact_seconds) if chosen else 1.0

    @property
    def agreement(self) -> float:
        chosen = self.trial(self.precision)
        return chosen.agreement if chosen and chosen.agreement is not None else 1.0

    def summary(self) -> Message:
        """One line: what was chosen, its speed-up and agreement (the status bar's)."""
        if not self.approximate:
            return Message(
                "fast mode: exact (no approximate mode keeps {pct:.0f} % of labels here)", pct=100 * MIN_AGREEMENT
            )
        return Message(
            "fast {precision}: {speedup:.1f}x, {pct:.1f} % agreement",
            precision=self.precision,
            speedup=self.speedup,
            pct=100 * self.agreement,
        )

    def lines(self) -> list[Message]:
        """Every candidate's figures, then the choice (what the command line prints)."""
        if self.measured_now:
            out = [Message("fast mode, measured now on {n} {n:image|images} of this model:", n=self.images)]
        else:
            out = [
                Message(
                    "fast mode, measured before on this machine on {n} {n:image|images} of this model:", n=self.images
                )
            ]
        for t in self.trials:
            if t.agreement is None:
                out.append(Message("  {precision}: not available ({note})", precision=t.precision, note=t.note))
            else:
                out.append(
                    Message(
                        "  {precision}: {speedup:.2f}x the exact path, {pct:.1f} % of labels equal to the exact model's",
                        precision=t.precision,
                        speedup=t.speedup(self.exact_seconds),
                        pct=100 * t.agreement,
                    )
                )
        if self.approximate:
            out.append(Message("  chosen: {precision} (approximate)", precision=self.precision))
        else:
            out.append(
                Message(
                    "  chosen: the exact path (no approximate mode is {speedup:.2f}x faster with {pct:.0f} % of labels equal)",
                    speedup=MIN_SPEEDUP,
                    pct=100 * MIN_AGREEMENT,
                )
            )
        return out


def pick(
    exact_seconds: float,
    trials: Sequence[Trial],
    images: int,
    *,
    min_agreement: float = MIN_AGREEMENT,
    min_speedup: float = MIN_SPEEDUP,
) -> FastChoice:
    """The fastest trial that keeps ``min_agreement`` of labels and is ``min_speedup``
    faster than exact; the exact path (``"fp32"``) when none does."""
    good = [
        t
        for t in trials
        if t.agreement is not None and t.agreement >= min_agreement and t.speedup(exact_seconds) >= min_speedup
    ]
    best = min(good, key=lambda t: t.seconds).precision if good else "fp32"
    return FastChoice(best, exact_seconds, tuple(trials), images)


# --------------------------------------------------------------------------- caching


def cache_path() -> Path:
    from fcn_studio.files.identity import cache_home

    return cache_home() / CACHE_FILE


def choice_key(model: Checkpoint | str) -> str:
    """What a measurement is valid for: this machine (CPU, torch), ONNX Runtime and the
    model's content (a head version is itself, not its base). ``model``: a checkpoint, or
    an installed model's id or weights file (then its weights are not read)."""
    from fcn_studio.files.identity import content_hash
    from fcn_studio.inference.conversion import state_hash
    from fcn_studio.inference.precision import machine_key
    from fcn_studio.inference.runtime import onnxruntime_version

    if isinstance(model, (str, os.PathLike)):
        from fcn_studio.storage.weights import locate_weights

        content = content_hash(locate_weights(str(model))[0])
    elif model.source is not None and Path(model.source).is_file():
        content = content_hash(model.source)
    else:
        content = state_hash(model.state_dict)
    return f"{machine_key()} | onnxruntime {onnxruntime_version()} | model {content} | v{CHOICE_VERSION}"


def _read_cache() -> dict:
    from fcn_studio.files.fileio import read_json_table

    return read_json_table(cache_path())


def _write_cache(data: dict) -> None:
    from fcn_studio.files.fileio import write_json_table

    write_json_table(cache_path(), data)


def cached_choice(key: str) -> FastChoice | None:
    entry = _read_cache().get(key)
    if not isinstance(entry, dict):
        return None
    try:
        trials = tuple(Trial(**t) for t in entry["trials"])
        return FastChoice(entry["precision"], float(entry["exact_seconds"]), trials, int(entry["images"]), False, key)
    except (KeyError, TypeError, ValueError):
        return None


def _remember(choice: FastChoice) -> None:
    with _lock:
        data = _read_cache()
        data[choice.key] = {
            "precision": choice.precision,
            "exact_seconds": choice.exact_seconds,
            "trials": [asdict(t) for t in choice.trials],
            "images": choice.images,
        }
        _write_cache(data)


Measure = Callable[["Checkpoint", Sequence[np.ndarray], Callable[[str], None]], tuple[float, list[Trial]]]


def choose_fast(
    model: Checkpoint | str,
    images: Sequence[object],
    *,
    remeasure: bool = False,
    measure: Measure | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> FastChoice:
    """The fast mode for ``model`` (a checkpoint, or an installed model's id or file) on
    this machine: cached, or measured now on ``images`` (paths or RGB arrays: a few of the
    ones the user segments). ``measure`` (tests) replaces :func:`measure_trials`; ``say``
    hears what is being done."""
    key = choice_key(model)
    with _measuring:  # the image and video views asking at once: one measures, the other reads
        if not remeasure:
            cached = cached_choice(key)
            if cached is not None:
                return cached
        rgbs = _readable(images)
        if not rgbs:
            from fcn_studio.errors import FCNStudioError

            raise FCNStudioError("fast mode measures itself on a few images: open an image or a folder first")
        say(
            str(
                Message(
                    "fast mode: measuring the approximate modes on {n} of the images (once per machine and model)...",
                    n=len(rgbs),
                )
            )
        )
        if isinstance(model, (str, os.PathLike)):
            from fcn_studio.storage.weights import resolve_model

            model = resolve_model(str(model))
        exact_seconds, trials = (measure or measure_trials)(model, rgbs, say)
        choice = pick(exact_seconds, trials, len(rgbs))
        choice = FastChoice(choice.precision, exact_seconds, choice.trials, len(rgbs), True, key)
        _remember(choice)
        return choice


def _readable(images: Sequence[object]) -> list[np.ndarray]:
    """The images that can be read, their longer side at most :data:`MEASURE_SIZE` (a
    corrupt file among them is reported when its own turn to be segmented comes)."""
    from fcn_studio.data.images import as_rgb8, load_image
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.inference.resize import inference_shape, resize_rgb

    out = []
    for image in images:
        with contextlib.suppress(FCNStudioError):
            rgb = load_image(image, max_size=MEASURE_SIZE) if isinstance(image, (str, os.PathLike)) else as_rgb8(image)
            h, w = inference_shape(rgb.shape[0], rgb.shape[1], MEASURE_SIZE)
            out.append(rgb if (h, w) == rgb.shape[:2] else resize_rgb(rgb, h, w))
    return out


# --------------------------------------------------------------------------- measuring


def measure_trials(
    checkpoint: Checkpoint, rgbs: Sequence[np.ndarray], say: Callable[[str], None] = lambda text: None
) -> tuple[float, list[Trial]]:
    """Seconds of the exact path on ``rgbs``, and each candidate's seconds and label
    agreement with it, timed side by side (interleaved: a busy machine slows all alike).

    One torch model serves every path (the exact one's; int8 and bf16 only add their own
    converted copy of the backbone), and each path runs this checkpoint's head. An int8
    conversion made now is calibrated on every other image: its labels are compared on the
    others only."""
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.inference.bf16_path import Bf16Path
    from fcn_studio.inference.precision import native_bf16
    from fcn_studio.inference.predictor import calibration_split

    exact = _predictor(checkpoint)
    if exact.fast_path is not None:
        exact.fast_path.wait()  # the exact CPU path is ONNX Runtime fp32 once converted
    paths, notes, int8_checks = {"fp32": exact}, {}, range(len(rgbs))
    try:
        int8 = exact._make_fast_path("auto", True, list(rgbs))
        if not int8.is_cached():  # calibrated now: compared on the images it was not calibrated on
            int8_checks = calibration_split(int8_checks)[1]
        int8.start()
        if not int8.wait():
            raise FCNStudioError(int8.error or "it could not be prepared")
        paths["int8"] = _sharing(exact, int8)
    except FCNStudioError as exc:
        notes["int8"] = str(exc)
    if native_bf16():
        paths["bf16"] = _sharing(exact, Bf16Path(exact.model))
    else:
        notes["bf16"] = "this CPU has no native bf16"
    say(str(Message("fast mode: timing {paths} side by side...", paths=", ".join(paths))))
    seconds, labels = _time_side_by_side(paths, rgbs)
    trials = []
    for name in CANDIDATES:
        if name in paths:
            images = int8_checks if name == "int8" else range(len(rgbs))
            trials.append(Trial(name, seconds[name], _agreement(labels["fp32"], labels[name], images)))
        else:
            trials.append(Trial(name, note=notes.get(name, "")))
    return seconds["fp32"], trials


def _agreement(reference: Sequence[np.ndarray], labels: Sequence[np.ndarray], images: Sequence[int]) -> float:
    """The share of pixels of ``images`` (their indices) labelled as the exact path does:
    not those an int8 model was calibrated on, which would flatter it."""
    same = sum(int((reference[i] == labels[i]).sum()) for i in images)
    return same / max(1, sum(reference[i].size for i in images))


def _predictor(checkpoint: Checkpoint):
    from fcn_studio.inference.predictor import Predictor

    return Predictor(checkpoint, "cpu", max_size=None, backend="auto")


def _sharing(exact, fast_path):
    """A predictor over ``exact``'s model and head whose backbone runs on ``fast_path``."""
    import copy

    from fcn_studio.inference.predictor import Backbone

    other = copy.copy(exact)
    other.backbone = Backbone(exact.model.backbone, fast_path, exact.backbone.nbytes)
    return other


def _time_side_by_side(paths: dict, rgbs: Sequence[np.ndarray], rounds: int = 2) -> tuple[dict, dict]:
    """Per path: the sum over images of the fastest of ``rounds`` predictions, and the
    labels. A first prediction of each warms it up (kernels built, pages mapped)."""
    for predictor in paths.values():
        predictor.predict(rgbs[0])
    best = {name: [float("inf")] * len(rgbs) for name in paths}
    labels: dict[str, list[np.ndarray]] = {name: [] for name in paths}
    for r in range(rounds):
        for i, rgb in enumerate(rgbs):
            for name, predictor in paths.items():
                start = time.perf_counter()
                pred = predictor.predict(rgb)
                best[name][i] = min(best[name][i], time.perf_counter() - start)
                if r == 0:
                    labels[name].append(pred.labels)
    return {name: sum(v) for name, v in best.items()}, labels


# --------------------------------------------------------------------------- serving


def fast_predictor(checkpoint: Checkpoint, choice: FastChoice, device: str = "cpu", **options):
    """The predictor that serves ``choice`` for ``checkpoint`` (``options``: the
    Predictor's, e.g. ``max_size``, ``backend``, ``calibration`` for an int8 model not yet
    converted); it carries the choice's agreement, the model's own."""
    from fcn_studio.inference.predictor import Predictor

    if choice.precision != "int8":
        options.pop("calibration", None)  # bf16's agreement is the choice's: no check pass
    if choice.precision == "int8":
        predictor = Predictor(checkpoint, device, fast=True, **options)
    elif choice.precision == "bf16":
        predictor = Predictor(checkpoint, device, precision="bf16", **options)
    else:
        predictor = Predictor(checkpoint, device, **options)
    predictor.fast_choice = choice
    return predictor
