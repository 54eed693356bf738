"""The versions of the model in use (over its base) that Label mode lists: each with its
figure on the folder's current labels when measured (application/version_figures.py, all on
the same pixels), and which one is active.

A Qt-free evented model (psygnal): Label mode's fine-tune control fills it (after a round,
after a re-measurement, when the model in use changes); the panel's Version box only shows
it, and the user's pick goes back through the control, which makes that version current
everywhere. Nothing keeps the list in a widget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from psygnal import Signal

from fcn_studio.errors import FCNStudioError
from fcn_studio.labelling.versions import ModelVersion, family_for, list_versions


@dataclass(frozen=True)
class VersionEntry:
    """One listed version: its record, and its figure measured now (a ScoreSummary: mean
    IoU, images and pixels it rests on) or None."""

    version: ModelVersion
    figure: object | None = None

    @property
    def id(self) -> str:
        return self.version.id


class VersionsList:
    changed = Signal(object)  # tuple[VersionEntry, ...], oldest first, after any change
    active_changed = Signal(str)

    def __init__(self) -> None:
        self._versions: tuple[ModelVersion, ...] = ()
        self._figures: dict[str, object] = {}
        self._active = ""

    @property
    def entries(self) -> tuple[VersionEntry, ...]:
        return tuple(VersionEntry(v, self._figures.get(v.id)) for v in self._versions)

    @property
    def active(self) -> str:
        return self._active

    @property
    def figures(self) -> dict[str, object]:
        """Version id -> its figure on the current labels (a copy)."""
        return dict(self._figures)

    def show(self, model_key: str) -> None:
        """The versions of ``model_key``'s family, read from disk, ``model_key`` active."""
        self.set_versions(_versions_of(model_key), model_key)

    def set_versions(self, versions: tuple[ModelVersion, ...], active: str) -> None:
        """These versions (oldest first), ``active`` the one in use; the figures stay."""
        self._set(tuple(versions), self._figures, active)

    def set_figures(self, figures: Mapping[str, object]) -> None:
        """Figures measured on the same pixels (None values are left out); those of an
        earlier measurement go: they rest on other labels."""
        self._set(self._versions, {k: v for k, v in figures.items() if v is not None}, self._active)

    def clear_figures(self) -> None:
        """The labels changed: the figures rest on old pixels."""
        self.set_figures({})

    def _set(self, versions: tuple[ModelVersion, ...], figures: dict[str, object], active: str) -> None:
        before = (self._versions, self._figures)
        active_before = self._active
        self._versions, self._figures, self._active = versions, dict(figures), active
        if (versions, self._figures) != before or active != active_before:
            self.changed.emit(self.entries)
        if active != active_before:
            self.active_changed.emit(active)


def _versions_of(model_key: str) -> tuple[ModelVersion, ...]:
    if not model_key:
        return ()
    try:
        return tuple(list_versions(family_for(model_key)))
    except FCNStudioError:  # a damaged family: nothing to list
        return ()
