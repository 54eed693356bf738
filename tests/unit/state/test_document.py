"""What is open is a Qt-free evented model: opening, moving and an image's size are each
announced once, and the position always lies within the files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fcn_studio.state.document import Document, OpenDocument


def test_opening_and_moving_are_announced_once_each():
    doc = OpenDocument()
    changes, paths = [], []
    doc.changed.connect(changes.append)
    doc.path_changed.connect(paths.append)
    doc.open(["f/a.png", "f/b.png", "f/c.png"], 0)
    doc.go_to(0)  # already there: silent
    doc.go_to(9)  # clamped to the last
    assert [c.index for c in changes] == [0, 2] and paths == [Path("f/a.png"), Path("f/c.png")]
    assert doc.folder == Path("f") and not changes[-1].has_next and changes[-1].has_previous


def test_the_image_size_is_known_once_decoded_and_forgotten_on_moving():
    doc = OpenDocument()
    sizes = []
    doc.image_size_changed.connect(sizes.append)
    doc.open(["a.png", "b.png"], 0)
    doc.set_image_size((640, 480))
    doc.set_image_size((640, 480))
    doc.go_to(1)  # another image: its size comes when it has decoded
    assert sizes == [(640, 480), None] and doc.image_size is None


def test_a_new_list_keeps_the_position_within_it_and_nothing_open_is_minus_one():
    doc = OpenDocument()
    assert doc.document == Document() and doc.path is None and doc.folder is None
    doc.go_to(3)  # nothing open: nothing happens
    assert doc.index == -1
    doc.open(["a", "b", "c"], 2)
    doc.open(["x"])  # an undone open restores the previous list and position this way too
    assert doc.index == 0 and doc.path == Path("x")
    doc.open([], -1)
    assert doc.index == -1 and doc.path is None


def test_the_model_needs_no_qt():
    code = "import sys, fcn_studio.state.document; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
