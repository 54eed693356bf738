"""Fixtures of the Label-mode tests: a folder of photos and a window with a random model."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcn_studio.storage import weights
from tests.builders import make_image
from tests.e2e.app.label_kit import MODEL_ID, make_window


@pytest.fixture()
def folder(tmp_path) -> Path:
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):
        make_image(photos / f"p{i}.png", size=(96, 80), seed=i)
    return photos


@pytest.fixture()
def win(qtbot, weights_home, caffe_layout_file, tmp_path):
    weights.import_weights(caffe_layout_file("fcn8s"), MODEL_ID)
    window = make_window(qtbot, tmp_path / "settings.ini")
    yield window
    window.close()
