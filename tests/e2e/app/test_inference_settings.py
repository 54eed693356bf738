"""One inference choice (model, device, size, fast mode) that every view follows, and every
model reached through the window's model service (issue 19, GUI state as models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import MAX_SIZE
from fcn_studio.gui.video import export as video_export
from fcn_studio.state.inference_choice import InferenceChoice
from tests.builders import make_clip, make_image


@pytest.fixture()
def service(own_service):
    return own_service


@pytest.fixture()
def loads(service, monkeypatch):
    """Every model the service hands out: (model, fast)."""
    seen: list[tuple[str, bool]] = []
    load = service.load

    def spy(spec, device="auto", **kw):
        seen.append((spec, bool(kw.get("fast"))))
        return load(spec, device, **kw)

    monkeypatch.setattr(service, "load", spy)
    return seen


@pytest.fixture()
def window(service, new_window):
    win = new_window()
    yield win
    win.close()


def test_every_view_follows_the_toolbar_and_the_choice_is_remembered(qtbot, window, tmp_path):
    window.sizes.setCurrentIndex(window.sizes.findData(512))  # the user picks 512 px
    window.devices.setCurrentIndex(window.devices.findData("cpu"))
    assert window.inference.choice == InferenceChoice("m", "cpu", 512, False)
    assert (window.workspace.model_key, window.workspace.device, window.workspace.max_size) == ("m", "cpu", 512)
    assert (window.compare.device, window.compare.max_size) == ("cpu", 512)
    qtbot.waitUntil(lambda: window.video.engine._model == window.inference.choice, timeout=5000)
    window.inference.set_fast(True)  # a change made elsewhere shows on the toolbar
    assert window.actions_.fast_mode.isChecked() and window.workspace.fast
    assert window.settings.read(MAX_SIZE) == 512
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.inference.choice == InferenceChoice("m", "cpu", 512, True)
    again.close()


def test_segment_folder_uses_the_window_service_and_its_choice(qtbot, window, loads, tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        make_image(photos / f"{i}.png", (40, 32))
    out = tmp_path / "out"
    out.mkdir()
    folders = iter([str(photos), str(out)])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: next(folders))
    summary = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: summary.append(text))
    window.inference.set_max_size(320)
    window.actions_.segment_folder.trigger()
    qtbot.waitUntil(lambda: bool(summary), timeout=60_000)
    assert ("m", False) in loads, "the folder is segmented with the window's model service"
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png"]


def test_video_export_uses_the_window_service_and_the_fast_mode(qtbot, window, loads, tmp_path, monkeypatch):
    from fcn_studio.inference import runtime

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    clip = make_clip(tmp_path / "c.avi", n=6)
    window.open_paths([str(clip)])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    window.actions_.fast_mode.setChecked(True)
    out = tmp_path / "out.avi"

    def accept(dialog: QDialog) -> int:
        dialog.path.setText(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(video_export.VideoExportDialog, "exec", accept)
    done = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: done.append(text))
    loads.clear()
    window.actions_.export_video.trigger()
    qtbot.waitUntil(lambda: bool(done) and not window.tasks.busy(), timeout=120_000)
    assert Path(out).is_file()
    assert ("m", True) in loads, "the export segments with the window's service, in fast mode as chosen"
