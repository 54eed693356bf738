"""Image sizes checked before any pixel is decoded or any array made: free memory, the
largest image FCN Studio opens. Below images.py and the annotation formats (labelme, COCO),
which ask it about the sizes their files state."""

from __future__ import annotations

import os
from pathlib import Path

from fcn_studio.errors import FCNStudioError

# Photos of 100+ megapixels are legitimate here; PIL's default guard stops at ~89 MP.
MAX_PIXELS = 400_000_000
PIXEL_LIMIT_MP = 2 * MAX_PIXELS // 1_000_000  # Pillow refuses twice MAX_IMAGE_PIXELS


def available_memory() -> int | None:
    """Bytes this process can still allocate (MemAvailable, within a cgroup limit), or None."""
    free = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
                    break
    except OSError:
        try:
            import psutil

            free = int(psutil.virtual_memory().available)
        except ImportError:
            return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            free = min(free if free is not None else 1 << 62, int(limit) - used)
    except (OSError, ValueError):
        pass
    return free


def format_bytes(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GB"
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def check_pixels(path: str | os.PathLike[str], width: int, height: int, limit_mp: int = PIXEL_LIMIT_MP) -> None:
    """Refuse, from the size alone, an image (or a mask of an annotation file's stated size)
    too large to hold: before any pixel is decoded or any array is made."""
    if width <= 0 or height <= 0:
        raise FCNStudioError(
            "{path}: an image size of {width}x{height} pixels; fix the file", path=str(path), width=width, height=height
        )
    if width * height > limit_mp * 1_000_000:
        raise FCNStudioError(
            "{path}: the image is too large to open (over {limit} megapixels)", path=str(path), limit=limit_mp
        )
    need, free = width * height, available_memory()
    if free is not None and need > free:
        raise FCNStudioError(
            "{path}: a {width}x{height} image needs about {need} of memory but only {free} is free; close other "
            "programs, or downscale or tile the image first",
            path=str(path),
            width=width,
            height=height,
            need=format_bytes(need),
            free=format_bytes(free),
        )
