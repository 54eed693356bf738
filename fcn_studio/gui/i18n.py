"""Interface languages, the Qt way: QTranslators for the app's compiled ``.qm`` and for Qt's
own dialogs (``qtbase``), chosen from the settings or else the system locale.

The ``.ts`` sources live in ``resources/i18n/`` and are kept in step with the code by
``python -m fcn_studio.gui.i18n update`` (pyside6-lupdate over the gui package, then
pyside6-lrelease); ``build`` only compiles. The CLI stays English and never loads these.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QProcess, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from fcn_studio.resources_path import resource

SOURCE_LANGUAGE = "en"
# Each language's name is written in that language, so anyone can find their own.
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文"}
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)
SETTING = "language"
APP_CATALOG = "fcn_studio"
GUI_PACKAGE = Path(__file__).resolve().parent

_installed: list[QTranslator] = []
_current = SOURCE_LANGUAGE


def ts_path(language: str) -> Path:
    return resource(f"i18n/{APP_CATALOG}_{language}.ts")


def qm_path(language: str) -> Path:
    return resource(f"i18n/{APP_CATALOG}_{language}.qm")


def system_language(locale: QLocale | None = None) -> str:
    """The interface language for a locale: Chinese for any zh_* locale (the Simplified
    translation is the one there is), else English."""
    name = (locale or QLocale.system()).name()
    return "zh_CN" if name.startswith("zh") else SOURCE_LANGUAGE


def chosen_language(settings) -> str:
    """The language set in View > Language, else the system's."""
    value = str(settings.get(SETTING, "") or "")
    return value if value in LANGUAGES else system_language()


def current_language() -> str:
    return _current


def install(language: str, app: QCoreApplication | None = None) -> bool:
    """Replace the installed translators by ``language``'s (none for English). Qt sends a
    LanguageChange event to every widget. Returns False if a catalogue could not be loaded."""
    global _current
    app = app or QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _current = SOURCE_LANGUAGE
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        QLocale.setDefault(QLocale.system())
        return language == SOURCE_LANGUAGE
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ok = True
    for name, folder in ((f"qtbase_{language}", qt_dir), (f"{APP_CATALOG}_{language}", str(qm_path(language).parent))):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            ok = False
    _current = language
    # Numbers, dates and Qt's own dialogs follow the interface language.
    QLocale.setDefault(QLocale(language))
    return ok


# -- View > Language ---------------------------------------------------------------------------


def build_language_menu(win: QMainWindow) -> tuple[QMenu, dict[str, QAction]]:
    menu = QMenu(QCoreApplication.translate("Language", "&Language"), win)
    group = QActionGroup(menu)
    actions: dict[str, QAction] = {}
    for code, name in LANGUAGES.items():
        action = QAction(name, menu)
        action.setCheckable(True)
        action.setChecked(code == current_language())
        group.addAction(action)
        menu.addAction(action)
        actions[code] = action
    return menu, actions


def attach_language_menu(win: QMainWindow, actions: dict[str, QAction], settings) -> None:
    """Remember the choice and offer to restart, which redraws every window in it."""
    for code, action in actions.items():
        action.triggered.connect(lambda _checked=False, c=code: choose_language(win, settings, c))


def choose_language(win: QMainWindow, settings, language: str) -> None:
    previous = chosen_language(settings)
    settings.set(SETTING, language)
    settings.q.sync()  # on disk before a restarted app reads it
    if language == previous and language == current_language():
        return
    # The question is asked in the language chosen: its reader may not read the current one.
    target = QTranslator()
    if language != SOURCE_LANGUAGE:
        target.load(f"{APP_CATALOG}_{language}", str(qm_path(language).parent))

    def say(text: str) -> str:
        return target.translate("Language", text) or text

    texts = (QT_TRANSLATE_NOOP("Language", "Language"),
             QT_TRANSLATE_NOOP("Language", "FCN Studio shows the new language after a restart. Restart now?"),
             QT_TRANSLATE_NOOP("Language", "Restart now"), QT_TRANSLATE_NOOP("Language", "Later"))  # fmt: skip
    title, question, now, later = (say(t) for t in texts)
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=win)
    restart = box.addButton(now, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(later, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is restart:
        restart_app(win)


def restart_app(win: QMainWindow) -> None:
    """Close (which saves the window's layout and stops background work), then start the
    same command line again."""
    args = list(sys.orig_argv[1:]) if getattr(sys, "orig_argv", None) else list(sys.argv)
    win.close()
    QProcess.startDetached(sys.executable, args)


# -- tooling: python -m fcn_studio.gui.i18n update | build  ----------------------------------


def _qt_tool(name: str) -> str:
    """PySide6's bundled Qt tool (the binaries that pyside6-lupdate / -lrelease wrap)."""
    import PySide6

    path = Path(PySide6.__file__).parent / (name + (".exe" if os.name == "nt" else ""))
    if not path.is_file():
        raise SystemExit(f"{path}: not found; install PySide6-Essentials (it ships {name})")
    return str(path)


def gui_sources() -> list[Path]:
    return sorted(p for p in GUI_PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def lupdate(ts_files: list[Path]) -> None:
    """Extract every tr()/translate() string of the gui package into the .ts files. No line
    numbers are stored, so moving code does not change them; strings no longer in the code
    are dropped."""
    root = GUI_PACKAGE.parents[1]
    sources = [str(p.relative_to(root)) for p in gui_sources()]
    cmd = [_qt_tool("lupdate"), "-silent", "-locations", "none", "-no-obsolete", *sources, "-ts", *map(str, ts_files)]
    subprocess.run(cmd, check=True, cwd=root)


def lrelease(ts_file: Path, qm_file: Path) -> None:
    subprocess.run([_qt_tool("lrelease"), "-silent", str(ts_file), "-qm", str(qm_file)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fcn_studio.gui.i18n", description="Keep the interface translations in step with the code."
    )
    parser.add_argument("command", choices=("update", "build"),
                        help="update: extract strings into the .ts files, then compile; build: compile only")  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "update":
        lupdate([ts_path(lang) for lang in TRANSLATED])
    for lang in TRANSLATED:
        lrelease(ts_path(lang), qm_path(lang))
        print(f"{qm_path(lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
