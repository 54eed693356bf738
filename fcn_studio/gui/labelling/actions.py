"""Label mode's actions and toolbar, declared in one place; :meth:`LabelActions.bind`
makes them a binding of the :class:`LabelState` (checked tool, live mode, class keys)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from fcn_studio.gui.actions import _action
from fcn_studio.state.label_tools import LabelState, Tool

translate = QCoreApplication.translate


@dataclass
class LabelActions:
    mode: QAction
    brush: QAction
    eraser: QAction
    fill: QAction
    polygon: QAction
    smaller: QAction
    bigger: QAction
    undo: QAction
    redo: QAction
    cycle_view: QAction
    retrain: QAction
    live: QAction
    next_uncertain: QAction
    classes: list[QAction]  # keys 0-9: class 0-9

    @property
    def tools(self) -> dict[str, QAction]:
        return {"brush": self.brush, "eraser": self.eraser, "fill": self.fill, "polygon": self.polygon}

    def in_mode(self) -> list[QAction]:
        """Actions that only make sense in Label mode."""
        return [*self.tools.values(), self.smaller, self.bigger, self.undo, self.redo, self.cycle_view, *self.classes]

    def bind(self, state: LabelState) -> None:
        """Triggering an action writes ``state``; the checked tool and Live follow it."""
        for name, action in self.tools.items():
            action.triggered.connect(lambda _c=False, t=name: state.set_tool(Tool(t)))
        state.tool_changed.connect(lambda t: self.tools[t.value].setChecked(True))
        self.tools[state.tool.value].setChecked(True)
        self.smaller.triggered.connect(lambda: state.grow(1 / 1.25))
        self.bigger.triggered.connect(lambda: state.grow(1.25))
        self.cycle_view.triggered.connect(state.cycle_view)
        for cid, action in enumerate(self.classes):
            action.triggered.connect(lambda _c=False, c=cid: state.set_class(c))
        self.live.toggled.connect(state.set_live)
        state.live_changed.connect(lambda on: self.live.setChecked(on))  # a Qt builtin shows psygnal no signature
        self.live.setChecked(state.live)


def build_label_actions(win: QMainWindow) -> LabelActions:
    def tool(text: str, key: str, tip: str) -> QAction:
        a = _action(win, text, (key,), tip)
        a.setCheckable(True)
        group.addAction(a)
        return a

    group = QActionGroup(win)
    mode = _action(
        win,
        translate("LabelActions", "&Label Mode"),
        ("L",),
        translate("LabelActions", "Paint labels over the image (L)"),
    )
    mode.setCheckable(True)
    live = _action(
        win,
        translate("LabelActions", "Li&ve Update"),
        (),
        translate("LabelActions", "After each stroke, a quick update of the prediction"),
    )
    live.setCheckable(True)
    classes = []
    for n in range(10):
        a = _action(win, translate("LabelActions", "Paint Class {n}").format(n=n), (str(n),))
        win.addAction(a)  # a shortcut without a menu entry
        classes.append(a)
    return LabelActions(
        mode=mode,
        brush=tool(translate("LabelActions", "&Brush"), "B", translate("LabelActions", "Paint the active class (B)")),
        eraser=tool(translate("LabelActions", "&Eraser"), "E", translate("LabelActions", "Back to unlabelled (E)")),
        fill=tool(
            translate("LabelActions", "&Fill"),
            "G",
            translate("LabelActions", "Fill a connected region with the active class (G)"),
        ),
        polygon=tool(
            translate("LabelActions", "&Polygon"),
            "P",
            translate("LabelActions", "Click corners, double-click or Enter to fill; or drag a lasso (P)"),
        ),
        smaller=_action(
            win, translate("LabelActions", "Smaller Brush"), ("[",), translate("LabelActions", "Smaller brush ([)")
        ),
        bigger=_action(
            win, translate("LabelActions", "Bigger Brush"), ("]",), translate("LabelActions", "Bigger brush (])")
        ),
        undo=_action(win, translate("LabelActions", "&Undo"), ("Ctrl+Z",), translate("LabelActions", "Undo (Ctrl+Z)")),
        redo=_action(
            win,
            translate("LabelActions", "&Redo"),
            ("Ctrl+Shift+Z", "Ctrl+Y"),
            translate("LabelActions", "Redo (Ctrl+Shift+Z)"),
        ),
        cycle_view=_action(
            win,
            translate("LabelActions", "Labels / Prediction / Both"),
            ("V",),
            translate("LabelActions", "Show labels, prediction or both (V)"),
        ),
        retrain=_action(
            win,
            translate("LabelActions", "Fine-&tune on My Labels"),
            ("Ctrl+R",),
            translate("LabelActions", "Train on every labelled image of this folder, in the background"),
        ),
        live=live,
        next_uncertain=_action(
            win,
            translate("LabelActions", "Ne&xt Uncertain Image"),
            ("N",),
            translate("LabelActions", "Open the unlabelled image the model is least sure about (N)"),
        ),
        classes=classes,
    )


def build_label_ui(win: QMainWindow, a: LabelActions) -> QToolBar:
    menu = QMenu(translate("LabelActions", "&Label"), win)
    menu.addAction(a.mode)
    menu.addSeparator()
    menu.addActions(list(a.tools.values()))
    menu.addActions([a.smaller, a.bigger])
    menu.addSeparator()
    menu.addActions([a.undo, a.redo, a.cycle_view])
    menu.addSeparator()
    menu.addActions([a.retrain, a.live, a.next_uncertain])
    bar = win.menuBar()
    help_menu = bar.actions()[-1] if bar.actions() else None
    bar.insertMenu(help_menu, menu) if help_menu else bar.addMenu(menu)
    win.addToolBarBreak()
    tb = QToolBar(translate("LabelActions", "Label"), win)
    tb.setObjectName("labelToolbar")
    tb.setMovable(False)
    win.addToolBar(tb)
    tb.addAction(a.mode)
    tb.addSeparator()
    tb.addActions(list(a.tools.values()))
    tb.addSeparator()
    tb.addActions([a.undo, a.redo])
    tb.addSeparator()
    tb.addActions([a.retrain, a.live, a.next_uncertain])
    return tb
