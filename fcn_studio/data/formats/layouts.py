"""Finding labelme and COCO datasets: which images, annotated by which file."""

from __future__ import annotations

import os
from pathlib import Path

from fcn_studio.data.formats.coco import CocoFile, image_file, is_coco_json, read_coco
from fcn_studio.data.formats.labelme import is_labelme_json, read_labelme
from fcn_studio.data.pairing import LABEL_MASK_DIR, Pairing
from fcn_studio.data.pairing import image_files as _files
from fcn_studio.errors import FCNStudioError

LABELME_LAYOUT = "labelme JSON"
COCO_LAYOUT = "COCO"


def labelme_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith(".") and is_labelme_json(p))


def find_labelme(root: Path) -> Pairing | None:
    """labelme's folder: x.jpg beside x.json. A mask Label mode saved for an image
    (masks/x.png, made from the JSON and edited) is used instead of its JSON."""
    documents = labelme_files(root)
    if not documents:
        return None
    edited = {p.stem.lower(): p for p in _files(root / LABEL_MASK_DIR)} if (root / LABEL_MASK_DIR).is_dir() else {}
    pairs, unpaired = [], []
    annotated: set[str] = set()
    for path in documents:
        doc = read_labelme(path)
        image = doc.image_file() or (path if doc.image_data else None)
        if image is not None and image != path:
            refuse_outside(image, root, path)
        if image is None:
            unpaired.append(path)
            continue
        annotated.add(image.name.lower())
        pairs.append((image, edited.get(path.stem.lower(), path)))
    for stem, mask in edited.items():  # images labelled in Label mode only
        image = next((p for p in _files(root) if p.stem.lower() == stem), None)
        if image is not None and image.name.lower() not in annotated:
            pairs.append((image, mask))
            annotated.add(image.name.lower())
    for broken in _broken_labelme(root, documents):  # "an image without a mask" would hide it
        image = next((p for p in _files(root) if p.stem.lower() == broken.stem.lower()), None)
        if image is not None and image.name.lower() not in annotated:
            pairs.append((image, broken))  # reading it names the problem
            annotated.add(image.name.lower())
    images = [p for p in _files(root) if p.name.lower() not in annotated]
    notes = [f"{len(unpaired)} labelme file(s) whose image is missing: {', '.join(p.name for p in unpaired[:5])}"]
    pairs.sort(key=lambda pair: pair[0].name)
    return Pairing(pairs, images, [], LABELME_LAYOUT, notes if unpaired else [])


def refuse_outside(image: Path, root: Path, annotation: Path) -> None:
    """An image an annotation file names outside the dataset folder (``../../x.jpg``, an
    absolute path) is not read unless asked (``--allow-outside``): a shared annotation file
    must not make FCN Studio read, train on or copy the user's other files."""
    from fcn_studio import environment

    inside = os.path.normpath(os.path.abspath(root))
    where = os.path.normpath(os.path.abspath(image))
    if where == inside or where.startswith(inside.rstrip(os.sep) + os.sep):
        return
    if environment.read(environment.ALLOW_OUTSIDE):
        return
    raise FCNStudioError(
        "{annotation} names the image {image}, outside the dataset folder {root}; it was not read: copy the image "
        "into the dataset folder, or allow images outside the dataset folder to be read",
        annotation=annotation.name,
        image=image,
        root=root,
    )


def _broken_labelme(root: Path, documents: list[Path]) -> list[Path]:
    """JSON files beside the images that are neither labelme's nor COCO's (malformed)."""
    known = set(documents)
    return sorted(
        p for p in root.glob("*.json") if p not in known and not p.name.startswith(".") and not is_coco_json(p)
    )


def coco_files(root: Path, split: str | None) -> list[Path]:
    candidates = [*sorted(root.glob("*.json")), *sorted((root / "annotations").glob("*.json"))]
    found = [p for p in candidates if is_coco_json(p)]
    if split and len(found) > 1:
        chosen = [p for p in found if split.lower() in p.stem.lower()]
        if not chosen:
            names = ", ".join(p.name for p in found)
            raise FCNStudioError(
                "{root}: no COCO file for split {split!r} (its COCO files: {names})",
                root=root,
                split=split,
                names=names,
            )
        return chosen
    return found


def coco_record(image: Path) -> tuple[CocoFile, int] | None:
    """The COCO file and image id that annotate ``image``: a COCO file beside the image's
    folder, in its annotations/, or one level up (``root/images/x.jpg`` + ``root/annotations.json``)."""
    folder = image.parent
    target = image.resolve()
    for root in (folder, folder.parent):
        for path in coco_files(root, None):
            coco = read_coco(path)
            for image_id, record in coco.images.items():
                if Path(str(record.get("file_name", ""))).name != image.name:
                    continue  # only a record of this name is looked for on disk
                found = image_file(coco, image_id, root)
                if found is not None and found.resolve() == target:
                    return coco, image_id
    return None


def coco_class_names(folder: Path) -> list[str]:
    """The classes of the COCO file that annotates ``folder``'s images; [] where there is none."""
    for root in (folder, folder.parent):
        files = coco_files(root, None)
        if files:
            return list(read_coco(files[0]).names)
    return []


def find_coco(root: Path, split: str | None = None) -> Pairing | None:
    """COCO instance annotations: each image's mask is ``<file.json>/<image id>``, painted
    from its annotations when read (read_mask)."""
    files = coco_files(root, split)
    if not files:
        return None
    pairs, missing = [], []
    names = read_coco(files[0]).names
    for path in files:
        coco = read_coco(path)
        if coco.names != names:
            raise FCNStudioError(
                "{path}: its categories differ from {name}'s; use one category list for every COCO file",
                path=path,
                name=files[0].name,
            )
        if coco.orphan_image_ids:
            shown = ", ".join(map(str, coco.orphan_image_ids[:5]))
            missing.append(f"image id(s) {shown} that {path.name} annotates but does not list")
        for image_id in sorted(coco.images):
            image = image_file(coco, image_id, root)
            if image is not None:
                refuse_outside(image, root, path)
            if image is None:
                missing.append(str(coco.images[image_id].get("file_name")))
            else:
                pairs.append((image, path / str(image_id)))
    notes = [f"COCO annotations from {', '.join(p.name for p in files)}"]
    if missing:
        notes.append(f"{len(missing)} COCO image(s) not found: {', '.join(missing[:5])}")
    return Pairing(pairs, [], [], COCO_LAYOUT, notes)
