"""Weights in every supported form load to the same model; bad files get clear errors."""

from __future__ import annotations

import pickle

import pytest
import torch

from fcn_studio.data.labels import LabelSet, generic_labels, voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.models.preprocessing import CAFFE_BGR, IMAGENET_RGB
from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint


def test_converted_caffe_layout_detects_arch_and_classes(caffe_layout_file):
    ckpt = load_checkpoint(caffe_layout_file("fcn16s"))
    assert (ckpt.arch, ckpt.num_classes) == ("fcn16s", 21)
    assert ckpt.preprocessing == CAFFE_BGR  # what the converted Caffe weights need
    assert ckpt.labels == voc_labels()


@pytest.mark.slow
def test_wrapped_and_dataparallel_state_dicts_load(random_model, tmp_path):
    state = random_model("fcn32s", 3).state_dict()
    torch.save({"model_state_dict": state, "epoch": 3, "arch": "FCN32s"}, tmp_path / "w.pth")
    torch.save({f"module.{k}": v for k, v in state.items()}, tmp_path / "dp.pth")
    for name in ("w.pth", "dp.pth"):
        ckpt = load_checkpoint(tmp_path / name)
        assert (ckpt.arch, ckpt.num_classes) == ("fcn32s", 3)
        model = ckpt.build_model()
        assert torch.equal(model.score_fr.weight, state["score_fr.weight"])


def test_checkpoint_round_trip_keeps_metadata(random_model, tmp_path):
    labels = LabelSet("pets", ("bg", "cat", "dog"), ((0, 0, 0), (255, 0, 0), (0, 255, 0)))
    ckpt = Checkpoint(
        arch="fcn8s",
        num_classes=3,
        labels=labels,
        preprocessing=IMAGENET_RGB,
        state_dict=random_model("fcn8s", 3).state_dict(),
        provenance={"base": "vgg16-imagenet"},
        metrics={"mean_iou": 0.5},
        training={"epochs": 2},
    )
    path = save_checkpoint(ckpt, tmp_path / "pets.safetensors")
    back = load_checkpoint(path)
    assert (back.arch, back.num_classes, back.labels, back.preprocessing) == ("fcn8s", 3, labels, IMAGENET_RGB)
    assert back.metrics == {"mean_iou": 0.5} and back.training == {"epochs": 2}
    assert back.provenance == {"base": "vgg16-imagenet"}
    for k, v in ckpt.state_dict.items():
        assert torch.equal(back.state_dict[k], v)
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"


def test_truncated_files_get_a_clear_message(caffe_layout_file, tmp_path, random_model):
    data = caffe_layout_file("fcn32s").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 3])
    with pytest.raises(FCNStudioError, match=r"cut\.pth.*(truncated|readable)"):
        load_checkpoint(tmp_path / "cut.pth")
    ckpt = Checkpoint("fcn32s", 2, generic_labels(2), CAFFE_BGR, random_model("fcn32s", 2).state_dict())
    st = save_checkpoint(ckpt, tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(st[: len(st) // 2])
    with pytest.raises(FCNStudioError, match=r"cut\.safetensors.*truncated"):
        load_checkpoint(tmp_path / "cut.safetensors")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(FCNStudioError, match="empty"):
        load_checkpoint(tmp_path / "empty.pth")


def test_html_page_is_never_taken_for_weights(tmp_path):
    (tmp_path / "fcn8s_from_caffe.pth").write_text(
        "<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head></html>"
    )
    with pytest.raises(FCNStudioError, match="web page"):
        load_checkpoint(tmp_path / "fcn8s_from_caffe.pth")


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Exploit.marker}",))


def test_malicious_pickle_is_refused_without_running(tmp_path):
    _Exploit.marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as fh:
        pickle.dump({"conv1_1.weight": _Exploit()}, fh)
    torch.save({"score_fr.weight": torch.zeros(1), "payload": _Exploit()}, tmp_path / "evil_zip.pth")
    for p in (path, tmp_path / "evil_zip.pth"):
        with pytest.raises(FCNStudioError, match="refused"):
            load_checkpoint(p)
    assert not _Exploit.marker.exists(), "the pickle's code ran"


@pytest.mark.slow
def test_wrong_architecture_or_shapes_are_explained(random_model, tmp_path):
    state = dict(random_model("fcn8s", 21).state_dict())
    torch.save(state, tmp_path / "fcn8s.pth")
    with pytest.raises(FCNStudioError, match="holds fcn8s weights, not fcn32s"):
        load_checkpoint(tmp_path / "fcn8s.pth", arch="fcn32s")
    with pytest.raises(FCNStudioError, match="21 classes but the label set"):
        load_checkpoint(tmp_path / "fcn8s.pth", labels=generic_labels(5))
    state["score_pool3.weight"] = torch.zeros(21, 128, 1, 1)  # a broken / foreign file
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(FCNStudioError, match="do not fit fcn8s with 21 classes"):
        load_checkpoint(tmp_path / "bad.pth").build_model()
    torch.save({"features.0.weight": torch.zeros(1), "classifier.0.weight": torch.zeros(1)}, tmp_path / "vgg.pth")
    with pytest.raises(FCNStudioError, match="VGG16 classification weights"):
        load_checkpoint(tmp_path / "vgg.pth")
    torch.save({"encoder.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(FCNStudioError, match="not FCN weights"):
        load_checkpoint(tmp_path / "other.pth")
