"""The package order in pyproject.toml ([tool.importlinter]) is a check that can fail: a copy
of the package with imports planted against it breaks each contract, by name."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
PLANTS = {  # file -> a line that goes against the order
    "storage/titles.py": "from fcn_studio.inference import device  # upward: storage sits below inference",
    "data/stats.py": "import PySide6  # Qt below the GUI",
    "application/__init__.py": "from fcn_studio.gui import settings  # the GUI imported from below",
    # a loop seen only by the type checker is still a loop
    "models/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fcn_studio.storage.heads",
}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    args = [sys.executable, "-c", code, "--no-cache"]
    return subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=300)


def test_the_package_order_holds():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_planted_import_against_the_order_breaks_each_contract(tmp_path):
    shutil.copytree(ROOT / "fcn_studio", tmp_path / "fcn_studio", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for file, line in PLANTS.items():
        with open(tmp_path / "fcn_studio" / file, "a", encoding="utf-8") as f:
            f.write(f"\n{line}\n")
    result = lint_imports(tmp_path)
    out = result.stdout
    assert result.returncode != 0, out
    assert "fcn_studio.storage is not allowed to import fcn_studio.inference" in out
    assert "fcn_studio.data.stats -> PySide6" in out
    assert "fcn_studio.application -> fcn_studio.gui.settings" in out
    assert "- .models -> .storage" in out  # the acyclic contract names the loop's weak edge
    for contract in (
        "Packages import only downwards",
        "Only the command line (and the package's __main__) imports the GUI",
        "No Qt below the GUI",
        "No import cycle between the sub-packages of any package",
    ):
        assert f"{contract} BROKEN" in out, contract
