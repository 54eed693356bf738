"""CPU latency and peak memory of the predictor, next to a plain eager forward.

Run: .venv/bin/python bench/bench_inference.py [--repeats 3] [--archs fcn32s,fcn16s,fcn8s]

Each measurement runs in its own process so that peak RSS (ru_maxrss) belongs to it alone;
the model has random weights (speed and memory do not depend on the values). Printed:
per architecture at 500x375, the plain eager float32 forward (``model(x)`` under no_grad)
and the predictor's paths (preprocessing, forward, softmax/argmax included), their ratio,
and the peak memory of segmenting a 20-megapixel (5472x3648) photo at the default
--max-size and at full resolution is not attempted (it needs tens of GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def child(config: str, arch: str, repeats: int) -> dict:
    import numpy as np
    import torch

    from fcn_studio.checkpoint import Checkpoint
    from fcn_studio.labels import voc_labels
    from fcn_studio.models import build_fcn
    from fcn_studio.predictor import Predictor
    from fcn_studio.preprocessing import CAFFE_BGR

    torch.manual_seed(0)
    model = build_fcn(arch, 21)
    for p in model.parameters():
        if p.dim() == 4 and p.shape[0] != p.shape[1]:
            torch.nn.init.normal_(p, std=0.01)
    ckpt = Checkpoint(arch, 21, voc_labels(), CAFFE_BGR, model.state_dict())
    h, w = (3648, 5472) if config.startswith("20mp") else (375, 500)
    rgb = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    if config == "eager":
        model.eval()
        x = CAFFE_BGR.to_tensor(rgb)
        run = lambda: model(x).argmax(1)  # noqa: E731
        with torch.no_grad():
            for _ in range(repeats + 1):
                t = time.perf_counter()
                run()
                times.append(time.perf_counter() - t)
    else:
        del model
        predictor = Predictor(ckpt, "cpu", channels_last=config.endswith("channels_last"),
                              max_size=None if config == "20mp_full" else 2048)  # fmt: skip
        for _ in range(1 if config.startswith("20mp") else repeats + 1):
            t = time.perf_counter()
            predictor.predict(rgb)
            times.append(time.perf_counter() - t)
    times = times[1:] if len(times) > 1 else times  # first call warms up allocators
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"median_s": statistics.median(times), "peak_mb": peak_kb / 1024, "before_mb": base_rss / 1024}


def measure(config: str, arch: str, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", config, "--archs", arch, "--repeats", str(repeats)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--archs", default="fcn32s,fcn16s,fcn8s")
    parser.add_argument("--child")
    parser.add_argument("--skip-20mp", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.archs, args.repeats)))
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU, 500x375 input, median of {args.repeats}")
    print(f"{'arch':<8} {'path':<24} {'latency':>9} {'vs eager':>9} {'peak RSS':>9}")
    for arch in args.archs.split(","):
        eager = measure("eager", arch, args.repeats)
        print(f"{arch:<8} {'plain eager fp32':<24} {eager['median_s']:8.2f}s {1.0:8.2f}x {eager['peak_mb']:7.0f}MB")
        for config in ("predictor", "predictor_channels_last"):
            r = measure(config, arch, args.repeats)
            ratio = r["median_s"] / eager["median_s"]
            print(f"{arch:<8} {config:<24} {r['median_s']:8.2f}s {ratio:8.2f}x {r['peak_mb']:7.0f}MB")
    if not args.skip_20mp:
        r = measure("20mp", "fcn8s", 1)
        print(f"\n20-megapixel photo (5472x3648), fcn8s, --max-size 2048 (network sees 2048x1365): "
              f"{r['median_s']:.1f}s, peak RSS {r['peak_mb']:.0f} MB (model + runtime before the image: {r['before_mb']:.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
