"""The weights registry: locating installed and published models (``--model`` to a
checkpoint), importing and removing them (their rows: :mod:`.listing`; the manifest and the
weights directory: :mod:`.manifest`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.data.labels import LabelSet, voc_labels
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import clean_stale_temporaries, read_safetensors_metadata
from fcn_studio.messages import Message
from fcn_studio.storage.download import ProgressFn, download
from fcn_studio.storage.listing import ModelInfo, installed_models, list_weights
from fcn_studio.storage.manifest import ManifestEntry, manifest, manifest_entry, published_entry_for, weights_dir
from fcn_studio.storage.model_ids import id_from_filename, id_problem, is_valid_id, normal_id

if TYPE_CHECKING:  # torch is imported only when a model is actually loaded
    from fcn_studio.models.preprocessing import Preprocessing
    from fcn_studio.storage.checkpoint import Checkpoint

log = logging.getLogger(__package__)  # one logger per package


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
    return load_checkpoint(path, **known, locate_base=locate_installed)


def locate_installed(model_id: str) -> Path:
    """An installed model's file by its id alone (the manifest's or the weights folder's),
    never read as a path: what a head file names its base by (storage/heads.py)."""
    model_id = normal_id(model_id)
    if not is_valid_id(model_id):
        raise FCNStudioError("{id} is not a model id", id=repr(model_id[:80]))
    entry = manifest_entry(model_id)
    if entry is not None and entry.path().is_file():
        return entry.path()
    path = weights_dir() / f"{model_id}.safetensors"
    if path.is_file():
        return path
    raise FCNStudioError("model {id} is not installed", id=model_id)


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
    from fcn_studio.files.locks import exclusive

    with exclusive(model_path(weights_id), f"the model id {normal_id(weights_id)!r}", reserve=True):
        yield


def download_weights(weights_id: str, progress: ProgressFn | None = None, cancelled=None) -> Path:
    entry = manifest_entry(weights_id)
    if entry is None:
        raise FCNStudioError(
            "unknown weights id {weights_id!r}; see the list of models", fix="list", weights_id=weights_id
        )
    from fcn_studio.files.locks import exclusive

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
    from fcn_studio.files.locks import exclusive
    from fcn_studio.storage.checkpoint import load_checkpoint, save_checkpoint

    file = Path(file)
    _explain_unusable_path(file)  # a folder or a broken link, named as such
    published = published_entry_for(file, manifest()) if weights_id in (None, "") else None
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
        if target.exists():  # --force: never over a base that versions stored as heads need (K11)
            _refuse_base_of_heads(weights_id, target, replace=True)
        save_checkpoint(ckpt, target, option="folder ($FCN_STUDIO_WEIGHTS)")
    return weights_id


def _install_published(file: Path, entry: ManifestEntry, overwrite: bool) -> str:
    import shutil

    from fcn_studio.files.fileio import atomic_path

    target = entry.path()
    if target.exists() and not overwrite:
        raise FCNStudioError("{name} is the published {id}, which is already installed", name=file.name, id=entry.id)
    if target.exists() and not os.path.samefile(file, target):
        _refuse_base_of_heads(entry.id, target, replace=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(file, tmp)
    return entry.id


IMPORT_WAIT_S = 120.0


def refuse_installed_file(path: str | Path, what: str) -> None:
    """An installed model's own file is never a destination (``weights export ... --force``
    onto a base would break the versions stored as heads over it)."""
    path = Path(path)
    if not path.exists():
        return
    for row in list_weights():
        if row.installed and row.path.exists() and os.path.samefile(row.path, path):
            raise FCNStudioError(
                "{path} is the file of the installed model {weights_id}; {what} never writes over an installed model: "
                "choose another file",
                path=path,
                weights_id=row.id,
                what=what,
            )


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
    from fcn_studio.files.locks import exclusive

    _refuse_base_of_heads(weights_id, removed[0])
    from fcn_studio.storage.conversions import conversions_of, remove

    caches = conversions_of(removed[0], weights_dir()) if removed[0].is_file() else []
    with exclusive(candidates[0], f"the model id {weights_id!r}", wait_s=IMPORT_WAIT_S):  # not mid-write
        gone = []
        for p in removed:
            with contextlib.suppress(FileNotFoundError):  # another remove took it: said by that one
                p.unlink()
                gone.append(p)
    if not gone:
        raise FCNStudioError(
            "{weights_id} was removed meanwhile (by another program); nothing left to remove", weights_id=weights_id
        )
    return gone + [c.folder for c in caches if remove(c.folder)]


def _refuse_base_of_heads(weights_id: str, path: Path, replace: bool = False) -> None:
    """Versions stored as heads cannot work without their base (nor with other weights
    under its id: ``replace``)."""
    resolved = path.resolve()
    dependants = [
        r.id for r in list_weights() if r.base is not None and r.id != weights_id and _base_file(r) == resolved
    ]
    if dependants and replace:
        raise FCNStudioError(
            "{weights_id} is the base of {dependants}, stored as heads over it: replacing it would leave them without "
            "their base, so it is kept even when asked to replace it; import under another id, or remove those "
            "versions first (export them as standalone files first to keep them)",
            fix="export",
            weights_id=weights_id,
            dependants=", ".join(dependants),
        )
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
        found = locate_installed(str(base["id"]))
    except (OSError, ValueError, KeyError, FCNStudioError):
        return None
    return found.resolve()


def register_checkpoint(path: str | Path, weights_id: str) -> str:
    """Make an FCN Studio checkpoint usable by id: a hard link (or a copy) in the weights
    directory; a file already there is used as it is."""
    import shutil

    from fcn_studio.files.fileio import temporary_name, write_error
    from fcn_studio.files.locks import exclusive

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
