"""Any version is a starting point (#26): a version stored as a head file trains as a base
from the command line and the API; a head-only run writes what it trained (a head file of
kilobytes over its base, and a resume state of a head's size); ``--standalone`` writes the
whole network to share."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import fcn_studio
from fcn_studio.cli.main import main
from fcn_studio.data.labels import generic_labels
from fcn_studio.files.fileio import read_safetensors_metadata
from fcn_studio.files.identity import content_hash
from fcn_studio.labelling.versions import install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.storage.heads import HEAD_FORMAT, read_head_file
from fcn_studio.storage.weights import resolve_model
from fcn_studio.training import resume
from fcn_studio.training.base_model import initial_model
from fcn_studio.training.config import TrainConfig, state_path
from tests.builders import make_plain
from tests.unit.storage.test_heads import install_base, new_head

pytestmark = pytest.mark.slow  # every test here trains (the CLI or the API)

SCORE_KEYS = {"score_fr.weight", "score_fr.bias"}  # an FCN-32s head: one score layer


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def toy(random_model, weights_home):
    """A narrow FCN-32s base ``toy`` with 3 classes (the data's) and a head version ``toy-v2``."""
    base = install_base(random_model, weights_home, "toy", arch="fcn32s", classes=3)
    labels = generic_labels(3)
    install_head_version(base, new_head(base, 3, seed=7), labels, CAFFE_BGR, {}, "toy")
    return base


@pytest.fixture()
def data(tmp_path):
    return make_plain(tmp_path / "d", n=4)


def common(data, out) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), "--arch", "fcn32s", "--epochs", "1"]


def test_a_head_version_starts_a_run_from_its_base_under_its_head(toy, data, tmp_path):
    v2 = resolve_model("toy-v2")
    config = TrainConfig(data=str(data), out=str(tmp_path / "o.safetensors"), base="toy-v2", arch="fcn32s")
    model, pre, _ = initial_model(config, 3)
    state = model.state_dict()
    assert torch.equal(state["conv1_1.weight"], toy.state_dict["conv1_1.weight"])  # the base's backbone
    for key in SCORE_KEYS:  # ... under the version's head, not the base's
        assert torch.equal(state[key], v2.state_dict[key]), key
    assert not torch.equal(state["score_fr.weight"], toy.state_dict["score_fr.weight"])
    assert pre == v2.preprocessing


def test_train_freeze_backbone_on_a_head_version_writes_a_head_over_the_base(capsys, toy, data, tmp_path, weights_home):
    out = tmp_path / "run" / "tuned.safetensors"
    code, said, err = run(capsys, *common(data, out), "--base", "toy-v2", "--freeze-backbone", "--id", "tuned")
    assert code == 0, err
    base_file = weights_home / "toy.safetensors"
    head = read_head_file(out)  # --out holds what was trained: the score layers over the base
    assert set(head.tensors) == SCORE_KEYS
    assert head.base.id == "toy" and head.base.sha256 == content_hash(base_file)
    assert out.stat().st_size < 64_000 and out.stat().st_size < base_file.stat().st_size / 20
    state = state_path(out)  # and the resume state is a head's size too
    assert state.stat().st_size < 64_000 and state.stat().st_size < base_file.stat().st_size / 20
    assert set(resume.load_state(out).model) == SCORE_KEYS
    assert read_head_file(weights_home / "tuned.safetensors").base.id == "toy"  # installed as a head too
    assert "installed as tuned" in said
    trained, installed = resolve_model(str(out)), resolve_model("tuned")  # the file loads on its base
    for key, value in installed.state_dict.items():
        assert torch.equal(trained.state_dict[key], value), key
    assert torch.equal(trained.state_dict["conv1_1.weight"], toy.state_dict["conv1_1.weight"])
    again = tmp_path / "again.safetensors"  # an earlier run's OUT, a head file, is a base too
    code, _, err = run(capsys, *common(data, again), "--base", str(out), "--freeze-backbone")
    assert code == 0 and read_head_file(again).base.id == "toy", err


def test_a_head_only_run_resumes_from_its_small_state(capsys, toy, data, tmp_path):
    out = tmp_path / "tuned.safetensors"
    assert run(capsys, *common(data, out), "--base", "toy", "--freeze-backbone")[0] == 0
    args = [*common(data, out), "--base", "toy", "--freeze-backbone", "--resume"]
    args[args.index("--epochs") + 1] = "2"
    code, _, err = run(capsys, *args)
    assert code == 0 and "resumed after epoch 1" in err, err
    assert resume.load_state(out).epoch == 2 and read_safetensors_metadata(out)["format"] == HEAD_FORMAT


def test_standalone_writes_the_whole_network(capsys, toy, data, tmp_path, weights_home):
    out = tmp_path / "shared.safetensors"
    code, _, err = run(capsys, *common(data, out), "--base", "toy-v2", "--freeze-backbone", "--standalone")
    assert code == 0, err
    assert read_safetensors_metadata(out)["format"] != HEAD_FORMAT
    assert out.stat().st_size > (weights_home / "toy.safetensors").stat().st_size / 2
    assert "conv1_1.weight" in load_checkpoint(out).state_dict
    assert read_head_file(weights_home / "shared.safetensors").base.id == "toy"  # installed as a head all the same


def test_a_full_fine_tune_starts_from_the_versions_standalone_weights(capsys, toy, data, tmp_path):
    out = tmp_path / "full.safetensors"
    code, _, err = run(capsys, *common(data, out), "--base", "toy-v2", "--crop-size", "32", "--batch-size", "2")
    assert code == 0, err
    trained = load_checkpoint(out)
    assert trained.base is None and trained.num_classes == 3
    assert not torch.equal(trained.state_dict["conv1_1.weight"], toy.state_dict["conv1_1.weight"])  # it trained


def test_the_api_trains_from_a_head_version(toy, data, tmp_path):
    out = tmp_path / "api.safetensors"
    result = fcn_studio.train(data, out, base="toy-v2", arch="fcn32s", epochs=1, freeze_backbone=True)
    assert result.id == "api" and read_head_file(out).base.id == "toy"
    image = sorted((data / "images").iterdir())[0]
    rgb = np.asarray(Image.open(image).convert("RGB"))
    assert fcn_studio.load_model("api", "cpu").predict(rgb).labels.shape == rgb.shape[:2]
