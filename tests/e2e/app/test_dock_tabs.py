"""Dock tabs at the default window size: each tab shows its whole title, in English and in
Chinese (and with a larger desktop font), with and without Label mode's panel beside the
legend; leaving Label mode gives the panel's room back to the image."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QTabBar

from fcn_studio.gui import i18n
from fcn_studio.gui.main_window import LEGEND_WIDTH, MainWindow
from fcn_studio.storage import weights
from tests.e2e.app.label_kit import MODEL_ID, make_window, open_and_label


def dock_tab_bars(win: MainWindow) -> list[QTabBar]:
    """The tab bars of tabified docks (the central widget's own tabs are not among them)."""
    return [bar for bar in win.findChildren(QTabBar) if bar.parent() is win and bar.isVisible()]


def cut_titles(win: MainWindow) -> list[str]:
    """Each dock tab whose title does not fit its tab, or whose tab is not wholly shown."""
    out = []
    for bar in dock_tab_bars(win):
        for i in range(bar.count()):
            text, rect = bar.tabText(i), bar.tabRect(i)
            needed = bar.fontMetrics().horizontalAdvance(text)
            elided = bar.fontMetrics().elidedText(text, bar.elideMode(), rect.width() - 8)
            if needed > rect.width() - 8 or not bar.rect().contains(rect) or (bar.elideMode() and elided != text):
                out.append(f"{text!r}: {needed} px of text in a tab {rect.width()} px wide, bar {bar.width()} px")
    return out


@pytest.fixture(params=[("en", 0), ("zh_CN", 0), ("en", 12)], ids=["en", "zh_CN", "en-12pt"])
def language(request, qapp):
    """The interface language, and a larger desktop font (0: Qt's own size)."""
    code, points = request.param
    font = QApplication.font()
    if points:
        bigger = QFont(font)
        bigger.setPointSize(points)
        QApplication.setFont(bigger)
    assert i18n.install(code, qapp)
    yield code
    i18n.install("en", qapp)
    QApplication.setFont(font)


def test_dock_tab_titles_fit_at_the_default_size(qtbot, language, weights_home, caffe_layout_file, tmp_path, folder):
    weights.import_weights(caffe_layout_file("fcn8s"), MODEL_ID)
    win = make_window(qtbot, tmp_path / "settings.ini", size=MainWindow.DEFAULT_SIZE)
    try:
        lm = open_and_label(qtbot, win, folder / "p0.png")
        lm.actions.next_uncertain.trigger()  # the uncertain images, a tab beside the legend
        qtbot.waitUntil(lambda: lm.uncertain.task is None and bool(lm.uncertain.dock.ranking), timeout=60_000)
        qtbot.wait(50)  # laid out
        assert dock_tab_bars(win), "the legend and the uncertain images share a tabbed dock"
        assert not cut_titles(win), cut_titles(win)
        lm.actions.mode.trigger()  # out of Label mode: the legend's column alone
        qtbot.wait(50)
        assert not cut_titles(win), cut_titles(win)
        # the Labels panel's room went back to the image (the column kept it, 600 px wide)
        assert win.legend.width() <= LEGEND_WIDTH and lm.uncertain.dock.width() <= LEGEND_WIDTH
    finally:
        win.close()
