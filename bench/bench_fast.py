"""Beyond the exact path, side by side in one run: the approximate precisions and fast mode's
own choice, and video on keyframes against exact per-frame segmentation.

Run: PYTHONPATH=. .venv/bin/python bench/bench_fast.py [--width-divisor 1] [--images 3] [--frames 100]
     [--exact-every 1] [--skip random,trained,variants,video]

Precision: FCN-8s (published width unless ``--width-divisor``) at 500x375 on photo-like
images, through fast mode's own measurement (inference/fast_choice.measure_trials, what
``--fast`` and the app run): the exact CPU path (ONNX Runtime fp32), bf16 (where the CPU has
it natively), int8, and the automatic choice (``pick``), seconds per image, speed-up and
labels equal to the exact path's; once with random weights, once with a head trained on
labelled scenes over that base (installed as a version: it shares the base's conversions),
which is what a user's model looks like (random weights' scores are near ties, so any
approximation flips many of them). The trained head is measured with the int8 conversion
the random run made: calibrated on the photos, not on its scenes (one conversion per base,
calibrated on the images that first made it), a harder case than the app's, where the base
was calibrated on the user's own images. Then the int8 recipe against its variants (no
headroom over the calibrated ranges, conv1_1 quantised too, 7-bit weights, the QOperator
format), on the same backbone and both heads, calibrated on other scenes than measured.

Video: a 640x360 panning shot (4 px a frame) over a labelled scene, segmented by the
trained head (random weights' labels are not stable under a shift). Exact per-frame labels
(and, as the reference, a frame's exact labels moved by the known pan onto the frame 5
later), then keyframes
(inference/keyframes.py) as ``segment --keyframes auto`` and ``--keyframes 10`` run them
(the network waits on keyframes), and the player itself in its "Keyframes + motion" mode
(offscreen: its session, engine and keyframe threads and clock; the model never waited
on): frames per second (over the whole clip; for the player, frames shown while it plays
at the clip's 25 fps) and the share of pixels equal to the exact per-frame labels (the
player: of the frames it showed). The player plays twice: at once when frame 0's overlay
is shown, and as a user who looks first: paused until it has read the next keyframe
ahead (as players buffer). ``--exact-every N`` segments only every Nth frame exactly (a
long clip in minutes) and compares on those frames.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from device_check import photo_like, random_checkpoint_file


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def precision_rows(title: str, checkpoint, images) -> None:
    from fcn_studio.inference.fast_choice import measure_trials, pick

    start = time.perf_counter()
    exact_s, trials = measure_trials(checkpoint, images)
    choice = pick(exact_s, trials, len(images))
    n = len(images)
    print(f"\n{title} ({n} images, measured in {time.perf_counter() - start:.0f} s, {load()}):")
    print(f"  {'path':<22}{'s/image':>9}{'speed-up':>10}{'labels equal':>14}")
    print(f"  {'exact (ORT fp32)':<22}{exact_s / n:>9.3f}{1.0:>9.2f}x{100.0:>13.2f}%")
    for t in trials:
        if t.agreement is None:
            print(f"  {t.precision:<22}  not available: {t.note}")
        else:
            print(f"  {t.precision:<22}{t.seconds / n:>9.3f}{t.speedup(exact_s):>9.2f}x{100 * t.agreement:>13.2f}%")
    print(f"  {'auto (fast mode)':<22}-> {choice.precision}: {choice.speedup:.2f}x, {100 * choice.agreement:.2f} %")


INT8_VARIANTS = {  # conversion.quantize_graph's options: the recipe, then what it was chosen over
    "int8 recipe": {},
    "int8, no headroom": {"headroom": 1.0},
    "int8, conv1_1 too": {"float_layers": ()},
    "int8, 7-bit weights": {"reduce_range": True},
    "int8, QOperator": {"operators": True},
}


def int8_variant_rows(models: dict, images: dict, calibration: list, work: Path, rounds: int = 3) -> None:
    """The int8 recipe (inference/conversion.quantize_graph) against its variants on one
    backbone, calibrated on ``calibration`` (RGBs like the trained head's images, not
    those measured): each timed against the exact graph (ONNX Runtime fp32) interleaved on
    one image (best of ``rounds``, wall and CPU seconds: CPU time is steadier on a loaded
    machine), and the labels of each head (``models``: title -> checkpoint, ``images``:
    title -> RGBs) equal to the exact graph's."""
    from fcn_studio.inference.conversion import head_labels, prepare, quantize_graph
    from fcn_studio.inference.sessions import open_session

    first = next(iter(models.values()))
    heads = {t: m.build_model().eval() for t, m in models.items()}
    xs = {t: [models[t].preprocessing.to_tensor(rgb).numpy() for rgb in images[t]] for t in models}
    (work / "fp32").mkdir(parents=True)
    prepare(heads[next(iter(heads))], work / "fp32", "fp32", 0)
    exact = open_session(work / "fp32", 0)

    def labels(session, t):
        return [head_labels(heads[t], session.run(None, {"image": x}), x.shape[2:]) for x in xs[t]]

    reference = {t: labels(exact, t) for t in models}
    calibrated = [first.preprocessing.to_tensor(rgb).numpy() for rgb in calibration]
    x = xs[next(iter(xs))][0]
    print(f"\nint8 variants, {first.arch} 500x375 ({load()}): timed against the exact graph, interleaved")
    print(f"  {'graph':<22}{'s/image':>9}{'speed-up':>10}{'CPU speed-up':>14}" + "".join(f"{t:>16}" for t in models))
    for name, options in INT8_VARIANTS.items():
        folder = work / name.replace(" ", "_").replace(",", "")
        folder.mkdir()
        quantize_graph(work / "fp32" / "model.onnx", folder / "model.onnx", calibrated, **options)
        session = open_session(folder, 0)
        same = [
            np.mean([(a == b).mean() for a, b in zip(reference[t], labels(session, t), strict=True)]) for t in models
        ]
        wall, cpu = {"fp32": [], "int8": []}, {"fp32": [], "int8": []}
        for _ in range(rounds):
            for key, s in (("fp32", exact), ("int8", session)):
                start, start_cpu = time.perf_counter(), time.process_time()
                s.run(None, {"image": x})
                wall[key].append(time.perf_counter() - start)
                cpu[key].append(time.process_time() - start_cpu)
        speedup, cpu_speedup = min(wall["fp32"]) / min(wall["int8"]), min(cpu["fp32"]) / min(cpu["int8"])
        agreement = "".join(f"{100 * a:>15.2f}%" for a in same)
        print(f"  {name:<22}{min(wall['int8']):>9.3f}{speedup:>9.2f}x{cpu_speedup:>13.2f}x{agreement}   ({load()})")
        del session
        shutil.rmtree(folder, ignore_errors=True)


def trained_version(base, work: Path, size: tuple[int, int]):
    """A head trained (Adam on the score layers, cross-entropy against dense truth) on
    four labelled scenes over ``base``, installed as a version of it."""
    import torch
    from bench_label_loop import NAMES, make_scene

    from fcn_studio.data.labels import generic_labels
    from fcn_studio.labelling.versions import install_head_version
    from fcn_studio.models import build_fcn, width_divisor_of
    from fcn_studio.storage.weights import resolve_model

    h, w = size
    torch.manual_seed(0)  # the head's initial weights: one head from run to run, comparable
    scenes = [make_scene(seed, h, w) for seed in range(4)]
    model = base.build_model()
    pre = base.preprocessing
    with torch.no_grad():
        feats = [model.backbone(pre.to_tensor(rgb)) for rgb, _ in scenes]
    head = build_fcn(base.arch, len(NAMES), width_divisor=width_divisor_of(base.state_dict)).head
    params = [p for n, p in head.named_parameters() if n.startswith("score")]
    opt = torch.optim.Adam(params, lr=1e-3)
    for step in range(150):
        i = step % len(scenes)
        logits = head(*feats[i], (h, w))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(scenes[i][1]).long()[None])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        truth = np.mean(
            [(head(*f, (h, w)).argmax(1)[0].numpy() == t).mean() for f, (_, t) in zip(feats, scenes, strict=True)]
        )
    print(f"\ntrained head: {len(NAMES)} classes, pixel accuracy {100 * truth:.1f} % on its training scenes")
    labels = generic_labels(len(NAMES))
    state = {k: v.detach() for k, v in head.state_dict().items()}
    version = install_head_version(base, state, labels, pre, {}, "bench")
    test_scenes = [make_scene(seed, h, w)[0] for seed in range(10, 13)]
    return resolve_model(version.id), test_scenes


def pan_clip(path: Path, frames: int, step: int = 4) -> Path:
    """A 640x360 panning shot over a wide labelled scene: ``step`` pixels a frame."""
    from bench_label_loop import make_scene

    from fcn_studio.inference.video import VideoWriter

    scene, _ = make_scene(21, 360, 640 + step * frames)
    writer = VideoWriter(path, 640, 360, 25.0)
    for i in range(frames):
        writer.write(np.ascontiguousarray(scene[:, step * i : step * i + 640]))
    return writer.close()


def video_rows(checkpoint, work: Path, frames: int, step: int = 4, every: int = 1) -> None:
    from fcn_studio.inference.keyframes import KeyframePropagator
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.inference.video import read_frames

    clip = pan_clip(work / "pan.mp4", frames, step)
    rgbs = [f for _, f in read_frames(clip)]
    predictor = Predictor(checkpoint, "cpu", backend="auto")
    predictor.fast_path.wait()
    predictor.predict(rgbs[0])  # warm-up
    start = time.perf_counter()
    exact = {i: predictor.predict(f).labels for i, f in enumerate(rgbs) if i % every == 0}
    exact_s = time.perf_counter() - start
    print(f"\nvideo: 640x360 pan ({step} px a frame), {len(rgbs)} frames at 25 fps, {predictor.backend_note}:")
    print(f"  {'mode':<36}{'fps':>7}{'keyframes':>11}{'pixels equal':>14}")
    print(f"  {'exact, every frame':<36}{len(exact) / exact_s:>7.2f}{len(rgbs):>11}{100.0:>13.2f}%   ({load()})")
    gap = every * max(1, 5 // every)  # the reference: a frame's exact labels moved by the pan 5 frames on
    cut = 640 - gap * step
    shifted = np.mean(
        [(exact[i][:, gap * step :] == exact[i + gap][:, :cut]).mean() for i in exact if i + gap in exact]
    )
    print(f"  {f'(exact labels moved {gap} frames on)':<36}{'':>7}{'':>11}{100 * shifted:>13.2f}%")
    for title, kw in (
        ("keyframes auto (segment CLI)", {}),
        ("keyframes every 10 (segment CLI)", {"every": 10}),
    ):
        propagate = KeyframePropagator(lambda f: predictor.predict(f).labels, **kw)
        start = time.perf_counter()
        got = [propagate.labels_of(f) for f in rgbs]
        seconds = time.perf_counter() - start
        same = np.mean([(got[i] == labels).mean() for i, labels in exact.items()])
        print(f"  {title:<36}{len(rgbs) / seconds:>7.2f}{propagate.keyframes:>11}{100 * same:>13.2f}%   ({load()})")
    for fast in (False, True):
        for buffered in (False, True):  # the model's installed id is its file's name
            player_row(checkpoint.source.stem, clip, exact, len(rgbs), buffered, fast)


def player_row(
    model_key: str, clip: Path, exact: dict[int, np.ndarray], frames: int, buffered: bool, fast: bool
) -> None:
    """The player itself, offscreen: the Image tab's video session (canvas, overlay, controls)
    and its engine on their own threads and clock, in "Keyframes + motion" mode, the clip
    played once from frame 0 (opened, its exact result shown, then Play at once or, when
    ``buffered``, once the keyframe ahead read while paused is done). Frames per second
    shown over the playback, and the pixels equal to the exact labels of each frame shown
    that has them (frames shown without an overlay, waiting for a first keyframe, counted
    apart). ``fast``: with Fast mode on (its keyframes on fast mode's own choice, measured
    on the clip's frames when not measured before)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from fcn_studio.gui.shared.canvas import ImageCanvas
    from fcn_studio.gui.shared.overlay_layer import OverlayLayer
    from fcn_studio.gui.video.controls import VideoControls
    from fcn_studio.gui.video.engine import KEYFRAMES
    from fcn_studio.gui.video.session import VideoSession
    from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings

    app = QApplication.instance() or QApplication([])
    canvas, controls = ImageCanvas(), VideoControls()
    canvas.resize(680, 400)
    canvas.show()
    settings = InferenceSettings(InferenceChoice(model_key, device="cpu", fast=fast))
    session = VideoSession(canvas, OverlayLayer(canvas), controls, inference=settings)
    shown: list[tuple[int, object, float]] = []
    session.frame_shown.connect(lambda i, rgb, r: shown.append((i, r, time.perf_counter())))
    controls.mode.setCurrentIndex(controls.mode.findData(KEYFRAMES))

    def until(condition, timeout: float) -> None:
        end = time.monotonic() + timeout
        while not condition() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.002)

    session.open(str(clip))
    until(lambda: session.result is not None and session.index == 0, 600)  # model loaded, frame 0 segmented
    keyframes = session.engine._keyframes
    if buffered:
        until(lambda: keyframes.keyframes >= 1, 600)
    playing: list[bool] = []
    session.engine.playing_changed.connect(playing.append)
    shown.clear()
    start = time.perf_counter()
    session.toggle()
    until(lambda: playing[-1:] == [False], 600)
    until(lambda: not shown or shown[-1][0] == frames - 1, 5)  # the last frames' signals drawn
    seconds = time.perf_counter() - start
    drawn = [(i, r) for i, r, _ in shown if r is not None]
    same = np.mean([(r.labels == exact[i]).mean() for i, r in drawn if i in exact]) if drawn else 0.0
    title = "player"
    if fast:
        from fcn_studio.inference.fast_choice import cached_choice, choice_key

        choice = cached_choice(choice_key(model_key))
        title += f", fast ({choice.precision if choice else '?'})"
    title += ", buffered" if buffered else ", at once"
    print(
        f"  {title:<36}{len(shown) / seconds:>7.2f}{keyframes.keyframes:>11}{100 * same:>13.2f}%   ({load()}; "
        f"{len(shown)} of {frames} frames shown in {seconds:.1f} s, {len(shown) - len(drawn)} without overlay, "
        f"the player said '{controls.fps.text()}', {1000 * keyframes.waited / max(keyframes.frames, 1):.1f} ms "
        "a frame carrying labels)"
    )
    session.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width-divisor", type=int, default=1, help="1: the published width; 8: narrow")
    parser.add_argument("--images", type=int, default=3, help="images fast mode measures on")
    parser.add_argument("--frames", type=int, default=100, help="frames of the panning clip (25 fps)")
    parser.add_argument("--exact-every", type=int, default=1, help="segment every Nth frame exactly (a long clip)")
    parser.add_argument("--skip", default="", help="comma-separated: random,trained,variants,video")
    args = parser.parse_args()
    import torch

    from fcn_studio.storage.checkpoint import load_checkpoint

    work = Path(tempfile.mkdtemp(prefix="fcn-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # weights and conversions: gigabytes
    os.environ["FCN_STUDIO_WEIGHTS"] = str(work / "weights")
    os.environ["FCN_STUDIO_CACHE"] = str(work / "cache")
    skip = set(filter(None, args.skip.split(",")))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; {load()}")
    weights = random_checkpoint_file("fcn8s", args.width_divisor, work / "weights" / "base.safetensors")
    base = load_checkpoint(weights)
    images = [photo_like(375, 500, seed=s) for s in range(args.images)]
    if "random" not in skip:
        precision_rows("FCN-8s 500x375, random weights", base, images)
    version = None
    if {"trained", "video", "variants"} - skip:
        version, scenes = trained_version(base, work, (375, 500))
    if "trained" not in skip:
        precision_rows("FCN-8s 500x375, head trained over the base", version, scenes[: args.images])
    if "variants" not in skip:
        models = {"trained head": version, "random weights": base}
        photos = {"trained head": scenes[: args.images], "random weights": images}
        from bench_label_loop import make_scene

        calibration = [make_scene(seed, 375, 500)[0] for seed in (20, 21)]
        int8_variant_rows(models, photos, calibration, work / "variants")
    if "video" not in skip:
        video_rows(version, work, args.frames, every=args.exact_every)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
