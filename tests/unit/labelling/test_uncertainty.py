"""Ranking by uncertainty reads a sample of pixels: the same values there as the whole map,
and the same order whether an image's features are computed or held."""

from __future__ import annotations

import copy

import pytest
import torch

from fcn_studio.data.images import load_image
from fcn_studio.data.labels import generic_labels
from fcn_studio.inference.predictor import UNCERTAINTY_STEP, Predictor
from fcn_studio.labelling.uncertainty import rank_unlabelled
from fcn_studio.models.bilinear import upsampled_at, with_bilinear_upsampling
from fcn_studio.models.preprocessing import IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.training.feature_cache import FeatureCache


@pytest.mark.parametrize("arch", ["fcn32s", "fcn16s", "fcn8s"])
@pytest.mark.parametrize("learned", [False, True])
def test_the_sampled_logits_are_the_whole_maps_at_those_pixels(random_model, image_factory, arch, learned):
    model = random_model(arch, 3)
    x = IMAGENET_RGB.to_tensor(load_image(image_factory(size=(61, 47))))
    head = with_bilinear_upsampling(copy.deepcopy(model.head))
    score_layer = {"fcn32s": "upscore", "fcn16s": "upscore16", "fcn8s": "upscore8"}[arch]
    if learned:  # a deconvolution that is no longer the fixed bilinear one: read densely
        head = copy.deepcopy(model.head)
        with torch.no_grad():
            getattr(head, score_layer).weight.mul_(1.5)
    with torch.no_grad():
        features = model.backbone(x)
        whole = head(*features, (47, 61))[0]
        score, upsample, offset = head.coarse(*features)
        rows, cols = torch.arange(0, 47, 4), torch.arange(3, 61, 5)
        sampled = upsampled_at(score[0], upsample, offset, rows, cols)
    assert torch.allclose(sampled, whole[:, rows][:, :, cols], atol=1e-4, rtol=1e-4)


def _folder(tmp_path, image_factory, count=5):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(count):
        image_factory(f"photos/p{i}.png", size=(64 + 8 * i, 48), seed=i)
    return folder


def test_ranking_from_held_features_equals_ranking_by_full_forward(random_model, image_factory, tmp_path):
    model = random_model("fcn8s", 3)
    predictor = Predictor(Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict()), "cpu")
    folder = _folder(tmp_path, image_factory)
    store = FeatureCache(tmp_path / "cache").store_for(predictor.max_size)
    computed = rank_unlabelled(predictor, folder, features=store)  # a forward each; features kept
    held = rank_unlabelled(predictor, folder, features=store)  # the head alone, on sampled pixels
    plain = rank_unlabelled(predictor, folder)
    assert [r.image for r in held] == [r.image for r in computed] == [r.image for r in plain]
    for a, b in zip(held, computed, strict=True):
        assert a.uncertainty == pytest.approx(b.uncertainty, abs=2e-3)  # float16 confidence vs float32


def test_the_sampled_uncertainty_is_close_to_the_whole_images(random_model, image_factory):
    model = random_model("fcn8s", 3)
    predictor = Predictor(Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict()), "cpu")
    prediction = predictor.predict(image_factory(size=(120, 90)), return_features=True)
    sampled = predictor.uncertainty_from_features(prediction.features, prediction.inference_size)
    step = slice(None, None, UNCERTAINTY_STEP)
    assert sampled == pytest.approx(1 - prediction.confidence[step, step].mean(dtype="float64"), abs=2e-3)
    assert sampled == pytest.approx(1 - prediction.confidence.mean(dtype="float64"), abs=0.02)
