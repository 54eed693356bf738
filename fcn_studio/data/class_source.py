"""Which classes a dataset names: one resolver, one order of precedence, for train, eval,
compare, segment and Label mode.

The order (first that applies wins):

1. names given on the command line (``train --class-names``);
2. COCO: the categories of the annotation file (class 0 = background, then by id);
3. a class list file (``classes.txt``, ``labels.txt``, ``class_names.txt``,
   ``labelmap.txt``; also in ``VOC2012/``) in the folder of the annotations, else one level
   above it (the dataset folder of a mask folder; labelme's ``labels.txt`` beside its
   annotations folder), else two levels above; where one level holds several lists they
   must agree;
4. labelme JSON: ``_background_`` then every label its files use, sorted;
5. nothing names them: the classes are ids (``class 0..N-1``).

:func:`match_by_name` then puts two named class lists (a model's and a dataset's) side by
side: classes are matched by name whenever both sides name them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.errors import FCNStudioError

LABEL_FILES = ("classes.txt", "labels.txt", "class_names.txt", "labelmap.txt")
_LEVELS = 3  # the annotations' folder and two above it
_DEFAULT_NAME = re.compile(r"^class \d+$")


@dataclass
class ClassSource:
    """The classes in use and where they come from."""

    names: list[str] | None  # None: nothing names them (ids only)
    origin: str  # "labels.txt (/data/labels.txt)", "COCO categories of a.json", ...
    file: Path | None = None
    colors: list[tuple[int, int, int]] | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def named(self) -> bool:
        return bool(self.names) and not all(_DEFAULT_NAME.match(n) for n in self.names)

    def describe(self) -> str:
        """One line for the command line: the class list in use and its origin."""
        if not self.names:
            return f"classes: unnamed ({self.origin})"
        shown = ", ".join(self.names[:12]) + (f" ... ({len(self.names)} in all)" if len(self.names) > 12 else "")
        return f"classes ({len(self.names)}) from {self.origin}: {shown}"


def label_files_in(folder: Path) -> list[Path]:
    """The class lists of one folder (and of its VOC2012/), the one that names first."""
    return [base / name for base in (folder, folder / "VOC2012") for name in LABEL_FILES if (base / name).is_file()]


def class_list_files(annotations: Path) -> list[Path]:
    """The class lists that name the classes of the annotations in ``annotations`` (a
    folder): those of the nearest folder that has any, from the annotations' folder up to
    two levels above it (rule 3 of the module's order)."""
    folder = Path(annotations)
    for _ in range(_LEVELS):
        found = label_files_in(folder)
        if found:
            return found
        if folder.parent == folder:
            break
        folder = folder.parent
    return []


def from_files(files: list[Path]) -> ClassSource | None:
    """Rule 3: the class lists found (None when there is none)."""
    from fcn_studio.data.formats.class_lists import ClassListCheck

    if not files:
        return None
    check = ClassListCheck.of(files)
    if check.names is None or check.source is None:
        return None
    return ClassSource(check.names, _origin(check.source), check.source, check.colors, check.notes, check.problems)


def _origin(path: Path) -> str:
    return f"{path.name} ({path})"


def resolve_classes(
    annotations: str | Path,
    *,
    layout: str | None = None,
    coco_file: Path | None = None,
    labelme_documents: list[Path] | None = None,
    explicit: list[str] | None = None,
) -> ClassSource:
    """The classes of the annotations in folder ``annotations`` by the module's order.

    ``coco_file``: the COCO file of a COCO dataset; ``labelme_documents``: the labelme JSON
    files of a labelme folder (for rule 4)."""
    from fcn_studio.data.formats.layouts import COCO_LAYOUT

    if explicit:
        return ClassSource(list(explicit), "--class-names")
    if coco_file is not None or layout == COCO_LAYOUT:
        return _coco_source(Path(annotations), coco_file)
    found = from_files(class_list_files(Path(annotations)))
    if found is not None:
        return found
    if labelme_documents:
        from fcn_studio.data.formats.labelme import default_class_names

        return ClassSource(default_class_names(labelme_documents), "the labels the labelme files use")
    return ClassSource(None, "no classes.txt or labels.txt; name them in classes.txt, one per line")


def _coco_source(folder: Path, coco_file: Path | None) -> ClassSource:
    from fcn_studio.data.formats.coco import read_coco
    from fcn_studio.data.formats.layouts import coco_files

    path = coco_file or next(iter(coco_files(folder, None)), None)
    if path is None:
        return ClassSource(None, f"no COCO file in {folder}")
    return ClassSource(list(read_coco(path).names), f"the COCO categories of {path.name}", path)


def classes_of_pairing(root: Path, pairing, explicit: list[str] | None = None) -> ClassSource:
    """The classes of a dataset already paired (``find_pairs``'s result)."""
    from fcn_studio.data.formats.layouts import COCO_LAYOUT, LABELME_LAYOUT, labelme_files

    if pairing.layout == COCO_LAYOUT:
        coco = pairing.pairs[0][1].parent if pairing.pairs else None
        return resolve_classes(root, layout=COCO_LAYOUT, coco_file=coco, explicit=explicit)
    if pairing.layout == LABELME_LAYOUT:
        return resolve_classes(root, labelme_documents=labelme_files(root), explicit=explicit)
    masks = pairing.pairs[0][1].parent if pairing.pairs else root
    return resolve_classes(masks, explicit=explicit)


# --------------------------------------------------------------------------- matching


def name_key(name: str) -> str:
    """Names that mean one class: case, spaces, '_' and '-' aside (``_background_`` =
    ``background``, ``potted plant`` = ``pottedplant``)."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


@dataclass
class NameMatch:
    """Ground-truth class ids mapped onto a model's (or prediction's) class ids by name."""

    gt_to_pred: dict[int, int]  # gt id -> pred id, for the names both sides have
    matched: list[str]
    only_pred: list[str]
    only_gt: list[str]
    names: list[str]  # the scored classes: the prediction's, then the ground truth's own
    gt_lut: list[int]  # gt id -> scored id (255 stays ignore)

    def summary(self) -> str:
        line = f"classes matched by name: {len(self.matched)}"
        if self.only_gt:
            line += f"; only in the ground truth (never predicted): {', '.join(self.only_gt[:10])}"
        if self.only_pred:
            line += f"; not in the ground truth: {', '.join(self.only_pred[:10])}"
        return line

    def remap_gt(self, gt):
        import numpy as np

        return np.asarray(self.gt_lut, dtype=np.uint8)[gt]


def match_by_name(pred_names: list[str], gt_names: list[str], *, pred_what: str, gt_what: str) -> NameMatch:
    """Match ``gt_names`` onto ``pred_names``; refused when no name is shared (the lists
    then name different things, and scoring ids would be meaningless)."""
    pred_ids = {name_key(n): i for i, n in enumerate(pred_names)}
    gt_to_pred, matched, only_gt = {}, [], []
    for gid, name in enumerate(gt_names):
        pid = pred_ids.get(name_key(name))
        if pid is None:
            only_gt.append(name)
        else:
            gt_to_pred[gid] = pid
            matched.append(name)
    if not matched:
        raise FCNStudioError(
            "no class name is shared by {pred_what} ({pred_names}) and {gt_what} ({gt_names}); name the ground "
            "truth's classes as the model does (classes.txt, one name per line in class-id order)",
            pred_what=pred_what,
            pred_names=", ".join(pred_names[:6]),
            gt_what=gt_what,
            gt_names=", ".join(gt_names[:6]),
        )
    names = list(pred_names) + only_gt
    lut = list(range(256))
    for gid, name in enumerate(gt_names):
        lut[gid] = gt_to_pred[gid] if gid in gt_to_pred else len(pred_names) + only_gt.index(name)
    for gid in range(len(gt_names), 255):
        # beyond the ground truth's list: reported as an unknown label, never merged into a class
        lut[gid] = gid if gid >= len(names) else 254
    matched_keys = {name_key(n) for n in matched}
    only_pred = [n for n in pred_names if name_key(n) not in matched_keys]
    return NameMatch(gt_to_pred, matched, only_pred, only_gt, names, lut)


def unnamed_refusal(named_what: str, named_n: int, unnamed_what: str, unnamed_n: int, where: str) -> FCNStudioError:
    """Names unknown on one side and the counts differ: which class is which cannot be known."""
    return FCNStudioError(
        "{unnamed_what} does not name its classes and has {unnamed_n} where {named_what} has {named_n}: which class "
        "is which cannot be known; name them in {where} (one name per line, in class-id order, as the model names "
        "them)",
        unnamed_what=unnamed_what,
        unnamed_n=unnamed_n,
        named_what=named_what,
        named_n=named_n,
        where=where,
    )


# --------------------------------------------------------------------------- scoring


@dataclass
class Side:
    """One side of a scoring: its class names (None: unnamed), the largest label it uses
    (asked only where needed), what it is called in messages and where to name it."""

    names: list[str] | None
    largest_label: object  # () -> int: the largest class id used (255 aside), -1 if none
    what: str
    where: str = "classes.txt beside the masks"
    colors: list[tuple[int, int, int]] | None = None  # a model's class colours; a palette mask's palette

    @property
    def named(self) -> bool:
        return bool(self.names) and not all(_DEFAULT_NAME.match(n) for n in self.names)


@dataclass
class Scoring:
    """How predictions are scored against ground truth: the classes of the confusion
    matrix, the ground truth remapped onto them (None: ids as they are), and what was done."""

    names: list[str]
    remap: NameMatch | None
    note: str

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def gt(self, mask):
        return self.remap.remap_gt(mask) if self.remap is not None else mask


def scoring(pred: Side, gt: Side) -> Scoring:
    """Classes matched by name whenever both sides name them; with names on one side only,
    ids are scored as they are when the unnamed side's ids fit the named side's classes (an
    unnamed ground truth: exactly as many), else refused (which class is which cannot be
    known)."""
    if pred.named and gt.named:
        match = match_by_name(list(pred.names or []), list(gt.names or []), pred_what=pred.what, gt_what=gt.what)
        identical = [name_key(n) for n in pred.names or []] == [name_key(n) for n in gt.names or []]
        return Scoring(match.names, None if identical else match, match.summary())
    named, unnamed = (pred, gt) if pred.named else (gt, pred)
    if named.named:
        count = len(named.names or [])
        used = int(unnamed.largest_label()) + 1  # type: ignore[operator]
        # predictions need not use every class; ground truth with another count is other classes,
        # unless its palette gives each id the named side's colour (VOC's SegmentationClass/)
        same_colours = _same_colours(named.colors, unnamed.colors, used)
        if used > count or (unnamed is gt and used != count and not same_colours):
            raise unnamed_refusal(named.what, count, unnamed.what, used, unnamed.where)
        why = " (its palette has their colours)" if same_colours and used != count else ""
        return Scoring(
            list(named.names or []),
            None,
            f"{unnamed.what} does not name its classes: its class ids are scored as {named.what}'s{why}",
        )
    return Scoring([], None, "neither side names its classes: scored by class id")


def _same_colours(named: list | None, palette: list | None, used: int) -> bool:
    if not named or not palette or used < 1 or len(palette) < used or len(named) < used:
        return False
    return all(tuple(named[i]) == tuple(palette[i]) for i in range(used))


def mask_palette(path) -> list[tuple[int, int, int]] | None:
    """The palette of a palette-PNG mask (its colour for each class id), None otherwise."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            flat = im.getpalette() if im.mode == "P" else None
    except (OSError, ValueError):
        return None
    return [tuple(flat[i : i + 3]) for i in range(0, len(flat) - 2, 3)] if flat else None
