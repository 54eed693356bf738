"""What a batch writes where, decided before any model loads: outputs mirror the input
folder's sub-folders (``photos/sub/a.jpg`` -> ``OUT/sub/a.png``), inputs that would share an
output name get stable, distinct names (``a_jpg.png``, ``a_png.png``), and a plan that would
write over an input, or into the input folder itself, is refused."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fcn_studio.errors import FCNStudioError

OVERLAY_SUFFIX = "_overlay"


@dataclass(frozen=True)
class BatchItem:
    """One input image and its output name: a relative path without extension, e.g. ``sub/a``."""

    source: Path
    name: str
    root: Path | None = None  # the folder the user named, None for a file named directly

    def mask_path(self, out_dir: Path) -> Path:
        return out_dir / f"{self.name}.png"

    def overlay_path(self, out_dir: Path) -> Path:
        return out_dir / f"{self.name}{OVERLAY_SUFFIX}.jpg"

    @property
    def relative_source(self) -> PurePosixPath:
        return PurePosixPath((self.source.relative_to(self.root) if self.root else Path(self.source.name)).as_posix())

    @property
    def renamed(self) -> bool:
        """True when the output is not simply the input's relative path with ``.png``."""
        return self.name != str(self.relative_source.with_suffix(""))


def batch_items(found: Sequence[tuple[Path, Path | None]]) -> list[BatchItem]:
    """Items for ``(file, folder it was found in)`` pairs (see ``inputs.expand_with_roots``).

    Names depend only on the set of inputs, so every shard of a job array computes the same
    ones. A name is the input's path inside its folder when no other input (nor another
    input's overlay) claims it, compared case-insensitively since macOS and Windows do;
    otherwise the extension is added (``a_jpg``), then ``_2``, ``_3``... as needed.
    """
    seen: set[Path] = set()
    unique: list[tuple[Path, Path | None]] = []
    real = _RealPaths()
    for path, root in found:
        key = real(path, root)
        if key not in seen:  # the same file named twice (as a file and inside a folder)
            seen.add(key)
            unique.append((path, root))
    rels = [PurePosixPath((p.relative_to(r) if r else Path(p.name)).as_posix()) for p, r in unique]
    bases = [str(rel.with_suffix("")) for rel in rels]
    shared = Counter(b.casefold() for b in bases)
    taken: set[str] = set()

    def free(name: str) -> bool:
        return name.casefold() not in taken and (name + OVERLAY_SUFFIX).casefold() not in taken

    def reserve(name: str) -> str:
        taken.update({name.casefold(), (name + OVERLAY_SUFFIX).casefold()})
        return name

    names: list[str | None] = [None] * len(unique)
    order = sorted(range(len(unique)), key=lambda i: str(rels[i]))
    for i in order:  # first the inputs that have their plain name to themselves
        if shared[bases[i].casefold()] == 1 and free(bases[i]):
            names[i] = reserve(bases[i])
    for i in order:
        if names[i] is None:
            ext = rels[i].suffix.lstrip(".").lower() or "file"
            wanted = f"{bases[i]}_{ext}" if shared[bases[i].casefold()] > 1 else bases[i]
            name, n = wanted, 1
            while not free(name):
                n += 1
                name = f"{wanted}_{n}"
            names[i] = reserve(name)
    return [BatchItem(p, str(n), r) for (p, r), n in zip(unique, names, strict=True)]


def as_items(files: Sequence[BatchItem | Path]) -> list[BatchItem]:
    if all(isinstance(f, BatchItem) for f in files):
        return list(files)  # type: ignore[arg-type]
    return batch_items([(Path(f), None) for f in files])  # type: ignore[arg-type]


def existing_outputs(files: Sequence[BatchItem | Path], out_dir: Path) -> list[Path]:
    return [p for p in (item.mask_path(out_dir) for item in as_items(files)) if p.exists()]


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class _RealPaths:
    """Real (resolved) paths of inputs, resolving each input folder once rather than each
    of its million files (a system call per path component, slow on network storage)."""

    def __init__(self) -> None:
        self._roots: dict[Path, Path] = {}

    def __call__(self, path: Path, root: Path | None) -> Path:
        if root is None:
            return path.resolve()
        if root not in self._roots:
            self._roots[root] = root.resolve()
        return self._roots[root] / path.relative_to(root)


def without_previous_outputs(files: Sequence[BatchItem | Path], out_dir: Path) -> list[BatchItem]:
    """The items minus files inside ``out_dir`` when it lies inside their input folder:
    masks of an earlier run there are outputs, not photos. Path arithmetic only, the same on
    every shard, so it can run before the inputs are split."""
    out, real = out_dir.resolve(), _RealPaths()
    return [
        it
        for it in as_items(files)
        if not (it.root and real(it.root, None) != out and _within(real(it.source, it.root), out))
    ]


def prepare_output(files: Sequence[BatchItem | Path], out_dir: Path) -> list[BatchItem]:
    """Check the output folder before any image is segmented; the items to process.

    Refuses an output folder that is an input folder (the masks would be read as photos by
    the next run: refused on every run, not only once they collide), a plan in which an
    output would replace one of the run's inputs, and a folder that cannot be written.
    Masks from an earlier run in an output folder inside the input folder are not inputs.
    """
    items = without_previous_outputs(files, out_dir)
    refuse_input_folder_as_output([it.root for it in items], out_dir)
    out, real = out_dir.resolve(), _RealPaths()
    if any(_within(real(it.source, it.root), out) for it in items):  # else no output can be an input
        plan = [(it.source, [it.mask_path(out_dir), it.overlay_path(out_dir)]) for it in items]
        refuse_replacing_inputs(plan, out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FCNStudioError("{folder} is a file, not a folder; choose another output folder", folder=str(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fcn-studio-write-test.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FCNStudioError(
            "{out_dir}: cannot write to this folder ({error}); choose another output folder",
            out_dir=out_dir,
            error=exc.strerror or exc,
        ) from None
    make_output_folders(items, out_dir)
    return items


def make_output_folders(items: Sequence[BatchItem], out_dir: Path) -> None:
    """The mirrored subfolders (``OUT/sub/``), made before any image is segmented and never
    through a link planted at their names (files/fileio.make_folders)."""
    from fcn_studio.files.fileio import make_folders

    if items:
        out_dir.mkdir(parents=True, exist_ok=True)
    for folder in sorted({it.mask_path(out_dir).parent for it in items}):
        make_folders(out_dir, folder)


def refuse_input_folder_as_output(roots: Iterable[Path | None], out_dir: Path) -> None:
    """An output folder that is one of the folders being segmented mixes masks with photos."""
    out = out_dir.resolve()
    for root in {r for r in roots if r is not None}:
        if root.resolve() == out:
            suggestion = root.parent / f"{root.name}-masks"
            raise FCNStudioError(
                "{out_dir} is the folder being segmented: its masks would be taken as photos by the next run; choose another output folder, e.g. {suggestion}",
                out_dir=out_dir,
                suggestion=suggestion,
            )


def refuse_replacing_inputs(plan: Sequence[tuple[Path, Sequence[Path]]], out_dir: Path) -> None:
    """``plan``: each input with the outputs it would write. Raise if any output is one of
    the inputs (the same file by device and inode, so also under another case or a link)."""
    inputs = {}
    for source, _ in plan:
        try:
            st = source.stat()
            inputs[(st.st_dev, st.st_ino)] = source
        except OSError:
            pass  # reported when it is read
    for source, targets in plan:
        for target in targets:
            try:
                st = target.stat()  # only an existing file can be an input
            except OSError:
                continue
            clash = inputs.get((st.st_dev, st.st_ino))
            if clash is not None:
                raise FCNStudioError(
                    "{out_dir}: the output for {source} would replace the input {clash}; choose an output folder outside the input folder",
                    out_dir=out_dir,
                    source=source,
                    clash=clash,
                )
