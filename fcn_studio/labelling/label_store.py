"""Where Label mode keeps its data: ``F/masks/<stem>.png`` and ``F/classes.txt``; in a VOC
dataset (``JPEGImages/`` beside ``SegmentationClass/``) its own masks and class list, edited
in place; in a labelme folder, ``masks/<stem>.png`` made from ``<stem>.json`` (left as it is).

The folder is, at every moment, a dataset that ``fcn-studio train --data F`` reads as it is
(dataset.py's "images + masks/" layout): masks are palette PNGs of class ids with 255 =
unlabelled, and classes.txt lists ``name r g b`` per line in class-id order. Every write goes
to a temporary file that is renamed over the old one, so a crash or a kill mid-save leaves
the previous file intact.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_studio.data.dataset import (
    LABEL_MASK_DIR,
    LABELLED_FOLDER_LAYOUT,
    VOC_MASK_DIRS,
    MaskEncoding,
    find_label_file,
    find_pairs,
)
from fcn_studio.data.formats.class_lists import LABELME_IGNORE
from fcn_studio.data.images import is_image_file
from fcn_studio.data.labels import IGNORE_INDEX, LabelSet, generic_labels, read_label_file, voc_colormap
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path
from fcn_studio.files.identity import FileIdentity

CLASSES_FILE = "classes.txt"
UNLABELLED = IGNORE_INDEX
MAX_CLASSES = 255  # ids 0..254; 255 is "unlabelled"


class MaskExistsError(FCNStudioError):
    """A mask on disk that this store did not load (or that changed since): not overwritten."""


class LabelsAtRisk(FCNStudioError):
    """Labels that cannot be written where they belong without asking the user first."""


class FolderGoneError(LabelsAtRisk):
    """The labelled folder was renamed, moved or deleted: it is never created again unasked."""


class MaskDeletedError(LabelsAtRisk):
    """A mask this store loaded or wrote was deleted outside: not written again unasked."""


class LabelStore:
    """The labels of the images in one folder.

    A mask is only replaced when this store loaded it or wrote it itself and it has not
    changed on disk since, or when the caller passes ``overwrite=True``: an existing
    mask made elsewhere is never overwritten unasked.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FCNStudioError("{folder}: not a folder; open a folder of images to label", folder=str(self.folder))
        self.voc_root = voc_root_of(self.folder)
        if self.voc_root is not None:  # edit the dataset where it is, with its class names
            self.masks_dir = next(
                (self.voc_root / d for d in VOC_MASK_DIRS if (self.voc_root / d).is_dir()),
                self.voc_root / VOC_MASK_DIRS[0],
            )
            self.classes_path = find_label_file(self.voc_root) or self.voc_root / "class_names.txt"
        else:
            self.masks_dir = self.folder / LABEL_MASK_DIR
            existing = find_label_file(self.folder)
            self.classes_path = existing if existing and existing.parent == self.folder else self.folder / CLASSES_FILE
        self._seen: dict[Path, FileIdentity] = {}  # each mask as this store last read or wrote it
        self._palettes: dict[Path, bytes] = {}  # a mask's own palette, kept when it is saved again
        self._colour_coded: set[Path] = set()  # RGB masks, saved as RGB again

    # ------------------------------------------------------------------ classes

    def label_set(self, default: LabelSet | None = None) -> LabelSet:
        """The folder's classes (classes.txt, or another label file dataset.py reads), else
        ``default`` (e.g. the model's), else a single "background" class."""
        path = self.classes_path if self.classes_path.is_file() else None
        if path is None:
            from fcn_studio.data.class_source import class_list_files, from_files

            # the one order of precedence train and eval read (data/class_source.py): the nearest
            # class list up to two levels above (labelme's labels.txt), then the JSON files' labels
            listed = from_files(class_list_files(self.folder))
            if listed is not None and listed.names:
                colors = listed.colors or generic_labels(len(listed.names)).colors
                return LabelSet(self.folder.name, tuple(listed.names), tuple(colors))
            names = labelme_class_names(self.folder) or coco_class_names(self.folder)
            if names:  # a labelme or COCO folder without a class list: the classes its JSON files use
                return LabelSet(self.folder.name, tuple(names), generic_labels(len(names)).colors)
            return default or LabelSet(self.folder.name, ("background",), ((0, 0, 0),))
        names, colors = read_label_file(path)  # its errors name the file and line
        if not names:
            raise FCNStudioError("{path}: no class names; write one `name r g b` per line", path=str(path))
        colors = colors or list(generic_labels(len(names)).colors)
        return LabelSet(self.folder.name, tuple(names), tuple(colors))

    def check_folder(self) -> None:
        """Raise :class:`FolderGoneError` when the folder is no longer where it was opened."""
        if not self.folder.is_dir():
            raise FolderGoneError(
                "{folder} was renamed, moved or deleted; its labels were not written", folder=str(self.folder)
            )

    def save_label_set(self, labels: LabelSet) -> None:
        """Write the class list in its file's form (classes.txt: ``name r g b`` per line), atomically."""
        self.check_folder()
        if not 1 <= labels.num_classes <= MAX_CLASSES:
            raise FCNStudioError(
                "a label set needs 1 to {most} classes, not {n}", most=MAX_CLASSES, n=labels.num_classes
            )
        lines = []
        for name, color in zip(labels.classes, labels.colors, strict=True):
            _check_name(name)
            if len(color) != 3 or not all(0 <= int(v) <= 255 for v in color):
                raise FCNStudioError("class {name!r}: colour {color} is not three values 0-255", name=name, color=color)
            lines.append(f"{name} {int(color[0])} {int(color[1])} {int(color[2])}\n")
        if len(set(labels.classes)) != len(labels.classes):
            raise FCNStudioError("two classes have the same name; give each class its own name")
        default_colours = labels.colors == generic_labels(labels.num_classes).colors
        if self.classes_path.name == "labels.txt" or (self.classes_path.name == "class_names.txt" and default_colours):
            # another tool's list stays in that tool's form: names only (labelme has no colours)
            ignore = [f"{LABELME_IGNORE}\n"] if self.classes_path.name == "labels.txt" else []
            lines = [*ignore, *(f"{name}\n" for name in labels.classes)]
        elif self.classes_path.name == "labelmap.txt":  # CVAT's form
            lines = ["# label:color_rgb:parts:actions\n"] + [
                f"{name}:{r},{g},{b}::\n" for name, (r, g, b) in zip(labels.classes, labels.colors, strict=True)
            ]
        _write_text(self.classes_path, "".join(lines))

    def add_class(self, name: str, color: tuple[int, int, int] | None = None, default: LabelSet | None = None) -> int:
        """Append a class; returns its id. Without a colour, the first VOC colour not in use."""
        labels = self.label_set(default)
        if name in labels.classes:
            raise FCNStudioError("there is already a class called {name!r}", name=name)
        if color is None:
            used = set(labels.colors)
            color = next(c for c in (tuple(int(v) for v in rgb) for rgb in voc_colormap(256)[1:]) if c not in used)
        self.save_label_set(LabelSet(labels.name, (*labels.classes, name), (*labels.colors, tuple(color))))
        return labels.num_classes

    def rename_class(self, class_id: int, name: str, default: LabelSet | None = None) -> None:
        labels = self.label_set(default)
        self._check_id(labels, class_id)
        if name in labels.classes and labels.classes.index(name) != class_id:
            raise FCNStudioError("there is already a class called {name!r}", name=name)
        classes = list(labels.classes)
        classes[class_id] = name
        self.save_label_set(LabelSet(labels.name, tuple(classes), labels.colors))

    def recolour_class(self, class_id: int, color: tuple[int, int, int], default: LabelSet | None = None) -> None:
        labels = self.label_set(default)
        self._check_id(labels, class_id)
        colors = list(labels.colors)
        colors[class_id] = tuple(int(v) for v in color)  # type: ignore[assignment]
        self.save_label_set(LabelSet(labels.name, labels.classes, tuple(colors)))

    @staticmethod
    def _check_id(labels: LabelSet, class_id: int) -> None:
        if not 0 <= class_id < labels.num_classes:
            raise FCNStudioError("no class {id}: the label set has {n} classes", id=class_id, n=labels.num_classes)

    # ------------------------------------------------------------------ masks

    def mask_path(self, image: str | Path) -> Path:
        return self.masks_dir / f"{Path(image).stem}.png"

    def has_mask(self, image: str | Path) -> bool:
        return self.mask_path(image).is_file()

    def images(self) -> list[Path]:
        """The folder's images (top level), sorted by name."""
        return sorted(
            p for p in self.folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith(".")
        )

    def labelled_images(self) -> list[tuple[Path, Path]]:
        """(image, mask) pairs, exactly as ``fcn-studio train --data F`` pairs them."""
        if self.voc_root is not None:
            return find_pairs(self.voc_root).pairs
        if labelme_class_names(self.folder):
            return find_pairs(self.folder).pairs
        if not self.masks_dir.is_dir():
            return []
        pairing = find_pairs(self.folder)
        return pairing.pairs if pairing.layout == LABELLED_FOLDER_LAYOUT else []

    def labelled_masks(self) -> list[tuple[Path, np.ndarray]]:
        """Every image that has labels, with its mask (what "Export labels as..." writes)."""
        items = []
        for image, _mask_path in self.labelled_images():
            mask = self.load_mask(image)
            if mask is not None and (mask != UNLABELLED).any():
                items.append((image, mask))
        return items

    def unlabelled_images(self) -> list[Path]:
        labelled = {img for img, _ in self.labelled_images()}
        return [p for p in self.images() if p not in labelled]

    def load_mask(self, image: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray | None:
        """The saved labels of ``image`` as an (H, W) uint8 array, or None if it has none.

        Loading makes the mask this store's to update (see :meth:`save_mask`)."""
        path = self.mask_path(image)
        if not path.is_file():
            shapes = self._labelme_mask(image, shape)
            return shapes if shapes is not None else self._coco_mask(image, shape)
        try:
            seen = FileIdentity.of(path)  # before reading: a change while it is read is a change
            with Image.open(path) as im:
                im.load()
                if im.mode == "P" and im.palette is not None:
                    self._palettes[path] = bytes(im.getpalette() or [])
                if im.mode in ("RGB", "RGBA"):  # colour-coded (CVAT's VOC export): decoded and saved as colours
                    mask = MaskEncoding("rgb", list(self.label_set().colors)).decode(im)
                    self._colour_coded.add(path)
                else:
                    mask = np.array(im if im.mode in ("P", "L") else im.convert("L"), dtype=np.uint8)
        except (OSError, SyntaxError, ValueError) as exc:
            raise FCNStudioError(
                "{path}: unreadable mask ({error}); move it away to label this image again", path=str(path), error=exc
            ) from None
        if shape is not None and mask.shape != tuple(shape):
            raise FCNStudioError(
                "{path}: the mask is {mw}x{mh} but the image is {w}x{h}; move the mask away to label this image again",
                path=str(path),
                mw=mask.shape[1],
                mh=mask.shape[0],
                w=shape[1],
                h=shape[0],
            )
        self._seen[path] = seen
        return mask

    def save_mask(self, image: str | Path, mask: np.ndarray, labels: LabelSet, *, overwrite: bool = False) -> Path:
        """Write ``mask`` (uint8 class ids, 255 = unlabelled) as a palette PNG, atomically;
        a mask without a labelled pixel removes the file instead (it is no label).

        Raises :class:`MaskExistsError` if a mask this store did not load or write is there
        (or it changed on disk since), :class:`MaskDeletedError` if one it loaded or wrote
        was deleted since, unless ``overwrite``; :class:`FolderGoneError` if the folder is
        gone (never created again here)."""
        if mask.ndim != 2 or mask.dtype != np.uint8:
            raise ValueError(f"a mask is an (H, W) uint8 array, not {mask.shape} {mask.dtype}")
        self.check_folder()
        path = self.mask_path(image)
        if path.exists() and not overwrite and self._seen.get(path) != FileIdentity.maybe(path):
            raise MaskExistsError(
                "{path}: a mask is already there that was not opened here; open it to edit it, or choose to replace it",
                path=path,
            )
        if not (mask != UNLABELLED).any():  # no labelled pixel is no label: nothing to train on
            path.unlink(missing_ok=True)
            self._seen.pop(path, None)
            return path
        if not path.exists() and not overwrite and path in self._seen:
            raise MaskDeletedError("{path} was deleted outside FCN Studio; it was not written again", path=str(path))
        self.masks_dir.mkdir(exist_ok=True)  # in the folder, which exists: never its parents
        im = Image.fromarray(mask, mode="P")
        im.putpalette(self._palettes.get(path) or labels.palette().tobytes())  # a dataset keeps its palette
        if path in self._colour_coded:
            im = im.convert("RGB")
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                im.save(fh, format="PNG", compress_level=1)  # fast: saved after every stroke
                fh.flush()
                os.fsync(fh.fileno())  # the data is on disk before the rename makes it visible
        except OSError as exc:
            raise FCNStudioError(
                "could not save {path}: {error}; free some disk space", path=str(path), error=exc.strerror or exc
            ) from None
        self._seen[path] = FileIdentity.of(path)
        return path

    def follow(self, moved: LabelStore, image: str | Path) -> None:
        """``moved`` is this folder under its old name (renamed or moved while open): a mask of
        ``image`` there that is the very file ``moved`` last read or wrote is this store's to
        update, so labels kept after the rename go back where the user moved them."""
        old = moved._seen.get(moved.mask_path(image))
        path = self.mask_path(image)
        now = FileIdentity.maybe(path)
        if old is not None and now is not None and _same_file(old, now):
            self._seen[path] = now

    def forget(self, image: str | Path) -> None:
        """``image``'s mask is no longer this store's (deleted outside, and the user let it
        go): a new mask is written there as a first one."""
        self._seen.pop(self.mask_path(image), None)

    def _labelme_mask(self, image: str | Path, shape: tuple[int, int] | None) -> np.ndarray | None:
        """The shapes of ``<stem>.json`` as the starting labels (saved as a mask when edited;
        the JSON itself is never written)."""
        from fcn_studio.data.formats.labelme import is_labelme_json, read_labelme_mask

        document = Path(image).with_suffix(".json")
        if not is_labelme_json(document):
            return None
        mask = read_labelme_mask(document, list(self.label_set().classes))
        if shape is not None and mask.shape != tuple(shape):
            raise FCNStudioError(
                "{document}: its shapes are for a {size}x{size2} image, not this one",
                document=document,
                size=mask.shape[1],
                size2=mask.shape[0],
            )
        return mask

    def _coco_mask(self, image: str | Path, shape: tuple[int, int] | None) -> np.ndarray | None:
        """A COCO file's annotations of ``image`` as the starting labels, in this folder's
        classes (by name; a category the folder lacks is unlabelled). Edits are saved as a
        mask; the JSON itself is never written."""
        from fcn_studio.data.formats.coco import semantic_mask
        from fcn_studio.data.formats.layouts import coco_record

        found = coco_record(Path(image))
        if found is None:
            return None
        coco, image_id = found
        mask = semantic_mask(coco, image_id)
        classes = list(self.label_set().classes)
        if classes != list(coco.names):
            lut = np.full(256, UNLABELLED, dtype=np.uint8)
            for i, name in enumerate(coco.names):
                if name in classes:
                    lut[i] = classes.index(name)
            mask = lut[mask]
        if shape is not None and mask.shape != tuple(shape):
            raise FCNStudioError(
                "{path}: image {image_id} is annotated as {size}x{size2}, not as this image",
                path=coco.path,
                image_id=image_id,
                size=mask.shape[1],
                size2=mask.shape[0],
            )
        return mask


def voc_root_of(folder: Path) -> Path | None:
    """The VOC dataset ``folder`` is the image folder (or the root) of, if any."""
    for root in (folder.parent, folder) if folder.name.lower() == "jpegimages" else (folder,):
        if (root / "JPEGImages").is_dir() and any((root / d).is_dir() for d in VOC_MASK_DIRS):
            return root
    return None


def coco_class_names(folder: Path) -> list[str]:
    """The classes of the COCO file that annotates ``folder``'s images; [] elsewhere."""
    from fcn_studio.data.formats.layouts import coco_class_names as names_of

    return names_of(folder)


def labelme_class_names(folder: Path) -> list[str]:
    """A labelme folder's classes (labels.txt, else the labels its JSON files use); [] elsewhere."""
    from fcn_studio.data.formats.labelme import default_class_names
    from fcn_studio.data.formats.layouts import labelme_files

    files = labelme_files(folder) if any(folder.glob("*.json")) else []
    if not files:
        return []
    label_file = find_label_file(folder)
    return read_label_file(label_file)[0] if label_file else default_class_names(files)


def _same_file(a: FileIdentity, b: FileIdentity) -> bool:
    """The same file, whatever its path now (a rename keeps inode, size and times)."""
    return (a.inode, a.size, a.mtime_ns) == (b.inode, b.size, b.mtime_ns)


def blank_mask(shape: tuple[int, int]) -> np.ndarray:
    """A mask with nothing labelled yet (the "scribbles" start)."""
    return np.full(shape, UNLABELLED, dtype=np.uint8)


def _check_name(name: str) -> None:
    """A name must survive the round trip through classes.txt unchanged."""
    if not name or name != name.strip() or any(c in name for c in "\n\r:,") or name.startswith("#"):
        raise FCNStudioError(
            "class name {name!r} cannot be stored: use a non-empty name without ':', ',' or line breaks", name=name
        )


def _write_text(path: Path, text: str) -> None:
    try:
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise FCNStudioError("could not write {path}: {error}", path=str(path), error=exc.strerror or exc) from None
