"""Label sets: class names with their colours, and the PASCAL VOC palette."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

IGNORE_INDEX = 255

VOC_CLASSES: tuple[str, ...] = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


def voc_colormap(n: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map: bits of the class id spread over R, G and B.

    Returns an ``(n, 3)`` uint8 array; class 1 is (128, 0, 0), 255 is (224, 224, 192).
    """
    cmap = np.zeros((n, 3), dtype=np.uint8)
    for index in range(n):
        c, r, g, b = index, 0, 0, 0
        for i in range(8):
            r |= ((c >> 0) & 1) << (7 - i)
            g |= ((c >> 1) & 1) << (7 - i)
            b |= ((c >> 2) & 1) << (7 - i)
            c >>= 3
        cmap[index] = (r, g, b)
    return cmap


@dataclass(frozen=True)
class LabelSet:
    """Class names and their RGB colours, index = class id."""

    name: str
    classes: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]

    def __post_init__(self) -> None:
        # Checked here, where every label set is made (metadata, label files, datasets), so
        # a bad colour is refused on import and on load instead of crashing the palette later.
        if not self.classes:
            raise ValueError(f"label set {self.name!r} has no classes")
        if len(self.classes) > IGNORE_INDEX:
            raise ValueError(f"label set {self.name!r}: {len(self.classes)} classes, at most {IGNORE_INDEX}")
        if len(self.classes) != len(self.colors):
            raise ValueError(f"label set {self.name!r}: {len(self.classes)} names but {len(self.colors)} colours")
        for name, color in zip(self.classes, self.colors, strict=True):
            if not _is_rgb(color):
                raise ValueError(
                    f"label set {self.name!r}: class {name!r} has colour {color!r}, not three values 0-255"
                )

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def name_of(self, class_id: int) -> str:
        """The class's name; ids beyond the set read as "label N", 255 as "ignore"."""
        if 0 <= class_id < self.num_classes:
            return self.classes[class_id]
        return "ignore" if class_id == IGNORE_INDEX else f"label {class_id}"

    def palette(self) -> np.ndarray:
        """A 256-entry RGB palette: the classes' colours, VOC colours beyond, 255 = ignore."""
        pal = voc_colormap(256)
        pal[: self.num_classes] = np.asarray(self.colors, dtype=np.uint8).reshape(-1, 3)
        return pal

    def to_dict(self) -> dict:
        return {"name": self.name, "classes": list(self.classes), "colors": [list(c) for c in self.colors]}

    @classmethod
    def from_dict(cls, data: dict) -> LabelSet:
        """Raises ValueError (or TypeError) for anything that is not a valid label set."""
        if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
            raise ValueError("labels must be an object with a list of classes")
        colors = data.get("colors")
        if not isinstance(colors, list) or not all(isinstance(c, list | tuple) for c in colors):
            raise ValueError("label colours must be a list of [r, g, b] lists")
        return cls(
            name=str(data["name"]),
            classes=tuple(str(c) for c in data["classes"]),
            colors=tuple(tuple(c) for c in colors),  # type: ignore[misc]
        )


def _is_rgb(color: object) -> bool:
    return (
        isinstance(color, tuple)
        and len(color) == 3
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 <= v <= 255 for v in color)
    )


def voc_labels() -> LabelSet:
    cmap = voc_colormap(len(VOC_CLASSES))
    return LabelSet("voc", VOC_CLASSES, tuple(tuple(int(v) for v in c) for c in cmap))  # type: ignore[arg-type]


def generic_labels(num_classes: int) -> LabelSet:
    """Names "class 0".."class N-1" with VOC colours, for models with no known label set."""
    if num_classes == len(VOC_CLASSES):
        return voc_labels()
    cmap = voc_colormap(max(num_classes, 1))
    names = tuple(f"class {i}" for i in range(num_classes))
    colors = tuple(tuple(int(v) for v in c) for c in cmap[:num_classes])
    return LabelSet(f"generic-{num_classes}", names, colors)  # type: ignore[arg-type]


def read_label_file(path: str | Path) -> tuple[list[str], list[tuple[int, int, int]] | None]:
    """Class names in class-id order, with colours when every line has one (``name r g b``,
    ``name,r,g,b`` or CVAT's ``name:r,g,b::``); labelme's ``__ignore__`` line is not a
    class. Raises FCNStudioError naming the file and line (see formats/class_lists.py)."""
    from fcn_studio.data.formats.class_lists import read_class_list

    classes = read_class_list(path)
    return classes.names, classes.colors


def load_label_file(path: str | Path) -> LabelSet:
    """A classes.txt / labels file as a label set (its colours, else VOC colours)."""
    from fcn_studio.errors import FCNStudioError

    try:
        names, colors = read_label_file(path)
    except OSError as exc:
        raise FCNStudioError(
            "{path}: cannot read the label file ({error})", path=path, error=exc.strerror or exc
        ) from None
    if not names:
        raise FCNStudioError("{path}: the label file has no class names (one per line)", path=path)
    try:
        return LabelSet(Path(path).stem, tuple(names), tuple(colors) if colors else generic_labels(len(names)).colors)
    except ValueError as exc:
        raise FCNStudioError(
            "{path}: {error}; write one class per line as `name` or `name r g b`", path=path, error=exc
        ) from None
