"""The fine-tune dialog drives a real (tiny) training run on its thread."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from fcn_studio.gui import settings as keys
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.training.dialog import TrainDialog
from fcn_studio.training.config import EpochEvent, Event, ProcessEvent
from tests.builders import make_plain


def test_dialog_reports_trains_plots_and_hands_over_the_model(qtbot, tmp_path, weights_home, caffe_layout_file):
    from fcn_studio.storage import weights

    weights.import_weights(caffe_layout_file("fcn32s", 3), "narrow-base")  # a narrow VGG16: fast
    data = make_plain(tmp_path / "garden", n=5)
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    dialog = win.fine_tune_dialog()  # wired as Models > Fine-tune opens it
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(data))
    dialog.scan()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert "5 image/mask pairs" in dialog.report_view.toPlainText()
    assert dialog.classes.rowCount() == 3 and dialog.start_button.isEnabled()
    dialog.classes.item(1, 0).setText("tulip")
    dialog.base.setCurrentIndex(dialog.base.findData("narrow-base"))
    dialog.arch.setCurrentIndex(dialog.arch.findData("fcn32s"))
    dialog.epochs.setValue(2)
    dialog.crop.setValue(32)
    dialog.freeze.setChecked(True)
    dialog.name.setText("garden-test")
    command = dialog.config().command_line()
    assert "--freeze-backbone" in command and "--epochs 2" in command and "tulip" in command
    dialog.start()
    assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.result is not None and dialog.result.registered_id == "garden-test"
    assert len(dialog.loss_plot.points) >= 2 and len(dialog.miou_plot.points) == 2, "plots moved"
    assert dialog.miou_plot.x_range == (0.0, 2.0), "the epoch axis spans the run, not one epoch more"
    assert max(x for x, _ in dialog.loss_plot.points) <= 2.0, "loss is plotted against epochs"
    assert dialog.use_button.isEnabled()
    with qtbot.waitSignal(dialog.use_model):
        dialog.use_button.click()
    qtbot.waitUntil(lambda: win.models.current_id() == "garden-test", timeout=5000)
    from fcn_studio.storage.weights import resolve_model

    assert resolve_model("garden-test").labels.classes[1] == "tulip"
    win.close()


def test_bad_folder_keeps_start_disabled(qtbot, tmp_path, weights_home):
    dialog = TrainDialog(None, str(tmp_path))
    qtbot.addWidget(dialog)
    (tmp_path / "empty").mkdir()
    dialog.folder.setText(str(tmp_path / "empty"))
    dialog.scan()
    qtbot.waitUntil(lambda: "no dataset layout" in dialog.report_view.toPlainText(), timeout=10_000)
    assert not dialog.start_button.isEnabled()


def test_training_runs_in_a_child_process_and_its_errors_and_stop_come_back(tmp_path, weights_home, caffe_layout_file):
    import os

    import pytest

    from fcn_studio.errors import FCNStudioError
    from fcn_studio.storage import weights
    from fcn_studio.training.config import TrainConfig
    from fcn_studio.training.process import train_in_child

    weights.import_weights(caffe_layout_file("fcn32s", 3), "narrow-base")
    data = make_plain(tmp_path / "garden", n=4)
    config = TrainConfig(
        data=str(data),
        out=str(tmp_path / "m.safetensors"),
        arch="fcn32s",
        base="narrow-base",
        epochs=3,
        batch_size=1,
        crop_size=32,
        freeze_backbone=True,
        register_id="child-test",
    )
    events: list[Event] = []
    stop_after_first_epoch = lambda: any(isinstance(e, EpochEvent) for e in events)  # noqa: E731
    result = train_in_child(config, None, events.append, stop_after_first_epoch)
    assert result.cancelled and result.out == tmp_path / "m.safetensors" and result.out.is_file()
    pids = {e.pid for e in events if isinstance(e, ProcessEvent)}
    assert pids and os.getpid() not in pids, "trained in another process"

    bad = TrainConfig(data=str(tmp_path / "nowhere"), out=str(tmp_path / "n.safetensors"), base="narrow-base")
    with pytest.raises(FCNStudioError, match="nowhere"):  # the trainer's own message, across the boundary
        train_in_child(bad, None, events.append, lambda: False)


def test_a_training_result_reaches_the_window_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import pickle, sys\n"
        "from pathlib import Path\n"
        "from fcn_studio.training.config import TrainResult, last_paths\n"
        "r = pickle.loads(pickle.dumps(TrainResult(Path('m.safetensors'), {'mean_iou': 0.5})))\n"
        "last_paths(r.out)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_open_folder_is_filled_in_and_checked(qtbot, tmp_path, weights_home):
    data = make_plain(tmp_path / "garden", n=2)
    (tmp_path / "photos").mkdir()
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.open_paths([str(data / "images" / "s0.jpg")])
    win.fine_tune()
    dialog = win.train_dialog
    qtbot.addWidget(dialog)
    assert dialog.folder.text() == str(data), "the dataset above images/ is offered"
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert "masks/" in dialog.folder.placeholderText(), "the layout Label mode writes is named"
    dialog.offer_folder(str(tmp_path / "photos"))  # no labels there: the dataset stays
    assert dialog.folder.text() == str(data)
    dialog.close()
    win.close()
    win.settings.write(keys.TRAIN_FOLDER, str(data))  # the folder remembered from the last run...
    again = TrainDialog(None, "", settings=win.settings)
    qtbot.addWidget(again)
    assert again.folder.text() == str(data) and again.report is None
    again.offer_folder(str(data / "images"))  # ...and open again: checked, not left unread
    qtbot.waitUntil(lambda: again.report is not None, timeout=30_000)


def test_options_without_effect_on_a_frozen_backbone_are_off(qtbot, tmp_path, weights_home):
    dialog = TrainDialog(None, str(tmp_path))
    qtbot.addWidget(dialog)
    for frozen in (True, False, True):
        dialog.freeze.setChecked(frozen)
        off = (dialog.batch, dialog.crop, dialog.scale, dialog.lr, dialog.optimizer)
        assert [w.isEnabled() for w in off] == [not frozen] * len(off)
        assert dialog.flip.isEnabled() and dialog.epochs.isEnabled()


def test_the_window_starts_from_the_version_in_use_and_trains_a_head_version_as_a_base(
    qtbot, tmp_path, weights_home, random_model
):
    """#26: the fine-tune window preselects the active model (here a version stored as a head),
    lists installed models only, marks the heads, and trains from a head version."""
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.labelling.versions import install_head_version
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.heads import read_head_file
    from tests.unit.storage.test_heads import install_base, new_head

    base = install_base(random_model, weights_home, "toy", arch="fcn32s", classes=3)
    install_head_version(base, new_head(base, 3, seed=7), generic_labels(3), CAFFE_BGR, {}, "toy")
    data = make_plain(tmp_path / "garden", n=4)
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.settings.write(keys.TRAIN_BASE, "toy")  # remembered from an earlier run: the model in use wins
    win.models_changed("toy-v2")
    assert win.models.current_id() == "toy-v2"
    win.fine_tune()
    dialog = win.train_dialog
    qtbot.addWidget(dialog)
    assert dialog.base.currentData() == "toy-v2"
    listed = {dialog.base.itemData(i): dialog.base.itemText(i) for i in range(dialog.base.count())}
    assert set(listed) == {"toy", "toy-v2", "scratch"}, listed  # nothing that is not installed
    assert "head over toy" in listed["toy-v2"] and "head" not in listed["toy"]
    assert dialog.arch.currentData() == "fcn32s"
    dialog.folder.setText(str(data))
    dialog.scan()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    dialog.epochs.setValue(1)
    dialog.freeze.setChecked(True)
    dialog.name.setText("from-v2")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.result is not None and dialog.result.registered_id == "from-v2", dialog.status.text()
    assert read_head_file(weights_home / "from-v2.safetensors").base.id == "toy"
    dialog.close()
    win.close()
