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
