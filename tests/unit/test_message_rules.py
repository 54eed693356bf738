"""Rules every user-facing message outside the command line keeps, checked on the source (AST):

- it is a template with named values, ``FCNStudioError("{path}: no such file", path=p)``,
  never an f-string, ``.format()``, ``%`` or ``+`` (those cannot be translated);
- the Chinese catalogue translates every template the core raises.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fcn_studio"
CATALOGUE = PACKAGE.parent / "resources" / "i18n" / "fcn_studio_zh_CN.ts"
ROOT_ERROR = "FCNStudioError"
# Calls whose first argument is a sentence for the user (besides the error classes).
MESSAGE_CALLS = {"Message", "MessageEvent"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _sources(outside: tuple[str, ...] = ("cli",)) -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in outside and "__pycache__" not in path.parts
    }


def error_classes(trees) -> set[str]:
    """FCNStudioError and every class that derives from it, by name, found in the source."""
    family = {ROOT_ERROR}
    classes = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if any(_name(b) in family for b in c.bases)} - family
        if not more:
            return family
        family |= more


def untranslatable(tree: ast.Module, calls: set[str]) -> list[int]:
    """Lines where a message is built so that no catalogue can look it up."""
    bad = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) in calls and node.args):
            continue
        first = node.args[0]
        built = (
            isinstance(first, ast.JoinedStr)
            or (isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add | ast.Mod))
            or (isinstance(first, ast.Call) and _name(first.func) == "format" and not _translated(first.func))
        )
        if built:
            bad.append(node.lineno)
    return bad


def _translated(format_attr: ast.expr) -> bool:
    """``self.tr("...").format(...)``: the interface's own text, already translated."""
    receiver = getattr(format_attr, "value", None)
    return isinstance(receiver, ast.Call) and _name(receiver.func) in ("tr", "translate")


def test_no_message_outside_the_command_line_is_an_f_string():
    trees = _sources()
    calls = error_classes(trees.values()) | MESSAGE_CALLS
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path, tree in trees.items()
        for line in untranslatable(tree, calls)
    ]
    assert not offenders, "write these as Message templates with named values:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        'raise FCNStudioError(f"{path}: bad")',
        'raise MyError(f"{path}: bad")',
        'raise FCNStudioError("{}: bad".format(path))',
        'emit(MessageEvent("epoch " + str(n)))',
        'raise errors.FCNStudioError("%s: bad" % path)',
    ],
)
def test_the_rule_catches_a_new_one(source):
    tree = ast.parse("class MyError(FCNStudioError): pass\n" + source)
    assert untranslatable(tree, error_classes([tree]) | MESSAGE_CALLS) == [2]


def test_the_rule_allows_templates():
    tree = ast.parse(
        'raise FCNStudioError("{path}: bad", path=path)\nraise ValueError(f"{x} is internal")\n'
        'raise FCNStudioError(self.tr("{x}: bad").format(x=x))'
    )
    assert untranslatable(tree, error_classes([tree]) | MESSAGE_CALLS) == []


def core_templates() -> set[str]:
    """Every template written as a literal in a message call outside the gui and the cli
    (the gui's own texts are tr() strings, the cli's stay English)."""
    trees = _sources(outside=("cli", "gui"))
    calls = error_classes(trees.values()) | MESSAGE_CALLS | {"Cancelled"}
    found = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in calls and node.args:
                first = node.args[0]
                for choice in (first.body, first.orelse) if isinstance(first, ast.IfExp) else (first,):
                    if isinstance(choice, ast.Constant) and isinstance(choice.value, str) and choice.value.strip():
                        found.add(choice.value)
    return found


def catalogue() -> dict[str, str]:
    """The zh_CN catalogue's core context: English template -> finished translation."""
    root = ET.parse(CATALOGUE).getroot()
    out = {}
    for context in root.iter("context"):
        if context.findtext("name") != "core":
            continue
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") not in ("unfinished", "vanished", "obsolete"):
                out[message.findtext("source")] = translation.text or ""
    return out


def test_the_chinese_catalogue_covers_every_core_message():
    translated = catalogue()
    missing = sorted(t for t in core_templates() if not translated.get(t))
    assert not missing, (
        f"{len(missing)} core messages have no Chinese translation (python -m fcn_studio.gui.i18n update, "
        "then translate them in resources/i18n/fcn_studio_zh_CN.ts):\n" + "\n".join(missing[:20])
    )


FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*|`fcn-studio [^`]*`|\bfcn-studio (weights|train|segment|eval)\b")


def test_no_core_message_names_a_command_line_flag():
    """In the app a flag means nothing: the core says what to do in general words and names
    the remedy (``fix=``); the command line adds its flags (cli/hints.py)."""
    english = sorted(t for t in core_templates() if FLAG.search(t))
    chinese = sorted(t for t in catalogue().values() if FLAG.search(t))
    assert not english and not chinese, "\n".join(english + chinese)


def fixes() -> dict[str, str]:
    """Every ``fix="..."`` the core raises with, and where."""
    found = {}
    for path, tree in _sources(outside=("cli", "gui")).items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "fix":
                        for value in ast.walk(keyword.value):
                            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                                found[value.value] = f"{path.name}:{node.lineno}"
    return found


def test_the_command_line_has_its_flags_for_every_remedy():
    from fcn_studio.cli.hints import HINTS

    missing = {fix: where for fix, where in fixes().items() if fix not in HINTS}
    assert not missing and len(fixes()) >= 20, missing


def test_the_command_line_adds_its_flags_to_the_general_sentence(capsys, tmp_path):
    from fcn_studio.cli.main import main

    existing = tmp_path / "m.safetensors"
    existing.write_bytes(b"x")
    code = main(["train", "--data", str(tmp_path), "--out", str(existing), "--base", "scratch"])
    err = capsys.readouterr().err
    assert code == 1
    assert "or start over and replace it (--base " in err and "; --force starts over)" in err, err
    assert f"--out {tmp_path / 'm-2.safetensors'} trains on from it" in err, "the nested message's value is used"
