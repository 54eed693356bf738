"""CPU inference: the reference's plain eager forward against every candidate backend.

Run: .venv/bin/python bench/bench_inference.py [--repeats 3] [--arch fcn8s] [--skip-inductor]
     [--skip-20mp] [--skip-fast]

One process, one set of random full-width weights (speed does not depend on their values),
one photo-like 500x375 image (smooth colour regions, edges and texture). Every candidate is
warmed up once, then the candidates are timed *interleaved* (round after round), and the
minimum per candidate is printed, so that other work on the machine slows all of them alike.
Printed per candidate: latency, speed-up over the reference (``model(x).argmax(1)`` under
no_grad, preprocessing outside the timing as a reference script would), share of labels
identical to the reference, peak resident memory during a call above the memory before it
(Linux VmHWM, reset per call), resident memory the backend added when it was built (its own
weight copy), and its one-time cost (export, convert, compile). The default is the
predictor as the CLI and app create it: image in, full-size labels and confidence out.

Then: the preview pass (JPEG file in, including decoding), the time from choosing a model to
its first result against reading its file, fast (int8) mode when NNCF is installed, a
20-megapixel photo at the default --max-size, and on CUDA the fp16 frame rates.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
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


class Candidate:
    def __init__(self, name: str, run: Callable[[], np.ndarray], one_time_s: float, resident_mb: float) -> None:
        self.name, self.run, self.one_time_s, self.resident_mb = name, run, one_time_s, resident_mb
        self.times: list[float] = []
        self.peak_mb = 0.0
        self.labels: np.ndarray | None = None

    def call(self) -> None:
        before = rss_mb()
        reset_peak()
        t = time.perf_counter()
        labels = self.run()
        self.times.append(time.perf_counter() - t)
        self.peak_mb = max(self.peak_mb, rss_mb("VmHWM") - before)
        self.labels = np.asarray(labels)


def build(name: str, make: Callable[[], Callable[[], np.ndarray]]) -> Candidate | None:
    before = rss_mb()
    t = time.perf_counter()
    try:
        run = make()
    except Exception as exc:  # a candidate that cannot be built is reported, not fatal
        print(f"  {name}: not available ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
        return None
    return Candidate(name, run, time.perf_counter() - t, rss_mb() - before)


def random_checkpoint(arch: str, path: Path):
    from fcn_studio.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from fcn_studio.labels import voc_labels
    from fcn_studio.models import build_fcn
    from fcn_studio.preprocessing import CAFFE_BGR

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arch", default="fcn8s")
    parser.add_argument("--skip-inductor", action="store_true", help="skip torch.compile (its compile takes ~30 s)")
    parser.add_argument("--skip-fast", action="store_true", help="skip the int8 fast mode (NNCF)")
    parser.add_argument("--skip-20mp", action="store_true")
    parser.add_argument(
        "--only", help="comma-separated subset of: torch,channels_last,inductor,onnxruntime,openvino (default: all)"
    )
    args = parser.parse_args()

    from fcn_studio import runtime
    from fcn_studio.checkpoint import load_checkpoint
    from fcn_studio.predictor import Predictor
    from fcn_studio.preprocessing import CAFFE_BGR

    threads = torch.get_num_threads()
    work = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    try:
        path = work / f"{args.arch}-bench.safetensors"
        ckpt = random_checkpoint(args.arch, path)
        rgb = photo_like(375, 500)
        x = CAFFE_BGR.to_tensor(rgb)
        print(
            f"{args.arch}, 500x375, {threads} threads, CPU; torch {torch.__version__}, OpenVINO "
            f"{runtime.openvino_version()}; min of {args.repeats} interleaved rounds (the CPU is shared with other work)"
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
        del predictor, loaded
        print(
            f"\nmodel load ({path.stat().st_size / 2**20:.0f} MB file, in the page cache): reading the file "
            f"{read_s:.2f}s; load_checkpoint {load_s:.2f}s + Predictor {build_s:.2f}s; first result after {first_s:.2f}s"
        )

        # ---------------------------------------------------------- candidates
        print("\nbuilding candidates (one-time cost measured here):")
        model = ckpt.build_model()

        def reference():
            def run():
                with torch.no_grad():
                    return model(x).argmax(1)[0].numpy()

            return run

        def predictor_run(**kw):
            def make():
                p = Predictor(ckpt, "cpu", max_size=None, **kw)
                if p.fast_path is not None and not p.fast_path.wait(timeout=600):
                    raise RuntimeError(p.fast_path.error)
                return lambda: p.predict(rgb).labels

            return make

        def channels_last():
            m = ckpt.build_model().to(memory_format=torch.channels_last)
            xc = x.contiguous(memory_format=torch.channels_last)

            def run():
                with torch.no_grad():
                    return m(xc).argmax(1)[0].numpy()

            return run

        def inductor():
            import torch._inductor.config as cfg

            cfg.freezing = True
            compiled = torch.compile(model)  # specialised to this input shape
            with torch.no_grad():
                compiled(x)  # compile now: part of the one-time cost

            def run():
                with torch.no_grad():
                    return compiled(x).argmax(1)[0].numpy()

            return run

        def onnxruntime():
            import onnxruntime as ort

            onnx_path = work / "model.onnx"
            with runtime.warnings_quiet(), torch.no_grad():
                torch.onnx.export(
                    model, (x,), str(onnx_path), input_names=["x"], output_names=["y"],
                    dynamic_axes={"x": {2: "h", 3: "w"}, "y": {2: "h", 3: "w"}}, dynamo=False,
                )  # fmt: skip
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
            xn = x.numpy()
            return lambda: session.run(None, {"x": xn})[0].argmax(1)[0]

        def openvino_raw():
            fp = runtime.FastPath(
                model, name="raw", identity="bench", cache_root=work / "raw", threads=threads
            )  # fmt: skip
            fp.build()
            return lambda: fp.logits(x).argmax(1)[0].numpy()

        makers = [
            ("reference eager fp32", "", reference),
            ("predictor, torch", "torch", predictor_run(backend="torch")),
            ("channels_last", "channels_last", channels_last),
            ("inductor (freezing)", "inductor", None if args.skip_inductor else inductor),
            ("ONNX Runtime", "onnxruntime", onnxruntime),
            ("OpenVINO f32 (raw)", "openvino", openvino_raw),
            ("DEFAULT (predictor, auto)", "", predictor_run()),
        ]
        only = set(args.only.split(",")) if args.only else None
        candidates = []
        for name, key, make in makers:
            if make is None or (only is not None and key and key not in only):
                continue
            c = build(name, make)
            if c is not None:
                candidates.append(c)
                print(f"  {name}: {c.one_time_s:.1f}s, +{c.resident_mb:.0f} MB resident")
        default = next(c for c in candidates if c.name.startswith("DEFAULT"))
        cold_s = default.one_time_s
        t = time.perf_counter()
        warm = Predictor(ckpt, "cpu", max_size=None)
        warm.fast_path.wait()
        print(
            f"  default path, one-time cost: convert + cache + compile {cold_s:.1f}s (in the background: torch "
            f"serves meanwhile); later sessions load the cache in {time.perf_counter() - t:.1f}s "
            f"(loaded_from_cache={warm.fast_path.loaded_from_cache})"
        )
        del warm

        for c in candidates:
            c.call()  # warm-up: allocators, OpenVINO's shape-specific kernels
            c.times.clear()
        for _ in range(args.repeats):
            for c in candidates:
                c.call()
        ref = candidates[0]
        base = min(ref.times)
        print(
            f"\n{'path':<28} {'min':>7} {'median':>7} {'speed-up':>9} {'labels':>9} {'peak/call':>10} "
            f"{'weights':>8} {'one-time':>9}"
        )
        for c in candidates:
            agree = (c.labels == ref.labels).mean() * 100
            print(
                f"{c.name:<28} {min(c.times):6.2f}s {np.median(c.times):6.2f}s {base / min(c.times):8.2f}x "
                f"{agree:8.3f}% {c.peak_mb:8.0f}MB {c.resident_mb:6.0f}MB {c.one_time_s:8.1f}s"
            )
        del candidates, ref

        # ---------------------------------------------------------- preview
        from PIL import Image

        Image.fromarray(rgb).save(work / "photo.jpg", quality=92)
        default_p = Predictor(ckpt, "cpu")
        default_p.fast_path.wait()
        torch_p = Predictor(ckpt, "cpu", backend="torch")
        rows = {"default": [], "torch": []}
        for _ in range(args.repeats + 1):
            for key, p in (("default", default_p), ("torch", torch_p)):
                t = time.perf_counter()
                pv = p.preview(work / "photo.jpg")
                rows[key].append(time.perf_counter() - t)
        print(
            f"\npreview of a 500x375 JPEG (decode + network at {pv.inference_size[1]}x{pv.inference_size[0]} + "
            f"full-size labels): default {min(rows['default'][1:]):.2f}s, torch only (before the fast path is "
            f"ready) {min(rows['torch'][1:]):.2f}s"
        )
        del torch_p

        # ---------------------------------------------------------- fast (int8)
        if not args.skip_fast and runtime.nncf_available():
            calibration = [photo_like(375, 500, seed=s) for s in range(1, 9)]
            t = time.perf_counter()
            fast = Predictor(ckpt, "cpu", fast=True, calibration=calibration)
            fast.fast_path.wait()
            one_time = time.perf_counter() - t
            if not fast.fast_path.ready():
                print(f"\nfast (int8) mode failed: {fast.fast_path.error}")
            else:
                times = {"default": [], "fast": []}
                for _ in range(args.repeats + 1):
                    for key, p in (("default", default_p), ("fast", fast)):
                        t = time.perf_counter()
                        labels = p.predict(rgb).labels
                        times[key].append(time.perf_counter() - t)
                        if key == "default":
                            exact = labels
                        else:
                            approx = labels
                print(
                    f"\nfast (int8, NNCF, 4 calibration + 4 check images, random weights): {min(times['fast'][1:]):.2f}s "
                    f"vs default {min(times['default'][1:]):.2f}s ({min(times['default'][1:]) / min(times['fast'][1:]):.2f}x); "
                    f"{100 * fast.fast_path.agreement:.1f}% label agreement on the check images, "
                    f"{100 * (approx == exact).mean():.1f}% on this photo; one-time {one_time:.0f}s"
                )
            del fast
        elif not args.skip_fast:
            print("\nfast (int8) mode: NNCF not installed (pip install nncf)")

        # ---------------------------------------------------------- 20 MP
        if not args.skip_20mp:
            big = photo_like(3648, 5472, seed=2)
            before = rss_mb()
            reset_peak()
            t = time.perf_counter()
            pred = default_p.predict(big)
            print(
                f"\n20-megapixel photo (5472x3648), default path, --max-size 2048 (network sees "
                f"{pred.inference_size[1]}x{pred.inference_size[0]}): {time.perf_counter() - t:.1f}s, "
                f"peak +{rss_mb('VmHWM') - before:.0f} MB over the {before:.0f} MB before"
            )

        # ---------------------------------------------------------- CUDA
        if torch.cuda.is_available():
            gpu(ckpt, rgb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def gpu(ckpt, rgb: np.ndarray) -> None:
    from fcn_studio.predictor import Predictor

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
