"""``fcn-studio``: the app with no arguments (or paths), the headless tools with a subcommand."""

from __future__ import annotations

import argparse
import codecs
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from fcn_studio.cli import args as num
from fcn_studio.errors import Cancelled, FCNStudioError, describe_unexpected
from fcn_studio.inference.runtime import BACKENDS

COMMANDS = ("segment", "eval", "weights", "train", "compare", "gui")


def _print(*args: object) -> None:
    print(*args, file=sys.stdout)


def _printable_streams() -> None:
    """Paths are printed as they are: a UTF-8 stream writes a file name's own bytes back even
    when they are not UTF-8 (surrogateescape), so scripts can use it; a console that cannot
    show a character (e.g. cp1252 and a Chinese name) gets an escape instead of a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or not getattr(stream, "encoding", None):
            continue
        utf8 = codecs.lookup(stream.encoding).name == "utf-8"
        reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")


def _warn(message: str) -> None:
    if sys.stderr:
        print(f"fcn-studio: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- segment


def cmd_segment(args: argparse.Namespace) -> int:
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.inference.batch import (
        batch_items,
        prepare_output,
        refuse_replacing_inputs,
        segment_files,
        without_previous_outputs,
    )
    from fcn_studio.inference.inputs import expand_with_roots
    from fcn_studio.inference.shard import Shard
    from fcn_studio.inference.video import is_video_file

    shard = Shard.parse(args.shard) if args.shard else None
    found = expand_with_roots(args.inputs, warn=_warn)
    if not found:
        raise FCNStudioError("no inputs; give image or video files, or folders of them")
    out = Path(args.out)
    # videos are named as images are: sub-folders mirrored, a.mp4 + a.mov -> a_mp4.mp4, a_mov.mp4
    videos = batch_items([(f, r) for f, r in found if is_video_file(f)])
    refuse_replacing_inputs([(v.source, [out / f"{v.name}.mp4", out / f"{v.name}.avi"]) for v in videos], out)
    images = without_previous_outputs(batch_items([(f, r) for f, r in found if not is_video_file(f)]), out)
    renamed = [f"{it.relative_source} -> {it.name}.png" for it in images if it.renamed]
    renamed += [f"{it.relative_source} -> {it.name}.mp4" for it in videos if it.renamed]
    if renamed:
        shown = ", ".join(renamed[:4]) + (" ..." if len(renamed) > 4 else "")
        _warn(f"{len(renamed)} input(s) share an output name, written as: {shown}")
    if shard:
        images = shard.take(images, key=lambda item: item.name)
        videos = shard.take(videos, key=lambda item: item.name)
    # checked before the model loads: a refused or unwritable folder costs nothing
    images = prepare_output(images, out)
    log = Path(args.log) if args.log else (out / f"segment-log.{shard.label}.jsonl" if shard else None)
    predictor = _segment_predictor(args, [item.source for item in images])
    _warn(
        f"{len(images)} image(s), {len(videos)} video(s)" + (f" in shard {shard}" if shard else "")
        + f"; model {predictor.checkpoint.arch} on {predictor.device_choice.description}"
    )  # fmt: skip
    failures: list[str] = []
    written = kept = 0
    if images:
        bar = ProgressBar(len(images), "segment")
        report = segment_files(predictor, images, out, overlay=args.overlay, opacity=args.opacity,
                               overwrite=not args.skip_existing, log=log, prepared=True,
                               progress=lambda done, total, name: bar.update(done, name))  # fmt: skip
        bar.close()
        failures += report.failures
        written += len(report.written)
        kept += len(report.skipped)
        if report.processed:
            _warn(f"{report.processed} image(s) in {report.seconds:.1f} s: {report.images_per_s:.2f} images/s")
    for video in videos:
        if args.skip_existing and any((out / f"{video.name}{ext}").exists() for ext in (".mp4", ".avi")):
            kept += 1
            continue
        try:
            written += _segment_one_video(predictor, video.source, out / video.name, args)
        except FCNStudioError as exc:
            failures.append(str(exc))
    for message in failures:
        _warn(f"skipped: {message}")
    _warn(
        f"wrote {written} output(s) to {out}"
        + (f"; kept {kept} existing" if kept else "")
        + (f"; {len(failures)} input(s) failed" if failures else "")
        + (f"; log {log}" if log else "")
    )
    if predictor.fast_path is not None and not predictor.fast_path.ready():  # else a short run never caches it
        _warn("preparing the faster CPU path for later runs (once per model file)...")
        predictor.fast_path.wait()
    return 1 if failures else 0


def _segment_predictor(args: argparse.Namespace, images: list[Path]):
    """The predictor ``segment`` runs; with ``--fast`` the int8 model, calibrated on a few of
    the images being segmented, its label agreement with the exact model printed first."""
    from fcn_studio.data.images import calibration_sample
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    checkpoint = resolve_model(args.model)
    if not args.fast:
        return Predictor(checkpoint, args.device, max_size=args.max_size or None, backend=args.backend)
    if not images:
        raise FCNStudioError("--fast calibrates on the images being segmented: give at least one image")
    calibration = calibration_sample(images)  # an unreadable one is skipped, and reported when its turn comes
    _warn(f"fast mode: calibrating the int8 model on {len(calibration)} of the images (once per model file)...")
    predictor = Predictor(checkpoint, args.device, max_size=args.max_size or None, backend=args.backend,
                          fast=True, calibration=calibration)  # fmt: skip
    if not predictor.fast_path.wait():
        raise FCNStudioError(f"fast mode could not be prepared ({predictor.fast_path.error}); run without --fast")
    agreement = predictor.fast_path.agreement or 0.0
    _warn(
        f"fast mode (int8, approximate): {100 * agreement:.1f} % of labels equal to the exact model's on the check images"
    )
    return predictor


def _segment_one_video(predictor, video: Path, target: Path, args: argparse.Namespace) -> int:
    """``target``: the output without extension (``OUT/<name>``)."""
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.inference.video import AUDIO_NOTE, segment_video

    bar = ProgressBar(None, video.name)
    result = segment_video(
        lambda frame: predictor.predict(frame).labels, predictor.labels, video, target.with_name(target.name + ".mp4"),
        mode=args.video_mode, opacity=args.opacity,
        masks_dir=target.with_name(target.name + "_masks") if args.frame_masks else None,
        progress=lambda done, total, note: bar.update(done, note, total=total),
    )  # fmt: skip
    bar.close()
    _warn(
        f"{video.name}: {result.frames} frames -> {result.path}. {AUDIO_NOTE}"
        + (f" ({result.note})" if result.note else "")
    )
    return 1


def _writable_out(folder: str) -> Path:
    from fcn_studio.storage.fileio import check_writable_folder, clean_stale_temporaries

    out = check_writable_folder(folder)
    clean_stale_temporaries(out)  # left by a run that was killed while writing
    return out


# --------------------------------------------------------------------------- eval


def _report_unknown_labels(cm, whose: str) -> None:
    if not cm.unknown_labels:
        return
    shown = "; ".join(
        f"{name}: {', '.join(map(str, labels[:5]))}" for name, labels in list(cm.unknown_labels.items())[:5]
    )
    more = f" and {len(cm.unknown_labels) - 5} more" if len(cm.unknown_labels) > 5 else ""
    _warn(
        f"{len(cm.unknown_labels)} ground-truth mask(s) have labels >= {cm.num_classes} ({whose} class count), "
        f"not scored ({shown}{more}); check the masks, or pass the right --num-classes"
    )


def _print_scores(scores, class_names: list[str]) -> None:
    def pct(v: float) -> str:
        return "   n/a" if math.isnan(v) else f"{100 * v:6.2f}"

    _print(f"pixel accuracy   {pct(scores.pixel_accuracy)}")
    _print(f"mean accuracy    {pct(scores.mean_accuracy)}")
    _print(f"mean IoU         {pct(scores.mean_iou)}")
    _print(f"fw IoU           {pct(scores.fw_iou)}")
    _print("\nper-class IoU")
    for i, (name, v) in enumerate(zip(class_names, scores.per_class_iou, strict=False)):
        _print(f"  {i:3d} {name:<20} {pct(v)}")


def cmd_eval(args: argparse.Namespace) -> int:
    from fcn_studio.data.dataset import folder_encoding, read_mask
    from fcn_studio.data.metrics import ConfusionMatrix, infer_num_classes, merge_confusion_files
    from fcn_studio.inference.shard import Shard

    if sum(map(bool, (args.model, args.pred, args.merge))) != 1:
        raise FCNStudioError("give either --model M --data DIR, or --pred DIR --gt DIR, or --merge CM_FILE...")
    shard = Shard.parse(args.shard) if args.shard else None
    if args.merge:
        cm, names = merge_confusion_files(args.merge)
        names = names or _default_class_names(cm.num_classes)
    elif args.model:
        if not args.data:
            raise FCNStudioError("--model needs --data DIR (a VOC, Carvana or images/ + masks/ folder)")
        cm, names = _eval_model(args, shard)
    else:
        if not args.gt:
            raise FCNStudioError("--pred needs --gt DIR (the ground-truth masks)")
        from fcn_studio.data.dataset import pair_by_stem

        pairing = pair_by_stem(Path(args.gt), Path(args.pred), "gt/pred")
        for gt_path in pairing.unpaired_images:
            _warn(f"no prediction for {gt_path.name}")
        if not pairing.pairs:
            raise FCNStudioError(f"no prediction in {args.pred} matches a mask in {args.gt} by file name")
        pairs = shard.take(pairing.pairs, key=lambda pair: pair[0].name) if shard else pairing.pairs
        # each folder decoded by its own encoding, by the rule training uses (binary 0/255
        # masks are background/foreground, not "ignore")
        gt_enc = folder_encoding(Path(args.gt), [g for g, _ in pairing.pairs])
        pred_enc = folder_encoding(Path(args.pred), [p for _, p in pairing.pairs])
        masks = [(read_mask(g, gt_enc), read_mask(p, pred_enc), p.name) for g, p in pairs]
        if shard and not args.num_classes:
            raise FCNStudioError("--pred with --shard needs --num-classes N, so every shard counts the same classes")
        n = args.num_classes or infer_num_classes(*(m for pair in masks for m in pair[:2]))
        cm = ConfusionMatrix(n)
        for gt, pred, name in masks:
            cm.update(gt, pred, name)
        names = _default_class_names(n)
    _report_unknown_labels(cm, "the model's" if args.model else "--num-classes")
    if args.save_cm:
        cm.save(args.save_cm, names)
        _warn(f"saved the confusion matrix to {args.save_cm}" + (f" (shard {shard})" if shard else ""))
    scores = cm.scores()
    if args.json:
        _print(json.dumps(scores.to_json(names)))
    else:
        _print_scores(scores, names)
    return 0


def _default_class_names(n: int) -> list[str]:
    if n == 21:
        from fcn_studio.data.labels import VOC_CLASSES

        return list(VOC_CLASSES)
    return [f"class {i}" for i in range(n)]


def _eval_model(args: argparse.Namespace, shard=None):
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.data.dataset import find_pairs, folder_encoding, load_pair
    from fcn_studio.data.metrics import ConfusionMatrix
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    pairing = find_pairs(args.data, split=args.split)
    if not pairing.pairs:
        raise FCNStudioError(f"{args.data}: no image/mask pairs found")
    # binary 0/255 masks mean background/foreground there, not "ignore"
    encoding = folder_encoding(pairing.pairs[0][1].parent, [m for _, m in pairing.pairs])
    pairs = shard.take(pairing.pairs, key=lambda pair: pair[0].name) if shard else pairing.pairs
    predictor = Predictor(resolve_model(args.model), args.device, max_size=args.max_size or None, backend=args.backend)
    cm = ConfusionMatrix(predictor.checkpoint.num_classes)
    bar = ProgressBar(len(pairs), "eval")
    for i, (img, mask_path) in enumerate(pairs):
        rgb, mask = load_pair(img, mask_path, encoding)
        cm.update(mask, predictor.predict(rgb).labels, mask_path.name)
        bar.update(i + 1, img.name)
    bar.close()
    return cm, list(predictor.labels.classes)


# --------------------------------------------------------------------------- weights


def cmd_weights(args: argparse.Namespace) -> int:
    from fcn_studio.storage import weights

    if args.action == "list":
        rows = weights.list_weights()
        _print(f"weights directory: {weights.weights_dir()}")
        _print(f"{'id':<18} {'arch':<8} {'labels':<12} {'status':<20} {'size':>8}  title")
        for r in rows:
            size = f"{r.size_bytes / 1e6:.0f} MB" if r.size_bytes else "-"
            _print(f"{r.id:<18} {r.arch:<8} {r.labels:<12} {r.status:<20} {size:>8}  {r.title}")
        return 0
    if args.action == "download":
        from fcn_studio.cli.progress import ProgressBar

        bar = ProgressBar(None, args.id, unit="B")
        try:
            path = weights.download_weights(args.id, progress=lambda done, total: bar.update(done, total=total))
        except KeyboardInterrupt:
            bar.close()
            _warn("interrupted; the partial download is kept and resumes when you run the command again")
            return 130
        bar.close()
        _print(f"installed {args.id} at {path}")
        return 0
    if args.action == "import":
        from fcn_studio.data.labels import load_label_file, voc_labels
        from fcn_studio.models.preprocessing import PRESETS

        labels = None
        if args.labels:
            labels = voc_labels() if args.labels == "voc" else load_label_file(args.labels)
        pre = PRESETS[args.preprocessing] if args.preprocessing else None
        new_id = weights.import_weights(
            args.file, args.id, arch=args.arch, labels=labels, preprocessing=pre, overwrite=args.force
        )
        _print(f"installed {args.file} as {new_id}; use it with --model {new_id}")
        return 0
    if args.action == "remove":
        for p in weights.remove_weights(args.id):
            _print(f"removed {p}")
        return 0
    raise AssertionError(args.action)


# --------------------------------------------------------------------------- compare


def cmd_compare(args: argparse.Namespace) -> int:
    from fcn_studio.data.dataset import read_mask
    from fcn_studio.data.images import load_image, save_rgb
    from fcn_studio.inference.compare import compose_grid, pairwise_agreement, score_against
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    if not 1 <= len(keys) <= 4:
        raise FCNStudioError("--models takes one to four comma-separated models, e.g. fcn32s-voc,fcn16s-voc,fcn8s-voc")
    _writable_out(str(Path(args.out).parent))  # before running up to four models
    rgb = load_image(args.image)
    gt = read_mask(args.gt) if args.gt else None
    if gt is not None and gt.shape != rgb.shape[:2]:
        raise FCNStudioError(
            f"{args.gt}: mask is {gt.shape[1]}x{gt.shape[0]} but the image is {rgb.shape[1]}x{rgb.shape[0]}"
        )
    rows, panes, labels = [], [], {}
    for key in keys:
        # One model in memory at a time: three VGG16 FCNs would hold ~1.6 GB of weights.
        predictor = Predictor(resolve_model(key), args.device, max_size=args.max_size or None, backend=args.backend)
        pred = predictor.predict(rgb)
        arch, label_set = predictor.checkpoint.arch, predictor.labels
        del predictor
        labels[key] = pred.labels
        score = score_against(pred.labels, gt, label_set.num_classes, key) if gt is not None else None
        rows.append((key, arch, pred.seconds, score))
        title = f"{key}  {pred.seconds:.1f} s"
        if score:
            title += f"  acc {100 * score.pixel_accuracy:.1f}  mIoU {100 * score.mean_iou:.1f}"
        panes.append((title, pred.labels, label_set))
    if gt is not None:
        panes.append(("ground truth", gt, panes[0][2]))
    save_rgb(compose_grid(rgb, panes, columns=args.columns), args.out)
    header = f"{'model':<24} {'arch':<8} {'time':>7}" + ("  pixel acc   mean IoU" if gt is not None else "")
    _print(header)
    for key, arch, seconds, score in rows:
        line = f"{key:<24} {arch:<8} {seconds:6.2f}s"
        if score:
            line += f"  {100 * score.pixel_accuracy:8.2f}   {100 * score.mean_iou:8.2f}"
        _print(line)
    for (a, b), value in pairwise_agreement(labels).items():
        _print(f"agreement {a} vs {b}: {100 * value:.2f} %")
    _print(f"wrote {args.out}")
    return 0


# --------------------------------------------------------------------------- train


def cmd_train(args: argparse.Namespace) -> int:
    """Under torchrun, join the job first: every rank trains on its shard, rank 0 alone
    prints, writes and registers; a rank's error names the rank."""
    from fcn_studio.training import distributed

    ctx = distributed.init_from_env(args.device)
    if not ctx.enabled:
        return _train(args)
    try:
        with distributed.quiet_unless_main():
            code = _train(args)
    except FCNStudioError as exc:
        raise FCNStudioError(f"rank {ctx.rank}: {exc}") from None
    distributed.shutdown()
    return code


def _train(args: argparse.Namespace) -> int:
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.data.dataset import scan_dataset
    from fcn_studio.training.trainer import TrainConfig, check_output, train

    lo, _, hi = args.scale.partition(",")
    config = TrainConfig(
        data=args.data, out=args.out, base=args.base, arch=args.arch, epochs=args.epochs, batch_size=args.batch_size,
        crop_size=args.crop_size, lr=args.lr, optimizer=args.optimizer, weight_decay=args.weight_decay,
        flip=not args.no_flip, scale_min=float(lo), scale_max=float(hi or lo), freeze_backbone=args.freeze_backbone,
        val_split=args.val_split, val_dir=args.val, seed=args.seed, amp=not args.no_amp, device=args.device,
        class_names=[c.strip() for c in args.class_names.split(",")] if args.class_names else None,
        resume=args.resume, register_id=args.id, force=args.force,
    )  # fmt: skip
    check_output(config)  # an --out or --id it would refuse is said before the dataset scan
    scan_bar = ProgressBar(None, "checking dataset")
    report = scan_dataset(config.data, config.class_names, progress=lambda d, t, n: scan_bar.update(d, n, total=t))
    scan_bar.close()
    _warn(report.text().replace("\n", "\nfcn-studio: "))
    if not report.ok:
        raise FCNStudioError(f"{config.data}: fix the problems above, then train again")
    bar = ProgressBar(None, "train")

    def on_event(e: dict) -> None:
        if e["type"] == "iteration":
            note = f"epoch {e['epoch']}/{config.epochs} loss {e['loss']:.4f} {e['images_per_s']:.2f} img/s"
            bar.update(round(1000 * e["progress"]), note, total=1000)
        elif e["type"] == "epoch":
            m = e["metrics"]
            score = (
                f"val mIoU {100 * m['mean_iou']:.2f} pixel acc {100 * m['pixel_accuracy']:.2f}"
                if m.get("mean_iou") is not None
                else "no validation images"
            )
            bar.close()
            _warn(
                f"epoch {e['epoch']}/{e['epochs']}: train loss {e['train_loss']:.4f}, {score}"
                + (" (best)" if e["best"] else "")
            )
        elif e["type"] == "message":
            _warn(e["text"])

    result = train(config, on_event, report=report)
    bar.close()
    m = result.best_metrics
    if m.get("mean_iou") is not None:
        _print(f"best validation: pixel accuracy {100 * m['pixel_accuracy']:.2f}, mean accuracy "
               f"{100 * m['mean_accuracy']:.2f}, mean IoU {100 * m['mean_iou']:.2f}, fw IoU {100 * m['fw_iou']:.2f}")  # fmt: skip
    _print(
        f"wrote {result.out}"
        + (
            f"; installed as {result.registered_id} (use --model {result.registered_id})"
            if result.registered_id
            else ""
        )
    )
    return 130 if result.cancelled else 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from fcn_studio import __version__

    parser = argparse.ArgumentParser(
        prog="fcn-studio",
        description="Semantic segmentation with FCN-32s/16s/8s. Without a command, opens the app "
        "(with any image paths given).",
    )
    parser.add_argument("--version", action="version", version=f"fcn-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def model_options(p: argparse.ArgumentParser, required: bool = True) -> None:
        p.add_argument("--model", required=required, help="installed weights id or path to a weights file")
        p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
        p.add_argument("--max-size", type=num.MAX_SIZE, default=2048, metavar="N",
                       help="longest side the network sees; larger images are segmented at this size and the "
                       "result upsampled (0 = full resolution; default 2048)")  # fmt: skip
        backend_option(p)

    def backend_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--backend", choices=BACKENDS, default=None,
                       help="CPU runtime: auto (ONNX Runtime once its conversion is cached, torch until then; "
                       "the default), torch, or onnxruntime (default: $FCN_STUDIO_BACKEND or auto)")  # fmt: skip

    seg = sub.add_parser("segment", help="write palette PNG masks for images, segmented videos for videos")
    seg.add_argument("inputs", nargs="+", metavar="INPUT")
    model_options(seg)
    seg.add_argument("--out", required=True, metavar="DIR")
    seg.add_argument("--overlay", action="store_true", help="also write <stem>_overlay.jpg")
    seg.add_argument("--opacity", type=num.OPACITY, default=0.5, help="overlay opacity, 0-1 (default 0.5)")
    seg.add_argument("--video-mode", choices=("overlay", "mask"), default="overlay",
                     help="videos: write the overlay or the colour mask (default overlay)")  # fmt: skip
    seg.add_argument("--fast", action="store_true",
                     help="int8 fast mode on the CPU: about 1.8x faster again but approximate; calibrated on a few "
                     "of the inputs, its label agreement with the exact model is printed before it runs")  # fmt: skip
    seg.add_argument("--frame-masks", action="store_true", help="videos: also write each frame's palette PNG mask")
    seg.add_argument("--shard", metavar="I/N", help="process only shard I of N (0-based) of the inputs, for job arrays")
    seg.add_argument("--skip-existing", action="store_true",
                     help="keep outputs that already exist (continue a killed or preempted run)")  # fmt: skip
    seg.add_argument("--log", metavar="FILE",
                     help="append a JSON line per input (done, failed, kept); with --shard the default is "
                     "OUT/segment-log.I-of-N.jsonl")  # fmt: skip
    seg.set_defaults(func=cmd_segment)

    ev = sub.add_parser("eval", help="pixel accuracy, mean accuracy, mean IoU, fw IoU")
    model_options(ev, required=False)
    ev.add_argument("--data", metavar="DIR", help="dataset folder (with --model)")
    ev.add_argument("--split", default="val", help="VOC ImageSets split (default val)")
    ev.add_argument("--pred", metavar="DIR", help="folder of predicted masks")
    ev.add_argument("--gt", metavar="DIR", help="folder of ground-truth masks")
    ev.add_argument("--num-classes", type=num.NUM_CLASSES, help="with --pred: class count (default: largest label + 1)")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--shard", metavar="I/N", help="evaluate only shard I of N (0-based) of the images")
    ev.add_argument("--save-cm", metavar="FILE", help="also save the confusion matrix (JSON) for --merge")
    ev.add_argument("--merge", nargs="+", metavar="CM_FILE",
                    help="the metrics of several saved confusion matrices together (e.g. one per shard)")  # fmt: skip
    ev.set_defaults(func=cmd_eval)

    w = sub.add_parser("weights", help="list, download, import or remove weights")
    wsub = w.add_subparsers(dest="action", metavar="ACTION", required=True)
    wsub.add_parser("list", help="known and installed weights")
    d = wsub.add_parser("download", help="download listed weights (resumable, verified)")
    d.add_argument("id")
    imp = wsub.add_parser("import", help="install a weights file (.pth, .safetensors)")
    imp.add_argument("file")
    imp.add_argument("--id", help="id to install it under (default: the file name)")
    imp.add_argument("--arch", choices=("fcn32s", "fcn16s", "fcn8s", "fcn8s_atonce"), help="override detection")
    imp.add_argument("--labels", help="'voc' or a text file with one class name per line")
    imp.add_argument("--preprocessing", choices=("caffe-bgr", "imagenet-rgb"),
                     help="input convention of the weights (default caffe-bgr for converted Caffe files)")  # fmt: skip
    imp.add_argument("--force", action="store_true", help="replace an installed model with this id")
    rm = wsub.add_parser("remove", help="delete installed weights")
    rm.add_argument("id")
    w.set_defaults(func=cmd_weights)

    tr = sub.add_parser("train", help="fine-tune an FCN on a folder of images and masks")
    tr.add_argument("--data", required=True, metavar="DIR", help="VOC, Carvana or images/ + masks/ folder")
    tr.add_argument("--out", required=True, metavar="FILE", help="best checkpoint (.safetensors)")
    tr.add_argument("--base", default="vgg16-imagenet",
                    help="start from: an installed id or weights file (VGG16 or FCN), or 'scratch' (default vgg16-imagenet)")  # fmt: skip
    tr.add_argument("--arch", default="fcn8s", choices=("fcn32s", "fcn16s", "fcn8s"))
    tr.add_argument("--epochs", type=num.integer(1, 100_000), default=10)
    tr.add_argument("--batch-size", type=num.integer(1, 4096), default=2)
    tr.add_argument("--crop-size", type=num.integer(32, 8192), default=320, help="training crops (pixels, square)")
    tr.add_argument("--lr", type=num.number(0.0, 10.0, low_open=True), default=1e-4)
    tr.add_argument("--optimizer", default="adam", choices=("adam", "sgd"))
    tr.add_argument("--weight-decay", type=num.number(0.0, 1.0), default=5e-4)
    tr.add_argument(
        "--scale", type=num.scale_range, default="0.75,1.25", help="random scale range for augmentation (1,1 = off)"
    )
    tr.add_argument("--no-flip", action="store_true", help="no random horizontal flips")
    tr.add_argument("--freeze-backbone", action="store_true", help="train only the score layers (fast on a CPU)")
    tr.add_argument(
        "--val-split", type=num.number(0.0, 1.0, high_open=True), default=0.2, help="fraction held out for validation"
    )
    tr.add_argument("--val", metavar="DIR", help="separate validation folder (instead of --val-split)")
    tr.add_argument("--class-names", help="comma-separated names (default: classes.txt, else class 0..N-1)")
    tr.add_argument("--seed", type=num.integer(0, 2**32 - 1), default=0)
    tr.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    tr.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    tr.add_argument("--resume", action="store_true", help="continue from OUT.last.state.pt")
    tr.add_argument("--force", action="store_true", help="replace an existing OUT and an installed model with this id")
    tr.add_argument("--id", help="install the result under this id (default: OUT's file name)")
    tr.set_defaults(func=cmd_train)

    cmp = sub.add_parser("compare", help="run several models on one image and write a side-by-side image")
    cmp.add_argument("image")
    cmp.add_argument(
        "--models", required=True, help="comma-separated ids or files, e.g. fcn32s-voc,fcn16s-voc,fcn8s-voc"
    )
    cmp.add_argument("--out", required=True, help="output image (.png or .jpg)")
    cmp.add_argument("--gt", help="ground-truth mask: adds pixel accuracy and mean IoU per model")
    cmp.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    cmp.add_argument("--max-size", type=num.MAX_SIZE, default=2048, metavar="N")
    backend_option(cmp)
    cmp.add_argument("--columns", type=num.integer(1, 4), default=None, help="panes per row (default: all in one row)")
    cmp.set_defaults(func=cmd_compare)

    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("paths", nargs="*")
    gui.set_defaults(func=cmd_gui)
    return parser


def cmd_gui(args: argparse.Namespace) -> int:
    from fcn_studio.gui.app import run_app

    return run_app(list(args.paths))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _printable_streams()
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        argv = ["gui", *argv]  # `fcn-studio photo.jpg` opens the app on that photo
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args(["gui"])
    try:
        return int(args.func(args) or 0)
    except Cancelled as exc:
        _warn(str(exc))
        return 130
    except KeyboardInterrupt:
        _warn("interrupted")
        return 130
    except FCNStudioError as exc:
        _warn(f"error: {exc}")
        return 1
    except OSError as exc:  # disk full, permissions, a file vanishing mid-run
        where = f"{exc.filename}: " if exc.filename else ""
        _warn(f"error: {where}{exc.strerror or exc}")
        return 1
    except MemoryError:
        _warn("error: out of memory; lower --max-size or close other programs")
        return 1
    except Exception as exc:
        if type(exc).__name__ != "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
            raise
        _warn(f"error: {describe_unexpected(exc)} (--max-size, --device cpu)")
        return 1
