"""Fixtures of the app's end-to-end tests: a folder of photos and a window with a random
model (Label mode), a model service of the test's own, windows over one settings file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from fcn_studio.gui import main_window as main_window_module
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.inference.model_service import ModelService
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


@pytest.fixture()
def own_service(monkeypatch, weights_home, caffe_layout_file) -> ModelService:
    """One random FCN-8s installed as "m", and a model service of this test's own (so its
    loads are this test's) that the windows it makes use."""
    weights.import_weights(caffe_layout_file("fcn8s"), "m")
    svc = ModelService()
    monkeypatch.setattr(main_window_module, "shared_service", lambda: svc)
    return svc


@pytest.fixture()
def new_window(qtbot, tmp_path):
    """``new_window()`` -> a shown window over this test's settings file (a second call
    reads what the first remembered)."""

    def make() -> MainWindow:
        win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
        qtbot.addWidget(win)
        win.show()
        return win

    return make
