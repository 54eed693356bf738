"""Fixtures of the app's end-to-end tests."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from fcn_studio.gui import main_window as main_window_module
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.inference.model_service import ModelService
from fcn_studio.storage import weights


@pytest.fixture()
def own_service(monkeypatch, weights_home, caffe_layout_file) -> ModelService:
    """One random FCN-8s installed as "m", and a model service of this test's own (so its
    loads are this test's) that the windows it makes use."""
    weights.import_weights(caffe_layout_file("fcn8s"), "m")
    svc = ModelService()
    monkeypatch.setattr(main_window_module, "shared_service", lambda: svc)
    return svc


@pytest.fixture()
def make_window(qtbot, tmp_path):
    """``make_window()`` -> a shown window over this test's settings file (a second call
    reads what the first remembered)."""

    def make() -> MainWindow:
        win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
        qtbot.addWidget(win)
        win.show()
        return win

    return make
