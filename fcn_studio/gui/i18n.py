"""Interface languages, the Qt way: QTranslators for the app's compiled ``.qm`` and for Qt's
own dialogs (``qtbase``), chosen from the settings or else the system locale.

The ``.ts`` sources live in ``resources/i18n/`` and are kept in step with the code by
``python -m fcn_studio.gui.i18n update`` (pyside6-lupdate over the gui package and the core's
message templates, then pyside6-lrelease); ``build`` only compiles. The CLI stays English and
never loads these; the core's messages (fcn_studio.messages) are translated in the "core"
context once a language is installed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QProcess, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from fcn_studio import messages
from fcn_studio.gui.settings import LANGUAGE
from fcn_studio.resources_path import resource

SOURCE_LANGUAGE = "en"
# Each language's name is written in that language, so anyone can find their own.
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文"}
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)
APP_CATALOG = "fcn_studio"
GUI_PACKAGE = Path(__file__).resolve().parent
CORE_PACKAGE = GUI_PACKAGE.parent
CORE_CONTEXT = "core"
# Calls whose first argument, written as a string literal, is a core message template.
MESSAGE_CALLS = frozenset(
    {"Message", "FCNStudioError", "Cancelled", "MaskExistsError", "FolderGoneError", "MaskDeletedError"}
)

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
    value = settings.read(LANGUAGE)
    return value if value in LANGUAGES else system_language()


def without_accelerator(text: str) -> str:
    """A menu text as a sentence: "&Open…" -> "Open…", "打开(&O)…" -> "打开…" ("&&" is an "&")."""
    text = re.sub(r"\(&\w\)", "", text)
    return re.sub(r"&(.)", r"\1", text)


def current_language() -> str:
    return _current


def translate_core(template: str) -> str:
    """A core message template in the interface language (as it is where untranslated)."""
    return QCoreApplication.translate(CORE_CONTEXT, template)


def install(language: str, app: QCoreApplication | None = None) -> bool:
    """Replace the installed translators by ``language``'s (none for English). Qt sends a
    LanguageChange event to every widget. Returns False if a catalogue could not be loaded."""
    global _current
    app = app or QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _current = SOURCE_LANGUAGE
    messages.set_translator(None)
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
    from fcn_studio.gui.shared.class_names import display_name

    messages.set_translator(translate_core, display_name)
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
    settings.write(LANGUAGE, language)
    settings.q.sync()  # on disk before a restarted app reads it
    if language == previous and language == current_language():
        return
    # The question is asked in the language chosen: its reader may not read the current one.
    target = QTranslator()
    if language != SOURCE_LANGUAGE:
        target.load(f"{APP_CATALOG}_{language}", str(qm_path(language).parent))

    def say(text: str) -> str:
        return target.translate("Language", text) or text

    texts = (
        QT_TRANSLATE_NOOP("Language", "Language"),
        QT_TRANSLATE_NOOP("Language", "FCN Studio shows the new language after a restart. Restart now?"),
        QT_TRANSLATE_NOOP("Language", "Restart now"),
        QT_TRANSLATE_NOOP("Language", "Later"),
    )
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


def core_templates() -> list[str]:
    """Every core message template written as a string literal: the first argument of
    ``Message(...)``, ``FCNStudioError(...)`` and its subclasses, outside the gui and the cli
    packages (the CLI's own messages are only ever English)."""
    found: dict[str, None] = {}
    for path in sorted(CORE_PACKAGE.rglob("*.py")):
        if path.parent.relative_to(CORE_PACKAGE).parts[:1] in (("gui",), ("cli",)) or "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and _call_name(node.func) in MESSAGE_CALLS):
                continue
            first = node.args[0]
            for choice in (first.body, first.orelse) if isinstance(first, ast.IfExp) else (first,):
                if isinstance(choice, ast.Constant) and isinstance(choice.value, str) and choice.value.strip():
                    found[choice.value] = None
    return list(found)


def _call_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def lupdate(ts_files: list[Path]) -> None:
    """Extract every tr()/translate() string of the gui package, and the core's message
    templates, into the .ts files. No line numbers are stored, so moving code does not
    change them; strings no longer in the code are dropped."""
    root = GUI_PACKAGE.parents[1]
    sources = [str(p.relative_to(root)) for p in gui_sources()]
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "core_messages.py"  # the core's templates, as lupdate reads them
        lines = [
            f"QT_TRANSLATE_NOOP({json.dumps(CORE_CONTEXT)}, {json.dumps(t, ensure_ascii=False)})"
            for t in core_templates()
        ]
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = [
            _qt_tool("lupdate"),
            "-silent",
            "-locations",
            "none",
            "-no-obsolete",
            *sources,
            str(listing),
            "-ts",
            *map(str, ts_files),
        ]
        subprocess.run(cmd, check=True, cwd=root)


def lrelease(ts_file: Path, qm_file: Path) -> None:
    subprocess.run([_qt_tool("lrelease"), "-silent", str(ts_file), "-qm", str(qm_file)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fcn_studio.gui.i18n", description="Keep the interface translations in step with the code."
    )
    parser.add_argument(
        "command",
        choices=("update", "build"),
        help="update: extract strings into the .ts files, then compile; build: compile only",
    )
    args = parser.parse_args(argv)
    if args.command == "update":
        lupdate([ts_path(lang) for lang in TRANSLATED])
    for lang in TRANSLATED:
        lrelease(ts_path(lang), qm_path(lang))
        print(f"{qm_path(lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
