"""Settings that persist between sessions (QSettings), with typed accessors."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("FCN Studio", "fcn-studio")

    def _get(self, key: str, default, kind=str):
        value = self.q.value(key, default)
        try:
            return kind(value) if value is not None else default
        except (TypeError, ValueError):
            return default

    # window
    def geometry(self) -> QByteArray | None:
        return self.q.value("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self.q.value("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    # simple values
    def get(self, key: str, default, kind=str):
        return self._get(key, default, kind)

    def get_bool(self, key: str, default: bool) -> bool:
        # an INI file keeps a bool as the text "true"/"false"
        return self._get(key, default, lambda v: str(v).lower() in ("true", "1"))

    def set(self, key: str, value) -> None:
        self.q.setValue(key, value)

    # recent files
    def recent_files(self) -> list[str]:
        value = self.q.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> list[str]:
        items = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.q.setValue("recent", items)
        return items

    def clear_recent(self) -> None:
        self.q.setValue("recent", [])
