"""The label -> retrain loop as a user runs it, on scenes with known dense truth.

Run: .venv/bin/python bench/bench_label_loop.py [--rounds 4] [--width-divisor 4] [--threads 1]

Synthetic scenes (4 classes coded by colour and texture, dense truth known) stand in for
the user's photos; pretrained weights cannot be fetched here, so the backbone has random
weights (``--base scratch``), which still carry colour and texture. Each round a
simulated user labels a few more images with a few scribble strokes per class (random
walks inside the class, sampled from the truth), saved with the Label mode's store, then
presses "retrain". Printed per round: held-out mean IoU against the dense truth of unseen
images, and seconds per retrain for the head-only loop on cached features versus the
plain frozen-backbone loop (the same steps, the backbone run at every step), side by side
with their ratio. Then the live mode: seconds from the end of a stroke to new labels for
a 500x375 image on the full-width VGG16, after its first feature pass. Last, what a brush
segment and a whole-background fill cost on a 10000 x 8000 label mask.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

COLORS = np.array([(120, 100, 80), (200, 50, 40), (60, 160, 70), (50, 80, 200)], np.float64)
NAMES = ("ground", "brick", "leaf", "water")


def make_scene(seed: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Blobs and bands of 3 classes on a textured ground; each class its colour and texture."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[:h, :w]
    for c in (1, 2, 3, 1, 2, 3):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(h // 10, h // 4), rng.integers(w // 10, w // 4)
        truth[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = c
    rgb = COLORS[truth] + rng.normal(0, 18, (h, w, 3))
    rgb[truth == 1] += (((yy // 6 + xx // 12) % 2) * 40 - 20)[truth == 1, None]  # brick courses
    rgb[truth == 2] += (np.sin(xx / 2.0) * 25)[truth == 2, None]  # leafy stripes
    return np.clip(rgb, 0, 255).astype(np.uint8), truth


def add_strokes(mask: np.ndarray, truth: np.ndarray, per_class: int, rng: np.random.Generator) -> None:
    """A few scribbles per class: random walks from a pixel of the class, kept inside it."""
    from fcn_studio.labelling.edits import apply_change, brush

    h, w = truth.shape
    for c in np.unique(truth):
        ys, xs = np.nonzero(truth == c)
        for _ in range(per_class):
            i = rng.integers(len(ys))
            pts = [(float(xs[i]), float(ys[i]))]
            for _ in range(4):
                x, y = pts[-1]
                pts.append((float(np.clip(x + rng.normal(0, w / 20), 0, w - 1)),
                            float(np.clip(y + rng.normal(0, h / 20), 0, h - 1))))  # fmt: skip
            change = brush(truth.shape, pts, max(1, h // 60), int(c))
            if change is not None:  # the user stays inside the object
                region = change.region & (truth[change.box.slices] == c)
                apply_change(mask, type(change)(change.box, region, int(c)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--images-per-round", type=int, default=2)
    parser.add_argument("--strokes", type=int, default=2, help="scribble strokes per class per image")
    parser.add_argument("--epochs", type=int, default=30, help="passes over the labelled images per retrain")
    parser.add_argument("--size", default="200x150", help="scene size WxH for the loop")
    parser.add_argument("--width-divisor", type=int, default=4, help="1 = full VGG16 (slow here); 4 = narrow")
    parser.add_argument("--heldout", type=int, default=3)
    parser.add_argument("--live-steps", type=int, default=5, help="head steps per live update")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from fcn_studio.data.labels import LabelSet, voc_colormap
    from fcn_studio.inference.predictor import logits_to_full_size
    from fcn_studio.labelling.label_store import LabelStore, blank_mask
    from fcn_studio.storage.checkpoint import Checkpoint
    from fcn_studio.training.feature_cache import FeatureCache
    from fcn_studio.training.head_trainer import (
        HeadTrainConfig,
        LabelledImage,
        LiveHead,
        evaluate_head,
        retrain,
        trainable_head,
    )
    from fcn_studio.training.trainer import TrainConfig, initial_model

    w, h = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    # Weights, conversions and clips add up to gigabytes: never leave them behind.
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    folder, heldout_dir = tmp / "photos", tmp / "heldout"
    folder.mkdir()
    heldout_dir.mkdir()
    import os

    os.environ["FCN_STUDIO_WEIGHTS"] = str(tmp / "weights")
    labels = LabelSet("bench", NAMES, tuple(tuple(int(v) for v in c) for c in voc_colormap(len(NAMES))))
    store = LabelStore(folder)
    store.save_label_set(labels)
    n_pool = args.rounds * args.images_per_round
    truths = {}
    for i in range(n_pool):
        rgb, truths[i] = make_scene(i, h, w)
        Image.fromarray(rgb).save(folder / f"p{i:02d}.png")
    heldout = []
    for i in range(args.heldout):
        rgb, truth = make_scene(1000 + i, h, w)
        Image.fromarray(rgb).save(heldout_dir / f"h{i}.png")
        heldout.append(LabelledImage(heldout_dir / f"h{i}.png", truth))

    cfg = TrainConfig(data=str(folder), out="-", base="scratch", arch="fcn8s", width_divisor=args.width_divisor)
    model, pre, _ = initial_model(cfg, len(NAMES))
    base = Checkpoint("fcn8s", len(NAMES), labels, pre, model.state_dict(), provenance={"id": "bench"})
    model.eval()
    train_cfg = HeadTrainConfig(epochs=args.epochs, lr=1e-2, holdout=0, device="cpu")
    cached = FeatureCache(tmp / "cache")
    print(f"{n_pool} photos {w}x{h}, {len(NAMES)} classes, fcn8s width 1/{args.width_divisor}, "
          f"{args.epochs} epochs per retrain, torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"{'round':>5} {'images':>6} {'labelled px':>11} {'held-out mIoU':>13} "
          f"{'cached s':>9} {'plain s':>8} {'ratio':>6}  same model")  # fmt: skip
    rng = np.random.default_rng(0)
    for r in range(1, args.rounds + 1):
        for i in range((r - 1) * args.images_per_round, r * args.images_per_round):
            mask = blank_mask((h, w))
            add_strokes(mask, truths[i], args.strokes, rng)
            store.save_mask(folder / f"p{i:02d}.png", mask, labels)
        labelled_px = sum(int((store.load_mask(img) != 255).sum()) for img, _ in store.labelled_images())
        t = time.perf_counter()
        fast = retrain(folder, base, "bench", config=train_cfg, cache=cached)
        t_cached = time.perf_counter() - t
        plain_cache = FeatureCache(None, memory_bytes=0)  # nothing kept: the backbone runs every step
        t = time.perf_counter()
        plain = retrain(folder, base, "bench", config=train_cfg, cache=plain_cache, install=False)
        t_plain = time.perf_counter() - t
        same = all(torch.equal(v, plain.checkpoint.state_dict[k]) for k, v in fast.checkpoint.state_dict.items())
        head = trainable_head(fast.checkpoint.build_model(), labels.classes, labels)
        scores = evaluate_head(head, model, pre, heldout, cached, len(NAMES))
        print(f"{r:>5} {len(fast.train_images):>6} {labelled_px:>11} {scores.mean_iou:>13.3f} "
              f"{t_cached:>9.2f} {t_plain:>8.2f} {t_plain / t_cached:>5.1f}x  {'yes' if same else 'NO'}")  # fmt: skip

    # live mode on the full-width VGG16 at 500x375
    cfg_full = TrainConfig(data=str(folder), out="-", base="scratch", arch="fcn8s", width_divisor=1)
    full, pre_full, _ = initial_model(cfg_full, len(NAMES))
    full.eval()
    rgb, truth = make_scene(7, 375, 500)
    Image.fromarray(rgb).save(tmp / "open.png")
    t = time.perf_counter()
    feats = FeatureCache(None).features(tmp / "open.png", full, pre_full)
    first_pass = time.perf_counter() - t
    live = LiveHead(full, labels.classes, labels, feats, lr=1e-2)
    mask = blank_mask((375, 500))
    latencies = []
    for _ in range(8):  # strokes
        add_strokes(mask, truth, 1, rng)
        t = time.perf_counter()
        logits = live.update(mask, steps=args.live_steps)
        shown, _, _ = logits_to_full_size(logits, 375, 500)
        latencies.append(time.perf_counter() - t)
    hit = (shown == truth).mean()
    print(f"live mode, full-width VGG16 fcn8s at 500x375: first feature pass {first_pass:.2f} s; "
          f"refresh after a stroke ({args.live_steps} head steps + labels) median "
          f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s over {len(latencies)} strokes; "
          f"pixel accuracy after 8 strokes {hit:.2f}")  # fmt: skip

    # editing a 10000 x 8000 label mask: what a stroke and a big fill cost
    from fcn_studio.labelling.edits import brush, flood_fill
    from fcn_studio.labelling.history import LabelEditor

    editor = LabelEditor(blank_mask((8000, 10000)))
    pts = [(5000.0 + 30 * i, 4000.0 + 10 * (i % 5)) for i in range(21)]
    t = time.perf_counter()
    editor.begin_stroke()
    for a, b in itertools.pairwise(pts):  # one segment per mouse move
        editor.apply(brush(editor.mask.shape, [a, b], 25, 1))
    editor.end_stroke()
    per_segment = (time.perf_counter() - t) / (len(pts) - 1)
    t = time.perf_counter()
    box = editor.apply(flood_fill(editor.mask, (10, 10), 2))
    fill = time.perf_counter() - t
    t = time.perf_counter()
    editor.undo()
    undo = time.perf_counter() - t
    print(f"editing 10000x8000: brush segment (radius 25) {1000 * per_segment:.1f} ms, redraw box of a segment "
          f"~{(2 * 25 + 30) * (2 * 25 + 10)} px; fill of the whole background {fill:.2f} s ({box.area / 1e6:.0f} MP), "
          f"its undo {undo:.2f} s, history {editor.history_bytes / 1e6:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
