"""The weights manifest, the weights directory, and resolving ``--model`` to a checkpoint."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio import environment
from fcn_studio.data.labels import LabelSet, voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import Message
from fcn_studio.storage.download import ProgressFn, download
from fcn_studio.storage.fileio import CHECKPOINT_FORMAT, clean_stale_temporaries, read_safetensors_metadata
from fcn_studio.storage.model_ids import id_from_filename as id_from_filename
from fcn_studio.storage.model_ids import id_problem as id_problem
from fcn_studio.storage.model_ids import is_valid_id as is_valid_id
from fcn_studio.storage.model_ids import normal_id as normal_id

if TYPE_CHECKING:  # torch is imported only when a model is actually loaded
    from fcn_studio.models.preprocessing import Preprocessing
    from fcn_studio.storage.checkpoint import Checkpoint

log = logging.getLogger(__package__)  # one logger per package

WEIGHTS_ENV = environment.WEIGHTS.name
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


def locate_weights(spec: str, *, backbones: bool = False) -> tuple[Path, dict]:
    """The file behind ``--model``/``--base`` (an installed id or a path) and what the
    manifest knows that the file cannot say (keyword arguments for load_checkpoint)."""
    from fcn_studio.models.preprocessing import PRESETS

    path = Path(spec).expanduser()
    if path.is_file():
        return path, {}
    entry = manifest_entry(spec)
    if entry is not None:
        if entry.kind != "segmentation" and not backbones:
            raise FCNStudioError("{spec} is a backbone for training, not a segmentation model", spec=spec)
        if not entry.path().is_file():
            raise FCNStudioError(
                "model {spec} is not installed; download it (about {size_mb:.0f} MB) or import a weights file",
                fix="download-or-import",
                spec=spec,
                size_mb=entry.size_mb,
            )
        known = {
            "preprocessing": PRESETS[entry.preprocessing],
            "provenance": {"id": entry.id, "title": entry.title, "source": entry.source, "url": entry.url},
        }
        if entry.kind == "segmentation":
            known |= {"arch": entry.arch, "labels": voc_labels() if entry.labels == "voc" else None}
        return entry.path(), known
    if is_valid_id(normal_id(spec)) and (weights_dir() / f"{normal_id(spec)}.safetensors").is_file():
        return weights_dir() / f"{normal_id(spec)}.safetensors", {}
    _explain_unusable_path(path)
    known_ids = ", ".join(m.id for m in installed_models()) or Message("none installed")
    raise FCNStudioError(
        "unknown model {spec!r}: not a file and not an installed id ({known_ids}); see the list of installed models",
        fix="list",
        spec=spec,
        known_ids=known_ids,
    )


def resolve_model(spec: str) -> Checkpoint:
    """``--model`` accepts an installed id or a path to any supported weights file."""
    from fcn_studio.storage.checkpoint import load_checkpoint

    path, known = locate_weights(spec)
    log.info("loading model %s from %s", spec, path)
    return load_checkpoint(path, **known, locate_base=lambda base_id: locate_weights(base_id)[0])


def _explain_unusable_path(path: Path) -> None:
    """A path that exists but is no file, or a link that leads nowhere, is named as such
    rather than reported as an unknown model id."""
    if path.is_dir():
        raise FCNStudioError(
            "{path} is a folder, not a weights file; give the .pth or .safetensors file in it", path=path
        )
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 raises RuntimeError for loops
            raise FCNStudioError(
                "{path}: the symbolic link loops on itself; point it at a weights file", path=path
            ) from None
        except OSError as exc:
            import errno

            if exc.errno == errno.ELOOP:
                raise FCNStudioError(
                    "{path}: the symbolic link loops on itself; point it at a weights file", path=path
                ) from None
            raise FCNStudioError(
                "{path}: the symbolic link points to a missing file; fix or remove it", path=path
            ) from None
    if not path.exists() and (path.suffix.lower() in WEIGHT_SUFFIXES or len(path.parts) > 1):
        raise FCNStudioError("{path}: no such weights file", path=path)


WEIGHT_SUFFIXES = (".pth", ".pt", ".safetensors", ".bin", ".ckpt")


def check_id(weights_id: str) -> str:
    """``weights_id`` (normalised) if usable for a new model; else FCNStudioError saying why."""
    weights_id = normal_id(weights_id)
    problem = id_problem(weights_id)
    if problem is None and manifest_entry(weights_id):
        problem = Message("it is the id of a listed model")
    if problem:
        raise FCNStudioError(
            "{weights_id!r} cannot be used as a model id: {problem}; choose another id",
            weights_id=weights_id,
            problem=problem,
            fix="other-id",
        )
    return weights_id


def model_path(weights_id: str) -> Path:
    """Where the imported or trained model ``weights_id`` lives (the id checked first)."""
    return weights_dir() / f"{check_id(weights_id)}.safetensors"


@contextlib.contextmanager
def reserved_id(weights_id: str) -> Iterator[None]:
    """Hold ``weights_id`` from the check that it is free to the install (a training's
    whole run): a second run under the same id fails at once instead of replacing it."""
    from fcn_studio.storage.locks import exclusive

    with exclusive(model_path(weights_id), f"the model id {normal_id(weights_id)!r}", reserve=True):
        yield


def download_weights(weights_id: str, progress: ProgressFn | None = None, cancelled=None) -> Path:
    entry = manifest_entry(weights_id)
    if entry is None:
        raise FCNStudioError(
            "unknown weights id {weights_id!r}; see the list of models", fix="list", weights_id=weights_id
        )
    from fcn_studio.storage.locks import exclusive

    # Two downloads of one file would append to the same .part: the second stops at once.
    with exclusive(entry.path(), f"the download of {weights_id}"):
        log.info("downloading %s from %s", weights_id, entry.url)
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
    from fcn_studio.storage.checkpoint import load_checkpoint, save_checkpoint
    from fcn_studio.storage.locks import exclusive

    file = Path(file)
    _explain_unusable_path(file)  # a folder or a broken link, named as such
    published = published_entry_for(file) if weights_id in (None, "") else None
    if published is not None:
        return _install_published(file, published, overwrite)
    weights_id = check_id(id_from_filename(file.stem) if weights_id is None else weights_id)
    target = model_path(weights_id)
    _refuse_installed(target, weights_id, overwrite)
    ckpt = load_checkpoint(file, arch=arch, labels=labels, preprocessing=preprocessing)
    try:
        ckpt.build_model()  # strict shape check before anything is written
    except FCNStudioError as exc:
        raise FCNStudioError("{error}; if the architecture was misdetected, name it", fix="arch", error=exc) from None
    ckpt.provenance = {
        **ckpt.provenance,
        "imported_from": str(file.resolve()),
        "title": ckpt.provenance.get("title", weights_id),
    }
    clean_stale_temporaries(target.parent)
    # Held for the write and the check before it: of two imports under one id, the second
    # waits, then finds the first one's model (and refuses without --force).
    with exclusive(target, f"the model id {weights_id!r}", wait_s=IMPORT_WAIT_S):
        _refuse_installed(target, weights_id, overwrite)
        save_checkpoint(ckpt, target, option="folder ($FCN_STUDIO_WEIGHTS)")
    return weights_id


def published_entry_for(file: Path) -> ManifestEntry | None:
    """The manifest entry this file is a copy of, by checksum (sizes are compared first,
    so only a file of a published model's size is hashed)."""
    from fcn_studio.storage.download import file_digest

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

    from fcn_studio.storage.fileio import atomic_path

    target = entry.path()
    if target.exists() and not overwrite:
        raise FCNStudioError("{name} is the published {id}, which is already installed", name=file.name, id=entry.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(file, tmp)
    return entry.id


IMPORT_WAIT_S = 120.0


def _refuse_installed(target: Path, weights_id: str, overwrite: bool) -> None:
    if target.exists() and not overwrite:
        raise FCNStudioError(
            "a model with id {weights_id!r} is already installed; choose another id, or replace it",
            fix="other-id-or-replace",
            weights_id=weights_id,
        )


def remove_weights(weights_id: str) -> list[Path]:
    """Delete an installed model's file (and a partial download, and its conversions for
    the faster CPU path unless a running program uses them); only ever a file directly
    inside the weights directory. A base that versions stored as heads sit on is kept."""
    weights_id = normal_id(weights_id)
    entry = manifest_entry(weights_id)
    problem = None if entry else id_problem(weights_id)
    if problem:
        raise FCNStudioError(
            "{weights_id!r} is not a model id ({problem}); see the list of installed models",
            fix="list",
            weights_id=weights_id,
            problem=problem,
        )
    candidates = [entry.path()] if entry else [weights_dir() / f"{weights_id}.safetensors"]
    candidates += [p.with_name(p.name + ".part") for p in candidates]
    home = weights_dir().resolve()
    # The file itself may be a link the user made; what must be inside is the entry removed.
    removed = [p for p in candidates if (p.exists() or p.is_symlink()) and p.parent.resolve() == home]
    if not removed:
        raise FCNStudioError(
            "no installed weights with id {weights_id!r}; see the list of installed models",
            fix="list",
            weights_id=weights_id,
        )
    from fcn_studio.storage.locks import exclusive

    _refuse_base_of_heads(weights_id, removed[0])
    from fcn_studio.storage.conversions import conversions_of, remove

    caches = conversions_of(removed[0], weights_dir()) if removed[0].is_file() else []
    with exclusive(candidates[0], f"the model id {weights_id!r}", wait_s=IMPORT_WAIT_S):  # not mid-write
        for p in removed:
            p.unlink(missing_ok=True)
    return removed + [c.folder for c in caches if remove(c.folder)]


def _refuse_base_of_heads(weights_id: str, path: Path) -> None:
    """Versions stored as heads cannot work without their base."""
    resolved = path.resolve()
    dependants = [
        r.id for r in list_weights() if r.base is not None and r.id != weights_id and _base_file(r) == resolved
    ]
    if dependants:
        raise FCNStudioError(
            "{weights_id} is the base of {dependants}, stored as heads over it; remove those first (or export them as standalone files)",
            fix="export",
            weights_id=weights_id,
            dependants=", ".join(dependants),
        )


def _base_file(row: ModelInfo) -> Path | None:
    try:
        base = json.loads(read_safetensors_metadata(row.path)["base"])
        found = locate_weights(base["id"])[0]
    except (OSError, ValueError, KeyError, FCNStudioError):
        return None
    return found.resolve()


def register_checkpoint(path: str | Path, weights_id: str) -> str:
    """Make an FCN Studio checkpoint usable by id: a hard link (or a copy) in the weights
    directory; a file already there is used as it is."""
    import shutil

    from fcn_studio.storage.fileio import temporary_name, write_error
    from fcn_studio.storage.locks import exclusive

    path = Path(path).resolve()
    target = model_path(weights_id)
    if target.exists() and os.path.samefile(target, path):  # the same file, or a hard link of it
        return weights_id
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(target.parent)
    with exclusive(target, f"the model id {weights_id!r}", wait_s=IMPORT_WAIT_S):
        tmp = temporary_name(target)
        try:
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)
            os.replace(tmp, target)
            tmp.unlink(missing_ok=True)  # rename() is a no-op when both names link one file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise FCNStudioError(write_error(target, exc, path.stat().st_size)) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return weights_id
