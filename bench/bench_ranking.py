"""Next uncertain image on a folder whose features exist: how long a new version takes to rank it.

Run: .venv/bin/python bench/bench_ranking.py [--photos 500] [--width-divisor 1]

With versions as heads over one base, a folder's backbone features are computed once (the
first ranking keeps them, the feature cache holds them on disk and a bounded part in memory)
and every later ranking runs the new head alone. Computing 500 photos' features at full width
takes ~10 minutes on 2 cores, so this bench writes the cache entries directly (random float16
maps of the exact shapes the backbone gives for a 500x375 photo; the head's cost does not
depend on their values), then times the path the app takes: rank_unlabelled with the cache
as its feature store, on the full-width head. A few photos are also ranked the slow way (a
full forward each) for the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--width-divisor", type=int, default=1)
    parser.add_argument("--slow", type=int, default=3, help="photos ranked by a full forward, for the ratio")
    args = parser.parse_args()
    os.environ.setdefault("FCN_STUDIO_BACKEND", "torch")
    import torch

    from fcn_studio.data.labels import generic_labels
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.labelling.uncertainty import rank_unlabelled
    from fcn_studio.models import build_fcn
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint
    from fcn_studio.training.feature_cache import FeatureCache

    tmp = Path(tempfile.mkdtemp(prefix="fcn-rank-"))
    try:
        folder = tmp / "photos"
        folder.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.photos):
            Image.fromarray(rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)).save(folder / f"p{i:04d}.png")
        model = build_fcn("fcn8s", 21, width_divisor=args.width_divisor).eval()
        predictor = Predictor(Checkpoint("fcn8s", 21, generic_labels(21), CAFFE_BGR, model.state_dict()), "cpu")
        with torch.inference_mode():
            shapes = [f.shape for f in predictor.model.backbone(CAFFE_BGR.to_tensor(np.zeros((375, 500, 3), np.uint8)))]
        cache = FeatureCache(tmp / "cache", disk_bytes=64 << 30)
        for p in sorted(folder.iterdir()):
            maps = tuple(torch.randn(s, dtype=torch.float16) for s in shapes)
            cache.hand_over(p, predictor.model, CAFFE_BGR, maps, (375, 500))
        store = cache.store_for(predictor.max_size)
        disk_mb = cache.disk_used() / 2**20
        t = time.perf_counter()
        ranked = rank_unlabelled(predictor, folder, features=store)
        held = time.perf_counter() - t
        slow_folder = tmp / "slow"
        slow_folder.mkdir()
        for p in sorted(folder.iterdir())[: args.slow]:
            shutil.copy(p, slow_folder / p.name)
        t = time.perf_counter()
        rank_unlabelled(predictor, slow_folder)
        forward = (time.perf_counter() - t) / args.slow
        print(
            f"{len(ranked)} photos 500x375, fcn8s width 1/{args.width_divisor}, load {os.getloadavg()[0]:.1f}: "
            f"ranked from held features in {held:.1f} s ({1000 * held / len(ranked):.0f} ms a photo; features "
            f"{disk_mb:,.0f} MB on disk, {cache.memory_used / 2**20:,.0f} MB in memory); a full forward per photo "
            f"{forward:.2f} s, so {forward * len(ranked) / 60:.1f} min for the folder (goal: < 10 s from features)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
