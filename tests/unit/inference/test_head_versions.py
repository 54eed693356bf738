"""Versions stored as heads share their base: one backbone in memory for every version and
view, one conversion on disk, and the fast path's labels with a head equal the eager full
model's."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from fcn_studio.data.labels import generic_labels
from fcn_studio.inference import runtime
from fcn_studio.inference.model_service import ModelService
from fcn_studio.inference.predictor import Predictor
from fcn_studio.labelling.versions import install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage import conversions
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.storage.weights import resolve_model
from tests.unit.inference.test_backends import AGREEMENT, photo_like
from tests.unit.storage.test_heads import eager_labels, install_base, new_head

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work


@pytest.fixture()
def family(random_model, weights_home):
    """``toy`` (a full file) and three head versions over it, toy-v2 .. toy-v4."""
    base = install_base(random_model, weights_home)
    for seed in (2, 3, 4):
        install_head_version(base, new_head(base, 3, seed), generic_labels(3), CAFFE_BGR, {}, "toy")
    return base


def test_versions_share_one_backbone_and_switching_reads_only_a_head(family):
    service = ModelService()
    first = service.load("toy-v2", "cpu")
    assert service.base_loads == 1 and service.backbones() == 1
    start = time.perf_counter()
    others = [service.load(v, "cpu") for v in ("toy-v3", "toy-v4", "toy")]
    switch_s = (time.perf_counter() - start) / 3
    assert service.base_loads == 1 and service.backbones() == 1, "the base is loaded once"
    assert all(m.model.backbone is first.model.backbone for m in others)
    assert switch_s < 0.5, switch_s  # a head file of kilobytes, not a network
    rgb = photo_like(40, 48, seed=1)
    for loaded in (first, *others):
        full = resolve_model(loaded.spec)
        assert (loaded.predictor.predict(rgb).labels == eager_labels(full, rgb)).all(), loaded.spec


def test_compare_panes_on_three_versions_hold_one_backbone(family):
    service = ModelService()
    panes = [service.predictor(v, "cpu", max_size=64) for v in ("toy-v2", "toy-v3", "toy-v4")]
    assert service.backbones() == 1 and len({id(p.model.backbone) for p in panes}) == 1
    assert len({id(p.model.head) for p in panes}) == 3
    held = sum(m.nbytes for m in service.loaded()) + panes[0].backbone.nbytes
    assert held < 1.2 * service.loaded()[0].total_bytes, "three heads cost little beside one backbone"


def test_a_removed_version_leaves_the_base_to_the_others(family):
    from fcn_studio.storage.weights import remove_weights

    service = ModelService()
    for v in ("toy-v2", "toy-v3"):
        service.load(v, "cpu")
    remove_weights("toy-v2")
    service.prune()
    assert [m.spec for m in service.loaded()] == ["toy-v3"] and service.backbones() == 1


@pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")
def test_the_fast_path_serves_every_head_from_one_conversion(family, weights_home, monkeypatch):
    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    service = ModelService()
    base = service.load("toy", "cpu")
    assert base.predictor.fast_path.wait(timeout=120), base.predictor.fast_path.error
    caches = weights_home / conversions.CACHE_DIRNAME
    converted = sorted(p.name for p in caches.iterdir())
    rgb = photo_like(60, 80, seed=3)
    for version in ("toy-v2", "toy-v3", "toy-v4"):
        loaded = service.load(version, "cpu")
        assert loaded.predictor.fast_path is base.predictor.fast_path
        pred = loaded.predictor.predict(rgb, return_features=True)
        assert pred.backend == "onnxruntime" and pred.features is not None
        agreement = (pred.labels == eager_labels(resolve_model(version), rgb)).mean()
        assert agreement >= AGREEMENT, (version, agreement)
    # a new round adds a head file and no conversion
    v5 = install_head_version(
        load_checkpoint(weights_home / "toy.safetensors"), family.state_dict, generic_labels(21), CAFFE_BGR, {}, "toy"
    )
    service.load(v5.id, "cpu").predictor.predict(rgb)
    assert sorted(p.name for p in caches.iterdir()) == converted


@pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")
def test_a_head_file_on_its_own_converts_its_base_once(family, weights_home):
    """The command line's path (no service): a head version's fast path is its base's."""
    version = resolve_model("toy-v3")
    predictor = Predictor(version, "cpu", backend="auto")
    assert predictor.fast_path.wait(timeout=120), predictor.fast_path.error
    meta = predictor.fast_path._read_meta()
    assert meta["source"] == str((weights_home / "toy.safetensors").resolve())
    rgb = photo_like(33, 47, seed=7)
    pred = predictor.predict(rgb)
    assert pred.backend == "onnxruntime"
    assert (pred.labels == eager_labels(version, rgb)).mean() >= AGREEMENT
    features = predictor.features(rgb)
    with torch.no_grad():
        expected = version.build_model().backbone(CAFFE_BGR.to_tensor(rgb))
    for got, want in zip(features, expected, strict=True):
        assert got.shape == want.shape and torch.allclose(got, want, atol=1e-3, rtol=1e-3)
    assert np.isfinite(pred.confidence.astype(np.float32)).all()


@pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")
def test_the_conversion_cache_holds_one_graph_per_base_and_precision(family, weights_home):
    """Every version shares its base's conversions: one per precision, each one graph (the
    one optimised for this CPU, not also the plain export it was made from), at most the
    size of the base's weights file."""
    from fcn_studio.storage.conversions import folder_size

    rgbs = [photo_like(40, 48, seed=s) for s in range(2)]
    for version in ("toy-v2", "toy-v3"):
        for fast in (False, True):
            predictor = Predictor(resolve_model(version), "cpu", backend="auto", fast=fast, calibration=rgbs)
            assert predictor.fast_path.wait(timeout=120), predictor.fast_path.error
            predictor.fast_path.close()
    folders = sorted((weights_home / conversions.CACHE_DIRNAME).iterdir())
    assert [f.name.split("-")[-2] for f in folders] == ["fp32", "int8"], folders
    base_bytes = (weights_home / "toy.safetensors").stat().st_size
    for folder in folders:
        graphs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("model.onnx"))
        assert graphs == [f"optimised-{runtime.cpu_key()}/model.onnx"], graphs
        assert folder_size(folder) <= 1.02 * base_bytes + 256_000, (folder.name, folder_size(folder), base_bytes)
