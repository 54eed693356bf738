"""Turning what the user named (files, folders) into the list of media to process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from fcn_studio.data.images import is_image_file
from fcn_studio.inference.video import is_video_file


def is_media_file(path: Path, videos: bool = True) -> bool:
    return is_image_file(path) or (videos and is_video_file(path))


def expand_inputs(
    inputs: Iterable[str | Path], *, videos: bool = True, warn: Callable[[str], None] | None = None
) -> list[Path]:
    """Files as given; folders expanded to the images (and videos) inside them,
    recursively, sorted, hidden files skipped."""
    return [path for path, _root in expand_with_roots(inputs, videos=videos, warn=warn)]


def expand_with_roots(
    inputs: Iterable[str | Path], *, videos: bool = True, warn: Callable[[str], None] | None = None
) -> list[tuple[Path, Path | None]]:
    """As :func:`expand_inputs`, each file with the folder it was found in (``None`` for a
    file named directly), so outputs can mirror the folder's sub-folders."""
    files: list[tuple[Path, Path | None]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and is_media_file(p, videos) and not p.name.startswith(".")
            )
            if not found and warn:
                warn(f"{path}: no {'images or videos' if videos else 'images'} in this folder")
            files.extend((p, path) for p in found)
        else:
            files.append((path, None))
    return files
