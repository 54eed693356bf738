"""Everything the app remembers between sessions, declared in one place.

Each remembered value is a :class:`Key`: its name in the settings file, its type, its
default and what it means. Code reads and writes through ``settings.read(KEY)`` and
``settings.write(KEY, value)``; a value that is missing or unreadable (an older file, an
edited INI) reads as the default, never as an exception. To add a setting: declare a
``Key`` below and use it; nothing else.

The file is QSettings' ("FCN Studio", "fcn-studio"): ~/.config/FCN Studio/fcn-studio.conf
on Linux, the registry on Windows, a plist on macOS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from fcn_studio.state.label_tools import DEFAULT_RADIUS

T = TypeVar("T")
MAX_RECENT = 10


@dataclass(frozen=True)
class Key(Generic[T]):
    name: str  # as stored ("group/name" groups it in the INI file)
    type: type  # str, int, float, bool, list (of str) or QByteArray
    default: T
    doc: str


# -- the toolbar's inference choice (state/inference_choice.py) --------------------
MODEL = Key("model", str, "", "the model segmenting images, video and exports (an installed id)")
DEVICE = Key("device", str, "auto", "auto, cuda or cpu")
MAX_SIZE = Key("max_size", int, 2048, "longest side the network sees; 0 = full resolution")
FAST_MODE = Key("fast_mode", bool, False, "the int8 fast mode (CPU, approximate labels)")
# -- the overlay -------------------------------------------------------------------------
OPACITY = Key("opacity", int, 55, "overlay opacity in percent")
OVERLAY_MODE = Key("overlay_mode", str, "filled", "filled, contour, uncertainty or off (OverlayMode values)")
# -- files -------------------------------------------------------------------------------
LAST_DIR = Key("last_dir", str, "", "the folder of the last image, folder or video opened ('' = home)")
LAST_OPENED = Key("last_opened", str, "", "the image or folder open at exit, reopened at the next start")
EXPORT_DIR = Key("export_dir", str, "", "the folder of the last export ('' = the last folder opened)")
RECENT = Key("recent", list, [], f"File > Open Recent, newest first (at most {MAX_RECENT})")
LANGUAGE = Key("language", str, "", "interface language code (e.g. zh_CN); '' = the system's")
# -- window ------------------------------------------------------------------------------
WINDOW_GEOMETRY = Key("window/geometry", QByteArray, None, "the main window's size and place")
WINDOW_STATE = Key("window/state", QByteArray, None, "toolbars and docks")
# -- compare tab -------------------------------------------------------------------------
COMPARE_PANES = Key("compare/panes", int, 3, "number of panes side by side (2-4)")
COMPARE_MODELS = Key("compare/models", list, [], "the model id of each pane, left to right")
# -- Label mode's tools (state/label_tools.py, remembered by gui/labelling/state.py) ----
LABEL_RADIUS = Key("label/brush_radius", float, DEFAULT_RADIUS, "brush and eraser radius in image pixels")
LABEL_FILL_SOURCE = Key("label/fill_source", str, "labels", "what Fill reads its regions from: labels or prediction")
LABEL_VIEW = Key("label/view", str, "both", "what the canvas shows in Label mode: both, labels or prediction")
LABEL_LIVE = Key("label/live", bool, False, "Live update: a quick update of the prediction after each stroke")
# -- Label mode's fine-tune (gui/labelling/round_offer.py) --------------------------------
ALWAYS_SWITCH = Key(
    "labelling/always_use_new_version", bool, False, "every new version becomes active at once, better or not"
)
# -- the fine-tune window (gui/training/remembered.py): the last run's options ------------
# None = never set: the dialog keeps the default it chose for this machine.
TRAIN_EPOCHS = Key("train/epochs", int, None, "epochs")
TRAIN_BATCH = Key("train/batch", int, None, "batch size")
TRAIN_CROP = Key("train/crop", int, None, "crop size in pixels")
TRAIN_LR = Key("train/lr", float, None, "learning rate")
TRAIN_VAL_SPLIT = Key("train/val_split", float, None, "share of the images held out for validation")
TRAIN_SEED = Key("train/seed", int, None, "random seed")
TRAIN_FREEZE = Key("train/freeze", bool, None, "train the score layers only (backbone frozen)")
TRAIN_FLIP = Key("train/flip", bool, None, "random horizontal flips")
TRAIN_SCALE = Key("train/scale", bool, None, "random scaling")
TRAIN_AMP = Key("train/amp", bool, None, "mixed precision on a GPU")
TRAIN_BASE = Key("train/base", str, "", "the model trained from (an installed id or scratch)")
TRAIN_ARCH = Key("train/arch", str, "", "fcn8s, fcn16s or fcn32s")
TRAIN_OPTIMIZER = Key("train/optimizer", str, "", "the optimizer's name")
TRAIN_FOLDER = Key("train/folder", str, "", "the dataset folder")


def _convert(value: Any, kind: type) -> Any:
    if kind is bool:
        # an INI file keeps a bool as the text "true"/"false"
        return str(value).lower() in ("true", "1") if not isinstance(value, bool) else value
    if kind is list:
        return [str(v) for v in ([value] if isinstance(value, str) else value or [])]
    if kind is QByteArray:
        return value if isinstance(value, QByteArray) else None
    return kind(value)


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("FCN Studio", "fcn-studio")

    # typed keys
    def read(self, key: Key[T]) -> T:
        value = self.q.value(key.name, None)
        if value is None:
            return key.default
        try:
            return _convert(value, key.type)
        except (TypeError, ValueError):
            return key.default

    def write(self, key: Key[T], value: T) -> None:
        self.q.setValue(key.name, value)

    # window
    def geometry(self) -> QByteArray | None:
        return self.read(WINDOW_GEOMETRY)

    def window_state(self) -> QByteArray | None:
        return self.read(WINDOW_STATE)

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.write(WINDOW_GEOMETRY, geometry)
        self.write(WINDOW_STATE, state)

    # recent files
    def recent_files(self) -> list[str]:
        return self.read(RECENT)

    def add_recent(self, path: str) -> list[str]:
        items = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.write(RECENT, items)
        return items

    def clear_recent(self) -> None:
        self.write(RECENT, [])
