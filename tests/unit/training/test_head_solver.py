"""The head-only solver (issue 18 "a head that always learns") and honest round scores
("honest scores, and the user decides")."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fcn_studio.data.dataset import read_mask, scan_dataset
from fcn_studio.data.labels import generic_labels
from fcn_studio.models import build_fcn
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training import engine
from fcn_studio.training.config import TrainConfig, ignore_events
from fcn_studio.training.feature_cache import FeatureCache, Features
from fcn_studio.training.head import LabelledImage, trainable_head
from fcn_studio.training.head_solver import ScaledHead, pixel_samples
from fcn_studio.training.trainer import checked_split, initial_model, train
from tests.builders import make_plain
from tests.unit.training.test_head_training import FAST, base, make_folder, one_thread  # noqa: F401 (fixtures)


@pytest.mark.parametrize("arch", ["fcn8s", "fcn16s", "fcn32s"])
def test_logits_at_labelled_pixels_equal_the_head_forward(arch):
    """The solver's separable upsampling is the head's own arithmetic, pixel for pixel."""
    torch.manual_seed(0)
    model = build_fcn(arch, 4, width_divisor=16)
    for name, p in model.named_parameters():
        if name.startswith("score"):
            torch.nn.init.normal_(p, std=0.01)
    labels = generic_labels(4)
    head = trainable_head(model, labels.classes, labels)
    with torch.no_grad():
        feats = Features.of(model.backbone(torch.randn(1, 3, 75, 101)), (75, 101))
    mask = np.full((75, 101), 255, np.uint8)
    mask[::3, ::5] = 2
    [sample] = pixel_samples(head, [(lambda: feats, mask, False)])
    with torch.no_grad():
        fast = ScaledHead(head, [sample]).logits(sample)
        full = head(*feats.as_float(), feats.size)[0][:, sample.ys, sample.xs].T
    assert sample.pixels == int((mask != 255).sum())
    assert torch.allclose(fast, full, atol=1e-6, rtol=1e-5)


def _training_scores(result_path, data, base_path):
    """Cross-entropy and mean IoU on the training labels, of the trained head and of the base."""
    out = []
    report = scan_dataset(data)
    config = TrainConfig(str(data), "-", base=str(base_path), arch="fcn32s", val_split=0.5, seed=0)
    _, train_pairs, _ = checked_split(config, report)
    samples = [LabelledImage(i, read_mask(m, report.encoding)) for i, m in train_pairs]
    for source in (load_checkpoint(result_path), None):
        model, pre, _ = initial_model(config, 3) if source is None else (source.build_model(), source.preprocessing, 0)
        head = trainable_head(model, generic_labels(3).classes, generic_labels(3))
        cache = FeatureCache(None)
        views = [(lambda s=s, c=cache, m=model, p=pre: c.features(s.image, m, p), s.mask, False) for s in samples]
        got = [p for p in pixel_samples(head, views) if p is not None]
        scaled = ScaledHead(head, got)
        with torch.no_grad():
            logits = torch.cat([scaled.logits(s) for s in got])
            target = torch.cat([s.target for s in got])
        ce = float(F.cross_entropy(logits, target))
        hit = float((logits.argmax(1) == target).float().mean())
        out.append((ce, hit))
    return out


@pytest.mark.parametrize("lr", [1e-2, 1e-5])
def test_head_training_never_ends_worse_than_the_base_on_its_training_labels(
    tmp_path, caffe_layout_file, weights_home, lr
):
    data = make_plain(tmp_path / "d", n=4)
    base_path = caffe_layout_file("fcn32s", 3)
    config = TrainConfig(
        data=str(data),
        out=str(tmp_path / "m.safetensors"),
        base=str(base_path),
        arch="fcn32s",
        epochs=3,
        lr=lr,
        freeze_backbone=True,
        val_split=0.5,
        seed=0,
        register_id="m",
    )
    train(config)
    (trained_ce, trained_hit), (base_ce, base_hit) = _training_scores(config.out, data, base_path)
    assert trained_ce < base_ce and trained_hit >= base_hit


@pytest.mark.slow
def test_head_training_is_deterministic_and_at_least_as_good_as_the_plain_frozen_loop(
    tmp_path, caffe_layout_file, weights_home
):
    data = make_plain(tmp_path / "d", n=4)
    base_path = caffe_layout_file("fcn32s", 3)
    runs = []
    for name in ("a", "b"):
        config = TrainConfig(
            data=str(data),
            out=str(tmp_path / f"{name}.safetensors"),
            base=str(base_path),
            arch="fcn32s",
            epochs=3,
            lr=1e-3,
            freeze_backbone=True,
            val_split=0.5,
            seed=0,
            register_id=name,
        )
        train(config)
        runs.append(load_checkpoint(config.out).state_dict)
    assert all(torch.equal(v, runs[1][k]) for k, v in runs[0].items()), "the same seed, the same weights"

    # the plain loop with the backbone frozen (Adam on random crops), same data and options
    from fcn_studio.training.plain import PlainVariant

    config = TrainConfig(
        data=str(data),
        out=str(tmp_path / "p.safetensors"),
        base=str(base_path),
        arch="fcn32s",
        epochs=3,
        lr=1e-3,
        freeze_backbone=True,
        val_split=0.5,
        seed=0,
        crop_size=32,
    )
    report, train_pairs, val_pairs = checked_split(config, None)
    model, pre, _ = initial_model(config, 3)
    plain = PlainVariant(config, model, pre, torch.device("cpu"), report, train_pairs, val_pairs, ignore_events)
    engine.fit_epochs(plain, 1, config.epochs, ignore_events, engine.never)
    solved = load_checkpoint(tmp_path / "a.safetensors").build_model()
    scores = []
    for m in (solved, model):
        head = trainable_head(m, generic_labels(3).classes, generic_labels(3))
        scores.append(_pixel_accuracy(head, m, pre, train_pairs, report))
    assert scores[0] >= scores[1]


def _pixel_accuracy(head, model, pre, pairs, report) -> float:
    cache = FeatureCache(None)
    views = [(lambda i=i: cache.features(i, model, pre), read_mask(m, report.encoding), False) for i, m in pairs]
    got = [p for p in pixel_samples(head, views) if p is not None]
    scaled = ScaledHead(head, got)
    with torch.no_grad():
        hits = sum(int((scaled.logits(s).argmax(1) == s.target).sum()) for s in got)
    return hits / sum(s.pixels for s in got)
