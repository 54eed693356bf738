"""A round as the app runs it (application/retrain_round.run_round): on the base the views
hold (never read, re-hashed or verified again), on the features they computed, judged
against the version in use on the same folds, decided once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fcn_studio.application.retrain_round import RoundRequest, run_round
from fcn_studio.data.labels import LabelSet, generic_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.files import identity
from fcn_studio.inference.model_service import ModelService
from fcn_studio.labelling.versions import choose_version, current_version, list_versions
from fcn_studio.storage.heads import read_head_file
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head import trainable_head
from fcn_studio.training.head_trainer import HeadTrainConfig
from tests.unit.training.test_head_training import FAST, base, make_folder, one_thread, scene  # noqa: F401

pytestmark = pytest.mark.slow  # each test fits heads (seconds)


def round_on(folder, service, cache, model_id="toy", switch="if better", config=FAST):
    return run_round(RoundRequest(folder, model_id, "cpu", switch, config), service, cache)


@pytest.fixture()
def folder(tmp_path, base):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    make_folder(data, generic_labels(3))
    return data


@pytest.fixture()
def service(base) -> ModelService:  # noqa: F811
    svc = ModelService()
    svc.load("toy", "cpu")  # the view shows it
    return svc


def test_a_round_neither_reads_nor_hashes_the_loaded_base(folder, service, monkeypatch):
    cache = FeatureCache(None)
    round_on(folder, service, cache)  # round 1 records the base's content hash once, with its version
    hashes = []
    real = identity.hash_file
    monkeypatch.setattr(identity, "hash_file", lambda path, *a: hashes.append(path) or real(path, *a))
    reads = service.reads
    for _ in range(2):
        result = round_on(folder, service, cache, model_id=current_version("toy"))
        service.load(current_version("toy"), "cpu")  # every view switches to the version in use
    assert service.reads == reads, "the base file is read once per load, not once per round"
    assert hashes == [], "nor hashed again"
    assert result.base is service.base("toy", "cpu"), "one loaded base serves the view and the rounds"


def test_training_reuses_the_features_the_view_computed(folder, service):
    cache = FeatureCache(None)
    loaded = service.load("toy", "cpu")
    for image in sorted(folder.glob("s*.png")):  # each photo drawn once, its features kept (Label mode's sink)
        pred = loaded.predictor.predict(image, return_features=True)
        cache.hand_over(
            image, loaded.predictor.model, loaded.checkpoint.preprocessing, pred.features, pred.inference_size
        )
    round_on(folder, service, cache)
    assert cache.backbone_runs == 0, "no backbone pass for an image the view already ran"


def test_every_figure_rests_on_all_labelled_pixels_and_a_better_version_becomes_active(folder, service):
    store_pixels = sum(int((np.array(load_mask) != 255).sum()) for load_mask in _masks(folder))
    result = round_on(folder, service, FeatureCache(None))
    for score in (result.before, result.after):  # "before" is the base in round 1, on the same pixels
        assert score.images == 6 and score.pixels == store_pixels and score.folds == 3
    assert result.verdict.kind == "better" and result.made_current and current_version("toy") == "toy-v2"
    assert result.verdict.difference > result.verdict.margin > 0
    recorded = read_head_file(result.version.path).metrics  # a head of kilobytes over the base
    assert recorded["before"]["pixels"] == store_pixels and recorded["decision"]["kind"] == "better"


def test_the_same_labels_again_tie_and_the_active_version_stays(folder, service):
    cache = FeatureCache(None)
    round_on(folder, service, cache)
    again = round_on(folder, service, cache, model_id="toy-v2")
    # v2 was trained on all six images: on each fold its training is refitted without the fold,
    # exactly the new recipe, so the figures are equal: a tie, never "better"
    assert again.before_seen == 6
    assert again.after.mean_iou == pytest.approx(again.before.mean_iou)
    assert again.verdict.kind == "tie" and not again.made_current
    assert current_version("toy") == "toy-v2" and again.version.id == "toy-v3"  # installed, not used


def test_a_worse_version_is_kept_unless_the_user_always_switches(tmp_path, base, service):  # noqa: F811
    dense = tmp_path / "dense"
    dense.mkdir()
    store = make_folder(dense, generic_labels(3))
    for i in range(6):  # the version in use learnt from dense truth elsewhere
        store.save_mask(dense / f"s{i}.png", scene(i)[1], generic_labels(3))
    cache = FeatureCache(None)
    oracle = round_on(dense, service, cache).version.id
    folder = tmp_path / "data"
    folder.mkdir()
    make_folder(folder, generic_labels(3), n=3)  # scribbles of three of the same scenes
    kept = round_on(folder, service, cache, model_id=oracle)
    assert kept.verdict.kind == "worse" and kept.regressed and not kept.made_current
    assert current_version("toy") == oracle, "every view stays on the active version"
    chosen = round_on(folder, service, cache, model_id=oracle, switch="always")
    assert chosen.verdict.kind == "always" and chosen.regressed and chosen.made_current
    assert current_version("toy") == chosen.version.id


def test_one_labelled_image_is_scored_on_its_bands(tmp_path, base, service):  # noqa: F811
    folder = tmp_path / "one"
    folder.mkdir()
    make_folder(folder, generic_labels(3), n=1)
    result = round_on(folder, service, FeatureCache(None))
    assert result.after.images == 1 and result.after.folds == 3 and result.before.folds == 3
    assert result.after.pixels == result.before.pixels > 0


def test_every_round_starts_from_the_base_and_versions_roll_back(folder, service):
    cache = FeatureCache(None)
    first = round_on(folder, service, cache)
    second = round_on(folder, service, cache, model_id="toy-v2", switch="always")
    for (name, a), b in zip(first.head.state_dict().items(), second.head.state_dict().values(), strict=True):
        assert torch.equal(a, b), name  # same labels, same start: the same head
    assert [v.id for v in list_versions("toy")] == ["toy", "toy-v2", "toy-v3"]
    choose_version("toy", "toy-v2")
    assert current_version("toy") == "toy-v2"


def test_new_classes_start_at_zero_and_keep_known_rows(tmp_path, base, service):  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    names = LabelSet("mine", ("class 0", "rust", "class 2"), ((0, 0, 0), (200, 0, 0), (0, 200, 0)))
    make_folder(folder, names)
    model = service.base("toy", "cpu").model()
    head = trainable_head(model, base.labels.classes, names)
    old = base.state_dict["score_fr.weight"]
    assert torch.equal(head.score_fr.weight[0], old[0]) and torch.equal(head.score_fr.weight[2], old[2])
    assert not head.score_fr.weight[1].any()
    result = round_on(folder, service, FeatureCache(None), config=HeadTrainConfig(epochs=1, device="cpu"))
    assert result.labels.classes[1] == "rust" and result.before is not None  # the base scores 0 on "rust"


def test_masks_with_unknown_classes_are_named(tmp_path, base, service):  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    store = make_folder(folder, generic_labels(3), n=2)
    store.save_mask(folder / "s1.png", np.full((40, 48), 7, np.uint8), generic_labels(3))
    with pytest.raises(FCNStudioError, match=r"s1\.png.*\[7\]"):
        round_on(folder, service, FeatureCache(None))


def _masks(folder):
    from PIL import Image

    return [Image.open(p) for p in sorted((folder / "masks").glob("*.png"))]
