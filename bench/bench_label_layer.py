"""What painting costs in Label mode on a 10000 x 8000 image: one drag segment (the edit,
the undo record, recolouring the touched box of the layer, and Qt repainting it in a
view), a full recolour of the layer (opening a fully labelled mask, "from prediction",
recolouring a class), and the autosave of the mask.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_label_layer.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="10000x8000", help="image size WxH")
    parser.add_argument("--radius", type=float, default=12)
    parser.add_argument("--segments", type=int, default=60, help="drag segments (mouse events) timed")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))

    from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView

    from fcn_studio.data.labels import generic_labels
    from fcn_studio.gui.labelling.label_layer import LabelLayer
    from fcn_studio.labelling.edits import Box, brush
    from fcn_studio.labelling.history import LabelEditor
    from fcn_studio.labelling.label_store import LabelStore, blank_mask

    app = QApplication.instance() or QApplication([])
    labels = generic_labels(4)
    scene = QGraphicsScene()
    view = QGraphicsView(scene)
    view.resize(1200, 900)
    view.show()
    layer = LabelLayer()
    scene.addItem(layer)
    editor = LabelEditor(blank_mask((h, w)))
    t = time.perf_counter()
    layer.set_mask(editor.mask, labels)
    open_blank = time.perf_counter() - t
    view.fitInView(layer.boundingRect())
    app.processEvents()

    rng = np.random.default_rng(0)
    x, y = w / 2, h / 2
    costs = []
    editor.begin_stroke()
    for _ in range(args.segments):
        nx, ny = np.clip(x + rng.normal(0, 40), 0, w - 1), np.clip(y + rng.normal(0, 40), 0, h - 1)
        t = time.perf_counter()
        layer.redraw(editor.apply(brush((h, w), [(x, y), (nx, ny)], args.radius, 1)))
        app.processEvents()  # Qt repaints the dirty rectangle
        costs.append(time.perf_counter() - t)
        x, y = nx, ny
    editor.end_stroke()

    editor.mask[:, : w // 2] = 2
    editor.mask[:, w // 2 :] = 3
    t = time.perf_counter()
    layer.redraw(Box(0, 0, h, w))
    app.processEvents()
    full = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        store = LabelStore(tmp)
        image = Path(tmp) / "big.png"
        sparse = blank_mask((h, w))
        sparse[h // 3 : h // 2, w // 3 : w // 2] = 1
        t = time.perf_counter()
        store.save_mask(image, sparse, labels)
        save = time.perf_counter() - t

    print(f"label layer at {w}x{h}, brush radius {args.radius:g}:")
    print(f"  opening a blank mask: {open_blank * 1000:.0f} ms")
    print(
        f"  one drag segment (edit + undo record + recolour box + repaint): median "
        f"{statistics.median(costs) * 1000:.1f} ms, max {max(costs) * 1000:.1f} ms over {len(costs)} segments"
    )
    print(f"  full recolour of a fully labelled layer: {full:.2f} s")
    print(f"  autosave of a sparse mask (palette PNG, atomic; on a worker thread above 4 Mpx): {save:.2f} s")


if __name__ == "__main__":
    main()
