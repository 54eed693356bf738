"""Head-only retraining on cached features: held-out scores improve, versions are installed
and can be rolled back, every round starts from the base; live updates; uncertainty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.data.labels import LabelSet, generic_labels
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.inference.predictor import Predictor
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.uncertainty import rank_by_uncertainty, rank_unlabelled
from fcn_studio.labelling.versions import choose_version, current_version, family_for, list_versions
from fcn_studio.models.preprocessing import IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.storage.weights import resolve_model
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head_trainer import HeadTrainConfig, LiveHead, retrain

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


@pytest.mark.slow
def test_retrain_improves_held_out_iou_installs_versions_and_rolls_back(tmp_path, base):
    folder = tmp_path / "data"
    folder.mkdir()
    make_folder(folder, generic_labels(3))
    cache = FeatureCache(tmp_path / "cache")
    first = retrain(folder, base, "toy", config=FAST, cache=cache)
    assert first.version.id == "toy-v2" and len(first.images) == 6  # every labelled image trains the version
    assert first.after.mean_iou > first.before.mean_iou + 0.1 and first.better and first.made_current
    runs = cache.backbone_runs
    second = retrain(folder, base, "toy", config=FAST, cache=cache)
    assert second.version.id == "toy-v3"
    assert cache.backbone_runs == runs, "the second round trains on cached features only"
    # both rounds started from the base, not from the previous round: same labels, same model
    for key, value in first.checkpoint.state_dict.items():
        assert torch.equal(value, second.checkpoint.state_dict[key]), key
    assert [v.id for v in list_versions("toy")] == ["toy", "toy-v2", "toy-v3"]
    assert current_version("toy") == "toy-v3"
    choose_version("toy", "toy-v2")  # roll back
    assert current_version("toy") == "toy-v2"
    third = retrain(folder, base, "toy", config=FAST, cache=cache)
    assert third.version.id == "toy-v4" and current_version("toy") == "toy-v4"  # nothing overwritten
    installed = resolve_model("toy-v2")
    assert installed.metrics["mean_iou"] == pytest.approx(first.after.mean_iou)
    assert installed.metrics["before"]["mean_iou"] == pytest.approx(first.before.mean_iou)
    truth = scene(0)[1]
    now = Predictor(installed, "cpu").predict(folder / "s0.png").labels
    then = Predictor(base, "cpu").predict(folder / "s0.png").labels
    assert miou(truth, now) > miou(truth, then) + 0.1


def test_new_classes_start_at_zero_and_keep_known_rows(tmp_path, base):
    folder = tmp_path / "data"
    folder.mkdir()
    names = LabelSet("mine", ("class 0", "rust", "class 2"), ((0, 0, 0), (200, 0, 0), (0, 200, 0)))
    make_folder(folder, names)
    result = retrain(folder, base, "toy", config=HeadTrainConfig(epochs=0, device="cpu"), install=False)
    assert result.version is None and result.before is None  # the base does not know "rust"
    state, old = result.checkpoint.state_dict, base.state_dict
    assert torch.equal(state["score_fr.weight"][0], old["score_fr.weight"][0])
    assert torch.equal(state["score_fr.weight"][2], old["score_fr.weight"][2])
    assert not state["score_fr.weight"][1].any() and result.checkpoint.labels.classes[1] == "rust"


def test_masks_with_unknown_classes_are_named(tmp_path, base):
    folder = tmp_path / "data"
    folder.mkdir()
    store = make_folder(folder, generic_labels(3), n=2)
    bad = np.full((40, 48), 7, np.uint8)
    store.load_mask(folder / "s1.png")
    store.save_mask(folder / "s1.png", bad, generic_labels(3))
    from fcn_studio.errors import FCNStudioError

    with pytest.raises(FCNStudioError, match=r"s1\.png.*\[7\]"):
        retrain(folder, base, "toy", config=FAST)


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
        expected[f"u{i}.png"] = 1 - probs.amax(1).mean().item()
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
