"""The weights manifest, the weights directory, and resolving ``--model`` to a checkpoint."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.download import ProgressFn, download
from fcn_studio.errors import FCNStudioError
from fcn_studio.fileio import CHECKPOINT_FORMAT, read_safetensors_metadata
from fcn_studio.labels import LabelSet, voc_labels

if TYPE_CHECKING:  # torch is imported only when a model is actually loaded
    from fcn_studio.checkpoint import Checkpoint
    from fcn_studio.preprocessing import Preprocessing

WEIGHTS_ENV = "FCN_STUDIO_WEIGHTS"
_PACKAGED_MANIFEST = Path(__file__).parent / "data" / "manifest.json"
_SOURCE_MANIFEST = Path(__file__).resolve().parents[1] / "weights" / "manifest.json"


def weights_dir() -> Path:
    """Where weight files live: $FCN_STUDIO_WEIGHTS, else the user data directory."""
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser()
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
            ModelInfo(e.id, e.title, e.kind, e.arch, e.labels or "-", p.is_file(),
                      p.stat().st_size if p.is_file() else None, p, "manifest")
        )  # fmt: skip
    directory = weights_dir()
    for p in sorted(directory.glob("*.safetensors")) if directory.is_dir() else []:
        try:
            meta = read_safetensors_metadata(p)
        except (OSError, ValueError):  # a damaged file is skipped, not fatal
            continue
        if meta.get("format") != CHECKPOINT_FORMAT or p.stem.endswith(".last"):  # .last = resume state
            continue
        labels = json.loads(meta.get("labels", "{}")).get("name", "?")
        title = json.loads(meta.get("provenance", "{}")).get("title", p.stem)
        origin = "trained" if json.loads(meta.get("training", "{}") or "{}") else "imported"
        rows.append(ModelInfo(p.stem, title, "segmentation", meta.get("arch", "?"), labels, True,
                              p.stat().st_size, p, origin))  # fmt: skip
    return rows


def installed_models() -> list[ModelInfo]:
    return [m for m in list_weights() if m.installed and m.kind == "segmentation"]


def locate_weights(spec: str, *, backbones: bool = False) -> tuple[Path, dict]:
    """The file behind ``--model``/``--base`` (an installed id or a path) and what the
    manifest knows that the file cannot say (keyword arguments for load_checkpoint)."""
    from fcn_studio.preprocessing import PRESETS

    path = Path(spec).expanduser()
    if path.is_file():
        return path, {}
    entry = manifest_entry(spec)
    if entry is not None:
        if entry.kind != "segmentation" and not backbones:
            raise FCNStudioError(f"{spec} is a backbone for training, not a segmentation model")
        if not entry.path().is_file():
            raise FCNStudioError(
                f"model {spec} is not installed; run `fcn-studio weights download {spec}` "
                f"(about {entry.size_mb:.0f} MB) or `fcn-studio weights import FILE`"
            )
        known = {
            "preprocessing": PRESETS[entry.preprocessing],
            "provenance": {"id": entry.id, "title": entry.title, "source": entry.source, "url": entry.url},
        }
        if entry.kind == "segmentation":
            known |= {"arch": entry.arch, "labels": voc_labels() if entry.labels == "voc" else None}
        return entry.path(), known
    imported = weights_dir() / f"{spec}.safetensors"
    if _is_id(spec) and imported.is_file():
        return imported, {}
    known_ids = ", ".join(m.id for m in installed_models()) or "none installed"
    raise FCNStudioError(
        f"unknown model {spec!r}: not a file and not an installed id ({known_ids}); see `fcn-studio weights list`"
    )


def resolve_model(spec: str) -> Checkpoint:
    """``--model`` accepts an installed id or a path to any supported weights file."""
    from fcn_studio.checkpoint import load_checkpoint

    path, known = locate_weights(spec)
    return load_checkpoint(path, **known)


def _is_id(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text))


def download_weights(weights_id: str, progress: ProgressFn | None = None, cancelled=None) -> Path:
    entry = manifest_entry(weights_id)
    if entry is None:
        raise FCNStudioError(f"unknown weights id {weights_id!r}; see `fcn-studio weights list`")
    return download(entry.url, entry.path(), checksum=entry.checksum, progress=progress, cancelled=cancelled)


def import_weights(
    file: str | Path,
    weights_id: str | None = None,
    *,
    arch: str | None = None,
    labels: LabelSet | None = None,
    preprocessing: Preprocessing | None = None,
    overwrite: bool = False,
) -> str:
    """Validate a weights file and store it as an FCN Studio checkpoint under an id.

    A file that is byte for byte a published model (its checksum is in the manifest)
    becomes that model (e.g. ``fcn8s-voc``, with its title, labels and metrics)."""
    from fcn_studio.checkpoint import load_checkpoint, save_checkpoint

    file = Path(file)
    published = published_entry_for(file) if weights_id in (None, "") else None
    if published is not None:
        return _install_published(file, published, overwrite)
    weights_id = weights_id or re.sub(r"[^A-Za-z0-9_.-]+", "-", file.stem).strip("-.") or "model"
    if not _is_id(weights_id) or manifest_entry(weights_id):
        raise FCNStudioError(
            f"{weights_id!r} cannot be used as an id: use letters, digits, '-', '_' and '.', not a listed id"
        )
    target = weights_dir() / f"{weights_id}.safetensors"
    if target.exists() and not overwrite:
        raise FCNStudioError(
            f"a model with id {weights_id!r} is already installed; choose another --id or remove it first"
        )
    ckpt = load_checkpoint(file, arch=arch, labels=labels, preprocessing=preprocessing)
    ckpt.build_model()  # strict shape check before anything is written
    ckpt.provenance = {
        **ckpt.provenance,
        "imported_from": str(file.resolve()),
        "title": ckpt.provenance.get("title", weights_id),
    }
    save_checkpoint(ckpt, target)
    return weights_id


def published_entry_for(file: Path) -> ManifestEntry | None:
    """The manifest entry this file is a copy of, by checksum (sizes are compared first,
    so only a file of a published model's size is hashed)."""
    from fcn_studio.download import file_digest

    try:
        size_mb = file.stat().st_size / 1e6
    except OSError:
        return None
    candidates = [
        e for e in manifest() if e.kind == "segmentation" and abs(size_mb - e.size_mb) <= 0.05 * e.size_mb + 1
    ]
    digests: dict[str, str] = {}
    for entry in candidates:
        algorithm, _, expected = entry.checksum.partition(":")
        if algorithm not in digests:
            digests[algorithm] = file_digest(file, algorithm)
        if expected and digests[algorithm].startswith(expected.lower()):
            return entry
    return None


def _install_published(file: Path, entry: ManifestEntry, overwrite: bool) -> str:
    import shutil

    from fcn_studio.fileio import atomic_path

    target = entry.path()
    if target.exists() and not overwrite:
        raise FCNStudioError(f"{file.name} is the published {entry.id}, which is already installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(file, tmp)
    return entry.id


def remove_weights(weights_id: str) -> list[Path]:
    entry = manifest_entry(weights_id)
    candidates = [entry.path()] if entry else [weights_dir() / f"{weights_id}.safetensors"]
    candidates += [p.with_name(p.name + ".part") for p in candidates]
    removed = [p for p in candidates if p.exists()]
    if not removed:
        raise FCNStudioError(f"no installed weights with id {weights_id!r}; see `fcn-studio weights list`")
    for p in removed:
        p.unlink()
    return removed


def register_checkpoint(path: str | Path, weights_id: str) -> str:
    """Make an FCN Studio checkpoint usable by id: a hard link (or a copy) in the weights
    directory; a file already there is used as it is."""
    import shutil

    path = Path(path).resolve()
    if not _is_id(weights_id) or manifest_entry(weights_id):
        raise FCNStudioError(f"{weights_id!r} cannot be used as a model id; choose another --id")
    target = weights_dir() / f"{weights_id}.safetensors"
    if target.exists() and target.resolve() == path:
        return weights_id
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(path, tmp)
    except OSError:
        shutil.copyfile(path, tmp)
    os.replace(tmp, target)
    return weights_id
