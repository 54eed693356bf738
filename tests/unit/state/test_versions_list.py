"""The versions list is a Qt-free evented model: the Version box shows it, and it says
each real change once (the versions, their figures, the active one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from fcn_studio.labelling.versions import ModelVersion
from fcn_studio.state.versions_list import VersionsList


def _version(n: int) -> ModelVersion:
    vid = "crack" if n == 1 else f"crack-v{n}"
    return ModelVersion(vid, n, Path(f"{vid}.safetensors"), {}, "2026-01-01")


def test_versions_figures_and_the_active_one_are_announced_once():
    versions = VersionsList()
    changes, active = [], []
    versions.changed.connect(changes.append)
    versions.active_changed.connect(active.append)
    listed = (_version(1), _version(2))
    versions.set_versions(listed, "crack-v2")
    versions.set_versions(listed, "crack-v2")  # nothing new: silent
    assert len(changes) == 1 and active == ["crack-v2"]
    assert [e.id for e in changes[0]] == ["crack", "crack-v2"] and all(e.figure is None for e in changes[0])

    figure = SimpleNamespace(mean_iou=0.5, images=2, pixels=100)
    versions.set_figures({"crack": figure, "crack-v2": None})  # an unmeasured version has no figure
    assert [e.figure for e in versions.entries] == [figure, None]
    assert versions.figures == {"crack": figure}
    versions.set_versions(listed, "crack")  # going back: the figures stay, they rest on the same pixels
    assert active == ["crack-v2", "crack"] and versions.entries[0].figure is figure
    versions.clear_figures()
    assert versions.figures == {} and len(changes) == 4


def test_no_model_lists_nothing():
    versions = VersionsList()
    versions.show("")
    assert versions.entries == () and versions.active == ""


def test_the_model_needs_no_qt():
    code = "import sys, fcn_studio.state.versions_list; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
