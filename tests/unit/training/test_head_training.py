"""Head-only training's shared pieces (the toy scenes and base the round tests use), live
updates and the uncertainty ranking; the rounds themselves: tests/unit/application."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.data.labels import LabelSet, generic_labels
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.inference.predictor import UNCERTAINTY_STEP, Predictor
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.uncertainty import rank_by_uncertainty, rank_unlabelled
from fcn_studio.labelling.versions import family_for
from fcn_studio.models.preprocessing import IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head_trainer import HeadTrainConfig, LiveHead

COLORS = ((90, 110, 140), (200, 40, 40), (40, 170, 60))  # class 0 bluish grey, 1 red, 2 green


def scene(seed: int, h: int = 40, w: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Colour-coded classes (noisy rectangles on a background): a head can learn them from
    random backbone features."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((h, w), np.uint8)
    for c in (1, 2):
        for _ in range(2):
            y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
            truth[y : y + rng.integers(8, 14), x : x + rng.integers(8, 14)] = c
    rgb = np.asarray(COLORS, np.float64)[truth] + rng.normal(0, 20, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8), truth


def scribbles(truth: np.ndarray, seed: int, per_class: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sparse = np.full_like(truth, 255)
    for c in np.unique(truth):
        ys, xs = np.nonzero(truth == c)
        pick = rng.choice(len(ys), min(len(ys), per_class), replace=False)
        sparse[ys[pick], xs[pick]] = c
    return sparse


def miou(truth: np.ndarray, pred: np.ndarray) -> float:
    cm = ConfusionMatrix(3)
    cm.update(truth, pred)
    return cm.scores().mean_iou


def make_folder(folder: Path, labels: LabelSet, n: int = 6) -> LabelStore:
    store = LabelStore(folder)
    store.save_label_set(labels)
    for i in range(n):
        rgb, truth = scene(i)
        Image.fromarray(rgb).save(folder / f"s{i}.png")
        store.save_mask(folder / f"s{i}.png", scribbles(truth, 100 + i), labels)
    return store


@pytest.fixture(autouse=True)
def one_thread():
    """Head steps are many tiny ops: one thread is faster than two fighting other work."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def base(random_model, weights_home):
    model = random_model("fcn8s", 3)
    ckpt = Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict(), provenance={"id": "toy"})
    from fcn_studio.storage.checkpoint import save_checkpoint

    save_checkpoint(ckpt, weights_home / "toy.safetensors")
    return ckpt


FAST = HeadTrainConfig(epochs=30, lr=3e-2, device="cpu")


def test_live_update_fits_the_strokes_without_the_backbone(tmp_path, random_model):
    model = random_model("fcn8s", 3)
    rgb, truth = scene(3)
    Image.fromarray(rgb).save(tmp_path / "open.png")
    cache = FeatureCache(None)
    feats = cache.features(tmp_path / "open.png", model, IMAGENET_RGB)
    live = LiveHead(model, generic_labels(3).classes, generic_labels(3), feats, lr=3e-2)
    sparse = scribbles(truth, 1)
    labelled = sparse != 255
    start = live.update(np.full_like(truth, 255), steps=5).argmax(0).numpy()  # nothing to learn yet
    for _ in range(20):  # strokes
        logits = live.update(sparse, steps=10)
    after = logits.argmax(0).numpy()
    assert (after[labelled] == sparse[labelled]).mean() > (start[labelled] == sparse[labelled]).mean() + 0.2
    assert miou(truth, after) > miou(truth, start) + 0.1
    assert cache.backbone_runs == 1


def test_live_strokes_of_one_class_do_not_repaint_the_whole_image(tmp_path, random_model):
    """Two strokes of class 1 on a red block, then one of class 2 on a green block, with
    live mode's step size and steps: the background far from the strokes mostly keeps its
    labels, and both strokes show. (It collapsed: after the two strokes every pixel was
    class 1, and the class 2 stroke did not show.)"""
    import cv2

    model = random_model("fcn8s", 3)
    truth = np.zeros((128, 160), np.uint8)
    truth[16:72, 16:72], truth[64:120, 96:152] = 1, 2  # blocks as big as the features' strides need
    noise = np.random.default_rng(0).normal(0, 20, (*truth.shape, 3))
    Image.fromarray(np.clip(np.asarray(COLORS, float)[truth] + noise, 0, 255).astype(np.uint8)).save(tmp_path / "o.png")
    feats = FeatureCache(None).features(tmp_path / "o.png", model, IMAGENET_RGB)
    live = LiveHead(model, generic_labels(3).classes, generic_labels(3), feats, lr=1e-2)  # LiveUpdater's lr
    mask = np.full(truth.shape, 255, np.uint8)
    before = live.update(mask).argmax(0).numpy()  # nothing labelled: the model's own prediction
    for row in (30, 40):
        mask[row, 24:64] = 1
        live.update(mask)  # LiveUpdater's steps
    mask[100, 104:144] = 2
    after = live.update(mask).argmax(0).numpy()
    far = (cv2.distanceTransform((mask == 255).astype(np.uint8), cv2.DIST_L2, 5) > 12) & (truth == 0)
    assert (after[far] == before[far]).mean() > 0.45, np.bincount(after.ravel(), minlength=3)  # it was 0.12
    assert (after[mask == 1] == 1).mean() > 0.9 and (after[mask == 2] == 2).mean() > 0.9  # class 2: it was 0


def test_uncertainty_ranking_orders_unlabelled_images_by_mean_uncertainty(tmp_path, random_model):
    model = random_model("fcn8s", 3)
    ckpt = Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict())
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(0)
    expected = {}
    for i in range(4):
        # from flat grey to strong noise: the logits, and so the confidence, vary with contrast
        rgb = np.clip(128 + rng.normal(0, 40 * i, (32, 40, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(folder / f"u{i}.png")
        with torch.no_grad():
            probs = torch.softmax(model(IMAGENET_RGB.to_tensor(rgb)), dim=1)
        expected[f"u{i}.png"] = 1 - probs.amax(1)[:, ::UNCERTAINTY_STEP, ::UNCERTAINTY_STEP].mean().item()
    store = LabelStore(folder)
    labelled = np.full((32, 40), 255, np.uint8)
    labelled[0, 0] = 1  # one stroke makes it labelled (an all-255 mask is no label)
    store.save_mask(folder / "u0.png", labelled, generic_labels(3))
    ranked = rank_unlabelled(Predictor(ckpt, "cpu"), folder)
    assert [r.image.name for r in ranked] == sorted((n for n in expected if n != "u0.png"), key=lambda n: -expected[n])
    for r in ranked:
        assert r.uncertainty == pytest.approx(expected[r.image.name], abs=1e-4)
    assert len({round(r.uncertainty, 3) for r in ranked}) == 3  # distinct: the order means something
    seen = []
    rank_by_uncertainty(
        Predictor(ckpt, "cpu"),
        [folder / "u1.png", tmp_path / "missing.png"],
        progress=lambda i, n, note: seen.append(note),
    )
    assert seen[0] == "u1.png" and seen[1].startswith("skipped")


def test_family_names():
    assert family_for("crack-v3") == "crack"
    assert family_for("/models/my model.safetensors") == "my-model"
    assert family_for("fcn8s-voc") == "fcn8s-voc"


def test_a_second_ranking_scores_held_features_by_the_head_alone(tmp_path, random_model, monkeypatch):
    """Folders ranked in seconds (issue 30): the first ranking keeps each image's features,
    the next (a new version after a round) runs no backbone and ranks the same."""
    model = random_model("fcn8s", 3)
    ckpt = Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict())
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(scene(i)[0]).save(folder / f"u{i}.png")
    predictor = Predictor(ckpt, "cpu")
    store = FeatureCache(None).store_for(predictor.max_size)
    first = rank_unlabelled(predictor, folder, features=store)
    forwards = []
    real = Predictor._logits
    monkeypatch.setattr(Predictor, "_logits", lambda self, *a, **k: forwards.append(1) or real(self, *a, **k))
    again = rank_unlabelled(predictor, folder, features=store)
    assert forwards == [], "held features: the head alone"
    assert [r.image for r in again] == [r.image for r in first]
    for a, b in zip(first, again, strict=True):
        assert a.uncertainty == pytest.approx(b.uncertainty, abs=2e-3)  # features kept as float16
