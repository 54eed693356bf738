"""Finding image/mask pairs in the folder layouts people actually have."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_studio.data.images import is_image_file
from fcn_studio.data.labels import read_label_file
from fcn_studio.data.pairing import LABEL_MASK_DIR, Pairing, pair_by_stem
from fcn_studio.data.pairing import image_files as _files
from fcn_studio.data.stats import label_counts
from fcn_studio.data.voc import VOC_MASK_DIRS, voc_notes, voc_split
from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import ClassName, Message

_IMAGE_DIRS = ("JPEGImages", "images", "image", "imgs", "img", "train", "val", "test")
LABELLED_FOLDER_LAYOUT = "images + masks/"
_MASK_DIRS = ("SegmentationClass", "masks", "mask", "labels", "label", "annotations", "gt", "train_masks", "val_masks")


def _child(root: Path, names: tuple[str, ...]) -> Path | None:
    lower = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def find_pairs(root: str | Path, split: str | None = None) -> Pairing:
    """Pairs under ``root`` in the VOC (SegmentationClass/ or labelme's older
    SegmentationClassPNG/), Carvana, images/ + masks/, labelme JSON or COCO layout.

    ``split`` ("train", "val") selects VOC's ImageSets/Segmentation/<split>.txt (or the COCO
    files named after it); a split the dataset does not define is refused, and without
    ImageSets/ every image is used and a note says so.
    """
    root = Path(root)
    if not root.is_dir():
        raise FCNStudioError("{root}: not a folder; give the dataset folder", root=str(root))
    voc = root / "VOC2012" if (root / "VOC2012").is_dir() else root
    voc_masks = _child(voc, VOC_MASK_DIRS) if (voc / "JPEGImages").is_dir() else None
    if voc_masks is not None:
        only, notes = voc_split(voc, split)
        pairing = pair_by_stem(voc / "JPEGImages", voc_masks, "voc", only)
        pairing.notes = [*notes, *voc_notes(voc, voc_masks, pairing)]
        return pairing
    if (root / "train").is_dir() and (root / "train_masks").is_dir():
        return pair_by_stem(root / "train", root / "train_masks", "carvana")
    from fcn_studio.data.formats import layouts

    found = layouts.find_labelme(root) or layouts.find_coco(root, split)
    if found is not None:
        return found
    image_dir = _child(root, _IMAGE_DIRS)
    mask_dir = _child(root, _MASK_DIRS)
    labelled_folder = (root / LABEL_MASK_DIR).is_dir() and bool(_files(root))
    if image_dir and mask_dir:
        pairing = pair_by_stem(image_dir, mask_dir, f"{image_dir.name}/ + {mask_dir.name}/")
        if pairing.pairs or not labelled_folder:
            return pairing
    if labelled_folder:
        # the folder the app's Label mode writes: images at the top, their labels in masks/
        return pair_by_stem(root, root / LABEL_MASK_DIR, LABELLED_FOLDER_LAYOUT)
    raise FCNStudioError(
        "{root}: no dataset layout found; expected JPEGImages/ + SegmentationClass/ (VOC), train/ + train_masks/ "
        "(Carvana), images/ + masks/, images with their labels in masks/, labelme JSON files beside their images, "
        "or a COCO annotations JSON",
        root=str(root),
    )


def image_folder(folder: str | Path) -> Path:
    """Where a dataset folder's images are (VOC's JPEGImages/, images/ ...), for opening a
    dataset's root in the app; any other folder is itself."""
    folder = Path(folder)
    voc = folder / "VOC2012" if (folder / "VOC2012").is_dir() else folder
    if (voc / "JPEGImages").is_dir():
        return voc / "JPEGImages"
    if any(_files(folder)):
        return folder
    images = _child(folder, _IMAGE_DIRS)
    return images if images is not None and _child(folder, _MASK_DIRS) is not None else folder


# --------------------------------------------------------------------------- mask encodings


def label_files(root: Path) -> list[Path]:
    """Every class list of a dataset folder, the one that names the classes first."""
    from fcn_studio.data.class_source import label_files_in

    return label_files_in(root)


def find_label_file(root: Path) -> Path | None:
    return next(iter(label_files(root)), None)


@dataclass
class MaskEncoding:
    """How a dataset's mask files encode class ids."""

    kind: str  # "index" (palette or gray value = class), "binary" (0 / 255 or 0 / 1), "rgb",
    # "labelme" (JSON shapes; a PNG among them is an index mask), "coco" (<file.json>/<image id>)
    colors: list[tuple[int, int, int]] | None = None  # for "rgb": colour of class i
    names: list[str] | None = None  # for "labelme" and "coco": the class of each id

    def decode(self, mask: Image.Image) -> np.ndarray:
        if self.kind == "rgb":
            return _decode_rgb(np.asarray(mask.convert("RGB")), self.colors or [])
        arr = np.asarray(mask if mask.mode in ("P", "L") else mask.convert("L"), dtype=np.uint8)
        if self.kind == "binary":
            # foreground is 255 (or 1) here, not "ignore": two classes, background 0
            return (arr > 0).astype(np.uint8)
        return arr


def _decode_rgb(rgb: np.ndarray, colors: list[tuple[int, int, int]]) -> np.ndarray:
    key = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    out = np.full(key.shape, 254, dtype=np.uint8)  # 254 = "colour not in the label set"
    for cid, (r, g, b) in enumerate(colors):
        out[key == ((r << 16) | (g << 8) | b)] = cid
    out[key == ((224 << 16) | (224 << 8) | 192)] = 255  # VOC's boundary colour = ignore
    return out


def detect_encoding(mask_paths: list[Path], colors: list[tuple[int, int, int]] | None, sample: int = 8) -> MaskEncoding:
    """Look at a few masks: colour images are RGB-coded; {0, 255} or {0, 1} only is binary."""
    values: set[int] = set()
    for path in mask_paths[:sample]:
        try:
            with Image.open(path) as m:
                if m.mode in ("RGB", "RGBA"):
                    arr = np.asarray(m.convert("RGB"))
                    if not (np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2])):
                        from fcn_studio.data.labels import voc_colormap

                        return MaskEncoding("rgb", colors or [tuple(int(v) for v in c) for c in voc_colormap(256)[:21]])
                values |= set(np.unique(np.asarray(m if m.mode in ("P", "L") else m.convert("L"))).tolist())
        except OSError:
            continue  # reported by the dataset check
    # both values seen: a mask of 255 alone is nothing labelled, not all foreground
    if values in ({0, 255}, {0, 1}):
        return MaskEncoding("binary")
    return MaskEncoding("index")


# --------------------------------------------------------------------------- dataset report

MASK_KINDS = {
    "index": Message("class index (palette or gray value)"),
    "binary": Message("binary"),
    "rgb": Message("RGB colour-coded"),
}


@dataclass
class DatasetReport:
    root: Path
    layout: str
    pairs: list[tuple[Path, Path]]
    unpaired_images: list[Path]
    unpaired_masks: list[Path]
    encoding: MaskEncoding
    class_names: list[str]
    class_pixels: list[int]
    ignored_pixels: int = 0
    problems: list[Message | str] = field(default_factory=list)  # blocking, each naming its file
    notes: list[Message | str] = field(default_factory=list)  # worth knowing, not blocking

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.pairs)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def text(self) -> str:
        """The report as the CLI prints it (the GUI shows :meth:`lines` in its language)."""
        return "\n".join(line.english() for line in self.lines())

    def lines(self) -> list[Message]:
        kind = self.encoding.kind
        lines = [
            Message(
                "Dataset {root} ({layout} layout): {n} image/mask {n:pair|pairs}",
                root=str(self.root),
                layout=self.layout,
                n=len(self.pairs),
            ),
            Message(
                "Masks: {kind} (255 = foreground here, not ignore)" if kind == "binary" else "Masks: {kind}",
                kind=MASK_KINDS.get(kind, kind),
            ),
            Message("Classes ({n}):", n=self.num_classes),
        ]
        total = max(sum(self.class_pixels), 1)
        for i, (name, count) in enumerate(zip(self.class_names, self.class_pixels, strict=True)):
            lines.append(
                Message(
                    "  {id:3d} {name:<20} {count:>12,} px  {percent:5.1f} %",
                    id=i,
                    name=ClassName(name),
                    count=count,
                    percent=100 * count / total,
                )
            )
        if self.ignored_pixels:
            lines.append(
                Message(
                    "  {name:<6} (255)             {count:>12,} px", name=ClassName("ignore"), count=self.ignored_pixels
                )
            )
        if self.unpaired_images:
            lines.append(
                Message(
                    "Images without a mask ({n}): {names}",
                    n=len(self.unpaired_images),
                    names=", ".join(p.name for p in self.unpaired_images[:10]),
                )
            )
        if self.unpaired_masks:
            lines.append(
                Message(
                    "Masks without an image ({n}): {names}",
                    n=len(self.unpaired_masks),
                    names=", ".join(p.name for p in self.unpaired_masks[:10]),
                )
            )
        lines += [Message("Note: {note}", note=n) for n in self.notes]
        if self.problems:
            lines.append(Message("Problems that stop training ({n}):", n=len(self.problems)))
            lines += [Message("  {problem}", problem=p) for p in self.problems[:50]]
            if len(self.problems) > 50:
                lines.append(Message("  ... and {n} more", n=len(self.problems) - 50))
        elif not self.pairs:
            lines.append(Message("Problem: no image/mask pairs were found."))
        else:
            lines.append(Message("No problems found."))
        return lines


def folder_encoding(folder: str | Path, sample_masks: list[Path] | None = None) -> MaskEncoding:
    """How the masks of one folder encode classes, by the one rule training, eval and the
    compare view share: colours from a label file beside them (or up to two levels up), binary
    0/255 (or 0/1) = background/foreground, else palette index or gray value = class id."""
    from fcn_studio.data.class_source import class_list_files, from_files

    folder = Path(folder)
    if folder.suffix.lower() == ".json" and folder.is_file():  # COCO: masks are <file.json>/<image id>
        from fcn_studio.data.formats.coco import read_coco

        return MaskEncoding("coco", names=list(read_coco(folder).names))
    listed = from_files(class_list_files(folder))  # the one order of data/class_source.py
    if any(p.suffix.lower() == ".json" for p in sample_masks or []) or (
        sample_masks is None and folder.is_dir() and any(folder.glob("*.json"))
    ):
        return labelme_encoding(folder, listed.file if listed else None)
    colors = listed.colors if listed else None
    masks = sample_masks if sample_masks is not None else [p for p in _files(folder) if is_image_file(p)]
    return detect_encoding(masks, colors)


def read_mask(mask_path: str | Path, encoding: MaskEncoding | None = None) -> np.ndarray:
    """A mask file as (H, W) uint8 class ids (255 = ignore), decoded with ``encoding``
    (default: its folder's). Raises FCNStudioError naming the file."""
    mask_path = Path(mask_path)
    encoding = encoding or folder_encoding(mask_path.parent)
    if encoding.kind == "coco":
        from fcn_studio.data.formats.coco import read_coco, semantic_mask

        return semantic_mask(read_coco(mask_path.parent), int(mask_path.name))
    if not mask_path.is_file():
        raise FCNStudioError("{path}: no such mask file", path=str(mask_path))
    if mask_path.suffix.lower() == ".json":
        from fcn_studio.data.formats.labelme import read_labelme_mask

        return read_labelme_mask(mask_path, encoding.names or [])
    try:
        with Image.open(mask_path) as m:
            m.load()
            return encoding.decode(m)
    except (OSError, SyntaxError, ValueError) as exc:
        raise FCNStudioError("{path}: unreadable mask ({error})", path=str(mask_path), error=exc) from None


def labelme_encoding(folder: Path, label_file: Path | None) -> MaskEncoding:
    """labelme's classes: its labels.txt (or another class list), else ``_background_`` and
    every label the folder's JSON files use, sorted."""
    from fcn_studio.data.formats.labelme import default_class_names
    from fcn_studio.data.formats.layouts import labelme_files

    names = read_label_file(label_file)[0] if label_file else default_class_names(labelme_files(folder))
    return MaskEncoding("labelme", names=names)


def load_pair(image_path: Path, mask_path: Path, encoding: MaskEncoding) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its decoded class-id mask. Raises FCNStudioError naming the file."""
    from fcn_studio.data.images import load_image

    rgb = load_image(image_path)
    mask = read_mask(mask_path, encoding)
    if mask.shape != rgb.shape[:2]:
        raise FCNStudioError(
            "{mask}: mask is {mw}x{mh} but {image} is {w}x{h}",
            mask=mask_path.name,
            mw=mask.shape[1],
            mh=mask.shape[0],
            image=image_path.name,
            w=rgb.shape[1],
            h=rgb.shape[0],
        )
    return rgb, mask


def scan_dataset(
    root: str | Path,
    class_names: list[str] | None = None,
    split: str | None = None,
    progress=None,
    cancelled=None,
) -> DatasetReport:
    """Pair, decode and check every file; every problem is reported with its file name."""
    root = Path(root)
    pairing = find_pairs(root, split)
    from fcn_studio.data.class_source import classes_of_pairing
    from fcn_studio.data.dataset_checks import empty_classes_note, grey_levels, out_of_range

    lists = classes_of_pairing(root, pairing)  # the one order of precedence (data/class_source.py)
    encoding = _dataset_encoding(root, pairing, lists)
    counts = np.zeros(256, dtype=np.int64)
    problems: list[Message | str] = list(lists.problems)
    good: list[tuple[Path, Path]] = []
    present: list[np.ndarray] = []  # label values in each good mask, to name offenders later
    blank: list[Path] = []  # masks that label nothing (all 255): no label at all
    for i, (img, mask) in enumerate(pairing.pairs):
        if cancelled and cancelled():
            from fcn_studio.errors import Cancelled

            raise Cancelled()
        try:
            _, labels = load_pair(img, mask, encoding)
            file_counts = label_counts(labels)
            if file_counts[255] == labels.size and encoding.kind != "binary":
                blank.append(mask)
            else:
                counts += file_counts
                good.append((img, mask))
                present.append(np.flatnonzero(file_counts))
        except FCNStudioError as exc:
            problems.append(exc.message)
        if progress:
            progress(i + 1, len(pairing.pairs), img.name)
    names = list(class_names or lists.names or encoding.names or [])
    notes = [*pairing.notes, *lists.notes]
    if lists.names and not class_names:
        notes.append(Message("class names from {file}", file=lists.origin))
    if blank:
        shown = ", ".join(p.name for p in blank[:5]) + (" ..." if len(blank) > 5 else "")
        notes.append(
            Message(
                "{n} {n:mask labels|masks label} nothing (every pixel 255 = unlabelled), left out: {files}",
                n=len(blank),
                files=shown,
            )
        )
        if not good:
            problems.append(
                Message("no mask labels anything (every pixel of every mask is 255 = unlabelled); label some first")
            )
    if not names:
        if encoding.kind == "binary":
            names = ["background", "foreground"]
        else:
            used = np.flatnonzero(counts[:254])
            names = [f"class {i}" for i in range(int(used.max()) + 1 if used.size else 1)]
    problems += out_of_range(good, present, names, encoding, lists, root)
    if not (class_names or lists.names or encoding.names) and encoding.kind == "index":
        problems += grey_levels(counts)
    empty = [i for i in range(len(names)) if counts[i] == 0]
    if good and empty and len(empty) < len(names):
        notes.append(empty_classes_note(empty, names, bool(class_names or lists.names or encoding.names)))
    return DatasetReport(
        root,
        pairing.layout,
        good,
        pairing.unpaired_images,
        pairing.unpaired_masks,
        encoding,
        names,
        [int(c) for c in counts[: len(names)]],
        int(counts[255]),
        problems,
        notes,
    )


def _dataset_encoding(root: Path, pairing: Pairing, lists) -> MaskEncoding:
    from fcn_studio.data.formats.layouts import COCO_LAYOUT, LABELME_LAYOUT

    if pairing.layout == LABELLED_FOLDER_LAYOUT:
        # class ids with 255 = unlabelled, even when a sparse mask holds only class 0 and 255
        return MaskEncoding("index")
    if pairing.layout == LABELME_LAYOUT:
        return MaskEncoding("labelme", names=list(lists.names or []))
    if pairing.layout == COCO_LAYOUT:
        return folder_encoding(pairing.pairs[0][1].parent) if pairing.pairs else MaskEncoding("coco", names=[])
    return detect_encoding([m for _, m in pairing.pairs], lists.colors)
