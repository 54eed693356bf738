"""docs/api.md is the docstrings, current: a changed docstring without a regenerated page fails."""

from __future__ import annotations

import inspect

import fcn_studio.api as api
from fcn_studio.api import reference


def test_the_api_reference_page_is_current():
    assert reference.PAGE.read_text(encoding="utf-8") == reference.render(), (
        "docs/api.md is out of date: run python -m fcn_studio.api.reference"
    )


def test_the_page_covers_every_public_name_and_method():
    assert set(reference.ORDER) == set(api.__all__) - {"PRECISIONS"}
    page = reference.render()
    for name in reference.ORDER:
        obj = getattr(api, name)
        assert f"## {name}" in page
        for member, value in vars(obj).items() if inspect.isclass(obj) else ():
            if not member.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
                assert f"### {name}.{member}" in page
                assert inspect.getdoc(value.fget if isinstance(value, property) else value), f"{name}.{member}"


def test_the_readme_links_the_page():
    readme = (reference.ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/api.md)" in readme
