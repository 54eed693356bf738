"""The fine-tune window's options as the last run left them: read from the window's
settings when the dialog opens, written when a run starts, each through its key in the
settings schema (gui/settings.py, the ``TRAIN_*`` keys). A key never written keeps the
default the dialog chose for this machine."""

from __future__ import annotations

from fcn_studio.gui import settings as keys
from fcn_studio.gui.settings import Settings

# the dialog's widget attribute -> its key
NUMBERS = {
    "epochs": keys.TRAIN_EPOCHS,
    "batch": keys.TRAIN_BATCH,
    "crop": keys.TRAIN_CROP,
    "lr": keys.TRAIN_LR,
    "val_split": keys.TRAIN_VAL_SPLIT,
    "seed": keys.TRAIN_SEED,
}
CHECKS = {"freeze": keys.TRAIN_FREEZE, "flip": keys.TRAIN_FLIP, "scale": keys.TRAIN_SCALE, "amp": keys.TRAIN_AMP}
CHOICES = {"base": keys.TRAIN_BASE, "arch": keys.TRAIN_ARCH}  # combo boxes, by their data


def restore(dialog, settings: Settings | None) -> None:
    """Show the options remembered in ``settings`` (none: the dialog's defaults stay)."""
    if settings is None:
        return
    for name, key in NUMBERS.items():
        value = settings.read(key)
        if value is not None:
            getattr(dialog, name).setValue(value)
    for name, key in CHECKS.items():
        value = settings.read(key)
        if value is not None:
            getattr(dialog, name).setChecked(value)
    for name, key in CHOICES.items():
        combo = getattr(dialog, name)
        index = combo.findData(settings.read(key))
        if index >= 0:
            combo.setCurrentIndex(index)
    optimizer = settings.read(keys.TRAIN_OPTIMIZER)
    if optimizer:
        dialog.optimizer.setCurrentText(optimizer)
    dialog.folder.setText(settings.read(keys.TRAIN_FOLDER))


def remember(dialog, settings: Settings | None) -> None:
    """Keep the options of the run starting now for the next time the dialog opens."""
    if settings is None:
        return
    for name, key in NUMBERS.items():
        settings.write(key, getattr(dialog, name).value())
    for name, key in CHECKS.items():
        settings.write(key, getattr(dialog, name).isChecked())
    for name, key in CHOICES.items():
        settings.write(key, getattr(dialog, name).currentData() or "")
    settings.write(keys.TRAIN_OPTIMIZER, dialog.optimizer.currentText())
    settings.write(keys.TRAIN_FOLDER, dialog.folder.text().strip())
