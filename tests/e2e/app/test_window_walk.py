"""Issue 21, the main window's part: bugs 5 and 7 and the frictions of the second new
user's walk, with real key events where it is GUI behaviour."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from fcn_studio.gui.main_window import MainWindow
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage import weights
from tests.builders import make_image


@pytest.fixture()
def service(own_service):
    return own_service


@pytest.fixture()
def window(service, new_window):
    win = new_window()
    yield win
    win.close()


def photos(folder, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    return [str(make_image(folder / f"{i}.png", (40 + i, 32), seed=i)) for i in range(n)]


def test_a_stale_note_never_sits_above_a_new_error(qtbot, window, tmp_path):
    """Bug 5: after a video's "the CPU could not keep up" note, opening a text file named
    .png showed the old note above the real error."""
    window.video.engine.note.emit("The CPU could not keep up: 3 of 40 frames were segmented in real time.")
    assert window.error_box.isVisible()
    fake = tmp_path / "notes.png"
    fake.write_text("not an image", encoding="utf-8")
    window.open_paths([str(fake)])
    qtbot.waitUntil(lambda: "notes.png" in window.error_box.text(), timeout=10_000)
    assert "keep up" not in window.error_box.text()
    assert window.error_box.icon() == QMessageBox.Icon.Warning


def test_navigation_keys_never_wait_behind_a_segmentation(qtbot, window, tmp_path, monkeypatch):
    """Bug 7: Right pressed while the image was being segmented moved the view seconds later."""
    paths = photos(tmp_path / "p", 3)
    window.open_paths([str(tmp_path / "p")])
    qtbot.waitUntil(lambda: window.workspace.current_result is not None, timeout=30_000)
    original = Predictor.predict
    busy = []

    def slow(self, image, **kw):  # e.g. a first-use conversion: nothing interrupts it
        busy.append(1)
        time.sleep(4)
        return original(self, image, **kw)

    monkeypatch.setattr(Predictor, "predict", slow)
    window.inference.set_max_size(512)  # segmenting the shown image again, slowly
    qtbot.waitUntil(lambda: bool(busy), timeout=10_000)
    start = time.monotonic()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.workspace.current_path.name == "1.png", timeout=1000)
    qtbot.waitUntil(
        lambda: (
            window.canvas.has_image()
            and window.workspace.current_rgb is not None
            and window.workspace.current_rgb.shape[1] == 41
        ),
        timeout=1500,
    )
    assert time.monotonic() - start < 2.0, "the next image shows while the model is still busy"
    assert window.windowTitle().startswith("1.png")
    assert paths


def test_quitting_stops_background_work_at_once_and_says_so(qtbot, service, new_window, tmp_path, monkeypatch):
    """Quitting took 3-13 s with no feedback."""
    win = new_window()
    photos(tmp_path / "p", 2)
    win.open_paths([str(tmp_path / "p")])
    qtbot.waitUntil(lambda: win.workspace.current_result is not None, timeout=30_000)
    original = Predictor.predict

    def slow(self, image, cancelled=None, **kw):  # a long pass that checks for cancelling
        for _ in range(100):
            if cancelled is not None and cancelled():
                from fcn_studio.errors import Cancelled

                raise Cancelled("stopped")
            time.sleep(0.1)
        return original(self, image, cancelled=cancelled, **kw)

    monkeypatch.setattr(Predictor, "predict", slow)
    win.workspace.next()
    qtbot.waitUntil(lambda: "Segmenting" in win.status.currentMessage(), timeout=10_000)
    shown = []
    monkeypatch.setattr(win.status, "showMessage", lambda text, *a: shown.append(text))
    start = time.monotonic()
    win.close()
    assert time.monotonic() - start < 1.5
    assert any("Quitting" in t for t in shown)


def test_quitting_during_a_fine_tune_asks_first(qtbot, window, monkeypatch):
    """Quitting during a fine-tune gave no warning."""

    class Training:  # a fine-tune's thread, running
        def isRunning(self):
            return True

    dialog = window.fine_tune_dialog()
    monkeypatch.setattr(dialog, "thread", Training())
    monkeypatch.setattr(dialog, "worker", object())
    asked = []

    def answer(*args, **kwargs):
        asked.append(args)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.close()
    assert asked and window.isVisible(), "Cancel keeps the app open and the training running"
    monkeypatch.setattr(dialog, "thread", None)
    monkeypatch.setattr(dialog, "worker", None)


def test_the_last_folder_is_reopened_at_start(qtbot, service, new_window, tmp_path):
    photos(tmp_path / "p", 2)
    first = new_window()
    first.open_paths([str(tmp_path / "p")])
    first.workspace.next()
    qtbot.waitUntil(lambda: first.workspace.current_rgb is not None and first.workspace.index == 1, timeout=30_000)
    first.close()
    again = new_window()
    again.reopen_last()
    qtbot.waitUntil(lambda: again.workspace.current_path is not None, timeout=30_000)
    assert again.workspace.current_path.name == "1.png" and len(again.workspace.files) == 2
    again.close()


def test_compare_pickers_and_titles_are_not_cut(qtbot, window, caffe_layout_file):
    """Compare's model combo boxes were cut ("fcn32s_from_caffe · F") and pane headers wrapped."""
    weights.import_weights(caffe_layout_file("fcn32s"), "fcn32s_from_caffe")
    window.models_changed("")
    window.resize(*MainWindow.DEFAULT_SIZE)
    window.tabs.setCurrentWidget(window.compare)
    qtbot.wait(50)  # laid out
    for pane in window.compare.panes:
        pane.picker.setCurrentIndex(pane.picker.findData("fcn32s_from_caffe"))
        text = pane.picker.currentText()
        fm = pane.picker.fontMetrics()
        assert pane.picker.width() >= fm.horizontalAdvance(text) + 20, text
        assert not pane.title.wordWrap()


def test_the_default_window_fits_its_docks(qtbot, service, new_window):
    """The default window was cramped: it opens at the default size, within the screen."""
    from fcn_studio.gui.main_window import default_size

    win = new_window()
    assert (win.width(), win.height()) == default_size()
    assert default_size() <= MainWindow.DEFAULT_SIZE
    win.close()
