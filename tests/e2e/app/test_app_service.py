"""The app on one model service, and the bugs a new user hit (issue: model service)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from fcn_studio.data.labels import voc_labels
from fcn_studio.gui import main_window as main_window_module
from fcn_studio.gui import settings as keys
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.training import remembered
from fcn_studio.gui.video.engine import REAL_TIME
from fcn_studio.inference.model_service import ModelService
from fcn_studio.inference.predictor import Predictor
from fcn_studio.state.inference_choice import InferenceChoice
from fcn_studio.storage import weights
from tests.builders import make_clip


@pytest.fixture()
def home(weights_home, caffe_layout_file):
    weights.import_weights(caffe_layout_file("fcn8s"), "m")
    return weights_home


@pytest.fixture()
def service(monkeypatch):
    """A service of this test's own, so its load counts are this test's."""
    svc = ModelService()
    monkeypatch.setattr(main_window_module, "shared_service", lambda: svc)
    return svc


def make_window(qtbot, tmp_path, settings_name="s.ini") -> MainWindow:
    win = MainWindow(Settings(QSettings(str(tmp_path / settings_name), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture()
def window(qtbot, home, service, tmp_path):
    win = make_window(qtbot, tmp_path)
    yield win
    win.close()


def photo(path, size=(64, 48), seed=0):
    rng = np.random.default_rng(seed)
    w, h = size
    arr = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    arr[: h // 2, : w // 3] = (220, 40, 40)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return str(path)


def result_of(qtbot, win, timeout=30_000):
    qtbot.waitUntil(lambda: win.workspace.current_result is not None, timeout=timeout)
    return win.workspace.current_result


def slow_predictions(monkeypatch, seconds: float) -> list:
    """Every forward pass takes at least ``seconds`` (to act while one runs); returns the
    list of (height, width) of the images predicted, in order."""
    calls = []
    original = Predictor.predict

    def slow(self, image, **kw):
        calls.append(np.asarray(image).shape[:2])
        time.sleep(seconds)
        return original(self, image, **kw)

    monkeypatch.setattr(Predictor, "predict", slow)
    return calls


def test_one_model_copy_for_image_compare_and_video(qtbot, window, service, tmp_path):
    window.open_paths([photo(tmp_path / "a.png")])
    result_of(qtbot, window)
    window.tabs.setCurrentWidget(window.compare)
    pane = window.compare.panes[0]
    pane.picker.setCurrentIndex(pane.picker.findData("m"))
    qtbot.waitUntil(lambda: pane.result is not None, timeout=30_000)
    window.tabs.setCurrentIndex(0)
    window.open_paths([str(make_clip(tmp_path / "clip.avi", n=4))])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    assert service.loads == 1 and len(service.loaded()) == 1, "image, compare and video share one copy"


def test_reimport_under_the_same_id_reaches_image_compare_and_video(qtbot, window, caffe_layout_file, tmp_path):
    window.open_paths([photo(tmp_path / "a.png")])
    assert result_of(qtbot, window).arch == "fcn8s"
    window.tabs.setCurrentWidget(window.compare)
    pane = window.compare.panes[0]
    pane.picker.setCurrentIndex(pane.picker.findData("m"))
    qtbot.waitUntil(lambda: pane.result is not None, timeout=30_000)
    window.tabs.setCurrentIndex(0)
    window.open_paths([str(make_clip(tmp_path / "clip.avi", n=4))])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    time.sleep(0.01)
    weights.import_weights(caffe_layout_file("fcn32s"), "m", overwrite=True)  # same id, new file
    window.fine_tune_dialog().use_model.emit("m")  # as "Use this model" after training does
    qtbot.waitUntil(lambda: window.video.result is not None and window.video.result.arch == "fcn32s", timeout=30_000)
    qtbot.waitUntil(lambda: getattr(window.workspace.current_result, "arch", "") == "fcn32s", timeout=30_000)
    window.tabs.setCurrentWidget(window.compare)
    qtbot.waitUntil(lambda: pane.result is not None and pane.result.arch == "fcn32s", timeout=30_000)
    assert window.legend.tree.topLevelItemCount() > 0, "the legend follows the new model's result"


def test_size_change_during_inference_files_the_late_result_under_its_own_size(qtbot, window, monkeypatch, tmp_path):
    a, b = photo(tmp_path / "f" / "a.png", (400, 300)), photo(tmp_path / "f" / "b.png", (400, 300), seed=1)
    slow_predictions(monkeypatch, 0.4)
    window.sizes.set_size(2048)
    window.open_paths([a])
    qtbot.waitUntil(lambda: window.workspace.current_rgb is not None, timeout=10_000)
    window.sizes.set_size(320)  # while a's 2048-px inference runs
    assert result_of(qtbot, window).inference_size == (240, 320)
    window.workspace.next()
    qtbot.waitUntil(
        lambda: str(window.workspace.current_path) == b and window.workspace.current_result is not None, timeout=30_000
    )
    window.workspace.previous()
    assert result_of(qtbot, window).inference_size == (240, 320), "back at a: its 320-px result"
    window.sizes.set_size(2048)
    r = result_of(qtbot, window)
    assert r.inference_size == (300, 400) and r.max_size == 2048


def test_failed_open_leaves_everything_as_it_was(qtbot, window, tmp_path):
    good = photo(tmp_path / "good" / "a.png")
    photo(tmp_path / "good" / "b.png", seed=2)
    window.open_paths([good])
    before = result_of(qtbot, window)
    bad = tmp_path / "elsewhere" / "broken.png"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    photo(tmp_path / "elsewhere" / "other.png", seed=3)
    window.open_paths([str(bad)])
    qtbot.waitUntil(lambda: window.error_box is not None and window.error_box.isVisible(), timeout=10_000)
    assert "broken.png" in window.error_box.text()
    ws = window.workspace
    assert str(ws.current_path) == good and ws.current_result is before
    assert [p.name for p in ws.files] == ["a.png", "b.png"], "next/previous still walk the good folder"
    assert "a.png" in window.status.file.text() and window.windowTitle().startswith("a.png")
    assert not window.canvas.overlay_pixmap().isNull(), "the overlay stays on the image"
    assert str(bad.resolve()) not in window.settings.recent_files()
    assert str((tmp_path / "good" / "a.png").resolve()) in window.settings.recent_files()


def test_save_mask_never_proposes_the_photo_itself(qtbot, window, monkeypatch, tmp_path):
    path = photo(tmp_path / "p" / "photo.png")
    window.open_paths([path])
    result_of(qtbot, window)
    proposed = []

    def ask(_parent, _title, suggested, _filters):
        proposed.append(suggested)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    window.actions_.save_mask.trigger()
    assert proposed and proposed[0].endswith("photo_mask.png") and proposed[0] != path


def test_pending_image_shows_no_legend_or_time_of_the_previous_one(qtbot, window, monkeypatch, tmp_path):
    a, _b = photo(tmp_path / "f" / "a.png"), photo(tmp_path / "f" / "b.png", seed=1)
    window.open_paths([a])
    result_of(qtbot, window)
    assert window.legend.tree.topLevelItemCount() > 0 and window.status.timing.text()
    slow_predictions(monkeypatch, 0.5)
    window.workspace.next()
    qtbot.waitUntil(lambda: window.canvas.has_image() and "b.png" in window.status.file.text(), timeout=10_000)
    assert window.workspace.current_result is None
    assert window.legend.tree.topLevelItemCount() == 0 and not window.status.timing.text()
    result_of(qtbot, window)


def test_models_imported_from_the_command_line_appear_while_the_app_runs(qtbot, window, caffe_layout_file):
    weights.import_weights(caffe_layout_file("fcn16s"), "from-cli")  # another process, as far as the app knows
    qtbot.waitUntil(lambda: window.models.findData("from-cli") >= 0, timeout=10_000)
    assert any(p.picker.findData("from-cli") >= 0 for p in window.compare.panes)


def test_cuda_chosen_without_cuda_warns_once_in_the_status_bar_not_a_box(qtbot, home, service, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.write(keys.DEVICE, "cuda")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    win.open_paths([photo(tmp_path / "a.png")])
    result_of(qtbot, win)
    assert win.error_box is None or not win.error_box.isVisible(), "no box at every start"
    assert "CPU" in win.status.device.text()
    win.close()


def test_background_is_transparent_by_default(qtbot, weights_home, service, caffe_layout_file, tmp_path):
    weights.import_weights(caffe_layout_file("fcn8s"), "voc-like", labels=voc_labels())
    win = make_window(qtbot, tmp_path)
    win.open_paths([photo(tmp_path / "a.png")])
    result_of(qtbot, win)
    assert 0 in win.legend.hidden and 0 in win.overlay.hidden, "VOC background is not painted black"
    win.legend.show_all()  # undoes "only selected", keeps the background transparent
    assert 0 in win.overlay.hidden
    item = next(
        win.legend.tree.topLevelItem(i)
        for i in range(win.legend.tree.topLevelItemCount())
        if win.legend.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == 0
    )
    item.setCheckState(0, Qt.CheckState.Checked)
    assert 0 not in win.overlay.hidden, "and ticking it shows it"
    win.close()


def test_published_file_imports_as_the_published_model(weights_home, caffe_layout_file, monkeypatch):
    from dataclasses import replace

    from fcn_studio.storage.download import file_digest

    f = caffe_layout_file("fcn8s")
    real = weights.manifest()
    published = replace(
        weights.manifest_entry("fcn8s-voc"), checksum=f"md5:{file_digest(f, 'md5')}", size_mb=f.stat().st_size / 1e6
    )
    monkeypatch.setattr(weights, "manifest", lambda: tuple(published if e.id == "fcn8s-voc" else e for e in real))
    assert weights.import_weights(f) == "fcn8s-voc"
    row = next(m for m in weights.installed_models() if m.id == "fcn8s-voc")
    assert row.title.startswith("FCN-8s, PASCAL VOC") and row.labels == "voc"


def test_real_time_playback_reaches_the_end_and_says_the_cpu_could_not_keep_up(qtbot, window, monkeypatch, tmp_path):
    clip = make_clip(tmp_path / "long.avi", n=30, fps=30.0)
    window.open_paths([str(clip)])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    slow_predictions(monkeypatch, 0.3)  # 9 frames' time per inference
    notes = []
    window.video.engine.note.connect(notes.append)
    window.video.engine.command("mode", REAL_TIME)
    window.video.toggle()
    qtbot.waitUntil(lambda: not window.video_controls.play.text().startswith("Pause") and bool(notes), timeout=30_000)
    assert window.video.index == 29 and window.video.result is not None, "ends on the last frame, segmented"
    assert "could not keep up" in notes[0] and "320" in notes[0]


def test_player_export_button_opens_the_export(qtbot, window, monkeypatch, tmp_path):
    called = []
    monkeypatch.setattr("fcn_studio.gui.video.export.export_video", lambda *a, **k: called.append(a) or None)
    window.open_paths([str(make_clip(tmp_path / "c.avi", n=3))])
    qtbot.waitUntil(lambda: window.video.info is not None, timeout=10_000)
    window.video_controls.export.click()
    assert called and called[0][1].endswith("c.avi")


def test_fine_tune_window_is_not_modal_and_sets_consistent_defaults(qtbot, window, caffe_layout_file, tmp_path):
    from tests.builders import make_plain

    weights.import_weights(caffe_layout_file("fcn16s", 3), "base16")
    data = make_plain(tmp_path / "garden", n=4)  # 48x40 images
    window.fine_tune()
    dialog = window.train_dialog
    assert dialog.isVisible() and not dialog.isModal()
    dialog.base.setCurrentIndex(dialog.base.findData("base16"))
    assert dialog.arch.currentData() == "fcn16s", "an FCN-16s base trains an FCN-16s"
    dialog.folder.setText(str(data))
    dialog.scan()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert dialog.crop.value() <= 40, "the crop fits the smallest image"
    dialog.epochs.setValue(7)
    remembered.remember(dialog, window.settings)
    again = type(dialog)(None, str(tmp_path), settings=window.settings)
    qtbot.addWidget(again)
    assert again.epochs.value() == 7 and again.base.currentData() == "base16"
    dialog.copy_button.click()
    assert "Copied" in dialog.copy_button.text()
    window.train_dialog = None
    dialog.deleteLater()  # closed before the button's text comes back: nothing may touch it then
    qtbot.wait(2200)


def test_help_lists_every_shortcut_from_the_actions(qtbot, window):
    dialog = window.show_shortcuts()
    qtbot.addWidget(dialog)
    table = dialog.table
    rows = {table.item(i, 1).text(): table.item(i, 0).text() for i in range(table.rowCount())}
    assert rows["Open"] == "Ctrl+O" and "F" in rows["Filled"] and "Space" in rows["Play / Pause"]
    assert "Keyboard Shortcuts" in rows  # the sheet lists itself (F1)


def test_opening_the_fine_tune_window_does_not_import_torch(tmp_path):
    """Importing torch takes seconds: the GUI thread never does it to open a dialog."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from fcn_studio.gui.training.dialog import TrainDialog\n"
        "d = TrainDialog(None, '.')\n"
        "d.show(); app.processEvents()\n"
        "d.config().command_line()  # what Start and Copy command line build first\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "FCN_STUDIO_WEIGHTS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "torch imported: False" in out.stdout, out.stderr[-2000:]


def test_a_preview_shows_first_and_the_full_result_replaces_it(qtbot, window, monkeypatch, tmp_path):
    a = photo(tmp_path / "p" / "a.png", (500, 375))  # the size the 0.6 s target is for
    b = photo(tmp_path / "p" / "b.png", (480, 360), seed=1)
    slow_predictions(monkeypatch, 0.6)  # the full pass; the preview is a separate, quick pass
    shown = []
    window.workspace.result_shown.connect(
        lambda r: shown.append((str(window.workspace.current_path), r)) if r is not None else None
    )
    window.open_paths([a])
    qtbot.waitUntil(lambda: any(r.preview for _, r in shown), timeout=30_000)
    assert not window.actions_.save_mask.isEnabled(), "a preview is not exported"
    assert "preview" in window.status.timing.text()
    qtbot.waitUntil(lambda: not getattr(window.workspace.current_result, "preview", True), timeout=30_000)
    full = window.workspace.current_result
    assert full.labels.shape == (375, 500) and window.actions_.save_mask.isEnabled()
    window.workspace.next()  # moving on: a's work is dropped, b's preview and result follow
    qtbot.waitUntil(lambda: shown[-1][0] == b and not shown[-1][1].preview, timeout=30_000)
    for path, result in shown:  # every overlay was drawn over its own image
        assert result.labels.shape == ((375, 500) if path == a else (360, 480))
    kinds = [(path, r.preview) for path, r in shown]
    assert kinds.index((a, True)) < kinds.index((a, False)), "a's preview came before its full result"


def test_real_time_video_shows_a_preview_before_each_frames_full_result(qtbot, window, monkeypatch, tmp_path):
    clip = make_clip(tmp_path / "big.avi", n=6, size=(500, 376), fps=5.0)
    window.open_paths([str(clip)])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    slow_predictions(monkeypatch, 0.3)
    seen = []
    window.video.engine.frame_ready.connect(lambda i, _rgb, r: seen.append((i, r.preview)) if r is not None else None)
    window.video.engine.command("mode", REAL_TIME)
    window.video.toggle()
    qtbot.waitUntil(
        lambda: not window.video_controls.play.text().startswith("Pause") and len(seen) >= 2, timeout=60_000
    )
    frames = [i for i, preview in seen if not preview]
    assert frames, "full results arrived"
    for i in frames:  # each segmented frame: its preview first, then its full result
        assert seen.index((i, True)) < seen.index((i, False))
    assert window.video.result is not None and not window.video.result.preview, "the last frame ends fully segmented"


def test_the_window_shows_without_importing_torch(tmp_path):
    """Start-up stays light: torch (seconds to import) loads on the worker, after the window
    is on screen; Label mode, the model service and the trainer's config are all lazy."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FCN_STUDIO_SMOKE_TEST": "1",
        "FCN_STUDIO_WEIGHTS": str(tmp_path / "w"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    out = subprocess.run([sys.executable, "-m", "fcn_studio"], capture_output=True, text=True, env=env, timeout=120)
    assert "window shown" in out.stdout and "torch imported: False" in out.stdout, out.stdout + out.stderr[-2000:]


def int8_measured_fastest(monkeypatch) -> None:
    """Fast mode's measurement (inference/fast_choice.py), faked: int8 2.9x at 99.3 %."""
    from fcn_studio.inference import fast_choice

    def measure(checkpoint, rgbs, say):
        return 1.0, [fast_choice.Trial("int8", 1 / 2.9, 0.993), fast_choice.Trial("bf16", 1 / 1.5, 0.999)]

    monkeypatch.setattr(fast_choice, "measure_trials", measure)


def test_fast_mode_where_it_does_not_apply_still_shows_results(qtbot, window, service, monkeypatch, tmp_path):
    """On a GPU the service ignores the fast mode (fp16 there): a user who ticked it must
    still see every image's exact result, not wait forever for an int8 one."""
    int8_measured_fastest(monkeypatch)
    load = service.load
    monkeypatch.setattr(service, "load", lambda spec, device="auto", **kw: load(spec, device, half=kw.get("half")))
    window.actions_.fast_mode.setChecked(True)
    window.open_paths([photo(tmp_path / "a.png")])
    result = result_of(qtbot, window)
    assert not result.approximate and "int8" not in window.status.backend.text()


def test_fast_mode_is_off_by_default_and_shows_its_agreement_once_chosen(qtbot, window, service, monkeypatch, tmp_path):
    from fcn_studio.inference import runtime

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    int8_measured_fastest(monkeypatch)
    paths = [photo(tmp_path / "p" / f"{i}.png", seed=i) for i in range(4)]
    photo(tmp_path / "p" / "3_mask.png", seed=9)  # a mask the app saved beside them
    window.open_paths([str(tmp_path / "p")])
    assert not window.actions_.fast_mode.isChecked() and not window.workspace.fast
    exact = result_of(qtbot, window)
    assert exact.agreement is None and not exact.approximate and "int8" not in window.status.backend.text()

    window.actions_.fast_mode.setChecked(True)  # the Models menu's Fast Mode
    assert window.workspace.calibration_images() == tuple(paths), "calibrated on the photos, not on saved masks"
    # the copy the workspace asked for (whichever asks first loads it, with its calibration)
    loaded = service.load("m", window.workspace.device, fast=True, calibration=paths)
    assert loaded.key.precision == "int8" and loaded.predictor.fast_path.approximate
    assert loaded.predictor.fast_path.wait(timeout=120), loaded.predictor.fast_path.error
    window.workspace.next()
    qtbot.waitUntil(
        lambda: (
            window.workspace.current_path.name == "1.png"
            and getattr(window.workspace.current_result, "backend", "") == "ONNX Runtime int8"
        ),
        timeout=60_000,
    )
    fast = window.workspace.current_result
    assert fast.agreement == 0.993 and fast.speedup == pytest.approx(2.9) and fast.fast and fast.approximate
    assert window.status.backend.text() == "fast int8: 2.9x, 99.3 % agreement"
    assert "its own weight copy" in window.status.backend.toolTip()  # the extra memory is reported
    again = make_window(qtbot, tmp_path)  # the same settings file: the choice is remembered
    assert again.actions_.fast_mode.isChecked() and again.workspace.fast
    again.close()

    window.actions_.fast_mode.setChecked(False)  # off again: exact results, never the int8 ones
    qtbot.waitUntil(
        lambda: window.workspace.current_result is not None and not window.workspace.current_result.fast, timeout=60_000
    )
    assert "int8" not in window.status.backend.text()


def test_fast_mode_plays_video_with_the_int8_model_and_shows_its_agreement(
    qtbot, window, service, monkeypatch, tmp_path
):
    from fcn_studio.gui.video.engine import VideoEngine
    from fcn_studio.inference import runtime

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    int8_measured_fastest(monkeypatch)
    reads = []
    read = VideoEngine._calibration_frames
    monkeypatch.setattr(VideoEngine, "_calibration_frames", lambda engine: reads.append(1) or read(engine))
    window.open_paths([str(make_clip(tmp_path / "c.avi", n=12))])
    qtbot.waitUntil(lambda: window.video.result is not None, timeout=30_000)
    assert not window.video.result.approximate and not reads  # exact unless chosen

    window.actions_.fast_mode.setChecked(True)
    qtbot.waitUntil(lambda: any(m.key.precision == "int8" for m in service.loaded()), timeout=30_000)
    fast_path = next(m for m in service.loaded() if m.key.precision == "int8").predictor.fast_path
    assert fast_path.wait(timeout=120), fast_path.error
    for index in (1, 2):  # the next frames come from the int8 model
        window.video.step(1)
        qtbot.waitUntil(lambda i=index: window.video.index == i and window.video.result is not None, timeout=60_000)
        assert window.video.result.approximate and 0.5 < window.video.result.agreement <= 1.0
    assert "agreement" in window.status.backend.text()
    assert reads == [1], "frames to calibrate on are decoded once, when the int8 model is made"

    window.actions_.fast_mode.setChecked(False)  # off again: the exact model's labels
    qtbot.waitUntil(lambda: window.video.result is not None and not window.video.result.fast, timeout=60_000)
    assert not window.video.result.approximate and "int8" not in window.status.backend.text()


def test_segment_folder_again_into_a_folder_inside_the_photos_counts_only_the_photos(
    qtbot, window, tmp_path, monkeypatch
):
    """Segment Folder run a second time with its masks inside the photos' folder: the
    masks of the first run are outputs, not photos to segment (nor to count)."""
    from PySide6.QtWidgets import QMessageBox

    from fcn_studio.gui.image import export

    photos = tmp_path / "photos"
    for i in range(2):
        photo(photos / f"{i}.jpg", seed=i)
    masks = photos / "masks"
    masks.mkdir()
    for i in range(2):  # the first run's output
        Image.fromarray(np.zeros((48, 64), np.uint8), mode="L").save(masks / f"{i}.png")
    folders = iter([str(photos), str(masks)])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: next(folders)))
    asked = []

    def skip_existing(box):  # the clash question: "Skip existing"
        asked.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", skip_existing)
    monkeypatch.setattr(
        QMessageBox,
        "clickedButton",
        lambda box: next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole),
    )
    done = []
    choice = InferenceChoice("m", "cpu", 0)
    task = export.segment_folder(
        window, window.service, choice, photos, lambda report, error: done.append((report, error)), window.tasks
    )
    assert asked and asked[0].startswith("2 mask(s) already exist")
    assert "Segmenting 2 images" in task.dialog.labelText()
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    report, error = done[0]
    assert error == "" and len(report.skipped) == 2 and not report.written
    assert not (masks / "masks").exists()


def test_segment_folder_into_the_photos_folder_is_refused_before_any_work(qtbot, window, tmp_path, monkeypatch):
    """The photos' own folder as the output would mix masks with photos: said when it is
    chosen, before the model loads, in the core's words (the CLI refuses it the same way)."""
    from PySide6.QtWidgets import QMessageBox

    from fcn_studio.gui.image import export

    photos = tmp_path / "photos"
    photo(photos / "0.jpg", seed=0)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(photos)))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text: warned.append(text)))
    task = export.segment_folder(
        window, window.service, InferenceChoice("m", "cpu", 0), photos, lambda *a: None, window.tasks
    )
    assert task is None
    assert warned and "is the folder being segmented" in warned[0] and "photos-masks" in warned[0]
    assert list(photos.iterdir()) == [photos / "0.jpg"]


def test_fast_modes_first_measurement_says_what_it_does(qtbot, window, service, monkeypatch, tmp_path):
    """The first Fast mode on a machine measures the approximate modes (minutes at full width
    on a CPU): the status bar says so, step by step, not only "Loading model"."""
    from fcn_studio.inference import fast_choice, runtime

    def measure(checkpoint, rgbs, say):
        say("fast mode: timing int8 side by side...")
        return 1.0, [fast_choice.Trial("int8", 1 / 2.9, 0.993)]

    monkeypatch.setattr(fast_choice, "measure_trials", measure)
    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    heard = []
    window.workspace.busy.connect(heard.append)
    window.actions_.fast_mode.setChecked(True)
    window.open_paths([photo(tmp_path / "a.png")])
    qtbot.waitUntil(lambda: "fast mode: timing int8 side by side..." in heard, timeout=60_000)
    assert any("measuring the approximate modes" in text for text in heard), heard
    assert "fast mode: timing int8 side by side..." in heard
