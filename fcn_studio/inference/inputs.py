"""Turning what the user named (files, folders) into the list of media to process.

A folder is walked recursively, sorted, hidden entries skipped, and so are its label
folders (Label mode's ``masks/``, VOC's ``SegmentationClass/`` ...): labels are not photos.
What cannot be read as a file (a FIFO, which would block the run forever; a link to nothing;
a link that loops) is left out and said, never silently dropped or waited on.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from fcn_studio.data.dataset import VOC_MASK_DIRS
from fcn_studio.data.images import is_image_file
from fcn_studio.data.pairing import LABEL_MASK_DIR
from fcn_studio.inference.video import is_video_file

# Sub-folders that hold a dataset's labels (Label mode, VOC, labelme2voc), never photos.
LABEL_FOLDERS = frozenset(
    name.casefold()
    for name in (
        LABEL_MASK_DIR,
        *VOC_MASK_DIRS,
        "SegmentationObject",
        "SegmentationObjectPNG",
        "SegmentationClassAug",
        "SegmentationClassVisualization",
        "SegmentationObjectVisualization",
    )
)
_SHOWN = 4  # examples per note


def is_media_file(path: Path, videos: bool = True) -> bool:
    return is_image_file(path) or (videos and is_video_file(path))


def is_label_folder(path: Path) -> bool:
    return path.name.casefold() in LABEL_FOLDERS


def expand_with_roots(
    inputs: Iterable[str | Path], *, videos: bool = True, warn: Callable[[str], None] | None = None
) -> list[tuple[Path, Path | None]]:
    """Files as given; folders expanded to the images (and videos) inside them,
    recursively, sorted, hidden files and label folders skipped. Each file comes with the
    folder it was found in (``None`` for a file named directly), so outputs can mirror the
    folder's sub-folders."""
    files: list[tuple[Path, Path | None]] = []
    walk = _Walk(videos)
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = walk.folder(path)
            if not found and warn:
                warn(f"{path}: no {'images or videos' if videos else 'images'} in this folder")
            files.extend((p, path) for p in found)
        elif (problem := unreadable_reason(path)) is not None:
            walk.left_out.append((path, problem))
        else:
            files.append((path, None))
    if warn:
        for line in walk.notes():
            warn(line)
    return files


def unreadable_reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as a media file without blocking (a FIFO, a socket, a
    device, a link to nothing or a loop), or None (a plain file, or absent: reported later)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if not os.path.lexists(path):
            return None  # "no such file" when it is read
        return "a symbolic link that loops" if exc.errno == errno.ELOOP else "a link to a missing file"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "a FIFO (named pipe), not a file" if stat.S_ISFIFO(mode) else "not a regular file"


class _Walk:
    """A recursive listing that follows linked folders once (a link loop is said, not walked
    forever) and remembers what it left out and why."""

    def __init__(self, videos: bool) -> None:
        self.videos = videos
        self.left_out: list[tuple[Path, str]] = []
        self.label_folders: list[Path] = []
        self._seen: set[tuple[int, int]] = set()

    def folder(self, root: Path) -> list[Path]:
        found: list[Path] = []
        self._walk(root, found, top=True)
        return sorted(found)

    def _walk(self, folder: Path, found: list[Path], top: bool = False) -> None:
        try:
            st = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.left_out.append((folder, f"cannot be listed ({exc.strerror or exc})"))
            return
        if (st.st_dev, st.st_ino) in self._seen:
            self.left_out.append((folder, "a link to a folder already listed (a loop)"))
            return
        self._seen.add((st.st_dev, st.st_ino))
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            problem = unreadable_reason(path)
            if problem is not None:
                if is_media_file(path, self.videos) or entry.is_symlink():
                    self.left_out.append((path, problem))
            elif entry.is_dir():
                if is_label_folder(path):
                    self.label_folders.append(path)
                else:
                    self._walk(path, found)
            elif is_media_file(path, self.videos):
                found.append(path)

    def notes(self) -> list[str]:
        lines = []
        if self.label_folders:
            shown = ", ".join(f"{p}{os.sep}" for p in self.label_folders[:_SHOWN])
            more = f" and {len(self.label_folders) - _SHOWN} more" if len(self.label_folders) > _SHOWN else ""
            lines.append(f"left out {shown}{more}: label masks, not photos")
        if self.left_out:
            shown = "; ".join(f"{p} ({why})" for p, why in self.left_out[:_SHOWN])
            more = f" and {len(self.left_out) - _SHOWN} more" if len(self.left_out) > _SHOWN else ""
            lines.append(f"{len(self.left_out)} input(s) left out: {shown}{more}")
        return lines


LARGE_IMAGE_MP = 50  # from here on a photo takes minutes and GBs: said before the run starts
_BYTES_PER_PIXEL = 9.5  # measured: a 20000x20000 PNG peaked at 3.7 GB through segment (#29)


def large_image_notes(paths: Iterable[Path], limit_mp: int = LARGE_IMAGE_MP) -> list[str]:
    """One line for the images of ``limit_mp`` megapixels or more (their headers alone are
    read): what they will cost, and how to make it cheaper. Empty when there is none."""
    from fcn_studio.data.images import format_bytes, image_size

    large = []
    for path in paths:
        try:
            h, w = image_size(path)
        except Exception:  # unreadable: reported when its turn comes
            continue
        if w * h >= limit_mp * 1_000_000:
            large.append((path, w, h))
    if not large:
        return []
    shown = ", ".join(f"{p.name} {w}x{h}" for p, w, h in large[:_SHOWN]) + (" ..." if len(large) > _SHOWN else "")
    peak = max(w * h for _, w, h in large) * _BYTES_PER_PIXEL
    return [
        f"{len(large)} image(s) of {limit_mp} megapixels or more ({shown}): each takes minutes and up to about "
        f"{format_bytes(peak)} of memory (its mask is full size); downscale or tile them first to go faster"
    ]
