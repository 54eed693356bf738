"""The dataset report's checks of what the masks hold: classes never used, ids beyond the
class list, grey levels taken for class ids (split from dataset.py, which pairs and reads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcn_studio.messages import ClassNames, Message


def empty_classes_note(empty: list[int], names: list[str], named: bool) -> Message:
    """Classes no mask uses: never learnt. Unnamed classes are counted up to the largest
    label, so a stray large label makes many empty classes."""
    more = " ..." if len(empty) > 12 else ""
    if named:
        return Message(
            "{n} of the {total} classes {n:has|have} no pixels in any mask ({listed}{more}): the model "
            "cannot learn {n:it|them}",
            n=len(empty),
            total=len(names),
            more=more,
            listed=ClassNames(names[i] for i in empty[:12]),
        )
    return Message(
        "{n} of the {total} classes {n:has|have} no pixels in any mask ({listed}{more}): the model cannot "
        "learn {n:it|them}; if the masks number their classes differently, name them in classes.txt",
        n=len(empty),
        total=len(names),
        listed=", ".join(map(str, empty[:12])),
        more=more,
    )


def grey_levels(counts: np.ndarray) -> list[str]:
    """Unnamed masks whose values are evenly spaced grey levels (0/50/100, 0/127) are a
    picture of classes, not class ids: read as ids they would make 101 classes, most empty."""
    used = np.flatnonzero(counts[:255])
    steps = np.diff(used)
    if used.size < 2 or used[0] != 0 or steps.min() < 10 or steps.min() != steps.max():
        return []
    shown = ", ".join(map(str, used[:6].tolist())) + (" ..." if used.size > 6 else "")
    return [
        f"the masks use only the grey levels {shown}: they look like a picture of {used.size} classes, not class "
        f"ids (read as ids: {int(used[-1]) + 1} classes, {int(used[-1]) + 1 - used.size} of them empty); save the "
        f"masks with class ids 0-{used.size - 1}, or name all {int(used[-1]) + 1} ids in classes.txt"
    ]


def out_of_range(good, present, names, encoding, lists, root: Path) -> list[Message]:
    """Masks with ids beyond the class list: more ids than names is never a silent shift."""
    problems, n = [], len(names)
    for (_image, mask), values in zip(good, present, strict=True):
        bad = [int(v) for v in values if n <= v < 255]
        if not bad:
            continue
        if 254 in bad and encoding.kind == "rgb":
            where = (
                Message("the colours in {file}", file=lists.file.name)
                if lists.colors and lists.file
                else Message("the VOC colours")
            )
            problems.append(
                Message(
                    "{mask}: colours not among {where}; list every class as a `name r g b` line in {file}",
                    mask=mask.name,
                    where=where,
                    file=str(root / "classes.txt"),
                )
            )
        else:
            problems.append(
                Message(
                    "{mask}: labels {bad}, outside the {n} classes (0-{last}, 255 = ignore)",
                    mask=mask.name,
                    bad=bad,
                    n=n,
                    last=n - 1,
                )
            )
    return problems
