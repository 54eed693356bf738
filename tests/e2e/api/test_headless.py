"""The headless install: with PySide6 absent (no ``gui`` extra) the Python API and the command
line import and run, and the app says which command installs it. PySide6 is blocked by an
import hook in a fresh interpreter, as if it were not installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.builders import make_image

ROOT = Path(__file__).resolve().parents[3]
BLOCK_PYSIDE6 = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoPySide6(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith(("PySide6.", "shiboken6")):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoPySide6())
    """
)


def run_without_pyside6(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "headless.py"
    script.write_text(BLOCK_PYSIDE6 + textwrap.dedent(code), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path
    )


def test_the_blocker_blocks(tmp_path):
    done = run_without_pyside6("import PySide6\n", tmp_path)
    assert done.returncode != 0 and "No module named 'PySide6'" in done.stderr


@pytest.mark.slow  # converts to int8 / starts another process
def test_the_api_runs_without_pyside6(model_id, tmp_path):
    photo = make_image(tmp_path / "photo.png", size=(40, 32))
    done = run_without_pyside6(
        f"""
        import sys
        from fcn_studio import load_model
        model = load_model({model_id!r}, device="cpu")
        result = model.predict({str(photo)!r})
        result.save("mask.png")
        print(result.labels.shape, result.confidence.dtype, repr(model))
        assert not any(m.startswith("PySide6") for m in sys.modules)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "(32, 40) float32" in done.stdout and (tmp_path / "mask.png").is_file()


@pytest.mark.slow  # converts to int8 / starts another process
def test_the_command_line_runs_without_pyside6_and_the_app_says_how_to_install_it(model_id, tmp_path):
    photo = make_image(tmp_path / "photo.png", size=(40, 32))
    done = run_without_pyside6(
        f"""
        import sys
        from fcn_studio.cli.main import main
        code = main(["segment", {str(photo)!r}, "--model", {model_id!r}, "--out", "out", "--device", "cpu"])
        assert code == 0, code
        assert main(["weights", "list"]) == 0
        sys.exit(main([]))
        """,
        tmp_path,
    )
    assert (tmp_path / "out" / "photo.png").is_file(), done.stderr
    assert done.returncode == 1
    assert "pip install 'fcn-studio[gui]'" in done.stderr and "Traceback" not in done.stderr
