"""Under a round's scores: the user decides which version is in use.

A new version that scores worse than the active one is installed but not made active (every
view stays on the active model); this offers it with one click ("Use crack-v4 anyway"). A
check box remembers the choice to always use a new version at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QPushButton, QVBoxLayout, QWidget

from fcn_studio.gui.labelling.retrain import always_switch, set_always_switch


class RoundOffer(QWidget):
    use_version = Signal(str)  # the id of the kept version the user chose

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.use_button = QPushButton()
        self.use_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space pans the canvas in Label mode
        self.use_button.hide()
        layout.addWidget(self.use_button)
        self.always = QCheckBox(self.tr("Always use a new version at once, even when it scores worse"))
        layout.addWidget(self.always)
        self._offered = ""
        self._settings = None
        self.use_button.clicked.connect(self._use)
        self.always.toggled.connect(self._remember)

    def bind(self, settings) -> None:
        """The window's settings hold the choice (never a settings object made here)."""
        self._settings = settings
        self.always.setChecked(always_switch(settings))

    def _remember(self, on: bool) -> None:
        if self._settings is not None:
            set_always_switch(self._settings, on)

    @property
    def switch(self) -> str:
        """What a round is asked to do with its new version: "always", or "if better"."""
        return "always" if self.always.isChecked() else "if better"

    def show_round(self, result) -> None:
        """Offer the round's version when it was kept but not made active (a tie or worse)."""
        kept = result.version is not None and not result.made_current
        self._offered = result.version.id if kept else ""
        self.use_button.setText(self.tr("Use {version} anyway").format(version=self._offered))
        self.use_button.setVisible(kept)

    def clear(self) -> None:
        self._offered = ""
        self.use_button.hide()

    def _use(self) -> None:
        offered = self._offered
        self.clear()
        if offered:
            self.use_version.emit(offered)
