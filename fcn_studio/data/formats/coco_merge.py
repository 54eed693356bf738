"""Joining the COCO files of a sharded ``segment --format coco`` run into one (``segment
--merge``): the same categories in every file, every image and annotation id once."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fcn_studio.errors import FCNStudioError


def merge_coco_files(files: list[str | Path], target: str | Path) -> tuple[Path, int, int]:
    """Write ``target`` with the images and annotations of ``files``; (target, images,
    annotations). Refuses a file named twice, files with other categories, ids that collide
    and a target that is one of the inputs."""
    from fcn_studio.data.formats.export import write_json

    paths = [Path(f) for f in files]
    target = Path(target)
    documents = [_read(p) for p in _once(paths)]
    if target.exists() and any(os.path.samefile(target, p) for p in paths):
        raise FCNStudioError("{target} is one of the files to merge; write the merged file elsewhere", target=target)
    first, categories = paths[0], documents[0].get("categories", [])
    merged: dict = {"info": {"description": "written by FCN Studio (merged)"}, "images": [], "annotations": []}
    merged["categories"] = categories
    seen_images: dict[int, Path] = {}
    seen_annotations: dict[int, Path] = {}
    for path, doc in zip(paths, documents, strict=True):
        if doc.get("categories", []) != categories:
            raise FCNStudioError(
                "{path}: its categories differ from {first}'s; merge files of one model only",
                path=path,
                first=first.name,
            )
        for record in doc.get("images", []):
            _claim(seen_images, int(record["id"]), path, "image")
            merged["images"].append(record)
        for ann in doc.get("annotations", []):
            _claim(seen_annotations, int(ann["id"]), path, "annotation")
            merged["annotations"].append(ann)
    write_json(target, merged)
    return target, len(merged["images"]), len(merged["annotations"])


def _once(paths: list[Path]) -> list[Path]:
    for i, path in enumerate(paths):
        for other in paths[:i]:
            if path.exists() and other.exists() and os.path.samefile(path, other):
                raise FCNStudioError(
                    "{path} is named twice (as {other}); give each COCO file once", path=path, other=other
                )
    return paths


def _read(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FCNStudioError("{path}: unreadable COCO JSON ({error})", path=path, error=str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise FCNStudioError("{path}: not a COCO file (it needs a list of images)", path=path)
    return doc


def _claim(seen: dict[int, Path], key: int, path: Path, what: str) -> None:
    if key in seen:
        raise FCNStudioError(
            "{path}: image id {key} is also in {other}; these files are not shards of one run (FCN Studio numbers "
            "the shards of one run apart)"
            if what == "image"
            else "{path}: annotation id {key} is also in {other}; these files are not shards of one run (FCN Studio "
            "numbers the shards of one run apart)",
            path=path,
            key=key,
            other=seen[key].name,
        )
    seen[key] = path
