"""The environment-variable schema: typed reads, defaults, errors, and the README's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcn_studio import environment
from fcn_studio.errors import FCNStudioError


def test_unset_or_empty_reads_as_the_default(monkeypatch):
    monkeypatch.delenv("FCN_STUDIO_DIST_TIMEOUT", raising=False)
    assert environment.read(environment.DIST_TIMEOUT) == 600.0
    monkeypatch.setenv("FCN_STUDIO_SMOKE_TEST", "")
    assert environment.read(environment.SMOKE_TEST) is False


def test_values_are_read_as_their_type(monkeypatch):
    monkeypatch.setenv("FCN_STUDIO_DIST_TIMEOUT", "30")
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", "~/w")
    monkeypatch.setenv("FCN_STUDIO_SMOKE_TEST", "1")
    monkeypatch.setenv("FCN_STUDIO_MODEL_CACHE_MB", "512")
    assert environment.read(environment.DIST_TIMEOUT) == 30.0
    assert environment.read(environment.WEIGHTS) == Path.home() / "w"
    assert environment.read(environment.SMOKE_TEST) is True
    assert environment.read(environment.MODEL_CACHE_MB) == 512


def test_an_unreadable_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("FCN_STUDIO_MODEL_CACHE_MB", "lots")
    with pytest.raises(FCNStudioError, match="FCN_STUDIO_MODEL_CACHE_MB"):
        environment.read(environment.MODEL_CACHE_MB)


def test_every_variable_read_anywhere_is_declared_and_documented():
    root = Path(environment.__file__).parent
    declared = {v.name for v in environment.VARIABLES}
    for path in root.rglob("*.py"):
        if path.name == "environment.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert 'os.environ.get("FCN_STUDIO' not in text and 'os.getenv("FCN_STUDIO' not in text, path
    readme = (root.parent / "README.md").read_text(encoding="utf-8")
    assert environment.markdown_table() in readme
    assert len(declared) == len(environment.VARIABLES), "each variable declared once"
