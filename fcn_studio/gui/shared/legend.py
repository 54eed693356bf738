"""The legend dock: classes present, their colour and share, and visibility toggles."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fcn_studio.data.stats import ClassStat
from fcn_studio.gui.shared.class_names import display_name

BACKGROUND_NAMES = {"background", "_background_", "bg", "backdrop", "void"}


def background_ids(class_names) -> list[int]:
    return [i for i, name in enumerate(class_names) if name.strip().lower() in BACKGROUND_NAMES]


def swatch(color: tuple[int, int, int], size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(*color))
    return QIcon(pix)


class LegendDock(QDockWidget):
    """Emits ``visibility_changed(hidden_ids)`` whenever a class is shown or hidden."""

    visibility_changed = Signal(object)  # frozenset of hidden class ids

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("LegendDock", "Legend"), parent)
        self.setObjectName("legend")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Class"), self.tr("Share")])
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self.show_only(item.data(0, Qt.ItemDataRole.UserRole)))
        self.show_all_button = QPushButton(self.tr("Show all"))
        self.show_all_button.clicked.connect(self.show_all)
        self.only_button = QPushButton(self.tr("Only selected"))
        self.only_button.setToolTip(self.tr("Show only the selected class (or double-click a class)"))
        self.only_button.clicked.connect(self._only_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_all_button)
        buttons.addWidget(self.only_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._hidden: frozenset[int] = frozenset()
        self._updating = False
        self._label_set_name: str | None = None
        self._transparent: frozenset[int] = frozenset()  # the label set's background classes

    @property
    def hidden(self) -> frozenset[int]:
        return self._hidden

    def set_stats(self, rows: list[ClassStat]) -> None:
        """Show the classes of a new result; hidden classes stay hidden across images."""
        self._updating = True
        self.tree.clear()
        for r in rows:
            share = f"{100 * r.share:.1f} %" if r.share >= 0.001 else "< 0.1 %"
            item = QTreeWidgetItem([f"{r.class_id:>3}  {display_name(r.name)}", share])
            item.setIcon(0, swatch(r.color))
            item.setData(0, Qt.ItemDataRole.UserRole, r.class_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Unchecked if r.class_id in self._hidden else Qt.CheckState.Checked)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, self.tr("{name}: {pixels:,} pixels").format(name=display_name(r.name), pixels=r.pixels))
            self.tree.addTopLevelItem(item)
        self._updating = False

    def use_label_set(self, label_set) -> None:
        """A new label set starts with its background class(es) hidden, i.e. transparent: a
        black VOC background at the overlay's opacity would darken the whole photo. Ticking
        it shows it; unticking any class makes it transparent too."""
        if label_set.name == self._label_set_name:
            return
        self._label_set_name = label_set.name
        self._transparent = frozenset(background_ids(label_set.classes))
        self.set_hidden(self._transparent)

    def set_hidden(self, hidden: frozenset[int]) -> None:
        self._hidden = frozenset(hidden)
        self._updating = True
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            cid = item.data(0, Qt.ItemDataRole.UserRole)
            item.setCheckState(0, Qt.CheckState.Unchecked if cid in self._hidden else Qt.CheckState.Checked)
        self._updating = False
        self.visibility_changed.emit(self._hidden)

    def show_all(self) -> None:
        """Every class, except those drawn transparent by default (background): "Show all"
        undoes "Only selected", it does not paint the photo black. Tick one to show it."""
        self.set_hidden(frozenset(self._transparent))

    def show_only(self, class_id: int) -> None:
        self.set_hidden(frozenset(range(256)) - {class_id})

    def _only_selected(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self.show_only(item.data(0, Qt.ItemDataRole.UserRole))

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        cid = item.data(0, Qt.ItemDataRole.UserRole)
        checked = item.checkState(0) == Qt.CheckState.Checked
        self._hidden = self._hidden - {cid} if checked else self._hidden | {cid}
        self.visibility_changed.emit(self._hidden)

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        cid = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        only = QAction(self.tr("Show only this class"), menu)
        only.triggered.connect(lambda: self.show_only(cid))
        everything = QAction(self.tr("Show all classes"), menu)
        everything.triggered.connect(self.show_all)
        menu.addActions([only, everything])
        menu.exec(self.tree.viewport().mapToGlobal(pos))
