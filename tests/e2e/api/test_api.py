"""The Python API as a notebook uses it: batches of any iterable, the inputs people hold
(PIL, arrays, tensors, torch.device), the outputs they need (float32 confidence,
probabilities, a mask file, an overlay, the classes with their areas), precision=,
discoverability (dir, repr, docstrings) and train() with the command line's option names."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from PIL import Image

import fcn_studio
from fcn_studio.data.images import load_image
from fcn_studio.errors import FCNStudioError
from tests.builders import make_image, make_plain


@pytest.fixture()
def photos(tmp_path):
    return [make_image(tmp_path / f"p{i}.png", size=(40 + 8 * (i % 2), 32), seed=i) for i in range(3)]


@pytest.fixture()
def model(model_id):
    return fcn_studio.load_model(model_id, device="cpu", backend="torch")


def test_a_list_and_a_generator_give_one_result_each_equal_to_one_at_a_time(model, photos):
    one_by_one = [model.predict(p) for p in photos]
    seen = []
    as_list = model.predict(photos, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    as_generator = model.predict(p for p in photos)
    assert len(as_list) == len(as_generator) == 3
    for single, a, b in zip(one_by_one, as_list, as_generator, strict=True):
        np.testing.assert_array_equal(a.labels, single.labels)
        np.testing.assert_array_equal(b.labels, single.labels)
        np.testing.assert_allclose(a.confidence, single.confidence, atol=1e-5)
    assert seen == [(2, 3), (3, 3)]
    assert as_list[0].labels.shape == (32, 40) and as_list[1].labels.shape == (32, 48)


def test_a_same_sized_batch_runs_as_one_forward_pass(model, photos, monkeypatch):
    calls = []
    net = model._ensure_predictor([]).model
    original = net.forward
    monkeypatch.setattr(net, "forward", lambda x: calls.append(x.shape[0]) or original(x))
    same = [load_image(photos[0]), load_image(photos[2]), load_image(photos[0])]
    model.predict(same, batch_size=3)
    assert calls == [3]


def test_tensors_on_cpu_uint8_and_float_chw_and_bchw(model, photos):
    rgb = load_image(photos[0]).copy()
    expected = model.predict(rgb).labels
    chw = torch.from_numpy(rgb).permute(2, 0, 1)
    np.testing.assert_array_equal(model.predict(chw).labels, expected)
    np.testing.assert_array_equal(model.predict(chw.float() / 255).labels, expected)
    batch = model.predict(torch.stack([chw, chw]))
    assert len(batch) == 2 and all(np.array_equal(r.labels, expected) for r in batch)
    np.testing.assert_array_equal(model.predict(Image.open(photos[0])).labels, expected)
    with pytest.raises(FCNStudioError, match=r"\[0, 1\]"):
        model.predict(chw.float())  # 0-255 floats: a common slip, refused rather than misread


def test_a_torch_device_is_a_device(model_id):
    model = fcn_studio.load_model(model_id, device=torch.device("cpu"))
    assert model.device == "cpu"
    from fcn_studio.inference.device import choose_device

    assert choose_device(torch.device("cpu")).device.type == "cpu"


def test_confidence_is_float32_and_probabilities_come_on_request(model, photos):
    plain = model.predict(photos[0])
    assert plain.confidence.dtype == np.float32 and plain.probabilities is None
    full = model.predict(photos[0], probabilities=True)
    p = full.probabilities
    assert p.dtype == np.float32 and p.shape == (len(model.class_names), 32, 40)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-4)
    np.testing.assert_array_equal(p.argmax(axis=0), full.labels)
    np.testing.assert_allclose(p.max(axis=0), full.confidence, atol=1e-3)


def test_save_overlay_and_classes_with_areas(model, photos, tmp_path):
    result = model.predict(photos[0])
    path = result.save(tmp_path / "mask.png")
    written = Image.open(path)
    assert written.mode == "P"
    np.testing.assert_array_equal(np.array(written), result.labels)
    assert written.getpalette()[3:6] == [128, 0, 0]  # VOC class 1
    over = result.overlay(opacity=1.0)
    assert over.shape == (32, 40, 3) and over.dtype == np.uint8
    np.testing.assert_array_equal(over, result.colors())
    np.testing.assert_array_equal(result.overlay(opacity=0.0), load_image(photos[0]))
    classes = result.classes
    assert sum(c.pixels for c in classes) == 32 * 40 and abs(sum(c.fraction for c in classes) - 1) < 1e-9
    assert [c.pixels for c in classes] == sorted((c.pixels for c in classes), reverse=True)
    for c in classes:
        assert c.name == model.class_names[c.id] and c.pixels == int((result.labels == c.id).sum())
    assert result.save_overlay(tmp_path / "over.png").is_file()


def test_predict_folder_mirrors_the_command_line(model, tmp_path):
    make_plain(tmp_path / "data", n=2)
    report = model.predict_folder(tmp_path / "data", tmp_path / "out", overlay=True)
    masks = sorted(p.name for p in (tmp_path / "out" / "images").glob("*.png") if "_overlay" not in p.name)
    assert len(masks) == 2 and not report.failures
    assert len(report.written) == 2 and len(list((tmp_path / "out" / "images").glob("*_overlay.jpg"))) == 2
    again = model.predict_folder(tmp_path / "data", tmp_path / "out", overwrite=False)
    assert len(again.kept) == 2 and not again.written


def test_repr_dir_and_docstrings(model):
    text = repr(model)
    for part in ("fcn8s-voc", "fcn8s", "21 classes", "background", "cpu", "exact"):
        assert part in text, text
    assert {"load_model", "train", "Model", "Segmentation"} <= set(dir(fcn_studio))
    assert "predict" in dir(model) and "_checkpoint" not in dir(model)
    for fn in (fcn_studio.load_model, fcn_studio.train, fcn_studio.Model.predict, fcn_studio.Model.predict_folder):
        doc = inspect.getdoc(fn)
        assert all(section in doc for section in ("Args:", "Returns:", "Raises:", "Example:")), fn.__name__
    assert "Segmentation 40x32" in repr(model.predict(np.zeros((32, 40, 3), np.uint8)))


def test_precision_is_checked_and_named(model_id):
    with pytest.raises(ValueError, match="exact"):
        fcn_studio.load_model(model_id, precision="half")


def measured(monkeypatch, exact_s: float, **trials: tuple[float, float]) -> list[int]:
    """Fast mode's measurement faked (as tests/unit/inference/test_fast_choice.py does):
    per candidate (speed-up, agreement); returns the number of images of each call."""
    from fcn_studio.inference import fast_choice
    from fcn_studio.inference.fast_choice import Trial

    calls: list[int] = []

    def measure(checkpoint, rgbs, say):
        calls.append(len(rgbs))
        return exact_s, [Trial(name, exact_s / speedup, agreement) for name, (speedup, agreement) in trials.items()]

    monkeypatch.setattr(fast_choice, "measure_trials", measure)
    return calls


def test_fast_is_the_measured_choice_of_the_app_and_the_command_line(model_id, photos, monkeypatch):
    """Bug: precision="fast" was int8 whatever this machine measured, while the app's Fast
    mode and ``--fast`` run inference/fast_choice.choose_fast's choice (here: nothing
    approximate keeps the labels, so the exact path)."""
    calls = measured(monkeypatch, 1.0, int8=(3.0, 0.9), bf16=(1.6, 0.95))
    exact = fcn_studio.load_model(model_id, device="cpu", backend="torch").predict(photos)
    fast = fcn_studio.load_model(model_id, device="cpu", backend="torch", precision="fast")
    assert "precision='fast'" in repr(fast)  # measured on the first images
    results = fast.predict(photos)
    assert calls == [3] and fast.precision == "exact" and "precision='exact'" in repr(fast)
    for a, b in zip(exact, results, strict=True):
        np.testing.assert_array_equal(a.labels, b.labels)
        assert b.precision == "fp32"
    from fcn_studio.inference.fast_choice import choice_key, choose_fast

    assert choose_fast(model_id, []).precision == "fp32"  # the app's and --fast's own choice, cached
    assert choice_key(model_id) == choice_key(fast._checkpoint)
    again = fcn_studio.load_model(model_id, device="cpu", calibration=photos[:1], precision="fast")
    assert again.precision == "exact" and calls == [3]  # measured once per machine and model


@pytest.mark.slow  # converts to int8 / starts another process
def test_fast_measured_as_int8_calibrates_on_the_first_images_and_stays_close(model_id, photos, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("FCN_STUDIO_BACKEND", "auto")
    calls = measured(monkeypatch, 1.0, int8=(3.0, 0.995), bf16=(1.2, 0.999))
    exact = fcn_studio.load_model(model_id, device="cpu", backend="torch").predict(photos)
    fast = fcn_studio.load_model(model_id, device="cpu", precision="fast")
    results = fast.predict(photos)
    assert calls == [3] and "precision='int8'" in repr(fast)
    assert all(r.precision == "int8" for r in results)
    agreement = np.mean([np.mean(a.labels == b.labels) for a, b in zip(exact, results, strict=True)])
    assert agreement > 0.5


def test_fast_runs_on_the_cpu(model_id, monkeypatch):
    from fcn_studio.inference import device

    monkeypatch.setattr(device, "choose_device", lambda *a, **k: device.DeviceChoice(torch.device("cuda"), "a GPU"))
    with pytest.raises(FCNStudioError, match="CPU") as caught:
        fcn_studio.load_model(model_id, device="cuda", precision="fast")
    assert caught.value.fix == "device-cpu"


def test_train_takes_every_command_line_option_by_its_name():
    from fcn_studio.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["train"]
    cli_names = {a.dest for a in sub._actions if a.dest not in ("help", "func")}
    params = set(inspect.signature(fcn_studio.train).parameters)
    assert cli_names <= params, sorted(cli_names - params)
    assert not {"register_id", "val_dir", "flip", "scale_min", "scale_max", "amp"} & params


def test_train_maps_its_options_as_the_command_line_does(tmp_path):
    from fcn_studio.api.training import _config
    from fcn_studio.cli.main import build_parser
    from fcn_studio.cli.train import train_config

    argv = "train --data d --out o.safetensors --base b --arch fcn16s --epochs 3 --batch-size 4 --crop-size 64"
    argv += " --lr 0.01 --optimizer sgd --weight-decay 0.001 --scale 0.5,1.5 --no-flip --freeze-backbone --standalone"
    argv += " --val-split 0.3 --val v --class-names a,b --seed 7 --no-amp --precision fp32 --device cpu"
    argv += " --resume --force --id g"
    cli = train_config(build_parser().parse_args(argv.split()))
    options = dict(inspect.signature(fcn_studio.train).parameters)
    values = {name: p.default for name, p in options.items() if p.default is not inspect.Parameter.empty}
    values.update(data="d", out="o.safetensors", base="b", arch="fcn16s", epochs=3, batch_size=4, crop_size=64)
    values.update(lr=0.01, optimizer="sgd", weight_decay=0.001, scale=(0.5, 1.5), no_flip=True)
    values.update(freeze_backbone=True, standalone=True, val_split=0.3, val="v", class_names="a,b", seed=7, no_amp=True)
    values.update(precision="fp32", device=torch.device("cpu"), resume=True, force=True, id="g")
    values["device"] = str(values["device"])
    assert _config(values) == cli


def test_train_returns_a_documented_result_that_loads(model_id, tmp_path):
    data = make_plain(tmp_path / "data", n=4)
    run = fcn_studio.train(
        data,
        tmp_path / "g.safetensors",
        base=model_id,
        epochs=1,
        crop_size=32,
        freeze_backbone=True,
        id="g",
        scale="1,1",
    )
    assert isinstance(run, fcn_studio.TrainResult) and run.id == "g" and run.out.is_file()
    assert set(run.metrics) >= {"mean_iou", "pixel_accuracy"} and len(run.history) == 1
    assert run.load_model(device="cpu").class_names == ("class 0", "class 1", "class 2")
    with pytest.raises(TypeError, match="register_id"):
        fcn_studio.train(data, tmp_path / "h.safetensors", register_id="h")
