"""The weights manifest (the published models) and the weights directory they install into."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fcn_studio import environment

_PACKAGED_MANIFEST = Path(__file__).resolve().parents[1] / "_bundled" / "manifest.json"
_SOURCE_MANIFEST = Path(__file__).resolve().parents[2] / "weights" / "manifest.json"


def weights_dir() -> Path:
    """Where weight files live: $FCN_STUDIO_WEIGHTS, else the user data directory."""
    env = environment.read(environment.WEIGHTS)
    if env:
        return env
    import platformdirs

    return Path(platformdirs.user_data_dir("fcn-studio", appauthor=False)) / "weights"


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    title: str
    kind: str  # "segmentation" or "backbone"
    arch: str
    labels: str | None
    preprocessing: str
    filename: str
    url: str
    checksum: str
    size_mb: float
    source: str
    metrics: dict = field(default_factory=dict)

    def path(self) -> Path:
        return weights_dir() / self.filename


@lru_cache(maxsize=1)
def manifest() -> tuple[ManifestEntry, ...]:
    path = _PACKAGED_MANIFEST if _PACKAGED_MANIFEST.is_file() else _SOURCE_MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(ManifestEntry(**entry) for entry in data["weights"])


def manifest_entry(weights_id: str) -> ManifestEntry | None:
    return next((e for e in manifest() if e.id == weights_id), None)


def published_entry_for(file: Path, entries: tuple[ManifestEntry, ...]) -> ManifestEntry | None:
    """The entry of ``entries`` (the manifest) this file is a copy of, by checksum (sizes are compared first,
    so only a file of a published model's size is hashed)."""
    from fcn_studio.storage.download import file_digest

    try:
        size_mb = file.stat().st_size / 1e6
    except OSError:
        return None
    candidates = [e for e in entries if e.kind == "segmentation" and abs(size_mb - e.size_mb) <= 0.05 * e.size_mb + 1]
    digests: dict[str, str] = {}
    for entry in candidates:
        algorithm, _, expected = entry.checksum.partition(":")
        if algorithm not in digests:
            digests[algorithm] = file_digest(file, algorithm)
        if expected and digests[algorithm].startswith(expected.lower()):
            return entry
    return None
