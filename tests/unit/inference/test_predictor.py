"""The predictor: label maps at the displayed size, for awkward real-world images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from fcn_studio.data.images import as_rgb8, load_image
from fcn_studio.data.labels import voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.device import choose_device
from fcn_studio.inference.predictor import Predictor
from fcn_studio.inference.resize import _bilinear_taps
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.checkpoint import Checkpoint


@pytest.fixture(scope="module")
def predictor(random_model):
    model = random_model("fcn8s")
    ckpt = Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict())
    return Predictor(ckpt, "cpu", max_size=64)


def test_caffe_preprocessing_is_bgr_minus_mean():
    img = np.zeros((1, 1, 3), dtype=np.uint8)
    img[0, 0] = (10, 20, 30)  # RGB
    x = CAFFE_BGR.to_tensor(img)[0, :, 0, 0].double().numpy()
    np.testing.assert_allclose(x, [30 - 104.00698793, 20 - 116.66876762, 10 - 122.67891434], rtol=1e-6)


@pytest.mark.slow
def test_labels_equal_a_plain_forward(predictor, random_model, tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    rgb = load_image(tmp_path / "a.png")
    pred = predictor.predict(rgb, return_probabilities=True)
    with torch.inference_mode():
        logits = random_model("fcn8s")(CAFFE_BGR.to_tensor(rgb))
    assert np.array_equal(pred.labels, logits.argmax(1)[0].numpy())
    assert pred.labels.shape == (40, 56) and pred.labels.dtype == np.uint8
    assert np.allclose(pred.probabilities.sum(0), 1.0, atol=1e-5)
    assert pred.confidence.dtype == np.float16  # compact: 2 bytes a pixel
    assert np.allclose(pred.confidence, pred.probabilities.max(0), atol=1e-3)
    assert pred.inference_size == (40, 56)


@pytest.mark.slow
def test_large_image_is_segmented_small_and_upsampled_exactly(predictor):
    rng = np.random.default_rng(3)
    rgb = np.kron(rng.integers(0, 255, (10, 15, 3), dtype=np.uint8), np.ones((20, 20, 1), dtype=np.uint8))
    pred = predictor.predict(rgb, return_probabilities=True)
    assert pred.inference_size == (43, 64)  # longest side capped at 64
    assert pred.labels.shape == (200, 300)
    small = np.asarray(Image.fromarray(rgb).resize((64, 43), Image.Resampling.BILINEAR, reducing_gap=2.0))
    logits = predictor.logits(small)
    full = F.interpolate(logits, size=(200, 300), mode="bilinear", align_corners=False)[0]
    torch.testing.assert_close(torch.from_numpy(pred.probabilities), F.softmax(full, 0), atol=1e-5, rtol=1e-4)
    assert (pred.labels == full.argmax(0).numpy()).mean() > 0.999


def test_bilinear_taps_match_interpolate():
    src = torch.arange(7.0).view(1, 1, 1, 7)
    i0, i1, w = _bilinear_taps(19, 7)
    manual = src[0, 0, 0, i0] * (1 - torch.from_numpy(w)) + src[0, 0, 0, i1] * torch.from_numpy(w)
    torch.testing.assert_close(manual, F.interpolate(src, size=(1, 19), mode="bilinear")[0, 0, 0])


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((20, 40, 3), dtype=np.uint8)
    arr[:, :20] = 255  # white left half
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(arr).save(tmp_path / "rot.jpg", exif=exif, quality=95)
    shown = load_image(tmp_path / "rot.jpg")
    assert shown.shape == (40, 20, 3)  # displayed portrait
    assert shown[5, 10].mean() > 200 and shown[35, 10].mean() < 50  # white is on top


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "CMYK", "P", "1", "I;16", "I"])
def test_awkward_modes_become_rgb8(tmp_path, mode, predictor):
    base = np.random.default_rng(1).integers(0, 255, (24, 30, 3), dtype=np.uint8)
    img = Image.fromarray(base)
    if mode == "I;16":
        img = Image.fromarray(base[:, :, 0].astype(np.uint16) * 257)
    elif mode == "I":
        img = Image.fromarray(base[:, :, 0].astype(np.int32) * 257)
    else:
        img = img.convert(mode)
    suffix = ".tif" if mode in ("CMYK", "I") else ".png"
    img.save(tmp_path / f"x{suffix}")
    rgb = load_image(tmp_path / f"x{suffix}")
    assert rgb.shape == (24, 30, 3) and rgb.dtype == np.uint8
    if mode in ("I;16", "I"):  # scaled from 16 bits, not clipped to white
        np.testing.assert_array_equal(rgb[:, :, 0], base[:, :, 0])
    assert predictor.predict(tmp_path / f"x{suffix}").labels.shape == (24, 30)


def test_numpy_inputs(predictor):
    gray = np.full((9, 11), 0.5, dtype=np.float32)
    assert as_rgb8(gray)[0, 0].tolist() == [128, 128, 128]
    rgba = np.zeros((9, 11, 4), dtype=np.uint8)
    assert as_rgb8(rgba).shape == (9, 11, 3)
    assert predictor.predict(Image.fromarray(rgba)).labels.shape == (9, 11)


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "notes.jpg").write_text("hello")
    with pytest.raises(FCNStudioError, match="notes.jpg"):
        load_image(tmp_path / "notes.jpg")
    good = np.zeros((64, 64, 3), dtype=np.uint8)
    Image.fromarray(good).save(tmp_path / "cut.jpg")
    data = (tmp_path / "cut.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(FCNStudioError, match="cut.jpg"):
        load_image(tmp_path / "cut.jpg")


def test_missing_cuda_is_explained():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(FCNStudioError, match="CUDA was requested.*choose the CPU") as caught:
        choose_device("cuda")
    assert caught.value.fix == "device"  # the command line adds --device cpu
    fallback = choose_device("cuda", allow_fallback=True)
    assert fallback.device.type == "cpu" and "CUDA" in str(fallback.fallback_note)


def test_files_pillow_cannot_open_fall_back_to_opencv(tmp_path):
    import cv2

    rgb16 = np.random.default_rng(2).integers(0, 65535, (12, 16, 3)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "rgb16.tif"), rgb16)
    cv2.imwrite(str(tmp_path / "float.tif"), (rgb16 / 65535.0).astype(np.float32))
    for name in ("rgb16.tif", "float.tif"):
        img = load_image(tmp_path / name)
        assert img.shape == (12, 16, 3) and img.dtype == np.uint8
        # colour order and scaling kept: red channel is channel 2 of OpenCV's BGR
        assert abs(int(img[0, 0, 0]) - round(rgb16[0, 0, 2] / 257)) <= 1
    (tmp_path / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    with pytest.raises(FCNStudioError, match="HEIC"):
        load_image(tmp_path / "photo.heic")


# --------------------------------------------------------------------------- memory bounds


def write_striped_png(path, width: int, height: int) -> None:
    """A big but cheap PNG (streamed row by row, a few MB on disk): horizontal colour bands,
    band ``k`` (of 500 rows) filled with (k, 2k, 3k) mod 256."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    deflate = zlib.compressobj(1)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        parts = []
        for y in range(height):
            k = y // 500
            parts.append(deflate.compress(b"\x00" + bytes((k % 256, 2 * k % 256, 3 * k % 256)) * width))
        parts.append(deflate.flush())
        fh.write(chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


PEAK_RSS = """
def peak_kb():  # VmHWM belongs to this process's memory alone; ru_maxrss would include
    with open("/proc/self/status") as fh:  # the peak of the forked parent (pytest + torch)
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
"""


def peak_rss_increase_per_pixel(script: str, *args: str) -> float:
    """Run ``script`` in a fresh interpreter; it prints (peak - baseline) bytes per pixel."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("peak memory is read from /proc")
    out = subprocess.run([sys.executable, "-c", PEAK_RSS + script, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_big_png_is_decoded_without_extra_copies(tmp_path):
    # 48 MP here (the 19000 x 19000 PNG of issue 10 is 361 MP). Pillow held it as 4 bytes a
    # pixel, getexif() and exif_transpose() decoded and copied it again, then numpy copied it
    # to 3 bytes a pixel: 14 bytes a pixel at the peak. OpenCV peaks at 6 (its 3 + a buffer).
    write_striped_png(tmp_path / "big.png", 8000, 6000)
    script = """
import sys
import cv2, numpy as np
from fcn_studio.data.images import load_image
base = peak_kb()
rgb = load_image(sys.argv[1])
peak = peak_kb()
assert rgb.shape == (6000, 8000, 3) and rgb.dtype == np.uint8, rgb.shape
assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[5999, 7999].tolist() == [11, 22, 33], rgb[5999, 7999]
print((peak - base) * 1024 / (6000 * 8000))
"""
    assert peak_rss_increase_per_pixel(script, str(tmp_path / "big.png")) < 7.0  # was 14 (three copies)


@pytest.mark.slow
def test_segmenting_a_wide_image_needs_little_beyond_its_labels_and_confidence():
    # full-size upsampling in bounded bands, confidence as float16 (2 bytes a pixel)
    script = """
import numpy as np, torch
torch.set_num_threads(2)
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.data.labels import voc_labels
from fcn_studio.models import build_fcn
from fcn_studio.inference.predictor import Predictor
from fcn_studio.models.preprocessing import CAFFE_BGR
model = build_fcn("fcn8s", 21, width_divisor=8)
p = Predictor(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict()), "cpu", max_size=32)
rgb = np.full((1000, 12000, 3), 90, np.uint8)
p.predict(rgb[:50, :600])
base = peak_kb()
pred = p.predict(rgb)
peak = peak_kb()
assert pred.labels.shape == (1000, 12000)
print((peak - base) * 1024 / 12e6)
"""
    # labels 1 + confidence 2 bytes a pixel, and room for the bands' temporaries
    assert peak_rss_increase_per_pixel(script) < 4.5


def test_what_cannot_fit_in_memory_is_refused_with_the_figures(tmp_path, predictor, monkeypatch):
    import fcn_studio.data.images
    import fcn_studio.inference.predictor

    Image.fromarray(np.zeros((3000, 4000, 3), np.uint8)).save(tmp_path / "wide.png")
    monkeypatch.setattr(fcn_studio.data.images, "available_memory", lambda: 50 * 2**20)
    with pytest.raises(FCNStudioError, match=r"wide.png: opening this 4000x3000 image needs about .* MB .*50 MB"):
        load_image(tmp_path / "wide.png")
    monkeypatch.setattr(fcn_studio.inference.predictor, "available_memory", lambda: 10 * 2**20)
    with pytest.raises(FCNStudioError, match=r"segmenting this 3000x2000 image needs about .* MB .* free"):
        predictor.predict(np.zeros((2000, 3000, 3), np.uint8))


@pytest.mark.slow
def test_big_jpegs_are_decoded_reduced_when_only_a_reduced_copy_is_needed(tmp_path):
    gradient = np.linspace(0, 255, 4000, dtype=np.float32)[None, :, None] * np.ones((3000, 1, 3), np.float32)
    Image.fromarray(gradient.astype(np.uint8)).save(tmp_path / "photo.jpg", quality=90)
    reduced = load_image(tmp_path / "photo.jpg", max_size=500)
    assert reduced.shape == (750, 1000, 3)  # JPEG draft mode at 1/4 scale: >= 500, never decoded in full
    assert abs(int(reduced[0, -1, 0]) - 255) <= 3
    assert load_image(tmp_path / "photo.jpg").shape == (3000, 4000, 3)
