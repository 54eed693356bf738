"""Versions as heads over a shared base: disk growth per round, time to switch versions,
conversions needed per round. Full-width FCN-8s (VGG16) with random weights, in a scratch
weights folder that is removed at the end.

    PYTHONPATH=. python bench/bench_versions.py [--rounds 6] [--classes 3] [--no-fast]

Each "round" installs what Label mode's retrain installs (install_head_version: trained
score layers for the folder's classes over the base); the training itself is measured by
bench_label_loop.py. With the fast path on (default), the base is converted once first and
every version is then used once through the model service, as the app does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _models import random_fcn  # bench/ is the script's folder, so on sys.path


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def conversions(folder: Path) -> list[str]:
    cache = folder / ".fcn-studio-cache"
    return (
        sorted(p.name for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")) if cache.is_dir() else []
    )


def head_state(classes: int, seed: int) -> dict:
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, width in (("score_fr", 4096), ("score_pool4", 512), ("score_pool3", 256)):
        out[f"{name}.weight"] = torch.randn(classes, width, 1, 1, generator=gen) * 0.01
        out[f"{name}.bias"] = torch.zeros(classes)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--no-fast", action="store_true", help="torch only: no ONNX Runtime conversion")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-versions-"))
    os.environ["FCN_STUDIO_WEIGHTS"] = str(scratch / "weights")
    os.environ["FCN_STUDIO_CACHE"] = str(scratch / "cache")
    os.environ["FCN_STUDIO_BACKEND"] = "torch" if args.no_fast else "auto"
    try:
        run(scratch / "weights", args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def run(home: Path, args) -> None:
    import numpy as np
    import torch

    from fcn_studio.data.labels import generic_labels, voc_labels
    from fcn_studio.inference.model_service import ModelService
    from fcn_studio.labelling.versions import install_head_version
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
    from fcn_studio.storage.weights import resolve_model

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    home.mkdir(parents=True)
    model = random_fcn("fcn8s", 21)
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, model.state_dict()), home / "street.safetensors")
    del model
    rgb = np.random.default_rng(0).integers(0, 255, (375, 500, 3), dtype=np.uint8)
    service = ModelService()
    t = time.perf_counter()
    first = service.load("street", "cpu")
    fast = first.predictor.fast_path
    if fast is not None:
        fast.wait()
    print(
        f"base: {folder_bytes(home) / 1e6:.0f} MB on disk with its conversion"
        f" (loaded and converted in {time.perf_counter() - t:.1f} s); conversions: {len(conversions(home))}"
    )
    before = folder_bytes(home)
    base = resolve_model("street")
    labels = generic_labels(args.classes)
    ids = []
    for r in range(args.rounds):
        converted = conversions(home)
        t = time.perf_counter()
        version = install_head_version(
            base, head_state(args.classes, r), labels, CAFFE_BGR, {"metrics": {"mean_iou": 0.5}}, "street"
        )
        install_s = time.perf_counter() - t
        t = time.perf_counter()
        used = service.load(version.id, "cpu")
        pred = used.predictor.predict(rgb)
        use_s = time.perf_counter() - t
        new = len(conversions(home)) - len(converted)
        ids.append(version.id)
        print(
            f"round {r + 1}: {version.id} {version.path.stat().st_size / 1e3:.0f} kB, installed in "
            f"{1000 * install_s:.0f} ms, first use {use_s:.2f} s on {pred.backend_label}, new conversions: {new}"
        )
    growth = folder_bytes(home) - before
    print(
        f"weights folder growth after {args.rounds} rounds: {growth / 1e6:.2f} MB "
        f"(a full copy per round would be {args.rounds * (home / 'street.safetensors').stat().st_size / 1e6:.0f} MB)"
    )
    switches = []
    for _ in range(3):
        for vid in ids:
            t = time.perf_counter()
            service.load(vid, "cpu")
            switches.append(time.perf_counter() - t)
    cold = []
    for vid in ids:  # evicted heads: read again from their files, the base stays
        service._models = type(service._models)((k, m) for k, m in service._models.items() if m.spec != vid)
        t = time.perf_counter()
        service.load(vid, "cpu")
        cold.append(time.perf_counter() - t)
    print(
        f"switching versions: {1000 * np.median(switches):.2f} ms loaded, {1000 * np.median(cold):.1f} ms from "
        f"the head file (median); backbones loaded: {service.backbones()}, base loads: {service.base_loads}"
    )
    agreement(service, ids[-1], rgb)
    panes = [service.predictor(v, "cpu") for v in ids[-3:]]
    held = sum(m.nbytes for m in service.loaded()) + panes[0].backbone.nbytes
    print(
        f"compare on {ids[-3:]}: one backbone shared: {len({id(p.model.backbone) for p in panes}) == 1}; "
        f"memory for all {len(service.loaded())} loaded models {held / 2**20:.0f} MiB"
    )


def agreement(service, model_id: str, rgb) -> None:
    """The served labels (fast path + head) against the eager full model's."""
    import torch

    from fcn_studio.storage.weights import resolve_model

    served = service.predictor(model_id, "cpu", max_size=None).predict(rgb)
    ckpt = resolve_model(model_id)
    with torch.no_grad():
        eager = ckpt.build_model()(ckpt.preprocessing.to_tensor(rgb)).argmax(1)[0].numpy()
    same = float((served.labels == eager).mean())
    print(f"{model_id} on {served.backend_label}: {100 * same:.3f} % of labels equal to the eager full model's")


if __name__ == "__main__":
    sys.exit(main())
