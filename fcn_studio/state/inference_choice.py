"""What every view segments with: model, device, inference size and fast mode, as one
observable object (Qt-free: psygnal's signals, called on the thread that changes it, which
is the GUI's).

The image workspace, the compare view, the video player, the exports and Label mode read
it and listen to ``changed``; the toolbar's pickers and the Fast Mode action only write
it. Nothing copies the four values around by hand, so a view cannot segment with a model
the others have moved away from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from psygnal import Signal

DEFAULT_MAX_SIZE = 2048


@dataclass(frozen=True)
class InferenceChoice:
    """One snapshot of the settings (hashable: part of cache keys and requests)."""

    model_key: str = ""  # an installed id or a weights path; "" = no model
    device: str = "auto"
    max_size: int = DEFAULT_MAX_SIZE  # longest side segmented; 0 = the image's own size
    fast: bool = False  # the int8 fast mode (CPU only; approximate labels)


class InferenceSettings:
    """The inference choice shared by every view; emits once per effective change."""

    changed = Signal(object)  # the new InferenceChoice, after any field changed
    model_changed = Signal(str)
    device_changed = Signal(str)
    max_size_changed = Signal(int)
    fast_changed = Signal(bool)

    def __init__(self, choice: InferenceChoice | None = None) -> None:
        self._choice = choice or InferenceChoice()

    @property
    def choice(self) -> InferenceChoice:
        return self._choice

    @property
    def model_key(self) -> str:
        return self._choice.model_key

    @property
    def device(self) -> str:
        return self._choice.device

    @property
    def max_size(self) -> int:
        return self._choice.max_size

    @property
    def fast(self) -> bool:
        return self._choice.fast

    def set_model(self, model_key: str) -> None:
        self.update(model_key=model_key)

    def set_device(self, device: str) -> None:
        self.update(device=device)

    def set_max_size(self, max_size: int) -> None:
        self.update(max_size=int(max_size))

    def set_fast(self, fast: bool) -> None:
        self.update(fast=bool(fast))

    def update(self, **fields) -> None:
        """Change several fields at once: listeners hear one ``changed``, not one per field."""
        new = replace(self._choice, **fields)
        if new == self._choice:
            return
        old, self._choice = self._choice, new
        if new.model_key != old.model_key:
            self.model_changed.emit(new.model_key)
        if new.device != old.device:
            self.device_changed.emit(new.device)
        if new.max_size != old.max_size:
            self.max_size_changed.emit(new.max_size)
        if new.fast != old.fast:
            self.fast_changed.emit(new.fast)
        self.changed.emit(new)

    def reload(self) -> None:
        """The model files changed under the same choice (re-trained, imported, removed):
        every listener segments again with what is on disk now."""
        self.changed.emit(self._choice)


def load_predictor(
    service, choice: InferenceChoice, calibration: Sequence[object] = (), say: Callable[[str], None] = lambda text: None
):
    """(predictor, file identity) for ``choice`` from the window's model service: one copy
    of the weights for every view. Fast mode on a CPU serves the approximate precision
    measured fastest for this model on this machine that keeps its labels
    (inference/fast_choice.py; measured once, on ``calibration``, a few of the open
    images; ``say`` hears each step of that measurement, minutes at full width on a CPU); the
    int8 model is calibrated on them too. The identity is that of the file
    these weights came from, even if the file is replaced meanwhile."""
    fast = _fast_choice(choice, calibration, say)
    if fast is None:
        loaded = service.load(choice.model_key, choice.device, fast=choice.fast, calibration=calibration)
    else:
        loaded = service.load(
            choice.model_key,
            choice.device,
            fast=fast.precision == "int8",
            precision="bf16" if fast.precision == "bf16" else None,
            calibration=calibration,
        )
    predictor = loaded.predictor.sharing(choice.max_size or None)
    predictor.fast_choice = fast
    return predictor, loaded.key.identity


def _fast_choice(choice: InferenceChoice, calibration: Sequence[object], say: Callable[[str], None]):
    """The measured fast mode for ``choice`` (None: fast mode is off, or not on a CPU)."""
    if not choice.fast:
        return None
    from fcn_studio.inference.device import choose_device
    from fcn_studio.inference.fast_choice import choose_fast

    if choose_device(choice.device, allow_fallback=True).device.type != "cpu":
        return None
    return choose_fast(choice.model_key, calibration, say=say)
