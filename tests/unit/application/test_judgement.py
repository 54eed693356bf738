"""The one decision (application/judgement.decide): better by more than the noise becomes
active; a tie or worse keeps the version in use unless the user always switches; bands."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from fcn_studio.application.judgement import MIN_MARGIN, Folds, FoldScores, Unit, bands, decide, make_folds
from fcn_studio.data.metrics import ConfusionMatrix

FOLDS = Folds((Unit("a", ()), Unit("b", ()), Unit("c", ())), ((0,), (1,), (2,)))


def scores(right: list[float], n: int = 1000) -> FoldScores:
    """Two classes, half the pixels each, ``right`` the share labelled right on each fold."""
    out = []
    for share in right:
        cm = ConfusionMatrix(2)
        truth = np.repeat([0, 1], n // 2)
        pred = truth.copy()
        wrong = round((1 - share) * n)
        pred[:wrong] = 1 - pred[:wrong]
        cm.update(truth, pred)
        out.append(cm)
    return FoldScores(tuple(out), FOLDS)


def test_clearly_better_on_every_fold_becomes_active():
    verdict = decide(scores([0.6, 0.62, 0.61]), scores([0.9, 0.91, 0.92]), 2, "if better")
    assert verdict.kind == "better" and verdict.make_active and verdict.difference > verdict.margin


def test_equal_figures_are_a_tie_and_keep_the_version_in_use():
    same = scores([0.7, 0.8, 0.75])
    verdict = decide(same, same, 2, "if better")
    assert verdict.kind == "tie" and not verdict.make_active and verdict.margin == MIN_MARGIN


def test_a_gain_within_the_noise_is_a_tie():
    # better on one fold, worse on another: the pooled gain is smaller than its jackknife error
    verdict = decide(scores([0.5, 0.9, 0.7]), scores([0.9, 0.5, 0.75]), 2, "if better")
    assert verdict.kind == "tie" and not verdict.make_active and verdict.margin > abs(verdict.difference)


def test_worse_is_kept_unless_the_user_always_switches():
    before, after = scores([0.9, 0.92, 0.91]), scores([0.5, 0.52, 0.55])
    assert decide(before, after, 2, "if better").kind == "worse"
    always = decide(before, after, 2, "always")
    assert always.kind == "always" and always.make_active and always.difference < 0


def test_without_figures_the_version_in_use_stays():
    assert not decide(None, None, 2, "if better").make_active
    assert decide(None, None, 2, "always").make_active


def test_one_image_is_cut_into_contiguous_bands_along_its_longer_side():
    mask = np.arange(12 * 30, dtype=np.int32).reshape(12, 30).astype(np.uint8)
    parts = bands(mask, 3)
    assert len(parts) == 3
    for k, part in enumerate(parts):
        kept = part != 255
        assert kept[:, 10 * k : 10 * (k + 1)].all() or (mask[:, 10 * k : 10 * (k + 1)] == 255).any()
        assert not kept[:, : 10 * k].any() and not kept[:, 10 * (k + 1) :].any()


def test_folds_leave_one_image_out_then_three_folds():
    def units(names):
        return [Unit(n, (SimpleNamespace(pixels=10),)) for n in names]

    assert make_folds(units("a")) is None  # one unit: nothing to hold out against
    assert make_folds([Unit(n, ()) for n in "abc"]) is None  # no labelled pixels
    assert make_folds(units("cab")).parts == ((1,), (2,), (0,))  # leave one out, by name
    six = make_folds(units("abcdef"))
    assert len(six.parts) == 3 and sorted(i for p in six.parts for i in p) == list(range(6))
    banded = make_folds([Unit("one", (SimpleNamespace(pixels=5),)) for _ in range(3)])
    assert len(banded.parts) == 3 and banded.images == 1  # one image's bands: each its own fold
