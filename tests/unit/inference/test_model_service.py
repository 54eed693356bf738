"""The one model service: loaded once per file identity, shared, invalidated by identity."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from fcn_studio.files.identity import FileIdentity
from fcn_studio.inference.model_service import ModelService
from fcn_studio.storage import weights


@pytest.fixture()
def installed(weights_home, caffe_layout_file):
    weights.import_weights(caffe_layout_file("fcn8s"), "m")
    return weights_home / "m.safetensors"


@pytest.mark.slow
def test_one_load_serves_every_consumer_with_its_own_size(installed, image_factory):
    service = ModelService()
    a = service.predictor("m", "cpu", max_size=64)
    b = service.predictor("m", "cpu", max_size=0)
    assert service.loads == 1 and a.model is b.model, "one copy of the weights"
    assert (a.max_size, b.max_size) == (64, 0), "each consumer keeps its own inference size"
    big = np.asarray(np.random.default_rng(0).integers(0, 255, (90, 120, 3)), dtype=np.uint8)
    assert a.predict(big).inference_size == (48, 64) and b.predict(big).inference_size == (90, 120)


@pytest.mark.slow
def test_threads_asking_at_once_load_once(installed):
    service = ModelService()
    got = []
    threads = [threading.Thread(target=lambda: got.append(service.load("m", "cpu"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert service.loads == 1 and len({id(x.model) for x in got}) == 1


@pytest.mark.slow
def test_replacing_the_file_under_the_same_id_serves_the_new_weights(installed, caffe_layout_file, image_factory):
    service = ModelService()
    old = service.predictor("m", "cpu")
    rgb = np.asarray(np.random.default_rng(1).integers(0, 255, (40, 48, 3)), dtype=np.uint8)
    before = old.predict(rgb).labels
    time.sleep(0.01)  # a new mtime even on coarse clocks
    weights.import_weights(caffe_layout_file("fcn32s"), "m", overwrite=True)
    new = service.predictor("m", "cpu")
    assert service.loads == 2 and new.checkpoint.arch == "fcn32s"
    assert len(service.loaded()) == 1, "the replaced file's weights are dropped, not kept beside"
    assert not np.array_equal(new.predict(rgb).labels, before)


@pytest.mark.slow
def test_memory_budget_evicts_least_recently_used(weights_home, caffe_layout_file):
    for i in range(3):  # three files of one size
        weights.import_weights(caffe_layout_file("fcn8s"), f"m{i}")
    probe = ModelService()
    one = probe.load("m0", "cpu").total_bytes
    service = ModelService(ram_bytes=int(2.5 * one))
    for key in ("m0", "m1", "m0", "m2"):
        service.load(key, "cpu")
    kept = sorted(os.path.basename(m.key.identity.path) for m in service.loaded())
    assert kept == ["m0.safetensors", "m2.safetensors"], "m1 was the least recently used"


def test_identity_changes_when_a_file_is_rewritten(tmp_path):
    f = tmp_path / "w.bin"
    f.write_bytes(b"a")
    first = FileIdentity.of(f)
    time.sleep(0.01)
    f.write_bytes(b"bb")
    assert FileIdentity.of(f) != first and FileIdentity.of(f) == FileIdentity.of(f)


@pytest.mark.slow
def test_prune_forgets_removed_files(installed):
    service = ModelService()
    service.load("m", "cpu")
    weights.remove_weights("m")
    service.prune()
    assert service.loaded() == []
