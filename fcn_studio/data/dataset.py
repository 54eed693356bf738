"""Finding image/mask pairs in the folder layouts people actually have."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_studio.data.images import is_image_file
from fcn_studio.data.labels import read_label_file
from fcn_studio.data.stats import label_counts
from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import ClassName, Message

MASK_SUFFIXES = ("_mask", "-mask", "_masks", "_label", "_labels", "_gt", "_seg", "_segmentation")
_IMAGE_DIRS = ("JPEGImages", "images", "image", "imgs", "img", "train", "val", "test")
# Label mode's folder: images at the top, F/masks/<stem>.png (palette PNG, 255 = unlabelled).
LABEL_MASK_DIR = "masks"
LABELLED_FOLDER_LAYOUT = "images + masks/"
_MASK_DIRS = ("SegmentationClass", "masks", "mask", "labels", "label", "annotations", "gt", "train_masks", "val_masks")


@dataclass
class Pairing:
    pairs: list[tuple[Path, Path]]
    unpaired_images: list[Path] = field(default_factory=list)
    unpaired_masks: list[Path] = field(default_factory=list)
    layout: str = ""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith("."))


def _mask_key(path: Path) -> str:
    stem = path.stem.lower()
    for suffix in MASK_SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def pair_by_stem(image_dir: Path, mask_dir: Path, layout: str, only: set[str] | None = None) -> Pairing:
    """Match files by stem, case-insensitively, allowing a mask suffix such as ``_mask``."""
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise FCNStudioError(f"{folder}: no such folder")
    images = _files(image_dir)
    mask_files = _files(mask_dir)
    exact = {m.stem.lower(): m for m in mask_files}  # an image called x_gt.png has mask x_gt.png
    masks = {}
    for m in mask_files:
        masks.setdefault(_mask_key(m), m)
    if only is not None:
        images = [p for p in images if p.stem.lower() in only]
    pairs, unpaired = [], []
    used: set[Path] = set()
    for img in images:
        key = img.stem.lower()
        mask = exact.get(key) or masks.get(key)
        if mask is not None:
            pairs.append((img, mask))
            used.add(mask)
        else:
            unpaired.append(img)
    leftovers = [] if only is not None else [m for m in mask_files if m not in used]
    return Pairing(pairs, unpaired, leftovers, layout)


def _child(root: Path, names: tuple[str, ...]) -> Path | None:
    lower = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def find_pairs(root: str | Path, split: str | None = None) -> Pairing:
    """Pairs under ``root`` in the VOC, Carvana or images/ + masks/ layout.

    For VOC, ``split`` ("train", "val") selects ImageSets/Segmentation/<split>.txt when it
    exists; otherwise every image with a mask is used.
    """
    root = Path(root)
    if not root.is_dir():
        raise FCNStudioError(f"{root}: not a folder; give the dataset folder")
    voc = root / "VOC2012" if (root / "VOC2012").is_dir() else root
    if (voc / "JPEGImages").is_dir() and (voc / "SegmentationClass").is_dir():
        only = None
        listing = voc / "ImageSets" / "Segmentation" / f"{split}.txt"
        if split and listing.is_file():
            only = {line.strip().lower() for line in listing.read_text().split() if line.strip()}
        return pair_by_stem(voc / "JPEGImages", voc / "SegmentationClass", "voc", only)
    if (root / "train").is_dir() and (root / "train_masks").is_dir():
        return pair_by_stem(root / "train", root / "train_masks", "carvana")
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
        f"{root}: no dataset layout found; expected JPEGImages/ + SegmentationClass/ (VOC), "
        "train/ + train_masks/ (Carvana), images/ + masks/, or images with their labels in masks/"
    )


# --------------------------------------------------------------------------- mask encodings

LABEL_FILES = ("classes.txt", "labels.txt", "class_names.txt", "labelmap.txt")


def find_label_file(root: Path) -> Path | None:
    for base in (root, root / "VOC2012"):
        for name in LABEL_FILES:
            if (base / name).is_file():
                return base / name
    return None


@dataclass
class MaskEncoding:
    """How a dataset's mask files encode class ids."""

    kind: str  # "index" (palette or gray value = class), "binary" (0 / 255 or 0 / 1), "rgb"
    colors: list[tuple[int, int, int]] | None = None  # for "rgb": colour of class i

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
    if (values and values <= {0, 255} and 255 in values) or values == {0, 1}:
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
    problems: list[Message] = field(default_factory=list)  # blocking, each naming its file
    notes: list[Message] = field(default_factory=list)  # worth knowing, not blocking

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
            Message("Dataset {root} ({layout} layout): {n} image/mask {n:pair|pairs}",
                    root=str(self.root), layout=self.layout, n=len(self.pairs)),
            Message("Masks: {kind} (255 = foreground here, not ignore)" if kind == "binary" else "Masks: {kind}",
                    kind=MASK_KINDS.get(kind, kind)),
            Message("Classes ({n}):", n=self.num_classes),
        ]  # fmt: skip
        total = max(sum(self.class_pixels), 1)
        for i, (name, count) in enumerate(zip(self.class_names, self.class_pixels, strict=True)):
            lines.append(Message("  {id:3d} {name:<20} {count:>12,} px  {percent:5.1f} %",
                                 id=i, name=ClassName(name), count=count, percent=100 * count / total))  # fmt: skip
        if self.ignored_pixels:
            lines.append(
                Message(
                    "  {name:<6} (255)             {count:>12,} px", name=ClassName("ignore"), count=self.ignored_pixels
                )
            )
        if self.unpaired_images:
            lines.append(Message("Images without a mask ({n}): {names}", n=len(self.unpaired_images),
                                 names=", ".join(p.name for p in self.unpaired_images[:10])))  # fmt: skip
        if self.unpaired_masks:
            lines.append(Message("Masks without an image ({n}): {names}", n=len(self.unpaired_masks),
                                 names=", ".join(p.name for p in self.unpaired_masks[:10])))  # fmt: skip
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
    folder = Path(folder)
    label_file = next((f for f in map(find_label_file, (folder, folder.parent, folder.parent.parent)) if f), None)
    colors = read_label_file(label_file)[1] if label_file else None
    masks = sample_masks if sample_masks is not None else [p for p in _files(folder) if is_image_file(p)]
    return detect_encoding(masks, colors)


def read_mask(mask_path: str | Path, encoding: MaskEncoding | None = None) -> np.ndarray:
    """A mask file as (H, W) uint8 class ids (255 = ignore), decoded with ``encoding``
    (default: its folder's). Raises FCNStudioError naming the file."""
    mask_path = Path(mask_path)
    if not mask_path.is_file():
        raise FCNStudioError(f"{mask_path}: no such mask file")
    encoding = encoding or folder_encoding(mask_path.parent)
    try:
        with Image.open(mask_path) as m:
            m.load()
            return encoding.decode(m)
    except (OSError, SyntaxError, ValueError) as exc:
        raise FCNStudioError(f"{mask_path}: unreadable mask ({exc})") from None


def load_pair(image_path: Path, mask_path: Path, encoding: MaskEncoding) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its decoded class-id mask. Raises FCNStudioError naming the file."""
    from fcn_studio.data.images import load_image

    rgb = load_image(image_path)
    mask = read_mask(mask_path, encoding)
    if mask.shape != rgb.shape[:2]:
        raise FCNStudioError(
            f"{mask_path.name}: mask is {mask.shape[1]}x{mask.shape[0]} but {image_path.name} is {rgb.shape[1]}x{rgb.shape[0]}"
        )
    return rgb, mask


def _empty_classes_note(empty: list[int], names: list[str], named: bool) -> Message:
    """Classes no mask uses: never learnt. Unnamed classes are counted up to the largest
    label, so a stray large label makes many empty classes."""
    listed = ", ".join(names[i] if named else str(i) for i in empty[:12]) + (" ..." if len(empty) > 12 else "")
    if named:
        return Message("{n} of the {total} classes have no pixels in any mask ({listed}): the model cannot learn "
                       "them", n=len(empty), total=len(names), listed=listed)  # fmt: skip
    return Message("{n} of the {total} classes have no pixels in any mask ({listed}): the model cannot learn them; "
                   "if the masks number their classes differently, name them in classes.txt",
                   n=len(empty), total=len(names), listed=listed)  # fmt: skip


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
    label_file = find_label_file(root)
    names_from_file, colors = read_label_file(label_file) if label_file else (None, None)
    encoding = (
        # class ids with 255 = unlabelled, even when a sparse mask holds only class 0 and 255
        MaskEncoding("index")
        if pairing.layout == LABELLED_FOLDER_LAYOUT
        else detect_encoding([m for _, m in pairing.pairs], colors)
    )
    counts = np.zeros(256, dtype=np.int64)
    problems: list[Message] = []
    good: list[tuple[Path, Path]] = []
    present: list[np.ndarray] = []  # label values in each good mask, to name offenders later
    for i, (img, mask) in enumerate(pairing.pairs):
        if cancelled and cancelled():
            from fcn_studio.errors import Cancelled

            raise Cancelled()
        try:
            _, labels = load_pair(img, mask, encoding)
            file_counts = label_counts(labels)
            counts += file_counts
            good.append((img, mask))
            present.append(np.flatnonzero(file_counts))
        except FCNStudioError as exc:
            problems.append(exc.message)
        if progress:
            progress(i + 1, len(pairing.pairs), img.name)
    names = list(class_names or names_from_file or [])
    notes = []
    if label_file and not class_names:
        notes.append(Message("class names from {file}", file=label_file.name))
    if not names:
        if encoding.kind == "binary":
            names = ["background", "foreground"]
        else:
            used = np.flatnonzero(counts[:254])
            names = [f"class {i}" for i in range(int(used.max()) + 1 if used.size else 1)]
    n = len(names)
    for (_image, mask), values in zip(good, present, strict=True):
        bad = [int(v) for v in values if n <= v < 255]
        if bad:
            if 254 in bad and encoding.kind == "rgb":
                where = (Message("the colours in {file}", file=label_file.name) if colors
                         else Message("the VOC colours"))  # fmt: skip
                problems.append(Message("{mask}: colours not among {where}; list every class as a `name r g b` "
                                        "line in {file}", mask=mask.name, where=where, file=str(root / "classes.txt")))  # fmt: skip
            else:
                problems.append(Message("{mask}: labels {bad}, outside the {n} classes (0-{last}, 255 = ignore)",
                                        mask=mask.name, bad=bad, n=n, last=n - 1))  # fmt: skip
    empty = [i for i in range(n) if counts[i] == 0]
    if good and empty and len(empty) < n:
        notes.append(_empty_classes_note(empty, names, bool(class_names or names_from_file)))
    return DatasetReport(
        root, pairing.layout, good, pairing.unpaired_images, pairing.unpaired_masks, encoding, names,
        [int(c) for c in counts[:n]], int(counts[255]), problems, notes,
    )  # fmt: skip
