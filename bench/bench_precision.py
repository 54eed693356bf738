"""fp32 against bf16 on this CPU, side by side: fine-tuning steps and inference.

Run: PYTHONPATH=. .venv/bin/python bench/bench_precision.py [--steps 6] [--crop 320] [--width-divisor 1]

Fine-tuning goes through the training engine (``train``) from the same random start, once with
``precision="fp32"`` and once with ``"bf16"`` (autocast): seconds per step (median, the first
step of each epoch left out) and the loss of every step, so the curves can be compared.
Inference: FCN-8s at 500x375 on the exact fp32 path (torch) against the approximate bf16
mode, images per second and labels equal to fp32. Then what ``auto`` chooses on this
machine and the measurement it chose by (inference/precision.py, cached per machine).
On a CPU without native bf16 it says so and runs fp32 only (bf16 would be ~100x slower).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from device_check import make_dataset, photo_like, random_checkpoint_file, steps_per_second

from fcn_studio.inference import bf16_path, precision


def training(args, work: Path, names: list[str]) -> None:
    from fcn_studio.training.config import IterationEvent, TrainConfig
    from fcn_studio.training.trainer import train

    data = make_dataset(work / "data", args.steps, (args.crop, args.crop))
    print(
        f"\nfine-tuning FCN-8s (width / {args.width_divisor}) from the same random start, crop {args.crop}, "
        f"batch 1, {args.steps} steps an epoch, 2 epochs:"
    )
    losses, step_s = {}, {}
    for name in names:
        events: list[tuple[float, dict]] = []
        config = TrainConfig(
            str(data),
            str(work / f"{name}.safetensors"),
            base="scratch",
            epochs=2,
            batch_size=1,
            crop_size=args.crop,
            lr=1e-4,
            val_split=0.0,
            precision=name,
            scale_min=1.0,
            scale_max=1.0,
            width_divisor=args.width_divisor,
            register_id=f"bench-{name}",
        )
        train(config, lambda e, events=events: events.append((time.monotonic(), e)))
        step_s[name] = 1.0 / steps_per_second(events)
        losses[name] = [e.loss for _, e in events if isinstance(e, IterationEvent)]
    print(f"  {'':<6}" + "".join(f"{n:>12}" for n in names))
    print("  s/step" + "".join(f"{step_s[n]:>12.2f}" for n in names))
    if len(names) == 2:
        print(f"  bf16 is {step_s['fp32'] / step_s['bf16']:.2f}x as fast as fp32 per step")
    for i in range(len(losses[names[0]])):
        print(f"  step {i + 1:>2} loss" + "".join(f"{losses[n][i]:>12.4f}" for n in names))


def inference(args, work: Path, names: list[str]) -> None:
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.checkpoint import load_checkpoint

    ckpt = load_checkpoint(random_checkpoint_file("fcn8s", args.width_divisor, work / "fcn8s.safetensors"))
    rgb = photo_like(375, 500)
    checks = [photo_like(375, 500, seed=s) for s in range(1, 5)]
    print(f"\ninference, FCN-8s (width / {args.width_divisor}) at 500x375, random weights, min of {args.repeats}:")
    reference = None
    for name in names:
        kw = {"precision": "bf16", "calibration": checks} if name == "bf16" else {}
        predictor = Predictor(ckpt, "cpu", max_size=None, backend="torch", **kw)
        predictor.predict(rgb)  # warm-up
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            labels = predictor.predict(rgb).labels
            times.append(time.perf_counter() - t)
        reference = labels if reference is None else reference
        same = bf16_path.label_agreement([reference], [labels])
        note = f"; {predictor.backend_note}" if name == "bf16" else ""
        print(
            f"  {name:<5} {min(times):6.2f} s/image = {1 / min(times):5.2f} images/s, labels "
            f"{100 * same:.2f} % equal to fp32{note}"
        )
        del predictor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6, help="training images = steps per epoch")
    parser.add_argument("--crop", type=int, default=320)
    parser.add_argument("--width-divisor", type=int, default=1, help="1: the published width; 8: narrow")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # weights are 0.5 GB each
    os.environ["FCN_STUDIO_WEIGHTS"] = str(work / "weights")
    m = precision.measurement()
    print(f"{precision.machine_key()}; {torch.get_num_threads()} threads")
    if not m.native:
        print("this CPU has no native bf16 (AVX512-BF16 or AMX): fp32 only (bf16 would run ~100x slower)")
    else:
        print(
            f"measured (cached per machine): inference bf16 {m.speedup('inference'):.2f}x, training "
            f"{m.speedup('training'):.2f}x as fast as fp32"
        )
    print(f"auto chooses for fine-tuning: {precision.for_training('auto', torch.device('cpu')).reason}")
    names = ["fp32", "bf16"] if m.native else ["fp32"]
    if not args.skip_training:
        training(args, work, names)
    inference(args, work, names)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
