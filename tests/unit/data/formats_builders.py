"""Small datasets in other tools' formats (labelme, COCO, VOC exports), made by hand."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.builders import make_image, palette_png


def labelme_json(path: Path, shapes: list[dict], size=(48, 40), image: str | None = None, embed: bool = False) -> Path:
    w, h = size
    data = None
    if embed:
        buf = io.BytesIO()
        Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(buf, format="PNG")
        data = base64.b64encode(buf.getvalue()).decode()
    doc = {
        "version": "5.5.0",
        "flags": {},
        "shapes": shapes,
        "imagePath": image,
        "imageData": data,
        "imageHeight": h,
        "imageWidth": w,
    }
    path.write_text(json.dumps(doc))
    return path


def shape(label: str, points, kind: str = "polygon") -> dict:
    return {"label": label, "points": [list(p) for p in points], "group_id": None, "shape_type": kind, "flags": {}}


def labelme_folder(root: Path, n: int = 3) -> Path:
    """labelme's data_annotated: x.jpg beside x.json, labels.txt with __ignore__ first."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        make_image(root / f"p{i}.jpg", seed=i)
        labelme_json(
            root / f"p{i}.json",
            [
                shape("cat", [(2 + i, 2), (20, 2), (20, 18), (2 + i, 18)]),
                shape("dog", [(25, 20), (40, 35)], "rectangle"),
                shape("__ignore__", [(44, 2), (46, 4)], "rectangle"),
            ],
            image=f"p{i}.jpg",
        )
    (root / "labels.txt").write_text("__ignore__\n_background_\ncat\ndog\n")
    return root


def voc_export(root: Path, n: int = 3, names=("_background_", "cat", "dog")) -> Path:
    """labelme2voc's output: JPEGImages/, SegmentationClass/ (VOC palette), class_names.txt."""
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    for i in range(n):
        make_image(root / "JPEGImages" / f"v{i}.jpg", seed=i)
        mask = np.zeros((40, 48), np.uint8)
        mask[5:20, 5 + i : 25] = 1
        mask[22:35, 20:40] = 2
        mask[20, :] = 255  # VOC's boundary
        palette_png(mask, root / "SegmentationClass" / f"v{i}.png")
    (root / "class_names.txt").write_text("\n".join(names) + "\n")
    return root
