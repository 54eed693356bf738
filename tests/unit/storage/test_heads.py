"""A head-only version is a head file of kilobytes over a shared base, and loads as the
same model a full copy would be."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fcn_studio.data.labels import generic_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.labelling.versions import current_version, install_head_version, list_versions
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
from fcn_studio.storage.heads import read_head_file
from fcn_studio.storage.weights import list_weights, resolve_model


def install_base(random_model, home, model_id="toy", arch="fcn8s", classes=21):
    model = random_model(arch, classes)
    labels = generic_labels(classes)
    ckpt = Checkpoint(
        arch,
        classes,
        labels,
        CAFFE_BGR,
        {k: v.clone() for k, v in model.state_dict().items()},
        provenance={"title": model_id},
    )
    home.mkdir(parents=True, exist_ok=True)
    save_checkpoint(ckpt, home / f"{model_id}.safetensors")
    return resolve_model(model_id)


def new_head(base: Checkpoint, classes: int, seed: int) -> dict[str, torch.Tensor]:
    """Score layers for ``classes`` classes (and bilinear upsampling, as head_state gives)."""
    from fcn_studio.models import build_fcn, width_divisor_of
    from tests.conftest import randomize

    model = randomize(build_fcn(base.arch, classes, width_divisor=width_divisor_of(base.state_dict)), seed)
    return {k: v for k, v in model.state_dict().items() if k.startswith(("score", "upscore"))}


def eager_labels(ckpt: Checkpoint, rgb: np.ndarray) -> np.ndarray:
    model = ckpt.build_model()
    with torch.no_grad():
        return model(ckpt.preprocessing.to_tensor(rgb)).argmax(1)[0].numpy()


@pytest.mark.slow
def test_a_head_version_is_a_small_file_and_loads_as_its_full_model(random_model, weights_home):
    base = install_base(random_model, weights_home)
    labels = generic_labels(3)
    state = new_head(base, 3, seed=5)
    version = install_head_version(base, state, labels, CAFFE_BGR, {"metrics": {"mean_iou": 0.5}}, "toy")
    assert version.id == "toy-v2" and version.head_only and current_version("toy") == "toy-v2"
    size = version.path.stat().st_size
    assert size < 64_000, size  # the score layers and their description, not the network
    assert size < (weights_home / "toy.safetensors").stat().st_size / 20
    head = read_head_file(version.path)
    assert set(head.tensors) == {
        f"{n}.{p}" for n in ("score_fr", "score_pool4", "score_pool3") for p in ("weight", "bias")
    }  # the score layers only: bilinear upsampling is rebuilt
    assert head.base.id == "toy" and len(head.base.sha256) == 64 and head.metrics == {"mean_iou": 0.5}

    loaded = resolve_model("toy-v2")
    assert loaded.num_classes == 3 and loaded.labels == labels and loaded.source == version.path
    full = {k: v for k, v in base.state_dict.items() if not k.startswith(("score", "upscore"))} | state
    for name, value in full.items():
        assert torch.equal(loaded.state_dict[name], value), name
    rgb = np.random.default_rng(0).integers(0, 255, (40, 48, 3), dtype=np.uint8)
    reference = Checkpoint("fcn8s", 3, labels, CAFFE_BGR, full)
    assert (eager_labels(loaded, rgb) == eager_labels(reference, rgb)).all()

    row = next(r for r in list_weights() if r.id == "toy-v2")
    assert row.base == "toy" and row.installed and row.size_bytes == size
    assert [v.id for v in list_versions("toy")] == ["toy", "toy-v2"]


@pytest.mark.slow
def test_retraining_from_a_head_version_puts_the_new_head_on_the_base(random_model, weights_home):
    base = install_base(random_model, weights_home)
    install_head_version(base, new_head(base, 3, 1), generic_labels(3), CAFFE_BGR, {}, "toy")
    v2 = resolve_model("toy-v2")
    v3 = install_head_version(v2, new_head(base, 3, 2), generic_labels(3), CAFFE_BGR, {}, "toy")
    assert read_head_file(v3.path).base.id == "toy"


def test_a_changed_or_missing_base_is_named(random_model, weights_home):
    base = install_base(random_model, weights_home)
    install_head_version(base, new_head(base, 3, 1), generic_labels(3), CAFFE_BGR, {}, "toy")
    other = random_model("fcn8s", 5).state_dict()
    save_checkpoint(Checkpoint("fcn8s", 5, generic_labels(5), CAFFE_BGR, dict(other)), weights_home / "toy.safetensors")
    with pytest.raises(FCNStudioError, match="has changed since this version was trained"):
        resolve_model("toy-v2")
    (weights_home / "toy.safetensors").unlink()
    with pytest.raises(FCNStudioError, match="not installed"):
        resolve_model("toy-v2")
