"""The installed and published models, one row each (``weights list``, the GUI's model
picker, the weights dialog): the manifest's entries and the model files in the weights
folder, with the size of their conversions. Locating, importing and removing models:
:mod:`.weights`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fcn_studio.files.fileio import CHECKPOINT_FORMAT, clean_stale_temporaries, read_safetensors_metadata
from fcn_studio.storage.manifest import manifest, weights_dir


@dataclass(frozen=True)
class ModelInfo:
    """One row of ``weights list`` and of the GUI's model picker."""

    id: str
    title: str
    kind: str
    arch: str
    labels: str
    installed: bool
    size_bytes: int | None
    path: Path
    origin: str  # "manifest", "imported" or "trained"
    base: str | None = None  # a version stored as a head file: the id of the base it sits on
    cache_bytes: int = 0  # its conversions for the faster CPU path (a head version shares its base's)

    @property
    def disk_bytes(self) -> int:
        """What it takes on disk: its file and its conversions."""
        return (self.size_bytes or 0) + self.cache_bytes

    @property
    def status(self) -> str:
        """The one vocabulary the command line and the app share."""
        if not self.installed:
            return "not installed"
        return "installed" if self.origin == "manifest" else f"installed ({self.origin})"


def list_weights() -> list[ModelInfo]:
    rows = []
    for e in manifest():
        p = e.path()
        rows.append(
            ModelInfo(
                e.id,
                e.title,
                e.kind,
                e.arch,
                e.labels or "-",
                p.is_file(),
                p.stat().st_size if p.is_file() else None,
                p,
                "manifest",
            )
        )
    directory = weights_dir()
    clean_stale_temporaries(directory)
    for p in sorted(directory.glob("*.safetensors")) if directory.is_dir() else []:
        if p.name.startswith("."):  # temporaries and other hidden files are never models
            continue
        try:
            meta = read_safetensors_metadata(p)
        except (OSError, ValueError):  # a damaged file is skipped, not fatal
            continue
        row = _installed_row(p, meta)
        if row is not None:
            rows.append(row)
    return _with_cache_sizes(rows)


def _with_cache_sizes(rows: list[ModelInfo]) -> list[ModelInfo]:
    from dataclasses import replace

    from fcn_studio.storage.conversions import all_conversions

    by_source: dict[str, int] = {}
    for c in all_conversions(weights_dir()):
        by_source[c.source] = by_source.get(c.source, 0) + c.size_bytes
    if not by_source:
        return rows
    return [replace(r, cache_bytes=by_source.get(str(r.path.resolve()), 0)) if r.installed else r for r in rows]


def _installed_row(p: Path, meta: dict[str, str]) -> ModelInfo | None:
    """The row of a model file in the weights folder (None: not a model)."""
    from fcn_studio.storage.heads import HEAD_FORMAT

    if meta.get("format") not in (CHECKPOINT_FORMAT, HEAD_FORMAT) or p.stem.endswith(".last"):  # .last = resume
        return None
    try:
        labels = json.loads(meta.get("labels", "{}")).get("name", "?")
        title = json.loads(meta.get("provenance", "{}")).get("title", p.stem)
        origin = "trained" if json.loads(meta.get("training", "{}") or "{}") else "imported"
        base = json.loads(meta["base"]).get("id") if meta.get("format") == HEAD_FORMAT else None
    except (ValueError, AttributeError, KeyError):
        return None
    return ModelInfo(
        p.stem, title, "segmentation", meta.get("arch", "?"), labels, True, p.stat().st_size, p, origin, base
    )


def installed_models() -> list[ModelInfo]:
    return [m for m in list_weights() if m.installed and m.kind == "segmentation"]
