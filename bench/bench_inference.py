"""CPU inference: the reference's plain eager forward against every candidate backend.

Run: .venv/bin/python bench/bench_inference.py [--repeats 3] [--arch fcn8s] [--skip-20mp]
     [--only torch,channels_last,inductor,onnxruntime,openvino,fast,bf16]

One set of random full-width weights (speed does not depend on their values), one
photo-like 500x375 image (smooth colour regions, edges and texture). Each candidate runs in
its own process; after a warm-up the parent times them round-robin (interleaved), so that
other work on the machine slows all of them alike, and prints the minimum. Per candidate:
latency, speed-up over the reference (``model(x).argmax(1)`` under no_grad, preprocessing
outside the timing as a reference script has it), share of labels identical to the
reference, peak resident memory of a call above the memory before it (Linux VmHWM, reset
per call), resident memory the candidate added when it was built (weights, runtime), and
its one-time cost (export, convert, compile). DEFAULT is the predictor as the CLI and the
app create it: image in, full-size labels and confidence out. Beside it the two approximate
modes: int8 fast mode and, on CPUs with native bf16 (AVX512-BF16/AMX), bf16 mode (reported
"not available" elsewhere).

Then: the time from choosing a model to its first result against reading its file, the
preview pass (JPEG file in, decoding included), a 20-megapixel photo at the default
--max-size, and on CUDA the fp16 frame rates.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour regions with texture and edges, as photos have (not pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    for _ in range(6):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        r = rng.uniform(0.2, 0.6) * max(height, width)
        weight = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[:, :, None]
        img = img * (1 - weight) + weight * rng.uniform(0, 255, 3)
    img[: height // 3, : width // 2] = rng.uniform(0, 255, 3)
    img += 12 * np.sin(xx / 3.0 + yy / 5.0)[:, :, None] + rng.normal(0, 6, (height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        pass


def random_checkpoint(arch: str, path: Path):
    from fcn_studio.data.labels import voc_labels
    from fcn_studio.models import build_fcn
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    model = build_fcn(arch, 21)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 4 and not name.startswith("upscore"):
                torch.nn.init.normal_(p, std=(2.0 / p[0].numel()) ** 0.5)
                if name.startswith("score"):
                    p.sub_(p.mean(dim=1, keepdim=True))  # labels that vary across the image
    save_checkpoint(Checkpoint(arch, 21, voc_labels(), CAFFE_BGR, model.state_dict()), path)
    del model
    return load_checkpoint(path)


# ---------------------------------------------------------------- candidates (one process each)
# Each candidate lives in its own process: runtimes keep thread pools that spin after a call
# (OpenMP, TBB), which would slow whichever candidate runs next in a shared process, and
# the peak memory of a call is then the candidate's own. The parent times them round-robin.


def make_reference(ckpt, rgb, x, work):
    model = ckpt.build_model()

    def run():
        with torch.no_grad():
            return model(x).argmax(1)[0].numpy()

    return run, ""


def make_predictor(**kw):
    def make(ckpt, rgb, x, work):
        from fcn_studio.inference.predictor import Predictor

        p = Predictor(ckpt, "cpu", max_size=None, **kw)
        note = ""
        if p.fast_path is not None:
            if not p.fast_path.wait():
                raise RuntimeError(p.fast_path.error)
            if p.fast_path.kind == "onnxruntime":
                note = "converted in the background while torch serves"
            else:
                note = "a bf16 copy of the weights"
            if p.fast_path.approximate:
                note += f"; {100 * p.fast_path.agreement:.1f}% agreement on its check images"
        make.predictor = p
        return (lambda: p.predict(rgb).labels), note

    return make


def make_channels_last(ckpt, rgb, x, work):
    model = ckpt.build_model().to(memory_format=torch.channels_last)
    xc = x.contiguous(memory_format=torch.channels_last)

    def run():
        with torch.no_grad():
            return model(xc).argmax(1)[0].numpy()

    return run, "a second (channels-last) weight copy"


def make_inductor(ckpt, rgb, x, work):
    import torch._inductor.config as cfg

    cfg.freezing = True
    compiled = torch.compile(ckpt.build_model())  # specialised to this input shape
    with torch.no_grad():
        compiled(x)  # compile now: part of the one-time cost

    def run():
        with torch.no_grad():
            return compiled(x).argmax(1)[0].numpy()

    return run, "needs a C++ compiler on the user's machine"


def make_onnxruntime(ckpt, rgb, x, work):
    from fcn_studio.inference import runtime

    fp = runtime.FastPath(ckpt.build_model(), name="raw", identity="bench", cache_root=work / "raw")
    fp.build()  # exported in this process (no file given): the one-time cost
    return (lambda: fp.logits(x).argmax(1)[0].numpy()), f"network only; onnxruntime {runtime.onnxruntime_version()}"


def make_openvino(ckpt, rgb, x, work):
    import openvino as ov  # the bench extra: pip install -e ".[bench]"

    from fcn_studio.inference import runtime

    with torch.no_grad(), runtime.warnings_quiet():
        converted = ov.convert_model(ckpt.build_model(), example_input=x, input=[ov.PartialShape([1, 3, -1, -1])])
    config = {
        "INFERENCE_PRECISION_HINT": "f32",
        "INFERENCE_NUM_THREADS": torch.get_num_threads(),
        "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY",
    }
    compiled = ov.Core().compile_model(converted, "CPU", config)
    request = compiled.create_infer_request()
    xn = x.numpy()
    return (lambda: request.infer({0: xn})[0].argmax(1)[0]), f"network only; OpenVINO {ov.__version__.split('-')[0]}"


CANDIDATES = {
    "reference": ("reference eager fp32", make_reference),
    "torch": ("predictor, torch", make_predictor(backend="torch")),
    "channels_last": ("channels_last", make_channels_last),
    "inductor": ("inductor (freezing)", make_inductor),
    "onnxruntime": ("ONNX Runtime f32 (raw)", make_onnxruntime),
    "openvino": ("OpenVINO f32 (raw)", make_openvino),
    "default": ("DEFAULT (predictor, auto)", make_predictor()),
    "fast": ("fast mode (int8, approx.)", None),  # made in worker(): needs calibration images
    "bf16": ("bf16 mode (approx.)", None),  # likewise: its agreement is measured on check images
}


def worker(key: str, path: str, threads: int, conn) -> None:
    torch.set_num_threads(threads)
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    rgb = photo_like(375, 500)
    x = CAFFE_BGR.to_tensor(rgb)
    make = CANDIDATES[key][1]
    if key == "fast":
        calibration = [photo_like(375, 500, seed=s) for s in range(1, 9)]
        make = make_predictor(fast=True, calibration=calibration)
    elif key == "bf16":  # only on CPUs with native bf16 (refused elsewhere: "not available")
        make = make_predictor(precision="bf16", calibration=[photo_like(375, 500, seed=s) for s in range(1, 5)])
    before = rss_mb()
    t = time.perf_counter()
    try:
        run, note = make(ckpt, rgb, x, Path(path).parent / key)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"))
        return
    conn.send(("ready", time.perf_counter() - t, rss_mb() - before, note))
    predictor = getattr(make, "predictor", None)
    while True:
        msg = conn.recv()
        if msg == "stop":
            return
        before = rss_mb()
        reset_peak()
        t = time.perf_counter()
        if msg == "run":
            out = run()
        elif msg == "preview":
            out = predictor.preview(Path(path).parent / "photo.jpg").labels
        elif msg == "20mp":  # at the default --max-size, the conversion shared through the cache
            from fcn_studio.inference.predictor import Predictor

            capped = Predictor(ckpt, "cpu")
            capped.fast_path.wait()
            big = photo_like(3648, 5472, seed=2)
            before = rss_mb()
            reset_peak()
            t = time.perf_counter()
            out = capped.predict(big).inference_size
        conn.send((time.perf_counter() - t, rss_mb("VmHWM") - before, out))


def main() -> None:
    import multiprocessing as mp

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arch", default="fcn8s")
    parser.add_argument("--skip-20mp", action="store_true")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(CANDIDATES)} (default: all)")
    args = parser.parse_args()

    from PIL import Image

    from fcn_studio.inference import runtime
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.checkpoint import load_checkpoint

    threads = torch.get_num_threads()
    work = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    try:
        path = work / f"{args.arch}-bench.safetensors"
        ckpt = random_checkpoint(args.arch, path)
        rgb = photo_like(375, 500)
        Image.fromarray(rgb).save(work / "photo.jpg", quality=92)
        print(
            f"{args.arch}, 500x375, {threads} threads, CPU; torch {torch.__version__}, ONNX Runtime "
            f"{runtime.onnxruntime_version()}; random weights, photo-like image; min of {args.repeats} interleaved "
            "rounds, each candidate in its own process (the CPU was shared with other work)"
        )

        # ---------------------------------------------------------- model load
        t = time.perf_counter()
        with open(path, "rb") as fh:
            while fh.read(64 << 20):
                pass
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        loaded = load_checkpoint(path)
        load_s = time.perf_counter() - t
        predictor = Predictor(loaded, "cpu", backend="torch")
        build_s = time.perf_counter() - t - load_s
        predictor.predict(rgb)
        first_s = time.perf_counter() - t
        del predictor, loaded, ckpt
        print(
            f"\nmodel load ({path.stat().st_size / 2**20:.0f} MB file, in the page cache): reading the file "
            f"{read_s:.2f}s; load_checkpoint {load_s:.2f}s + Predictor {build_s:.2f}s; first result (torch) "
            f"after {first_s:.2f}s"
        )

        # ---------------------------------------------------------- candidates
        keys = [k for k in CANDIDATES if args.only is None or k in ("reference", "default") or k in args.only]
        ctx = mp.get_context("spawn")
        workers = {}
        print("\nbuilding (one at a time; one-time cost and resident memory it added):")
        for key in keys:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(key, str(path), threads, child), daemon=True)
            proc.start()
            reply = parent.recv()
            if reply[0] == "failed":
                print(f"  {CANDIDATES[key][0]}: not available ({reply[1]})")
                proc.join()
                continue
            _, one_time, resident, note = reply
            workers[key] = (proc, parent, one_time, resident)
            print(f"  {CANDIDATES[key][0]}: {one_time:.1f}s, +{resident:.0f} MB" + (f" ({note})" if note else ""))

        def call(key, msg="run"):
            # a pause first: runtimes' threads spin for a while after a call (OpenMP, ORT, TBB)
            # and would slow whichever candidate runs next
            time.sleep(0.5)
            workers[key][1].send(msg)
            return workers[key][1].recv()

        for key in workers:
            call(key)  # warm-up: allocators, shape-specific kernels
        times = {k: [] for k in workers}
        peaks = dict.fromkeys(workers, 0.0)
        labels = {}
        for _ in range(args.repeats):
            for key in workers:
                seconds, peak, labels[key] = call(key)
                times[key].append(seconds)
                peaks[key] = max(peaks[key], peak)
        base = min(times["reference"])
        print(
            f"\n{'path':<28} {'min':>7} {'median':>7} {'speed-up':>9} {'labels':>9} {'peak/call':>10} "
            f"{'resident':>9} {'one-time':>9}"
        )
        for key in workers:
            agree = (labels[key] == labels["reference"]).mean() * 100
            print(
                f"{CANDIDATES[key][0]:<28} {min(times[key]):6.2f}s {np.median(times[key]):6.2f}s "
                f"{base / min(times[key]):8.2f}x {agree:8.3f}% {peaks[key]:8.0f}MB {workers[key][3]:7.0f}MB "
                f"{workers[key][2]:8.1f}s"
            )

        # ---------------------------------------------------------- preview
        shown = {"default": [], "torch": []}
        for _ in range(args.repeats + 1):
            for key in shown:
                if key in workers:
                    shown[key].append(call(key, "preview")[0])
        text = ", ".join(f"{k} {min(v[1:]):.2f}s" for k, v in shown.items() if v)
        print(
            f"\npreview of the 500x375 photo as a JPEG file (decode + network at 128x96 + labels at full size): "
            f"{text} (min of {args.repeats}; 'torch' is what serves before the fast path is ready)"
        )

        # ---------------------------------------------------------- 20 MP
        if not args.skip_20mp:
            seconds, peak, size = call("default", "20mp")
            print(
                f"\n20-megapixel photo (5472x3648), default path, --max-size 2048 (network sees {size[1]}x{size[0]}): "
                f"{seconds:.1f}s, peak +{peak:.0f} MB"
            )
        for proc, conn, *_ in workers.values():
            conn.send("stop")
            proc.join()

        # ---------------------------------------------------------- switching models
        if "default" in workers:
            t = time.perf_counter()
            switched = Predictor(load_checkpoint(path), "cpu")  # its conversion is cached now
            switched.predict(rgb)
            print(
                f"\nchoosing this model again (conversion cached): first result after {time.perf_counter() - t:.2f}s "
                f"({switched.backend_note}; reading the file alone took {read_s:.2f}s)"
            )

        if torch.cuda.is_available():
            gpu(load_checkpoint(path), rgb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def gpu(ckpt, rgb: np.ndarray) -> None:
    from fcn_studio.inference.predictor import Predictor

    fp32 = Predictor(ckpt, "cuda", half=False, channels_last=False, max_size=None)
    default = Predictor(ckpt, "cuda", max_size=None)  # fp16 + channels_last + cudnn.benchmark
    print(f"\nCUDA ({torch.cuda.get_device_name()}): fp16 + channels_last default vs fp32")
    for h, w in ((375, 500), (720, 1280)):
        img = rgb if (h, w) == rgb.shape[:2] else photo_like(h, w, seed=7)
        for p in (fp32, default):
            for _ in range(3):
                p.predict(img)
        out = {}
        for key, p in (("fp32", fp32), ("default", default)):
            torch.cuda.synchronize()
            t = time.perf_counter()
            n = 20
            for _ in range(n):
                labels = p.predict(img).labels
            out[key] = (n / (time.perf_counter() - t), labels)
        agree = (out["fp32"][1] == out["default"][1]).mean() * 100
        print(
            f"  {w}x{h}: fp32 {out['fp32'][0]:.1f} fps, default {out['default'][0]:.1f} fps, labels {agree:.3f}% equal"
        )


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
