"""The Models dialog's "Clean up" (#26): old versions go, never one an open view shows, and
the question says what each removal frees."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from fcn_studio.data.labels import generic_labels
from fcn_studio.gui import main_window as main_window_module
from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings
from fcn_studio.inference.model_service import ModelService
from fcn_studio.labelling.versions import install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from tests.unit.storage.test_heads import install_base, new_head


def test_clean_up_spares_the_versions_open_views_show_and_says_what_each_frees(
    qtbot, tmp_path, weights_home, random_model, monkeypatch
):
    base = install_base(random_model, weights_home, "toy", arch="fcn8s", classes=3)
    for seed in (1, 2, 3, 4):  # toy-v2 .. toy-v5, toy-v5 in use
        install_head_version(base, new_head(base, 3, seed), generic_labels(3), CAFFE_BGR, {}, "toy")
    service = ModelService()  # loads of this test's own, not of earlier tests in this process
    monkeypatch.setattr(main_window_module, "shared_service", lambda: service)
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.models_changed("toy-v5")
    for pane, model_id in zip(win.compare.panes, ("toy-v3", "toy", "toy"), strict=True):
        pane.picker.setCurrentIndex(pane.picker.findData(model_id))  # a compare pane shows toy-v3
    assert "toy-v2" not in win.model_actions.models_in_use()
    asked: list[str] = []

    def answer(_parent, _title, text, *_args, **_kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    dialog = win.model_actions.weights_dialog()
    qtbot.addWidget(dialog)
    size = round((weights_home / "toy-v2.safetensors").stat().st_size / 1e3)
    dialog.clean_button.click()
    assert len(asked) == 1 and "toy-v3" not in asked[0], asked
    assert f"toy-v2.safetensors ({size} kB)" in asked[0] and "toy-v4.safetensors" in asked[0], asked
    assert sorted(p.stem for p in weights_home.glob("*.safetensors")) == ["toy", "toy-v3", "toy-v5"]
    dialog.close()
    win.close()
