"""``fcn-studio segment``: masks for images, segmented videos for videos, sharded for job arrays."""

from __future__ import annotations

import argparse
from pathlib import Path

from fcn_studio.cli import args as num
from fcn_studio.cli import common
from fcn_studio.cli.common import warn
from fcn_studio.errors import FCNStudioError


def add_parser(sub) -> None:
    seg = sub.add_parser("segment", help="write palette PNG masks for images, segmented videos for videos")
    seg.add_argument("inputs", nargs="*", metavar="INPUT")
    common.model_options(seg, required=False)
    seg.add_argument("--out", required=True, metavar="DIR")
    seg.add_argument("--overlay", action="store_true", help="also write <stem>_overlay.jpg")
    seg.add_argument("--opacity", type=num.OPACITY, default=0.5, help="overlay opacity, 0-1 (default 0.5)")
    seg.add_argument(
        "--video-mode",
        choices=("overlay", "mask"),
        default="overlay",
        help="videos: write the overlay or the colour mask (default overlay)",
    )
    seg.add_argument(
        "--fast",
        action="store_true",
        help="int8 fast mode on the CPU: faster but approximate; calibrated on a few "
        "of the inputs, its label agreement with the exact model is printed before it runs",
    )
    seg.add_argument("--frame-masks", action="store_true", help="videos: also write each frame's palette PNG mask")
    seg.add_argument(
        "--keyframes",
        metavar="auto|N",
        type=num.keyframes,
        help="videos: run the network on keyframes only (auto: chosen by motion and scene cuts; N: every N-th "
        "frame and every cut) and carry its labels to the frames between by optical flow; many times faster, "
        "approximate (default: every frame segmented, exact)",
    )
    seg.add_argument(
        "--shard",
        metavar="I/N",
        type=num.SHARD,
        help="process only shard I of N (0-based) of the inputs, for job arrays",
    )
    seg.add_argument(
        "--skip-existing",
        action="store_true",
        help="keep outputs that already exist (continue a killed or preempted run)",
    )
    seg.add_argument(
        "--log",
        metavar="FILE",
        help="append a JSON line per input (done, failed, kept); with --shard the default is "
        "OUT/segment-log.I-of-N.jsonl",
    )
    seg.add_argument(
        "--format",
        choices=("png", "labelme", "coco"),
        default="png",
        help="besides the palette PNG masks: labelme = a labelme JSON of polygons per image, "
        "coco = one OUT/coco.json for all images (default png: masks only)",
    )
    seg.add_argument(
        "--coco-masks",
        choices=("rle", "polygon"),
        default="rle",
        help="--format coco: RLE (exact, the default) or polygons",
    )
    seg.add_argument(
        "--merge",
        nargs="+",
        metavar="COCO_FILE",
        help="join the COCO files of a sharded --format coco run into OUT/coco.json (no model runs)",
    )
    seg.set_defaults(func=cmd_segment)


def cmd_segment(args: argparse.Namespace) -> int:
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.inference.batch import BatchLog, segment_files

    shard = args.shard
    out = Path(args.out)
    if args.merge:
        return _merge(args, out)
    if not args.inputs or not args.model:
        raise FCNStudioError("segment needs INPUT... and --model M (or --merge COCO_FILE... to join COCO files)")
    images, videos = _plan(args.inputs, out, shard)
    log = Path(args.log) if args.log else (out / f"segment-log.{shard.label}.jsonl" if shard else None)
    journal = BatchLog(log if images else None, follow_links=bool(args.log))  # a planted link is refused here
    predictor = _segment_predictor(args, [item.source for item in images])
    warn(
        f"{len(images)} image(s), {len(videos)} video(s)"
        + (f" in shard {shard}" if shard else "")
        + f"; model {predictor.checkpoint.arch} on {predictor.device_choice.description}"
    )
    if images:
        _class_list(out, predictor.labels, args.format)
    from fcn_studio.inference.inputs import large_image_notes

    for note in large_image_notes(item.source for item in images):  # said up front (B2)
        warn(note)
    failures: list[str] = []
    written = kept = segmented = 0
    if images:
        bar = ProgressBar(len(images), "segment")
        report = segment_files(
            predictor,
            images,
            out,
            overlay=args.overlay,
            opacity=args.opacity,
            overwrite=not args.skip_existing,
            log=journal,
            prepared=True,
            progress=lambda done, total, name: bar.update(done, name),
        )
        bar.close()
        failures += report.failures
        written += len(report.written)
        kept += len(report.skipped)
        segmented += report.processed
        if report.processed:
            warn(f"{report.processed} image(s) in {report.seconds:.1f} s: {report.images_per_s:.2f} images/s")
        if args.format != "png":
            written += _write_format(args, images, out, predictor.labels, shard)
    for video in videos:
        if args.skip_existing and any((out / f"{video.name}{ext}").exists() for ext in (".mp4", ".avi")):
            kept += 1
            continue
        try:
            written += _segment_one_video(predictor, video.source, out / video.name, args)
            segmented += 1
        except FCNStudioError as exc:
            failures.append(str(exc))
    for message in failures:
        warn(f"skipped: {message}")
    warn(
        f"wrote {written} output(s) to {out}"
        + (f"; kept {kept} existing" if kept else "")
        + (f"; {len(failures)} input(s) failed" if failures else "")
        + (f"; log {log}" if log else "")
    )
    _finish_fast_path(predictor.fast_path, used=segmented > 0)
    return 1 if failures else 0


def _merge(args: argparse.Namespace, out: Path) -> int:
    from fcn_studio.data.formats.coco_merge import merge_coco_files

    if args.inputs or args.model:
        raise FCNStudioError("--merge joins COCO files only: leave out the inputs and --model")
    target, images, annotations = merge_coco_files(args.merge, out / "coco.json")
    warn(f"merged {len(args.merge)} COCO file(s): {images} image(s), {annotations} annotation(s) -> {target}")
    return 0


def _plan(inputs: list[str], out: Path, shard) -> tuple[list, list]:
    """The images and videos of this run (of this shard), their output names reported where
    renamed, checked against the output folder before any model loads."""
    from fcn_studio.inference.batch_plan import (
        batch_items,
        prepare_output,
        refuse_input_folder_as_output,
        refuse_replacing_inputs,
        without_previous_outputs,
    )
    from fcn_studio.inference.inputs import expand_with_roots
    from fcn_studio.inference.video import is_video_file

    found = expand_with_roots(inputs, warn=warn)
    if not found:
        raise FCNStudioError("no inputs; give image or video files, or folders of them")
    refuse_input_folder_as_output([root for _, root in found], out)  # before sharding: every shard alike
    # videos are named as images are: sub-folders mirrored, a.mp4 + a.mov -> a_mp4.mp4, a_mov.mp4
    videos = batch_items([(f, r) for f, r in found if is_video_file(f)])
    refuse_replacing_inputs([(v.source, [out / f"{v.name}.mp4", out / f"{v.name}.avi"]) for v in videos], out)
    images = without_previous_outputs(batch_items([(f, r) for f, r in found if not is_video_file(f)]), out)
    renamed = [f"{it.relative_source} -> {it.name}.png" for it in images if it.renamed]
    renamed += [f"{it.relative_source} -> {it.name}.mp4" for it in videos if it.renamed]
    if renamed:
        shown = ", ".join(renamed[:4]) + (" ..." if len(renamed) > 4 else "")
        warn(f"{len(renamed)} input(s) share an output name, written as: {shown}")
    if shard:
        images = shard.take(images, key=lambda item: item.name)
        videos = shard.take(videos, key=lambda item: item.name)
    # checked before the model loads: a refused or unwritable folder costs nothing
    images = prepare_output(images, out)
    if videos:
        from fcn_studio.inference.batch_plan import make_output_folders

        make_output_folders(videos, out)
    return images, videos


def _write_format(args: argparse.Namespace, images, out: Path, labels, shard) -> int:
    """labelme JSON beside each mask, or one COCO file, made from the masks just written."""
    import numpy as np
    from PIL import Image

    from fcn_studio.data.formats.coco import CocoWriter
    from fcn_studio.data.formats.export import labelme_file, lost_note

    coco = CocoWriter(list(labels.classes), args.coco_masks) if args.format == "coco" else None
    target = out / (f"coco.{shard.label}.json" if shard else "coco.json")
    lost = total = written = 0
    for k, item in enumerate(images):
        mask_path = item.mask_path(out)
        if not mask_path.is_file():
            continue  # failed: reported with the others
        with Image.open(mask_path) as im:
            mask = np.array(im)
        total += mask.size
        if coco is not None:
            # the path under the folder given (never '..'); ids by place among every shard's images
            coco.add(item.relative_source.as_posix(), mask, (shard.index + k * shard.count if shard else k) + 1)
        else:
            lost += labelme_file(item.source, mask, labels, out / f"{item.name}.json")
            written += 1
    if coco is not None:
        coco.write(target)
        lost, written = coco.pixels_lost, 1
    why = "labelme polygons trace pixel centres" if coco is None else "COCO polygons have no holes; RLE is exact"
    for note in lost_note(args.format, lost, total, why):
        warn(note)
    return written


def _class_list(out: Path, labels, fmt: str) -> None:
    """The classes of the masks, printed and written beside them (``classes.txt``, ``name r g b``;
    labelme's ``labels.txt`` with ``--format labelme``) so that eval and train read them by
    name; a different list already there is kept and said."""
    from fcn_studio.data.class_source import ClassSource, from_files
    from fcn_studio.data.formats.export import write_lines
    from fcn_studio.data.formats.labelme import labelme_label_names

    names = list(labels.classes)
    warn(ClassSource(names, "the model").describe())
    target = out / ("labels.txt" if fmt == "labelme" else "classes.txt")
    if target.is_file() or target.is_symlink():
        try:
            existing = from_files([target])
        except FCNStudioError:
            existing = None
        if existing is None or existing.names != names:
            warn(f"{target} lists other classes than the model's; kept as it is (the masks are the model's class ids)")
        return
    if fmt == "labelme":
        write_lines(target, labelme_label_names(names))
    else:
        write_lines(target, [f"{n} {r} {g} {b}" for n, (r, g, b) in zip(names, labels.colors, strict=True)])


def _finish_fast_path(fast_path, used: bool = True) -> None:
    """Wait for the conversion (else a short run never caches it); say once what was
    repaired, or why the faster path is not used. A run that segmented nothing (every input
    failed) cancels it: nothing says the model is worth converting."""
    if fast_path is None:
        return
    if not used and not fast_path.ready():
        fast_path.stop()
        return
    if not fast_path.ready() and not fast_path.error:
        warn("preparing the faster CPU path for later runs (once per model file)...")
        fast_path.wait()
    for note in fast_path.notes:
        warn(note)
    if fast_path.error:
        warn(f"the faster CPU path is not used: {fast_path.error}")


def _segment_predictor(args: argparse.Namespace, images: list[Path]):
    """The predictor ``segment`` runs; with ``--fast`` the approximate mode chosen for this
    model and machine, its figures printed first."""
    from fcn_studio.data.images import calibration_sample
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    checkpoint = resolve_model(args.model)
    if args.precision == "bf16":  # the approximate bf16 mode, checked on a few of the images
        predictor = Predictor(
            checkpoint,
            args.device,
            max_size=args.max_size or None,
            backend=args.backend,
            precision="bf16",
            calibration=calibration_sample(images),
            fast=args.fast,
        )
        warn(f"bf16 mode: {predictor.backend_note}")
        return predictor
    if not args.fast:
        return Predictor(checkpoint, args.device, max_size=args.max_size or None, backend=args.backend)
    return _fast_predictor(args, checkpoint, images)


def _fast_predictor(args: argparse.Namespace, checkpoint, images: list[Path]):
    """``--fast``: the approximate mode this machine measured fastest that keeps the
    model's own labels (inference/fast_choice.py), its figures printed before it runs."""
    from fcn_studio import environment
    from fcn_studio.data.images import calibration_sample
    from fcn_studio.inference.device import choose_device
    from fcn_studio.inference.fast_choice import choose_fast, fast_predictor
    from fcn_studio.inference.runtime import BACKEND_ENV

    if choose_device(args.device).device.type != "cpu":
        raise FCNStudioError("fast mode runs on the CPU; use --device cpu")
    if (args.backend or environment.read(environment.BACKEND)).lower() == "torch":
        raise FCNStudioError(
            "fast mode measures ONNX Runtime's int8 model too, not the torch backend: turn fast mode off, or use "
            f"the auto backend (drop --backend torch; unset {BACKEND_ENV})"
        )
    if not images:
        raise FCNStudioError("--fast measures itself on the images being segmented: give at least one image")
    calibration = calibration_sample(images)  # an unreadable one is skipped, and reported when its turn comes
    choice = choose_fast(checkpoint, calibration, say=warn)
    for line in choice.lines():
        warn(str(line))
    predictor = fast_predictor(
        checkpoint, choice, args.device, max_size=args.max_size or None, backend=args.backend, calibration=calibration
    )
    if choice.precision == "int8" and not predictor.fast_path.wait():
        raise FCNStudioError(f"fast mode could not be prepared: {predictor.fast_path.error}")
    return predictor


def _segment_one_video(predictor, video: Path, target: Path, args: argparse.Namespace) -> int:
    """``target``: the output without extension (``OUT/<name>``)."""
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.inference.video import AUDIO_NOTE, segment_video

    bar = ProgressBar(None, video.name)

    def exact(frame):
        return predictor.predict(frame).labels

    propagator = None
    if args.keyframes:  # the network on keyframes, labels carried between them by flow
        from fcn_studio.inference.keyframes import KeyframePropagator, parse_keyframes

        propagator = KeyframePropagator(exact, parse_keyframes(args.keyframes))
    result = segment_video(
        propagator.labels_of if propagator else exact,
        predictor.labels,
        video,
        target.with_name(target.name + ".mp4"),
        mode=args.video_mode,
        opacity=args.opacity,
        masks_dir=target.with_name(target.name + "_masks") if args.frame_masks else None,
        progress=lambda done, total, note: bar.update(done, note, total=total),
    )
    bar.close()
    if propagator is not None:
        warn(f"{video.name}: the network ran on {propagator.keyframes} keyframe(s) of {propagator.frames} frames")
    warn(
        f"{video.name}: {result.frames} frames -> {result.path}. {AUDIO_NOTE}"
        + (f" ({result.note})" if result.note else "")
    )
    return 1
