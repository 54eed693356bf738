"""Fast mode picks itself: the fastest approximate precision that keeps the model's own
labels, measured once per machine and model; ``--fast`` prints that model's figures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fcn_studio.data.labels import generic_labels
from fcn_studio.inference import fast_choice, runtime
from fcn_studio.inference.fast_choice import FastChoice, Trial, choose_fast, pick
from fcn_studio.inference.predictor import Predictor
from fcn_studio.labelling.versions import install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.weights import resolve_model
from tests.unit.inference.test_backends import photo_folder
from tests.unit.storage.test_heads import install_base, new_head


def fake(exact_s: float, **trials: tuple[float, float | None]):
    """A measurement: the exact path's seconds and, per candidate, (speed-up, agreement)."""
    calls = []

    def measure(checkpoint, rgbs, say):
        calls.append(len(rgbs))
        return exact_s, [
            Trial(name, exact_s / speedup, agreement) if agreement is not None else Trial(name, note="absent")
            for name, (speedup, agreement) in trials.items()
        ]

    measure.calls = calls
    return measure


@pytest.mark.parametrize(
    ("trials", "chosen"),
    [
        ({"int8": (3.3, 0.988), "bf16": (1.6, 0.998)}, "bf16"),  # int8 loses too many labels
        ({"int8": (2.9, 0.992), "bf16": (1.6, 0.998)}, "int8"),  # both keep them: the faster
        ({"int8": (3.3, 0.93), "bf16": (1.6, 0.97)}, "fp32"),  # neither: the exact path
        ({"int8": (1.1, 0.999), "bf16": (1.0, None)}, "fp32"),  # not worth it; bf16 absent
    ],
)
def test_the_choice_follows_the_measurement(trials, chosen):
    choice = pick(1.0, [Trial(n, 1.0 / s, a) for n, (s, a) in trials.items()], images=4)
    assert choice.precision == chosen
    if chosen != "fp32":
        speedup, agreement = trials[chosen]
        assert choice.speedup == pytest.approx(speedup) and choice.agreement == agreement
    else:
        assert not choice.approximate and "exact" in str(choice.summary())


def test_the_choice_is_measured_once_per_model_and_machine(random_model, weights_home, tmp_path, monkeypatch):
    base = install_base(random_model, weights_home)
    images = [np.full((30, 40, 3), 90 + 10 * i, np.uint8) for i in range(3)]
    first = choose_fast(base, images, measure=fake(2.0, int8=(3.0, 0.995), bf16=(1.6, 0.999)))
    assert first.measured_now and first.precision == "int8" and first.images == 3
    again = choose_fast(base, images, measure=fake(2.0, int8=(1.0, 0.5), bf16=(1.0, 0.5)))
    assert not again.measured_now and again.precision == "int8" and again.agreement == 0.995
    assert fast_choice.cache_path().is_file()
    # another machine (or torch) measures again
    from fcn_studio.inference import precision

    this_machine = precision.machine_key
    monkeypatch.setattr(precision, "machine_key", lambda: "another CPU | torch 9")
    other = choose_fast(base, images, measure=fake(2.0, int8=(3.0, 0.95), bf16=(1.6, 0.999)))
    assert other.measured_now and other.precision == "bf16"
    # another model (a head version over the same base) is itself
    monkeypatch.setattr(precision, "machine_key", this_machine)  # (undo() would also undo the weights folder)
    version = install_head_version(base, new_head(base, 3, 5), generic_labels(3), CAFFE_BGR, {}, "toy")
    mine = choose_fast(resolve_model(version.id), images, measure=fake(2.0, int8=(3.0, 0.97), bf16=(1.5, 0.999)))
    assert mine.measured_now and mine.precision == "bf16"


def printed_int8_agreement(err: str) -> float:
    match = re.search(r"int8: [\d.]+x the exact path, ([\d.]+) % of labels equal to the exact model's", err)
    assert match, err
    return float(match.group(1))


@pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")
@pytest.mark.slow  # converts to int8 / starts another process
def test_fast_prints_the_models_own_agreement_and_says_when_it_reuses_the_measurement(
    random_model, weights_home, tmp_path, monkeypatch, capsys
):
    """Bug: for a head version ``--fast`` printed the agreement of the base's head, measured
    on whichever images first calibrated the shared int8 conversion, and said "calibrating
    on N of the images" while reusing a cached calibration."""
    from fcn_studio.cli.main import main

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    base = install_base(random_model, weights_home)
    version = install_head_version(base, new_head(base, 3, 7), generic_labels(3), CAFFE_BGR, {}, "toy")
    photos = photo_folder(tmp_path / "photos", 3)
    args = ["segment", str(photos), "--out", str(tmp_path / "out"), "--device", "cpu", "--fast", "--model"]
    assert main([*args, "toy"]) == 0  # calibrates the base's shared int8 conversion
    capsys.readouterr()
    assert main([*args, version.id]) == 0
    err = capsys.readouterr().err
    printed = printed_int8_agreement(err)
    assert "calibrating" not in err

    rgbs = [np.asarray(__import__("PIL.Image").Image.open(p).convert("RGB")) for p in sorted(photos.iterdir())]
    exact = Predictor(resolve_model(version.id), "cpu", backend="auto", max_size=None)
    assert exact.fast_path.wait(timeout=120)
    fast = Predictor(resolve_model(version.id), "cpu", backend="auto", max_size=None, fast=True, calibration=rgbs)
    assert fast.fast_path.wait(timeout=120) and fast.fast_path.loaded_from_cache
    same = sum(int((exact.predict(x).labels == fast.predict(x).labels).sum()) for x in rgbs)
    own = 100 * same / sum(x.shape[0] * x.shape[1] for x in rgbs)
    assert printed == pytest.approx(own, abs=0.051), (printed, own)

    assert main([*args, version.id]) == 0  # measured before: nothing measured nor calibrated again
    err = capsys.readouterr().err
    assert "measured before on this machine" in err and "measuring" not in err and "calibrating" not in err
    assert printed_int8_agreement(err) == printed


def test_a_choice_serves_its_precision_with_its_figures(random_model, weights_home):
    base = install_base(random_model, weights_home)
    choice = FastChoice("bf16", 1.0, (Trial("int8", 0.3, 0.95), Trial("bf16", 0.5, 0.997)), 4)
    from fcn_studio.inference.precision import native_bf16

    if not native_bf16():
        pytest.skip("bf16 needs a CPU with native bf16")
    predictor = fast_choice.fast_predictor(base, choice, "cpu", max_size=None, backend="torch")
    pred = predictor.predict(np.full((30, 40, 3), 120, np.uint8))
    assert pred.approximate and pred.precision == "bf16"
    assert "2.0x, 99.7 % agreement" in predictor.backend_note


@pytest.mark.parametrize("converted_before", [False, True])
def test_a_first_measurement_counts_no_image_the_int8_model_was_calibrated_on(
    random_model, weights_home, monkeypatch, converted_before
):
    """Bug: when fast mode made the int8 conversion during its own measurement, two of its
    three check images were the conversion's calibration images, which flattered the
    agreement it showed. Those images still time the paths, but the labels are compared
    only on the others (all of them when the conversion was calibrated before, elsewhere)."""

    class Conversion:  # the int8 path, made now or found in the cache
        def is_cached(self) -> bool:
            return converted_before

        def start(self) -> None:
            pass

        def wait(self) -> bool:
            return True

    monkeypatch.setattr(Predictor, "_make_fast_path", lambda self, backend, fast, calibration: Conversion())
    exact = [np.zeros((30, 40), np.uint8) for _ in range(3)]
    int8 = [np.ones((30, 40), np.uint8), np.zeros((30, 40), np.uint8), np.ones((30, 40), np.uint8)]
    monkeypatch.setattr(
        fast_choice,
        "_time_side_by_side",
        lambda paths, rgbs: ({"fp32": 3.0, "int8": 1.0}, {"fp32": exact, "int8": int8}),
    )
    checkpoint = install_base(random_model, weights_home)
    images = [np.full((30, 40, 3), 90 + 10 * i, np.uint8) for i in range(3)]
    _, trials = fast_choice.measure_trials(checkpoint, images)
    # calibrated now on images 0 and 2 (every other one, as the conversion takes them): only
    # image 1 is the model's own test
    assert trials[0].precision == "int8" and trials[0].agreement == pytest.approx(1 / 3 if converted_before else 1.0)
