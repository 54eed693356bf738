"""A run killed between its best model and its first resume state: the messages offer a way
that keeps the model (#22 unclear item), and that way works."""

from __future__ import annotations

import pytest

from fcn_studio.cli.main import main
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training.config import state_path
from tests.builders import make_plain

pytestmark = pytest.mark.slow  # seconds each: other processes, training runs or full-size work


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_model_without_a_resume_state_can_be_kept_and_trained_on(capsys, tmp_path, weights_home, caffe_layout_file):
    data = make_plain(tmp_path / "d", n=3)
    out = tmp_path / "v.safetensors"
    common = ["--data", str(data), "--arch", "fcn32s", "--epochs", "1", "--crop-size", "32", "--freeze-backbone"]
    code, _, err = run(capsys, "train", *common, "--base", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 0, err
    state_path(out).unlink(missing_ok=True)  # as a kill after the best model, before the state
    kept = out.read_bytes()
    hint = f"--base {out} --out {tmp_path / 'v-2.safetensors'}"
    code, _, err = run(capsys, "train", *common, "--base", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 1 and "no state to resume" in err and hint in err and "--resume" not in err, err
    code, _, err = run(
        capsys, "train", *common, "--base", str(caffe_layout_file("fcn32s")), "--out", str(out), "--resume"
    )
    assert code == 1 and "nothing to resume" in err and hint in err, err
    code, _, err = run(capsys, "train", *common, *hint.split(), "--id", "v2")
    assert code == 0, err
    assert out.read_bytes() == kept and load_checkpoint(tmp_path / "v-2.safetensors").num_classes == 3
