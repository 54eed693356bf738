"""bf16 where the CPU has it: detected, measured once per machine, never on CPUs without it;
the approximate inference mode and bf16 fine-tuning (these skip on CPUs without bf16)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fcn_studio.data.labels import voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference import bf16_path, precision
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.checkpoint import Checkpoint
from tests.builders import make_plain, scene

CPU = torch.device("cpu")
NATIVE = precision.native_bf16()
needs_bf16 = pytest.mark.skipif(not NATIVE, reason="this CPU has no native bf16 (AVX512-BF16 or AMX)")


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    """An empty measurement cache of this test's own, and no measurement in memory."""
    path = tmp_path / "precision.json"
    monkeypatch.setattr(precision, "cache_path", lambda: path)
    monkeypatch.setattr(precision, "_measured", {})
    return path


@pytest.fixture()
def no_bf16_cpu(monkeypatch, fresh_cache):
    """A CPU whose flags have no bf16 (e.g. an AVX2 laptop); measuring bf16 there fails."""
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "fma"})

    def never():
        raise AssertionError("bf16 must not even be measured on a CPU without it")

    monkeypatch.setattr(precision, "_measure", never)


def test_cpu_without_native_bf16_never_gets_it(no_bf16_cpu):
    assert not precision.native_bf16()
    assert precision.for_training("auto", CPU).precision == "fp32"
    assert "no native bf16" in precision.for_training("auto", CPU).reason
    assert precision.for_inference("auto", CPU).precision == "fp32"
    assert not precision.bf16_offered()
    with pytest.raises(FCNStudioError, match="no native bf16.*choose fp32"):
        precision.for_training("bf16", CPU)
    with pytest.raises(FCNStudioError, match="no native bf16"):
        precision.for_inference("bf16", CPU)


def test_measurement_is_cached_per_machine_and_torch_version(fresh_cache, monkeypatch):
    calls = []

    def fake_measure():
        calls.append(1)
        return precision.Measurement(True, 1.0, 0.25, 2.0, 1.0)

    monkeypatch.setattr(precision, "_measure", fake_measure)
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    first = precision.measurement()
    assert first.prefers_bf16("inference") and first.speedup("training") == 2.0
    monkeypatch.setattr(precision, "_measured", {})  # a new process: read from the file
    assert precision.measurement() == first and len(calls) == 1
    saved = json.loads(fresh_cache.read_text())
    assert list(saved) == [precision.machine_key()] and torch.__version__ in precision.machine_key()
    monkeypatch.setattr(torch, "__version__", "9.9.9")  # an upgraded torch measures again
    monkeypatch.setattr(precision, "_measured", {})
    precision.measurement()
    assert len(calls) == 2 and len(json.loads(fresh_cache.read_text())) == 2


def test_bf16_slower_than_fp32_is_not_chosen(fresh_cache, monkeypatch):
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    monkeypatch.setattr(precision, "_measure", lambda: precision.Measurement(True, 1.0, 1.0, 1.0, 1.05))
    choice = precision.for_training("auto", CPU)
    assert choice.precision == "fp32" and "measured only" in choice.reason
    assert precision.for_training("bf16", CPU).precision == "bf16", "forcing it is the user's call"


def test_cuda_keeps_fp16_amp_unless_told():
    cuda = torch.device("cuda")
    assert precision.for_training("auto", cuda).precision == "fp16"
    assert precision.for_training("auto", cuda, amp=False).precision == "fp32"
    assert precision.for_training("bf16", cuda).precision == "bf16"
    assert precision.for_inference("auto", cuda).precision == "fp16"
    assert precision.for_inference("fp32", cuda).precision == "fp32"
    with pytest.raises(FCNStudioError, match="unknown precision"):
        precision.for_inference("fp8", cuda)


@pytest.mark.slow
@needs_bf16
def test_native_bf16_is_detected_and_measured_faster(fresh_cache):
    m = precision.measurement()
    assert m.native and m.inference_bf16_s > 0 and m.training_bf16_s > 0
    assert m.speedup("inference") > 1.0, "AMX/AVX512-BF16 convolutions are faster than fp32"


@pytest.mark.slow
@needs_bf16
def test_bf16_inference_mode_is_approximate_with_its_agreement(random_model):
    from fcn_studio.inference.predictor import Predictor

    model = random_model("fcn8s")
    ckpt = Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict())
    rgb, _ = scene(np.random.default_rng(0), h=72, w=96)
    exact = Predictor(ckpt, "cpu", backend="torch").predict(rgb)
    bf16 = Predictor(ckpt, "cpu", backend="torch", precision="bf16", calibration=[rgb])
    result = bf16.predict(rgb)
    assert result.approximate and not exact.approximate
    assert (result.backend, result.precision, result.backend_label) == ("torch-bf16", "bf16", "torch bf16")
    assert bf16.fast_path.agreement is not None and bf16.fast_path.agreement > 0.9
    assert "label agreement on its check images" in bf16.backend_note
    assert bf16_path.label_agreement([exact.labels], [result.labels]) > 0.9
    # the head runs in fp32 on float32 features, as it does after the int8 backbone
    assert all(f.dtype == torch.float32 for f in bf16.features(rgb))


@pytest.mark.slow
@needs_bf16
def test_bf16_fine_tuning_loss_curve_matches_fp32(tmp_path, weights_home):
    """A short run from the same start: the bf16 autocast losses follow fp32's within noise."""
    from fcn_studio.training.config import IterationEvent, MessageEvent
    from fcn_studio.training.trainer import TrainConfig, train

    make_plain(tmp_path / "data", n=6)
    curves = {}
    for name in ("fp32", "bf16"):
        losses: list[float] = []
        messages: list[str] = []

        def on_event(e, losses=losses, messages=messages):
            if isinstance(e, IterationEvent):
                losses.append(e.loss)
            elif isinstance(e, MessageEvent):
                messages.append(str(e.text))

        config = TrainConfig(
            str(tmp_path / "data"),
            str(tmp_path / f"{name}.safetensors"),
            base="scratch",
            epochs=3,
            batch_size=2,
            crop_size=32,
            lr=1e-3,
            val_split=0.0,
            precision=name,
            width_divisor=8,
            register_id=f"p-{name}",
        )
        train(config, on_event)
        assert any(m.startswith(f"precision: {name}") for m in messages)
        curves[name] = np.array(losses)
    fp32, bf16 = curves["fp32"], curves["bf16"]
    assert len(fp32) == len(bf16) >= 8
    assert fp32[-3:].mean() < fp32[:3].mean() and bf16[-3:].mean() < bf16[:3].mean(), "both learn"
    # bf16 keeps 8 bits of mantissa: per-step losses within a few percent of fp32's
    assert np.abs(bf16 - fp32).max() < 0.05 * fp32.max()


@pytest.mark.slow
@needs_bf16
def test_bf16_training_of_a_few_classes_does_not_corrupt_memory(tmp_path):
    """torch 2.14's bf16 backward of Conv2d(4096, 3, 1), FCN's score_fr for 3 classes,
    corrupted the heap and aborted the process; guarded, the score layers run in fp32."""
    script = tmp_path / "step.py"
    script.write_text(
        "import torch\n"
        "from fcn_studio.inference import precision\n"
        "net = torch.nn.Sequential(torch.nn.Conv2d(4096, 3, 1))\n"
        "choice, cpu = precision.Choice('bf16', 'test'), torch.device('cpu')\n"
        "assert precision.guard_for_autocast(net, choice, cpu) == 1\n"
        "x = torch.randn(1, 4096, 3, 3, requires_grad=True)\n"
        "for _ in range(4):\n"
        "    with precision.autocast(choice, cpu):\n"
        "        out = net(x)\n"
        "    out.float().sum().backward()\n"
        "print('fine')\n"
    )
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "fine" in done.stdout, done.stderr[-2000:]
