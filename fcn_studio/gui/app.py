"""Application start-up: a window on screen fast; torch is imported later, off the GUI thread."""

from __future__ import annotations

import sys
import time

from fcn_studio import environment

_START = time.perf_counter()


def run_app(paths: list[str]) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from fcn_studio import logs
    from fcn_studio.gui import crash, i18n
    from fcn_studio.gui.main_window import MainWindow, show_when_idle
    from fcn_studio.gui.settings import Settings
    from fcn_studio.resources_path import resource

    app = QApplication.instance() or QApplication(sys.argv[:1])
    logs.configure(to_file=True)
    crash.install(app)
    app.setApplicationName("FCN Studio")
    app.setOrganizationName("FCN Studio")
    app.setDesktopFileName("fcn-studio")
    icon = resource("icons/fcn-studio.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    style = resource("styles/app.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    smoke = environment.read(environment.SMOKE_TEST)
    settings = Settings()
    i18n.install(i18n.chosen_language(settings), app)
    window = MainWindow(settings)
    window.persist_window = not smoke
    window.show()
    if smoke:
        # Used by CI and bench/: report when the window is on screen, then quit.
        def done() -> None:
            torch_loaded = "torch" in sys.modules
            print(
                f"window shown {time.perf_counter() - _START:.3f} s after start; torch imported: {torch_loaded}",
                flush=True,
            )
            window.close()
            app.quit()

        QTimer.singleShot(0, done)
    else:
        show_when_idle(window, paths)
    return app.exec()
