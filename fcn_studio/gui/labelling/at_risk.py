"""The question asked when labels cannot be written where they belong: the labelled folder
was renamed, moved or deleted (keep them in a folder the user picks, or discard them), or
the image's mask was deleted outside the app (write it again, or leave it deleted). Until
the user answers, nothing is written and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.session import LabelSession
from fcn_studio.labelling.label_store import FolderGoneError

Role = QMessageBox.ButtonRole


class AtRiskQuestion(QObject):
    """One question at a time, window-modal (no nested event loop). ``discarded(session)``
    after the user gave a deleted mask's labels up (Label mode reloads the image's labels);
    ``reopen(path)`` when the labels went to the renamed folder itself (the app follows it)."""

    def __init__(
        self,
        parent: QWidget,
        show_error: Callable[[str], None],
        discarded: Callable[[LabelSession], None],
        reopen: Callable[[Path], None],
    ) -> None:
        super().__init__(parent)
        self._parent, self._show_error, self._discarded, self._reopen = parent, show_error, discarded, reopen
        self.box: QMessageBox | None = None
        self.keep_button = self.discard_button = None

    def ask(self, session: LabelSession) -> None:
        if session.risk is None or (self.box is not None and self.box.isVisible()):
            return
        gone = isinstance(session.risk, FolderGoneError)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Labels not saved"), str(session.risk), parent=self._parent)
        if gone:
            box.setInformativeText(
                self.tr("The labels of {image} are kept in memory. Save them in a folder you choose, or discard them?")
            )
            self.keep_button = box.addButton(self.tr("Save in a Folder…"), Role.AcceptRole)
        else:
            box.setInformativeText(
                self.tr("Write the labels of {image} again, or leave the mask deleted and discard them?")
            )
            self.keep_button = box.addButton(self.tr("Write Them Again"), Role.AcceptRole)
        box.setInformativeText(box.informativeText().format(image=session.image.name))
        self.discard_button = box.addButton(self.tr("Discard Them"), Role.DestructiveRole)
        box.setDefaultButton(self.keep_button)
        box.buttonClicked.connect(lambda button: self._answered(session, button, gone))
        box.finished.connect(box.deleteLater)
        self.box = box
        box.open()

    def _answered(self, session: LabelSession, button, gone: bool) -> None:
        self.box = None
        if button is self.discard_button:
            session.discard()
            if not gone:
                self._discarded(session)
            return
        try:
            if gone:
                self._keep_elsewhere(session)
            else:
                session.write_again()
        except FCNStudioError as exc:
            self._show_error(str(exc))

    def _keep_elsewhere(self, session: LabelSession) -> None:
        start = next((p for p in session.store.folder.parents if p.is_dir()), Path.home())
        title = self.tr("Save the labels of {image} in").format(image=session.image.name)
        chosen = QFileDialog.getExistingDirectory(self._parent, title, str(start))
        if not chosen:
            return  # they stay held: asked again after the next stroke
        session.keep_in(Path(chosen))
        moved = Path(chosen) / session.image.name
        if moved.is_file():  # the folder where the user moved it: labelling goes on there
            self._reopen(moved)
