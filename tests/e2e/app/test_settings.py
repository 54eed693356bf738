"""What the app remembers goes through the settings schema, and no test reads or writes the
user's own settings file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from fcn_studio.gui import settings as keys
from fcn_studio.gui.labelling.retrain import always_switch, set_always_switch
from fcn_studio.gui.settings import Settings


def test_settings_made_without_a_file_are_the_tests_own(tmp_path_factory):
    """Code that builds Settings() itself (as the retrain round's always-switch choice did)
    reaches a folder of the test run, never ~/.config."""
    base = tmp_path_factory.getbasetemp()
    assert base in Path(Settings().q.fileName()).parents
    assert base in Path(QSettings("FCN Studio", "fcn-studio").fileName()).parents


def test_always_switch_is_kept_in_the_settings_it_is_given(tmp_path):
    def at(path):
        return Settings(QSettings(str(path), QSettings.Format.IniFormat))

    settings = at(tmp_path / "s.ini")
    assert not always_switch(settings)
    set_always_switch(settings, True)
    assert always_switch(at(tmp_path / "s.ini"))
    assert not always_switch(Settings()), "only the settings given hold the choice"


def test_every_key_has_a_distinct_name():
    declared = [v for v in vars(keys).values() if isinstance(v, keys.Key)]
    names = [k.name for k in declared]
    assert len(names) == len(set(names)), names


def test_the_fine_tune_window_remembers_its_options_through_the_schema(qtbot, tmp_path):
    """The fine-tune window's options go through declared keys (gui/training/remembered.py):
    every key it writes is in the schema, and a new dialog shows them again."""
    from fcn_studio.gui.training.dialog import TrainDialog

    def at(path):
        return Settings(QSettings(str(path), QSettings.Format.IniFormat))

    settings = at(tmp_path / "s.ini")
    dialog = TrainDialog(None, "", settings=settings)
    qtbot.addWidget(dialog)
    dialog.epochs.setValue(7)
    dialog.lr.setValue(0.0125)
    dialog.flip.setChecked(False)
    dialog.folder.setText(str(tmp_path))
    from fcn_studio.gui.training import remembered

    remembered.remember(dialog, settings)
    settings.q.sync()
    declared = {v.name for v in vars(keys).values() if isinstance(v, keys.Key)}
    written = set(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat).allKeys())
    assert written and written <= declared, written - declared
    again = TrainDialog(None, "", settings=at(tmp_path / "s.ini"))
    qtbot.addWidget(again)
    assert again.epochs.value() == 7 and abs(again.lr.value() - 0.0125) < 1e-9
    assert not again.flip.isChecked() and again.folder.text() == str(tmp_path)


def test_settings_have_no_way_around_the_schema():
    assert not any(hasattr(Settings, name) for name in ("get", "get_bool", "set"))
