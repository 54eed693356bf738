"""Class lists as other tools write them, read into one meaning: name i is class id i.

- ``classes.txt`` / ``class_names.txt``: one name per line, optionally ``name r g b``.
- labelme's ``labels.txt``: ``__ignore__`` first (labelme's ignore label, 255 here, not a
  class), then ``_background_`` (class 0) and the classes; read so that it gives the same
  class ids as the ``class_names.txt`` labelme2voc writes beside it.
- CVAT's ``labelmap.txt``: ``name:r,g,b:parts:actions`` lines under a ``# label:...`` header.

Anything that cannot be read as such (not UTF-8, more than 255 classes, a name twice, a
broken colour such as ``crack 300 -1 x``) is refused with the file and line named, never
turned into a class silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.errors import FCNStudioError

LABELME_IGNORE = "__ignore__"
LABELME_BACKGROUND = "_background_"
MAX_CLASSES = 255  # ids 0..254; 255 is ignore / unlabelled
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass
class ClassList:
    """The classes of one file, in class-id order, and what was noticed reading it."""

    path: Path
    names: list[str]
    colors: list[tuple[int, int, int]] | None
    notes: list[str] = field(default_factory=list)


def read_class_list(path: str | Path) -> ClassList:
    """Read a class list; raises FCNStudioError naming the file (and line) for what it
    cannot hold."""
    path = Path(path)
    text = _read_text(path)
    names: list[str] = []
    colors: list[tuple[int, int, int]] = []
    lines: dict[str, int] = {}
    notes: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        name, color = _parse_line(path, number, line)
        if name == LABELME_IGNORE:
            # labelme's convention: pixels of this label are ignored (255), not a class
            notes.append(f"{path.name}: {LABELME_IGNORE} is labelme's ignore label (255), not a class")
            continue
        if name in lines:
            raise FCNStudioError(
                "{path}, lines {first} and {number}: the class {name!r} is listed twice; give every class its own name",
                path=path,
                first=lines[name],
                number=number,
                name=name,
            )
        lines[name] = number
        names.append(name)
        if color is not None:
            if color in colors:  # a colour-coded mask could not tell the two apart
                other = names[colors.index(color)]
                raise FCNStudioError(
                    "{path}, line {number}: {name!r} has the colour {color} of {other!r}; give every class its own "
                    "colour",
                    path=path,
                    number=number,
                    name=name,
                    color=",".join(map(str, color)),
                    other=other,
                )
            colors.append(color)
    if len(names) > MAX_CLASSES:
        raise FCNStudioError(
            "{path}: {n} classes, but a mask holds at most {max_classes} (ids 0-254; 255 = ignore); merge classes or remove lines",
            path=path,
            n=len(names),
            max_classes=MAX_CLASSES,
        )
    return ClassList(path, names, colors if colors and len(colors) == len(names) else None, notes)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FCNStudioError(
            "{path}: not UTF-8 text (byte {start}); save the class list as UTF-8 (one class per line)",
            path=path,
            start=exc.start,
        ) from None
    except OSError as exc:
        raise FCNStudioError(
            "{path}: cannot read the class list ({error})", path=path, error=exc.strerror or exc
        ) from None


def _parse_line(path: Path, number: int, line: str) -> tuple[str, tuple[int, int, int] | None]:
    """``name``, ``name r g b``, ``name,r,g,b`` or CVAT's ``name:r,g,b:parts:actions``."""
    if ":" in line:
        name, _, rest = line.partition(":")
        values = rest.partition(":")[0].replace(",", " ").split()
        name = name.strip()
    else:
        tokens = line.replace(",", " ").split()
        if len(tokens) < 4 or sum(bool(_INTEGER.match(t)) for t in tokens[-3:]) < 2:
            return line, None  # a name, possibly with spaces or a number in it ("type 2")
        name, values = " ".join(tokens[:-3]), tokens[-3:]
    if not values:
        return name, None
    if len(values) != 3 or not all(v.isdigit() and int(v) <= 255 for v in values):
        raise FCNStudioError(
            "{path}, line {number}: {line!r} is neither a class name nor `name r g b` (colour values go from 0 to 255); fix the colour or write the name alone",
            path=path,
            number=number,
            line=line,
        )
    if not name:
        raise FCNStudioError("{path}, line {number}: a colour without a class name", path=path, number=number)
    return name, (int(values[0]), int(values[1]), int(values[2]))


@dataclass
class ClassListCheck:
    """The dataset's class lists read and compared: names in two files that differ are a
    problem (which one is right cannot be known), labelme's __ignore__ is a note."""

    source: Path | None
    names: list[str] | None
    colors: list[tuple[int, int, int]] | None
    notes: list[str]
    problems: list[str]

    @classmethod
    def of(cls, files: list[Path]) -> ClassListCheck:
        lists = [read_class_list(f) for f in files]
        if not lists:
            return cls(None, None, None, [], [])
        first = lists[0]
        notes = [n for c in lists for n in c.notes]
        problems = [
            f"{first.path.name} and {other.path.name} name different classes "
            f"({_first_difference(first.names, other.names)}); keep one class list, or make them agree"
            for other in lists[1:]
            if other.names != first.names
        ]
        return cls(first.path, first.names, first.colors, notes, problems)


def _first_difference(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"class {i}: {x!r} or {y!r}"
    return f"{len(a)} or {len(b)} classes"
