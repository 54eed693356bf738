"""Editing the folder's classes from Label mode: add, rename, recolour, or a new label set
of the folder's own. Each change is written to classes.txt first (LabelStore), then the
label state takes the label set as the file now holds it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from fcn_studio.data.labels import LabelSet, generic_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.labelling.session import LabelSession
from fcn_studio.gui.shared.class_names import display_name, stored_name
from fcn_studio.state.label_tools import LabelState


class ClassEditor(QObject):
    def __init__(
        self,
        state: LabelState,
        session: Callable[[], LabelSession | None],
        dialogs: QWidget,
        show_error: Callable[[str], None],
    ) -> None:
        super().__init__(dialogs)
        self.state, self._session, self._dialogs, self._show_error = state, session, dialogs, show_error

    def _valid(self, class_id: int) -> bool:
        labels = self.state.label_set
        return labels is not None and 0 <= class_id < labels.num_classes

    def _apply(self, op) -> bool:
        session, labels = self._session(), self.state.label_set
        if session is None or labels is None:
            return False
        try:
            op(session.store, labels)
            self.state.set_label_set(session.store.label_set(default=labels))
        except FCNStudioError as exc:
            self._show_error(str(exc))
            return False
        return True

    def add_class(self, name: str | None = None, color: tuple[int, int, int] | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self._dialogs, self.tr("Add a class"), self.tr("Name of the new class:"))
            if not ok or not name.strip():
                return
        if self._apply(lambda store, labels: store.add_class(stored_name(name), color, default=labels)):
            self.state.set_class(self.state.label_set.num_classes - 1)

    def rename_class(self, class_id: int, name: str | None = None) -> None:
        if not self._valid(class_id):
            return
        if name is None:
            shown = display_name(self.state.label_set.classes[class_id])  # as the list shows it
            name, ok = QInputDialog.getText(
                self._dialogs, self.tr("Rename a class"), self.tr("New name:"), QLineEdit.EchoMode.Normal, shown
            )
            if not ok or not name.strip() or name.strip() == shown:
                return
        self._apply(lambda store, labels: store.rename_class(class_id, stored_name(name), default=labels))

    def recolour_class(self, class_id: int, color: tuple[int, int, int] | None = None) -> None:
        if not self._valid(class_id):
            return
        if color is None:
            current = QColor(*self.state.label_set.colors[class_id])
            chosen = QColorDialog.getColor(current, self._dialogs, self.tr("Class colour"))
            if not chosen.isValid():
                return
            color = (chosen.red(), chosen.green(), chosen.blue())
        self._apply(lambda store, labels: store.recolour_class(class_id, color, default=labels))

    def new_label_set(self, names: list[str] | None = None) -> None:
        """A label set of the folder's own (e.g. background, crack, rust), whatever the model."""
        session = self._session()
        if session is None:
            return
        if names is None:
            names = self._ask_names()
            if not names or not self.confirm_new_meaning(session, self.tr("New label set")):
                return
        labels = LabelSet(session.store.folder.name, tuple(names), tuple(generic_labels(len(names)).colors))
        self.use_label_set(labels)

    def use_label_set(self, labels: LabelSet) -> bool:
        """Write ``labels`` as the folder's classes and paint with them."""
        session = self._session()
        if session is None:
            return False
        try:
            session.store.save_label_set(labels)
            self.state.set_label_set(session.store.label_set())
        except FCNStudioError as exc:
            self._show_error(str(exc))
            return False
        return True

    def confirm_new_meaning(self, session: LabelSession, title: str) -> bool:
        """Masks already saved keep their ids: ask before those ids mean other classes."""
        if not session.store.labelled_images():
            return True
        answer = QMessageBox.question(
            self._dialogs,
            title,
            self.tr("This folder already has masks; their class ids will mean the new classes. Go on?"),
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_names(self) -> list[str]:
        text, ok = QInputDialog.getText(
            self._dialogs,
            self.tr("New label set"),
            self.tr("Class names, separated by commas:"),
            text=display_name("background") + ", ",
        )
        return [stored_name(n) for n in text.replace("，", ",").split(",") if n.strip()] if ok else []
