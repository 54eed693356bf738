"""``fcn-studio compare``: several models on one image, side by side."""

from __future__ import annotations

import argparse
from pathlib import Path

from fcn_studio.cli import args as num
from fcn_studio.cli import common
from fcn_studio.cli.common import say, warn, writable_out
from fcn_studio.errors import FCNStudioError


def add_parser(sub) -> None:
    cmp = sub.add_parser("compare", help="run several models on one image and write a side-by-side image")
    cmp.add_argument("image")
    cmp.add_argument(
        "--models", required=True, help="comma-separated ids or files, e.g. fcn32s-voc,fcn16s-voc,fcn8s-voc"
    )
    cmp.add_argument("--out", required=True, help="output image (.png or .jpg)")
    cmp.add_argument("--gt", help="ground-truth mask: adds pixel accuracy and mean IoU per model")
    cmp.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    cmp.add_argument("--max-size", type=num.MAX_SIZE, default=2048, metavar="N")
    common.backend_option(cmp)
    common.precision_option(cmp)
    cmp.add_argument("--columns", type=num.integer(1, 4), default=None, help="panes per row (default: all in one row)")
    cmp.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from fcn_studio.data.dataset import read_mask
    from fcn_studio.data.images import load_image, save_rgb
    from fcn_studio.inference.compare import compose_grid, pairwise_agreement, score_against
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    if not 1 <= len(keys) <= 4:
        raise FCNStudioError("--models takes one to four comma-separated models, e.g. fcn32s-voc,fcn16s-voc,fcn8s-voc")
    writable_out(str(Path(args.out).parent))  # before running up to four models
    rgb = load_image(args.image)
    gt = read_mask(args.gt) if args.gt else None
    if gt is not None and gt.shape != rgb.shape[:2]:
        raise FCNStudioError(
            f"{args.gt}: mask is {gt.shape[1]}x{gt.shape[0]} but the image is {rgb.shape[1]}x{rgb.shape[0]}"
        )
    gt_classes = _gt_classes(Path(args.gt)) if gt is not None else None
    rows, panes, labels = [], [], {}
    first_plan = None
    for key in keys:
        # One model in memory at a time: three VGG16 FCNs would hold ~1.6 GB of weights.
        checkpoint = resolve_model(key)
        plan = _scoring(key, checkpoint, gt, gt_classes, Path(args.gt)) if gt is not None else None
        first_plan = first_plan or plan
        predictor = Predictor(
            checkpoint,
            args.device,
            max_size=args.max_size or None,
            backend=args.backend,
            precision=args.precision,
            calibration=[rgb],
        )
        if predictor.precision == "bf16":
            warn(f"{key}: bf16 mode: {predictor.backend_note}")
        pred = predictor.predict(rgb)
        arch, label_set = predictor.checkpoint.arch, predictor.labels
        del predictor
        labels[key] = pred.labels
        score = None
        if plan is not None:
            score = score_against(pred.labels, plan.gt(gt), plan.num_classes or label_set.num_classes, key)
        rows.append((key, arch, pred.seconds, score))
        title = f"{key}  {pred.seconds:.1f} s"
        if score:
            title += f"  acc {100 * score.pixel_accuracy:.1f} %  mIoU {100 * score.mean_iou:.1f} %"
        panes.append((title, pred.labels, label_set))
    if gt is not None:  # in the first model's class ids, as its pane
        panes.append(("ground truth", first_plan.gt(gt) if first_plan else gt, panes[0][2]))
    save_rgb(compose_grid(rgb, panes, columns=args.columns), args.out)
    header = f"{'model':<24} {'arch':<8} {'time':>7}" + ("   pixel acc    mean IoU" if gt is not None else "")
    say(header)
    for key, arch, seconds, score in rows:
        line = f"{key:<24} {arch:<8} {seconds:6.2f}s"
        if score:
            line += f"  {100 * score.pixel_accuracy:8.2f} %  {100 * score.mean_iou:8.2f} %"
        say(line)
    for (a, b), value in pairwise_agreement(labels).items():
        say(f"agreement {a} vs {b}: {100 * value:.2f} %")
    say(f"wrote {args.out}")
    return 0


def _gt_classes(path: Path):
    """The classes that name the ground-truth mask's ids (data/class_source.py's order)."""
    from fcn_studio.data.class_source import resolve_classes

    documents = [path] if path.suffix.lower() == ".json" else None
    return resolve_classes(path.parent, labelme_documents=documents)


def _scoring(key: str, checkpoint, gt, gt_classes, gt_path: Path):
    """Classes matched by name where both name them, else refused when counts differ."""
    from fcn_studio.data.annotations import largest_label
    from fcn_studio.data.class_source import Side, mask_palette, scoring

    names = list(checkpoint.labels.classes)
    plan = scoring(
        Side(names, lambda: len(names) - 1, f"the model {key}", colors=list(checkpoint.labels.colors)),
        Side(
            gt_classes.names,
            lambda: largest_label([gt]),
            "the ground truth",
            str(gt_path.parent / "classes.txt"),
            colors=mask_palette(gt_path),
        ),
    )
    if plan.note:
        warn(f"{key}: {plan.note}")
    return plan
