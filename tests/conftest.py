"""Shared fixtures. A published-width VGG16 FCN costs ~1 s and 0.5 GB to build, so tests use
a narrow one (every channel count divided by ``NARROW``: the same layers, kernels, strides,
padding and crop offsets, ~2 MB) unless the full width is the point of the test
(``random_model(arch, full=True)``); each model is built (and saved) once per session."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Predictors stay on torch unless a test asks for another backend (tests/unit/inference/test_backends.py):
# no background conversions competing for the CPU, and labels exactly those of torch.
os.environ.setdefault("FCN_STUDIO_BACKEND", "torch")

from pathlib import Path

import pytest
import torch

from fcn_studio.models import FCN, build_fcn
from tests.builders import make_image

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

NARROW = 8  # conv1 has 8 channels, fc6/fc7 512
APP_TESTS = Path(__file__).parent / "e2e" / "app"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The gui tier: every test of the app (tests/e2e/app/) and any other that asks for
    qtbot. The slow tier is marked on the tests themselves (pytest.mark.slow)."""
    for item in items:
        if APP_TESTS in item.path.parents or "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gui)


def randomize(model: FCN, seed: int) -> FCN:
    """Random weights that give spatially varied labels (the published init zeroes the
    score layers, which would make every pixel class 0). Deconvolutions stay bilinear."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=gen)
                module.bias.normal_(0.0, 0.01, generator=gen)
                if name.startswith("score"):
                    # zero-mean over input channels removes the common mode of the
                    # (positive) ReLU features, so the winning class varies across the image
                    module.weight.sub_(module.weight.mean(dim=1, keepdim=True))
                    module.bias.zero_()
    return model.eval()


_MODELS: dict[str, FCN] = {}


@pytest.fixture(scope="session")
def random_model():
    """``random_model(arch, num_classes=21, full=False)`` -> a shared, randomly initialised
    FCN (narrow unless ``full``)."""

    def get(arch: str, num_classes: int = 21, full: bool = False) -> FCN:
        key = f"{arch}-{num_classes}" + ("-full" if full else "")
        if key not in _MODELS:
            seed = sum(map(ord, key))
            _MODELS[key] = randomize(build_fcn(arch, num_classes, width_divisor=1 if full else NARROW), seed)
        return _MODELS[key]

    return get


@pytest.fixture(scope="session")
def caffe_layout_file(random_model, tmp_path_factory):
    """``caffe_layout_file(arch)`` -> a .pth saved as the converted Caffe weights are."""
    cache: dict[str, Path] = {}

    def get(arch: str, num_classes: int = 21) -> Path:
        key = f"{arch}-{num_classes}"
        if key not in cache:
            path = tmp_path_factory.mktemp("caffe") / f"{key}_from_caffe.pth"
            torch.save(random_model(arch, num_classes).state_dict(), path)
            cache[key] = path
        return cache[key]

    return get


@pytest.fixture(autouse=True, scope="session")
def private_settings(tmp_path_factory) -> Path:
    """No test reads or writes the user's settings: QSettings made without a file name
    (``Settings()``) land in a folder of the test run, in this process and in the programs
    it starts (XDG_CONFIG_HOME is where Qt looks on Linux)."""
    from PySide6.QtCore import QSettings

    home = tmp_path_factory.mktemp("config")
    os.environ["XDG_CONFIG_HOME"] = str(home)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(home))
    return home


@pytest.fixture(autouse=True)
def feature_cache_home(tmp_path, monkeypatch) -> Path:
    """Cached backbone features go to this test's folder, never the user's cache."""
    home = tmp_path / "feature-cache"
    monkeypatch.setenv("FCN_STUDIO_CACHE", str(home))
    return home / "features"


@pytest.fixture(autouse=True)
def private_weights_folder(tmp_path_factory, monkeypatch) -> None:
    """No test ever writes to the user's weights folder (a training run installs its result
    there): unless a wider fixture already chose a test folder, each test gets its own."""
    current = os.environ.get("FCN_STUDIO_WEIGHTS")
    if not current or tmp_path_factory.getbasetemp() not in Path(current).parents:
        monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(tmp_path_factory.mktemp("weights")))


@pytest.fixture()
def weights_home(tmp_path, monkeypatch) -> Path:
    """An empty weights directory for this test only, at a known place."""
    home = tmp_path / "weights"
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(home))
    return home


@pytest.fixture()
def image_factory(tmp_path):
    def make(name: str = "img.png", size=(48, 40), seed: int = 0, mode: str = "RGB") -> Path:
        return make_image(tmp_path / name, size, seed, mode)

    return make
