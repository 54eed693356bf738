"""The shape of the code, checked: the core never imports Qt, nothing imports the GUI from
below, no import cycles between modules, and modules and functions stay small enough to
read. The order of the packages is import-linter's to check (pyproject.toml,
tests/unit/test_import_contracts.py)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "fcn_studio"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# Declarative tables and argument lists longer than a function should be, each with why.
LONG_FUNCTIONS_ALLOWED: dict[str, str] = {}
# `fcn-studio` with no command opens the app: the command line starts the GUI, on demand.
ENTRY_POINTS = {("fcn_studio.cli.main", "fcn_studio.gui.app")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


def imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Every module this one imports, at the top, inside a function (a lazy import is still
    a dependency) or under TYPE_CHECKING (a loop for the type checker is still a loop);
    `from pkg import mod` counts as importing pkg.mod."""
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)
    return found


def test_only_the_gui_imports_qt_and_nothing_imports_the_gui():
    mods = modules()
    offenders = [
        f"{name} imports {dep}"
        for name, tree in mods.items()
        if not name.startswith("fcn_studio.gui")
        for dep in imports(tree, set(mods))
        if dep.startswith(("PySide6", "fcn_studio.gui")) and (name, dep) not in ENTRY_POINTS
    ]
    assert not offenders, offenders


def test_no_import_cycles():
    mods = modules()
    graph = {name: {d for d in imports(tree, set(mods)) if d in mods and d != name} for name, tree in mods.items()}
    # a package's __init__ importing its own modules is how packages re-export: not a cycle
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + ".")}
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, cycles


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                result.append(component)
    return result


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        name = module_name(path)
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in ast.walk(tree):
            if isinstance(cls, ast.ClassDef):
                for item in cls.body:
                    item.parent_class = cls.name
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                qualified = _method_name(node, name)
                if length > MAX_FUNCTION_LINES and qualified not in LONG_FUNCTIONS_ALLOWED:
                    too_long.append(f"{qualified}: {length} lines")
    assert not too_long, too_long


def test_the_formatter_is_never_switched_off():
    """A `# fmt: off` or `# fmt: skip` hides a line from the format check, usually one kept
    under the size limits by hand: split such code by concept instead."""
    marked = [
        f"{module_name(path)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "fmt: off" in line or "fmt: skip" in line
    ]
    assert not marked, marked


def _method_name(node: ast.AST, module: str) -> str:
    owner = getattr(node, "parent_class", None)
    return f"{module}.{owner}.{node.name}" if owner else f"{module}.{node.name}"
