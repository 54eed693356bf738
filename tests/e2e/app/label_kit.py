"""Label mode as a user drives it (real mouse and key events on the canvas), shared by the
Label-mode tests; their fixtures (``folder``, ``win``) are in conftest.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtTest import QTest

from fcn_studio.gui.main_window import MainWindow
from fcn_studio.gui.settings import Settings

MODEL_ID = "rand"
LEFT = Qt.MouseButton.LeftButton


def make_window(qtbot, settings_path: Path, size: tuple[int, int] = (1100, 800)) -> MainWindow:
    """A shown main window whose settings live in ``settings_path`` (a restart reopens it)."""
    window = MainWindow(Settings(QSettings(str(settings_path), QSettings.Format.IniFormat)))
    window.persist_window = False
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_and_label(qtbot, win, image: Path):
    with qtbot.waitSignal(win.workspace.image_shown, timeout=30_000):
        win.open_paths([str(image)])
    qtbot.waitUntil(lambda: win.workspace.current_result is not None, timeout=60_000)  # of this image
    if not win.label_mode.active:
        win.label_mode.actions.mode.trigger()  # the toolbar toggle (L)
    qtbot.waitUntil(lambda: win.label_mode.session is not None and str(win.label_mode.session.image) == str(image))
    return win.label_mode


def at(win, x: int, y: int):
    """The viewport position of the centre of image pixel (x, y)."""
    return win.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))


def drag(qtbot, win, points) -> None:
    vp = win.canvas.viewport()
    qtbot.mousePress(vp, LEFT, pos=at(win, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(vp, at(win, *p))
    qtbot.mouseRelease(vp, LEFT, pos=at(win, *points[-1]))


def click(qtbot, win, x: int, y: int) -> None:
    qtbot.mouseClick(win.canvas.viewport(), LEFT, pos=at(win, x, y))


def key(qtbot, win, k) -> None:
    """A key as the user types it, over the canvas (window shortcuts included)."""
    win.activateWindow()
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, k) if not isinstance(k, tuple) else qtbot.keyClick(win.canvas, k[0], k[1])


def saved(qtbot, lm, image: Path) -> np.ndarray:
    """The mask on disk once autosave has written the latest edit."""
    path = image.parent / "masks" / f"{image.stem}.png"
    qtbot.waitUntil(lambda: path.is_file() and not lm.session.dirty, timeout=5000)
    with Image.open(path) as im:
        assert im.mode == "P"
        return np.array(im)
