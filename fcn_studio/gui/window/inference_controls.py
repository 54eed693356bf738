"""The toolbar's model, device and size pickers and the Fast Mode action, bound both ways
to the window's :class:`InferenceSettings`, which is remembered between sessions."""

from __future__ import annotations

from PySide6.QtGui import QAction

from fcn_studio.gui import settings as keys
from fcn_studio.gui.models.model_picker import DevicePicker, ModelPicker, SizePicker
from fcn_studio.gui.settings import Settings
from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings


def remembered_choice(settings: Settings) -> InferenceChoice:
    """The choice of the last session (its model is checked against the installed ones
    when the picker is filled)."""
    return InferenceChoice(
        model_key=settings.read(keys.MODEL),
        device=settings.read(keys.DEVICE),
        max_size=settings.read(keys.MAX_SIZE),
        fast=settings.read(keys.FAST_MODE),
    )


def remember(settings: Settings, choice: InferenceChoice) -> None:
    if choice.model_key:  # "no model installed" never forgets the user's model
        settings.write(keys.MODEL, choice.model_key)
    settings.write(keys.DEVICE, choice.device)
    settings.write(keys.MAX_SIZE, choice.max_size)
    settings.write(keys.FAST_MODE, choice.fast)


def bind_inference_controls(
    inference: InferenceSettings,
    settings: Settings,
    models: ModelPicker,
    devices: DevicePicker,
    sizes: SizePicker,
    fast_mode: QAction,
) -> None:
    """The pickers show ``inference`` and write the user's picks into it; a change made
    elsewhere (Label mode choosing a version) shows in the pickers; every change is saved."""
    devices.set_device(inference.device)
    sizes.set_size(inference.max_size)
    fast_mode.setChecked(inference.fast)
    # a remembered value no picker offers becomes the picker's (e.g. a size no longer listed)
    inference.update(device=devices.currentData(), max_size=int(sizes.currentData()))
    models.model_selected.connect(inference.set_model)
    devices.device_selected.connect(inference.set_device)
    sizes.size_selected.connect(inference.set_max_size)
    fast_mode.toggled.connect(inference.set_fast)
    inference.model_changed.connect(lambda key: key == models.current_id() or models.refresh(select=key))
    inference.device_changed.connect(devices.set_device)
    inference.max_size_changed.connect(sizes.set_size)
    inference.fast_changed.connect(lambda on: fast_mode.setChecked(on))  # a Qt builtin shows psygnal no signature
    inference.changed.connect(lambda choice: remember(settings, choice))
