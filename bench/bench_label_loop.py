"""The label -> retrain loop as a user runs it, on scenes with known dense truth.

Run: .venv/bin/python bench/bench_label_loop.py [--rounds 6] [--width-divisor 1] [--threads 0]

Synthetic scenes (4 classes coded by colour and texture, dense truth known) stand in for
the user's photos; pretrained weights cannot be fetched here, so the backbone has random
weights (``--base scratch``), which still carry colour and texture. Each round a simulated
user labels one more 500x375 image with a few scribble strokes per class (random walks
inside the class, sampled from the truth), saved with the Label mode's store; the open
image's features are in the cache (the predictor handed them over when it was shown), then
the user presses "Fine-tune on my labels".

Printed per round: the new head training (convex L-BFGS solver, head_solver.py) with its
cross-validated mean IoU (images, labelled pixels, spread) and its mean IoU on the dense
truth of unseen images; seconds from the click to the new overlay (the round with its
cross-validation, the installation, the first prediction of the open image with the new
version); and the same truth score for today's Adam loop (one image per step, flips, 20
epochs) at each ``--lrs``. Then the live mode and label editing costs.
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
                pts.append(
                    (
                        float(np.clip(x + rng.normal(0, w / 20), 0, w - 1)),
                        float(np.clip(y + rng.normal(0, h / 20), 0, h - 1)),
                    )
                )
            change = brush(truth.shape, pts, max(1, h // 60), int(c))
            if change is not None:  # the user stays inside the object
                region = change.region & (truth[change.box.slices] == c)
                apply_change(mask, type(change)(change.box, region, int(c)))


def adam_round(model, pre, labels, samples, cache, lr: float, epochs: int, seed: int = 0):
    """Today's loop before the solver: Adam over the score layers, one image (one random
    flip) per step, as head_trainer did; returns the trained head."""
    import random

    import torch
    from torch import nn

    from fcn_studio.training.head import head_logits, target_at, trainable_head

    head = trainable_head(model, labels.classes, labels)
    opt = torch.optim.Adam([p for p in head.parameters() if p.requires_grad], lr=lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=255)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    for _ in range(epochs):
        for sample in rng.sample(samples, len(samples)):
            flipped = rng.random() < 0.5
            feats = cache.features(sample.image, model, pre, flipped=flipped)
            loss = loss_fn(head_logits(head, feats), target_at(sample.mask, feats.size, flipped))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return head.eval()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--strokes", type=int, default=2, help="scribble strokes per class per image")
    parser.add_argument("--size", default="500x375", help="photo size WxH")
    parser.add_argument("--width-divisor", type=int, default=1, help="1 = full VGG16; 4 = narrow (faster)")
    parser.add_argument("--heldout", type=int, default=3, help="unseen images with dense truth")
    parser.add_argument("--lrs", default="1e-4,1e-3,1e-2", help="learning rates of today's Adam loop")
    parser.add_argument("--adam-epochs", type=int, default=20)
    parser.add_argument("--live-steps", type=int, default=5, help="head steps per live update")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from fcn_studio.application.retrain_round import RoundRequest, run_round
    from fcn_studio.data.labels import LabelSet, voc_colormap
    from fcn_studio.inference.model_service import ModelService
    from fcn_studio.inference.resize import logits_to_full_size
    from fcn_studio.labelling.label_store import LabelStore, blank_mask
    from fcn_studio.labelling.versions import current_version
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
    from fcn_studio.training.feature_cache import FeatureCache
    from fcn_studio.training.head import LabelledImage, trainable_head
    from fcn_studio.training.head_trainer import HeadTrainConfig, LiveHead
    from fcn_studio.training.head_variant import evaluate_head
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
    os.environ["FCN_STUDIO_CACHE"] = str(tmp / "cache")
    labels = LabelSet("bench", NAMES, tuple(tuple(int(v) for v in c) for c in voc_colormap(len(NAMES))))
    store = LabelStore(folder)
    store.save_label_set(labels)
    truths = {}
    for i in range(args.rounds):
        rgb, truths[i] = make_scene(i, h, w)
        Image.fromarray(rgb).save(folder / f"p{i:02d}.png")
    heldout = []
    for i in range(args.heldout):
        rgb, truth = make_scene(1000 + i, h, w)
        Image.fromarray(rgb).save(heldout_dir / f"h{i}.png")
        heldout.append(LabelledImage(heldout_dir / f"h{i}.png", truth))

    cfg = TrainConfig(data=str(folder), out="-", base="scratch", arch="fcn8s", width_divisor=args.width_divisor)
    model, pre, _ = initial_model(cfg, len(NAMES))
    model.eval()
    (tmp / "weights").mkdir()
    base = Checkpoint("fcn8s", len(NAMES), labels, pre, model.state_dict(), provenance={"id": "bench"})
    save_checkpoint(base, tmp / "weights" / "bench.safetensors")
    service = ModelService()  # the window's: a base is loaded once, versions swap heads over it
    cache = FeatureCache(tmp / "cache" / "features")
    lrs = [float(v) for v in args.lrs.split(",")]
    print(
        f"{args.rounds} photos {w}x{h}, {len(NAMES)} classes, fcn8s width 1/{args.width_divisor}, "
        f"torch threads {torch.get_num_threads()}; mIoU in %; 'truth' = dense truth of {args.heldout} unseen images"
    )
    adam_cols = " ".join(f"{'Adam ' + f'{lr:g}':>10}" for lr in lrs)
    print(
        f"{'round':>5} {'px':>6} {'new CV (images, spread)':>24} {'new truth':>9} {'active':>8} "
        f"{'round s':>7} {'overlay s':>9} {'click->overlay s':>16}  {adam_cols}"
    )
    rng = np.random.default_rng(0)
    base_truth = evaluate_head(trainable_head(model, labels.classes, labels), model, pre, heldout, cache, len(NAMES))
    for r in range(1, args.rounds + 1):
        mask = blank_mask((h, w))
        add_strokes(mask, truths[r - 1], args.strokes, rng)
        store.save_mask(folder / f"p{r - 1:02d}.png", mask, labels)
        open_image = folder / f"p{r - 1:02d}.png"
        cache.features(open_image, model, pre)  # handed over when the image was shown
        service.predictor(current_version("bench") or "bench", "cpu").predict(open_image)  # what the user saw
        samples = [LabelledImage(img, store.load_mask(img)) for img, _ in store.labelled_images()]
        labelled_px = sum(int((s.mask != 255).sum()) for s in samples)
        active = current_version("bench") or "bench"
        t = time.perf_counter()  # the click: the round on the base the service holds
        result = run_round(RoundRequest(folder, active, "cpu", config=HeadTrainConfig(device="cpu")), service, cache)
        t_round = time.perf_counter() - t
        t = time.perf_counter()
        shown = current_version("bench")
        service.predictor(shown, "cpu").predict(open_image)  # the open image redrawn, as the window's service does
        t_overlay = time.perf_counter() - t
        new_head = result.head
        truth = evaluate_head(new_head, model, pre, heldout, cache, len(NAMES)).mean_iou
        cv = result.after
        cv_text = f"{100 * cv.mean_iou:.1f} ({cv.images}, ±{100 * cv.spread:.1f})" if cv else "n/a (1 image)"
        adam = []
        for lr in lrs:
            head = adam_round(model, pre, labels, samples, cache, lr, args.adam_epochs)
            adam.append(evaluate_head(head, model, pre, heldout, cache, len(NAMES)).mean_iou)
        adam_text = " ".join(f"{100 * v:>10.1f}" for v in adam)
        print(
            f"{r:>5} {labelled_px:>6} {cv_text:>24} {100 * truth:>9.1f} {shown:>8} {t_round:>7.2f} "
            f"{t_overlay:>9.2f} {t_round + t_overlay:>16.2f}  {adam_text}"
        )
    print(
        f"base (no fine-tuning) on the unseen images: {100 * base_truth.mean_iou:.1f}; weights folder "
        f"{sum(p.stat().st_size for p in (tmp / 'weights').iterdir()) / 1e6:.1f} MB after {args.rounds} rounds"
    )
    rng = np.random.default_rng(1)

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
    print(
        f"live mode, full-width VGG16 fcn8s at 500x375: first feature pass {first_pass:.2f} s; "
        f"refresh after a stroke ({args.live_steps} head steps + labels) median "
        f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s over {len(latencies)} strokes; "
        f"pixel accuracy after 8 strokes {hit:.2f}"
    )

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
    print(
        f"editing 10000x8000: brush segment (radius 25) {1000 * per_segment:.1f} ms, redraw box of a segment "
        f"~{(2 * 25 + 30) * (2 * 25 + 10)} px; fill of the whole background {fill:.2f} s ({box.area / 1e6:.0f} MP), "
        f"its undo {undo:.2f} s, history {editor.history_bytes / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
