"""The default CPU path (ONNX Runtime when installed, built in the background and cached next to
the weights) gives the labels of the plain eager model, for any input size."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.data.labels import voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference import runtime, sessions
from fcn_studio.inference.predictor import PREVIEW_MAX_SIZE, Predictor
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage import conversions
from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

pytestmark = pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")

AGREEMENT = 0.999  # the share of labels that must equal the plain eager model's


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour regions with texture and edges, as photos have (not pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    for _ in range(6):  # soft blobs of colour
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        r = rng.uniform(0.2, 0.6) * max(height, width)
        weight = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[:, :, None]
        img = img * (1 - weight) + weight * rng.uniform(0, 255, 3)
    img[: height // 3, : width // 2] = rng.uniform(0, 255, 3)  # a hard-edged region
    img += 12 * np.sin(xx / 3.0 + yy / 5.0)[:, :, None] + rng.normal(0, 6, (height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def photo_folder(folder, n: int):
    """``folder`` with ``n`` small photo-like PNGs, p0.png ... (what ``segment`` is given)."""
    folder.mkdir()
    for seed in range(n):
        Image.fromarray(photo_like(48, 64, seed=seed)).save(folder / f"p{seed}.png")
    return folder


def eager_labels(model: torch.nn.Module, rgb: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(CAFFE_BGR.to_tensor(rgb)).argmax(1)[0].numpy()


def save_weights(random_model, folder):
    path = folder / "models" / "fcn8s-test.safetensors"
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, random_model("fcn8s").state_dict()), path)
    return path


@pytest.fixture()
def weights_file(random_model, tmp_path):
    """A weights file of this test's own (its conversion is built afresh)."""
    return save_weights(random_model, tmp_path)


@pytest.fixture(scope="module")
def shared_file(random_model, tmp_path_factory):
    """A weights file whose conversion the tests of this module share (converting costs seconds)."""
    return save_weights(random_model, tmp_path_factory.mktemp("shared"))


def ready_predictor(path, **kwargs) -> Predictor:
    predictor = Predictor(load_checkpoint(path), "cpu", backend="auto", **kwargs)
    assert predictor.fast_path is not None
    assert predictor.fast_path.wait(timeout=120), predictor.fast_path.error
    return predictor


@pytest.mark.slow
def test_default_path_gives_eager_labels_for_any_size(shared_file, random_model):
    predictor = ready_predictor(shared_file, max_size=None)
    model = random_model("fcn8s")
    for height, width in [(1, 1), (7, 3), (37, 53), (120, 161), (375, 500)]:
        rgb = photo_like(height, width, seed=height)
        pred = predictor.predict(rgb)
        assert pred.backend == "onnxruntime" and not pred.approximate
        assert pred.labels.shape == (height, width)
        agreement = (pred.labels == eager_labels(model, rgb)).mean()
        assert agreement >= AGREEMENT, (height, width, agreement)


@pytest.mark.slow
def test_big_photo_with_max_size_gives_the_torch_paths_labels(shared_file):
    rgb = photo_like(900, 1300, seed=5)
    fast = ready_predictor(shared_file, max_size=96).predict(rgb)
    exact = Predictor(load_checkpoint(shared_file), "cpu", max_size=96, backend="torch").predict(rgb)
    assert exact.backend == "torch" and fast.backend == "onnxruntime"
    assert fast.inference_size == exact.inference_size == (66, 96)
    assert (fast.labels == exact.labels).mean() >= AGREEMENT
    assert np.abs(fast.confidence.astype(np.float32) - exact.confidence).max() < 0.01


@pytest.mark.slow
def test_torch_serves_while_the_conversion_is_built(weights_file, monkeypatch):
    release = threading.Event()
    convert = runtime.FastPath._convert_and_save

    def slow_convert(self, cancelled):
        release.wait(60)
        convert(self, cancelled)

    monkeypatch.setattr(runtime.FastPath, "_convert_and_save", slow_convert)
    predictor = Predictor(load_checkpoint(weights_file), "cpu", backend="auto")
    rgb = photo_like(40, 56)
    first = predictor.predict(rgb)
    assert first.backend == "torch" and "preparing ONNX Runtime" in predictor.backend_note
    release.set()
    assert predictor.fast_path.wait(timeout=120)
    assert predictor.predict(rgb).backend == "onnxruntime"
    assert "weight copy" in predictor.backend_note  # its extra memory is reported


@pytest.mark.slow
def test_cached_conversion_is_reused_and_rebuilt_when_the_weights_change(weights_file, random_model):
    first = ready_predictor(weights_file).fast_path
    assert not first.loaded_from_cache
    assert first.cache_dir.parent == weights_file.parent / conversions.CACHE_DIRNAME
    assert first.is_cached()

    # the graph optimised for this CPU is saved once; later sessions map it instead of optimising
    optimised = list(first.cache_dir.glob(f"optimised-{runtime.cpu_key()}/model.onnx"))
    assert optimised and (optimised[0].parent / runtime.DATA_FILE).is_file()
    saved_at = optimised[0].stat().st_mtime_ns

    again = ready_predictor(weights_file).fast_path
    assert again.loaded_from_cache and again.cache_dir == first.cache_dir
    assert optimised[0].stat().st_mtime_ns == saved_at

    # new weights in the same file: the old conversion must not be used (nor kept, once
    # no session has it open)
    first.close()
    again.close()
    other = random_model("fcn8s", 21).state_dict()
    other = {k: (-v if k.startswith("score_fr") else v) for k, v in other.items()}
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, other), weights_file)
    st = weights_file.stat()
    os.utime(weights_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    rebuilt = ready_predictor(weights_file, max_size=None)
    assert not rebuilt.fast_path.loaded_from_cache
    assert rebuilt.fast_path.cache_dir != first.cache_dir and not first.cache_dir.exists()
    rgb = photo_like(64, 80, seed=9)
    model = load_checkpoint(weights_file).build_model()
    assert (rebuilt.predict(rgb).labels == eager_labels(model, rgb)).mean() >= AGREEMENT


@pytest.mark.slow
def test_the_conversion_process_optimises_the_graph_not_the_app(weights_file, monkeypatch):
    """Optimising a VGG16 graph takes seconds of the caller's CPU: the child converting the
    weights does it too, so the app's process only maps the saved result."""
    opened = []
    session = sessions._session

    def recording_session(path, threads, *, optimise=True, save_to=None):
        opened.append(optimise)
        return session(path, threads, optimise=optimise, save_to=save_to)

    monkeypatch.setattr(sessions, "_session", recording_session)
    fast_path = ready_predictor(weights_file).fast_path
    assert not fast_path.loaded_from_cache
    assert (fast_path.cache_dir / f"optimised-{runtime.cpu_key()}" / "model.onnx").is_file()
    assert opened == [False]


def test_torch_backend_and_weights_without_a_file_stay_on_torch(shared_file, random_model):
    assert Predictor(load_checkpoint(shared_file), "cpu", backend="torch").fast_path is None
    in_memory = Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, random_model("fcn8s").state_dict())
    assert Predictor(in_memory, "cpu", backend="auto").fast_path is None  # nothing to key a cache by
    with pytest.raises(FCNStudioError, match="unknown backend"):
        Predictor(in_memory, "cpu", backend="tensorrt")


@pytest.mark.slow
def test_fast_mode_is_off_unless_chosen(shared_file):
    predictor = ready_predictor(shared_file)
    assert predictor.fast_path.precision == "fp32" and not predictor.fast_path.approximate
    assert not predictor.predict(photo_like(30, 40)).approximate
    with pytest.raises(FCNStudioError, match="calibration images"):
        Predictor(load_checkpoint(shared_file), "cpu", backend="auto", fast=True)


@pytest.mark.slow
def test_fast_mode_is_labelled_approximate_with_its_measured_agreement(shared_file):
    images = [photo_like(96, 128, seed=s) for s in range(4)]
    predictor = ready_predictor(shared_file, fast=True, calibration=images)
    assert predictor.fast_path.approximate and 0.5 < predictor.fast_path.agreement <= 1.0
    pred = predictor.predict(photo_like(50, 70, seed=11))
    assert pred.approximate and pred.backend_label == "ONNX Runtime int8"
    assert "agreement" in predictor.backend_note


@pytest.mark.slow
def test_preview_is_quick_low_resolution_at_full_size(shared_file, tmp_path):
    Image.fromarray(photo_like(1200, 1600, seed=3)).save(tmp_path / "big.jpg", quality=90)
    predictor = Predictor(load_checkpoint(shared_file), "cpu", backend="torch")
    pred = predictor.preview(tmp_path / "big.jpg")
    assert pred.preview and pred.approximate
    assert pred.labels.shape == pred.confidence.shape == (1200, 1600)
    assert max(pred.inference_size) == PREVIEW_MAX_SIZE


@pytest.mark.slow
def test_a_short_cli_run_leaves_the_conversion_cached_for_the_next(weights_file, tmp_path, monkeypatch, capsys):
    from fcn_studio.cli.main import main

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    Image.fromarray(photo_like(30, 40)).save(tmp_path / "a.png")
    assert main(["segment", str(tmp_path / "a.png"), "--model", str(weights_file), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "a.png").is_file()
    assert list((weights_file.parent / conversions.CACHE_DIRNAME).glob("*-onnxruntime*/optimised-*/model.onnx"))


@pytest.mark.slow
def test_cli_fast_mode_prints_its_agreement_before_it_runs(shared_file, tmp_path, monkeypatch, capsys):
    from fcn_studio.cli.main import main

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    photos = photo_folder(tmp_path / "photos", 3)
    out = tmp_path / "out"
    assert main(["segment", str(photos), "--model", str(shared_file), "--out", str(out), "--fast"]) == 0
    err = capsys.readouterr().err
    assert "int8: " in err and "x the exact path" in err and "% of labels equal to the exact model's" in err
    assert "  chosen: " in err
    assert sorted(p.name for p in out.glob("*.png")) == ["p0.png", "p1.png", "p2.png"]
    assert list((shared_file.parent / conversions.CACHE_DIRNAME).glob("*-onnxruntime*-int8-*/optimised-*/model.onnx"))


def test_cli_refuses_fast_mode_with_the_torch_backend(shared_file, tmp_path, capsys):
    from fcn_studio.cli.main import main

    Image.fromarray(photo_like(30, 40)).save(tmp_path / "a.png")
    args = ["segment", str(tmp_path / "a.png"), "--model", str(shared_file), "--out", str(tmp_path / "out")]
    assert main([*args, "--fast", "--backend", "torch"]) != 0
    assert "not the torch backend" in capsys.readouterr().err
    assert not (tmp_path / "out" / "a.png").exists()


def test_backend_option_keeps_to_torch(weights_file, tmp_path, monkeypatch):
    from fcn_studio.cli.main import main

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")  # the option, not the tests' environment
    Image.fromarray(photo_like(30, 40)).save(tmp_path / "a.png")
    args = ["segment", str(tmp_path / "a.png"), "--model", str(weights_file), "--out", str(tmp_path / "out")]
    assert main([*args, "--backend", "torch"]) == 0
    assert not (weights_file.parent / conversions.CACHE_DIRNAME).exists()  # nothing converted


@pytest.mark.slow
def test_a_damaged_optimised_graph_is_rebuilt_not_fatal(weights_file):
    first = ready_predictor(weights_file, max_size=None)
    optimised = first.fast_path.cache_dir / f"optimised-{runtime.cpu_key()}"
    data = optimised / runtime.DATA_FILE
    whole = data.stat().st_size
    rgb = photo_like(40, 56, seed=4)
    expected = first.predict(rgb).labels
    # A file left half-written (a disk that filled up, say) at an earlier run. A new file,
    # not truncated in place: ``first`` maps the old one (and the app never writes in place).
    damaged = data.read_bytes()[: whole // 2]
    data.unlink()
    data.write_bytes(damaged)
    again = ready_predictor(weights_file, max_size=None)
    assert again.predict(rgb).backend == "onnxruntime"
    assert (again.predict(rgb).labels == expected).all()
    assert data.stat().st_size == whole and (optimised / "model.onnx").is_file()  # saved whole again


@pytest.mark.slow  # converts to int8 / starts another process
def test_fast_mode_calibrates_on_the_readable_images_and_says_when_none_are(shared_file, tmp_path, monkeypatch, capsys):
    from fcn_studio.cli.main import main

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    photos = photo_folder(tmp_path / "photos", 2)
    (photos / "broken.png").write_bytes(b"not a png")  # one corrupt file must not take fast mode away
    out = tmp_path / "out"
    assert main(["segment", str(photos), "--model", str(shared_file), "--out", str(out), "--fast"]) == 1
    err = capsys.readouterr().err
    assert "% of labels equal to the exact model's" in err and "broken.png" in err
    assert sorted(p.name for p in out.glob("*.png")) == ["p0.png", "p1.png"]

    with pytest.raises(FCNStudioError, match="none of the 1 calibration images could be read"):
        Predictor(load_checkpoint(shared_file), "cpu", backend="auto", fast=True, calibration=[photos / "broken.png"])


@pytest.mark.slow
def test_an_abandoned_optimised_graph_is_cleaned_up(weights_file):
    folder = ready_predictor(weights_file).fast_path.cache_dir
    abandoned = folder / f".optimised-{runtime.cpu_key()}.99999-1"  # a process killed while saving it
    abandoned.mkdir()
    (abandoned / runtime.DATA_FILE).write_bytes(b"\0" * 1024)
    os.utime(abandoned, (1, 1))
    ready_predictor(weights_file)
    assert not abandoned.exists()
