"""Cached backbone features: computed once, handed over by the predictor, invalidated when
the image or the base changes, bounded in memory and on disk."""

from __future__ import annotations

import os

import pytest
import torch

from fcn_studio.data.images import load_image
from fcn_studio.data.labels import generic_labels
from fcn_studio.inference.predictor import Predictor
from fcn_studio.models import build_fcn
from fcn_studio.models.bilinear import BilinearUpsample
from fcn_studio.models.fcn import _upsample
from fcn_studio.models.preprocessing import IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.training.feature_cache import FeatureCache, network_input


@pytest.fixture()
def model(random_model):
    return random_model("fcn8s", 3)


@pytest.mark.slow
def test_forward_with_features_gives_the_logits_and_the_backbone_output(model, image_factory):
    x = IMAGENET_RGB.to_tensor(load_image(image_factory()))
    with torch.no_grad():
        logits, feats = model.forward_with_features(x)
        assert torch.equal(logits, model(x))
        for a, b in zip(feats, model.backbone(x), strict=True):
            assert torch.equal(a, b)


@pytest.mark.slow
def test_features_are_computed_once_and_reused_from_disk(model, image_factory, tmp_path):
    image = image_factory()
    cache = FeatureCache(tmp_path / "cache")
    first = cache.features(image, model, IMAGENET_RGB)
    again = cache.features(image, model, IMAGENET_RGB)
    assert cache.backbone_runs == 1 and again is first
    flipped = cache.features(image, model, IMAGENET_RGB, flipped=True)
    assert cache.backbone_runs == 2  # a flipped view is an entry of its own
    fresh = FeatureCache(tmp_path / "cache")  # a new session: read from disk, not recomputed
    from_disk = fresh.features(image, model, IMAGENET_RGB)
    assert fresh.backbone_runs == 0
    for a, b in zip(first.as_float(), from_disk.as_float(), strict=True):
        assert torch.equal(a, b)
    # the values are the backbone's, rounded to float16
    with torch.no_grad():
        exact = model.backbone(network_input(load_image(image), IMAGENET_RGB, None, False))
    for a, b in zip(first.as_float(), exact, strict=True):
        assert torch.allclose(a, b, rtol=2e-3, atol=1e-3)
    assert not torch.allclose(flipped.fc7.float(), first.fc7.float())


def test_flipped_features_are_not_the_flipped_features(model, image_factory):
    """Why flips are cached as entries of their own: the FCN's padding, ceil-mode pools and
    top-left crop offsets are not mirror-symmetric (odd sizes show it)."""
    x = IMAGENET_RGB.to_tensor(load_image(image_factory(size=(45, 37))))
    with torch.no_grad():
        direct = model.backbone(x.flip(3))[0]
        mirrored = model.backbone(x)[0].flip(3)
    assert direct.shape == mirrored.shape and not torch.allclose(direct, mirrored, atol=1e-4)


@pytest.mark.slow
def test_a_changed_image_or_base_is_computed_again(model, image_factory, tmp_path):
    image = image_factory(seed=1)
    cache = FeatureCache(tmp_path / "cache")
    cache.features(image, model, IMAGENET_RGB)
    image_factory(seed=2)  # same name, new pixels
    st = image.stat()
    os.utime(image, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    cache.features(image, model, IMAGENET_RGB)
    assert cache.backbone_runs == 2
    other = build_fcn("fcn8s", 3, width_divisor=8)  # another base
    cache.features(image, other, IMAGENET_RGB)
    assert cache.backbone_runs == 3
    with torch.no_grad():
        other.conv1_1.bias.add_(1.0)  # the same model object, weights changed in place
    cache.features(image, other, IMAGENET_RGB)
    assert cache.backbone_runs == 4
    cache.features(image, model, IMAGENET_RGB, max_size=20)  # another input size
    assert cache.backbone_runs == 5
    cache.features(image, model, IMAGENET_RGB)
    assert cache.backbone_runs == 5


@pytest.mark.slow
def test_the_predictor_hands_its_features_over(model, image_factory, tmp_path):
    image = image_factory()
    ckpt = Checkpoint("fcn8s", 3, generic_labels(3), IMAGENET_RGB, model.state_dict())
    predictor = Predictor(ckpt, "cpu")
    prediction = predictor.predict(image, return_features=True)
    assert predictor.predict(image).features is None
    cache = FeatureCache(tmp_path / "cache")
    cache.hand_over(image, predictor.model, ckpt.preprocessing, prediction.features, prediction.inference_size)
    cache.features(image, predictor.model, ckpt.preprocessing)
    assert cache.backbone_runs == 0


def test_memory_and_disk_are_bounded(model, image_factory, tmp_path):
    images = [image_factory(f"i{i}.png", seed=i) for i in range(4)]
    probe = FeatureCache(None).features(images[0], model, IMAGENET_RGB)
    cap = int(probe.nbytes * 2.5)
    cache = FeatureCache(tmp_path / "cache", memory_bytes=cap, disk_bytes=cap)
    for image in images:
        cache.features(image, model, IMAGENET_RGB)
    assert 0 < cache.memory_used <= cap and 0 < cache.disk_used() <= cap
    cache.features(images[-1], model, IMAGENET_RGB)  # the newest stayed
    assert cache.backbone_runs == 4
    cache.features(images[0], model, IMAGENET_RGB)  # the oldest was dropped
    assert cache.backbone_runs == 5


@pytest.mark.parametrize(("channels", "kernel", "stride"), [(3, 4, 2), (5, 16, 8), (2, 32, 16), (3, 64, 32)])
def test_fast_bilinear_upsampling_equals_the_deconvolution(channels, kernel, stride):
    dense = _upsample(channels, kernel, stride)
    fast = BilinearUpsample(dense)
    assert BilinearUpsample.fits(dense)
    x = torch.randn(1, channels, 9, 13)
    with torch.no_grad():
        assert torch.allclose(fast(x), dense(x), atol=1e-5)
    with torch.no_grad():
        dense.weight[0, 1] += 0.1  # a learned, non-bilinear deconvolution keeps the dense path
    assert not BilinearUpsample.fits(dense)


def test_two_threads_asking_for_one_image_run_the_backbone_once(model, image_factory):
    """A round and the background prefetch asking at once: the second waits for the first."""
    import threading
    import time

    cache = FeatureCache(None)
    image = image_factory("p.png", size=(40, 32))
    started, calls = threading.Event(), []

    def slow(x):
        calls.append(1)
        started.set()
        time.sleep(0.3)  # the first thread is inside the backbone when the second asks
        with torch.inference_mode():
            return model.backbone(x)

    first = threading.Thread(target=lambda: cache.features(image, model, IMAGENET_RGB, compute=slow))
    first.start()
    assert started.wait(10)
    second = cache.features(image, model, IMAGENET_RGB, compute=slow)
    first.join()
    assert calls == [1] and cache.backbone_runs == 1
    assert torch.equal(second.fc7, cache.features(image, model, IMAGENET_RGB).fc7)


def test_a_failed_computation_lets_the_waiting_thread_compute(model, image_factory):
    import threading

    cache = FeatureCache(None)
    image = image_factory("p.png", size=(40, 32))
    inside, release = threading.Event(), threading.Event()

    def failing(_x):
        inside.set()
        release.wait(10)
        raise RuntimeError("the first pass failed")

    def first():
        with pytest.raises(RuntimeError):
            cache.features(image, model, IMAGENET_RGB, compute=failing)

    worker = threading.Thread(target=first)
    worker.start()
    assert inside.wait(10)
    threading.Timer(0.2, release.set).start()
    got = cache.features(image, model, IMAGENET_RGB)  # waits, then computes itself
    worker.join()
    assert got is not None and cache.backbone_runs == 1


def test_a_pass_running_outside_the_cache_is_waited_for(model, image_factory):
    """The view's prediction in Label mode computes an image's features and hands them over
    when it ends: a round asking for them meanwhile waits for it (one backbone pass)."""
    import threading

    from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
    from fcn_studio.training.feature_cache import pass_in_flight

    cache = FeatureCache(None)
    image = image_factory("p.png", size=(40, 32))
    rgb = load_image(image)
    inside, calls = threading.Event(), []

    def view():
        with pass_in_flight(image, model, IMAGENET_RGB, rgb.shape[:2], DEFAULT_MAX_SIZE) as registered:
            assert registered
            inside.set()
            x = network_input(rgb, IMAGENET_RGB, DEFAULT_MAX_SIZE, False)
            threading.Event().wait(0.3)  # the round asks while the view's pass runs
            with torch.inference_mode():
                cache.hand_over(image, model, IMAGENET_RGB, model.backbone(x), tuple(x.shape[2:]))

    def counted(x):
        calls.append(1)
        with torch.inference_mode():
            return model.backbone(x)

    worker = threading.Thread(target=view)
    worker.start()
    assert inside.wait(10)
    got = cache.features(image, model, IMAGENET_RGB, compute=counted)
    worker.join()
    assert calls == [] and cache.backbone_runs == 0
    assert torch.equal(got.fc7, cache.features(image, model, IMAGENET_RGB).fc7)


def test_a_pass_outside_the_cache_that_ends_without_features_lets_the_round_compute(model, image_factory):
    import threading

    from fcn_studio.inference.predictor import DEFAULT_MAX_SIZE
    from fcn_studio.training.feature_cache import pass_in_flight

    cache = FeatureCache(None)
    image = image_factory("p.png", size=(40, 32))
    inside = threading.Event()

    def cancelled_view():
        with pass_in_flight(image, model, IMAGENET_RGB, (32, 40), DEFAULT_MAX_SIZE):
            inside.set()
            threading.Event().wait(0.2)  # then abandoned (a newer image was asked for)

    worker = threading.Thread(target=cancelled_view)
    worker.start()
    assert inside.wait(10)
    assert cache.features(image, model, IMAGENET_RGB) is not None
    worker.join()
    assert cache.backbone_runs == 1
    with pass_in_flight(image, model, IMAGENET_RGB, (32, 40), DEFAULT_MAX_SIZE) as registered:
        assert registered, "a finished pass leaves nothing registered"
