"""``fcn-studio eval``: scores from one confusion matrix, of a model on a dataset or of saved masks."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from fcn_studio.cli import args as num
from fcn_studio.cli import common
from fcn_studio.cli.common import say, warn
from fcn_studio.errors import FCNStudioError


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", help="pixel accuracy, mean accuracy, mean IoU, fw IoU")
    common.model_options(ev, required=False)
    ev.add_argument("--data", metavar="DIR", help="dataset folder (with --model)")
    ev.add_argument("--split", default=None, help="VOC ImageSets split (default val with --data; none with --gt)")
    ev.add_argument(
        "--pred", metavar="PATH", help="predicted masks: a folder of masks, a dataset folder or a COCO file"
    )
    ev.add_argument(
        "--gt",
        metavar="PATH",
        help="ground truth: a folder of masks, a dataset folder (VOC, CVAT export, labelme, images/ + masks/) or a "
        "COCO file",
    )
    ev.add_argument("--num-classes", type=num.NUM_CLASSES, help="with --pred: class count (default: largest label + 1)")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--shard", metavar="I/N", type=num.SHARD, help="evaluate only shard I of N (0-based) of the images")
    ev.add_argument("--save-cm", metavar="FILE", help="also save the confusion matrix (JSON) for --merge")
    ev.add_argument(
        "--merge",
        nargs="+",
        metavar="CM_FILE",
        help="the metrics of several saved confusion matrices together (e.g. one per shard)",
    )
    common.allow_outside_option(ev)
    ev.set_defaults(func=cmd_eval)


def _report_unknown_labels(cm, whose: str) -> None:
    if not cm.unknown_labels:
        return
    shown = "; ".join(
        f"{name}: {', '.join(map(str, labels[:5]))}" for name, labels in list(cm.unknown_labels.items())[:5]
    )
    more = f" and {len(cm.unknown_labels) - 5} more" if len(cm.unknown_labels) > 5 else ""
    pixels = sum(cm.unknown_pixels.values())
    warn(
        f"{pixels} pixel(s) in {len(cm.unknown_labels)} ground-truth mask(s) have labels >= {cm.num_classes} "
        f"({whose} class count), not scored ({shown}{more}); check the masks, or pass the right --num-classes"
    )


def _pct(v: float) -> str:
    return "     n/a" if math.isnan(v) else f"{100 * v:6.2f} %"


def _print_scores(scores, class_names: list[str]) -> None:
    say(f"pixel accuracy   {_pct(scores.pixel_accuracy)}")
    say(f"mean accuracy    {_pct(scores.mean_accuracy)}")
    say(f"mean IoU         {_pct(scores.mean_iou)}")
    say(f"fw IoU           {_pct(scores.fw_iou)}")
    say("\nper-class IoU")
    for i, (name, v) in enumerate(zip(class_names, scores.per_class_iou, strict=False)):
        say(f"  {i:3d} {name:<20} {_pct(v)}")


def cmd_eval(args: argparse.Namespace) -> int:
    from fcn_studio.data.metrics import merge_confusion_files

    if sum(map(bool, (args.model, args.pred, args.merge))) != 1:
        raise FCNStudioError("give either --model M --data DIR, or --pred DIR --gt DIR, or --merge CM_FILE...")
    shard = args.shard
    missing = 0
    if args.merge:
        cm, names = merge_confusion_files(args.merge)
        names = names or _default_class_names(cm.num_classes)
    elif args.model:
        if not args.data:
            raise FCNStudioError("--model needs --data DIR (a VOC, Carvana or images/ + masks/ folder)")
        cm, names = _eval_model(args, shard)
    else:
        cm, names, missing = _eval_masks(args, shard)
    _report_unknown_labels(cm, "the model's" if args.model else "--num-classes")
    if args.save_cm:
        cm.save(args.save_cm, names)
        warn(f"saved the confusion matrix to {args.save_cm}" + (f" (shard {shard})" if shard else ""))
    scores = cm.scores()
    if args.json:
        say(json.dumps(scores.to_json(names)))
    else:
        _print_scores(scores, names)
    return 1 if missing else 0


def _eval_masks(args: argparse.Namespace, shard=None):
    """``--pred --gt``: the matrix, the class names, and how many ground-truth masks have no
    prediction (reported; the run then exits 1, so a script notices). Either side may be a
    folder of masks, a dataset folder (VOC, CVAT, labelme ...) or a COCO file; classes are
    matched by name whenever both sides name them."""
    from fcn_studio.data.annotations import MASK_FOLDER, read_annotations
    from fcn_studio.data.metrics import ConfusionMatrix, infer_num_classes

    if not args.gt:
        raise FCNStudioError("--pred needs --gt DIR (the ground-truth masks)")
    gt = read_annotations(args.gt, "--gt", args.split)
    pred = read_annotations(args.pred, "--pred")
    for note in gt.notes:
        warn(note)
    for what, side in (("ground truth", gt), ("predictions", pred)):
        if side.kind != MASK_FOLDER or side.classes.named:  # plain unnamed masks: nothing to say
            warn(f"{what}: {side.describe()}")
    keys = [k for k in gt.masks if k in pred.masks]
    if not keys:
        raise FCNStudioError(f"no prediction in {args.pred} matches a mask in {args.gt} by image name")
    if gt.kind == MASK_FOLDER:
        _refuse_photos([gt.masks[k] for k in keys], "--gt")
    if pred.kind == MASK_FOLDER:
        _refuse_photos([pred.masks[k] for k in keys], "--pred")
    missing = [gt.masks[k] for k in gt.masks if k not in pred.masks]
    if missing:
        shown = ", ".join(p.name for p in missing[:5]) + (" ..." if len(missing) > 5 else "")
        warn(
            f"{len(missing)} of {len(missing) + len(keys)} ground-truth mask(s) have no prediction in "
            f"{args.pred} ({shown}); the scores below leave them out"
        )
    keys = shard.take(keys, key=lambda k: k) if shard else keys
    masks = [(gt.read(k), pred.read(k), pred.masks[k].name) for k in keys]
    plan = _mask_scoring(args, gt, pred, masks)
    if plan.names:
        n, names = plan.num_classes, plan.names
    else:
        if shard and not args.num_classes:
            raise FCNStudioError("--pred with --shard needs --num-classes N, so every shard counts the same classes")
        n = args.num_classes or infer_num_classes(*(m for pair in masks for m in pair[:2]))
        if not args.num_classes:
            _report_unpredicted_labels(masks, infer_num_classes(*(p for _, p, _ in masks)))
        names = _default_class_names(n)
    cm = ConfusionMatrix(n)
    for gt_mask, pred_mask, name in masks:
        cm.update(plan.gt(gt_mask), pred_mask, name)
    return cm, names, len(missing)


def _mask_scoring(args: argparse.Namespace, gt, pred, masks):
    """Which classes the two sides' ids are (data/class_source.py's rule), said in one line."""
    from fcn_studio.data.annotations import largest_label
    from fcn_studio.data.class_source import Scoring, Side, mask_palette, scoring

    if args.num_classes and not (gt.classes.named and pred.classes.named):
        return Scoring([], None, "")  # ids as they are, as many as --num-classes says
    first = next(iter(gt.masks.values()))
    plan = scoring(
        Side(
            pred.classes.names,
            lambda: largest_label([p for _, p, _ in masks]),
            "the predictions",
            _where(pred),
            colors=pred.classes.colors,
        ),
        Side(
            gt.classes.names,
            lambda: largest_label([g for g, _, _ in masks]),
            "the ground truth",
            _where(gt),
            colors=mask_palette(first) if first.is_file() else None,
        ),
    )
    if plan.note:
        warn(plan.note)
    return plan


def _where(annotations) -> str:
    folder = annotations.path if annotations.path.is_dir() else annotations.path.parent
    return f"{folder / 'classes.txt'}"


_PHOTO_COLOURS = 1024  # a mask has a colour per class; a photo has thousands
_GREY_LEVELS = 128  # a grey mask has a level per class; a grey photo nearly all 256


def _refuse_photos(paths: list[Path], option: str) -> None:
    """Photos given where masks belong are refused rather than scored as masks."""
    from PIL import Image

    from fcn_studio.data.images import calibration_sample

    for path in calibration_sample(paths, 4):
        try:
            with Image.open(path) as img:
                lossy = img.format == "JPEG"
                colours = img.convert("RGB").getcolors(_PHOTO_COLOURS)
                grey = img.mode in ("L", "I", "I;16") and len(img.getcolors(1 << 16) or range(1 << 16)) > _GREY_LEVELS
        except (OSError, ValueError):
            continue  # reported when it is read
        if colours is None or (lossy and len(colours) > 64) or grey:
            what = (
                "a JPEG photo"
                if lossy
                else f"a greyscale photo (over {_GREY_LEVELS} grey levels)"
                if grey
                else f"an image of over {_PHOTO_COLOURS} colours"
            )
            raise FCNStudioError(
                f"{path}: {what}, not a mask; {option} takes a folder of label masks (PNG, a class id or colour "
                "per pixel)"
            )


def _report_unpredicted_labels(masks, predicted: int) -> None:
    """Ground-truth values above every predicted class widen the inferred class count and
    score as classes never found: said with their pixel counts."""
    from collections import Counter

    import numpy as np

    counts: Counter[int] = Counter()
    files = 0
    for gt, _, _ in masks:
        values, n = np.unique(gt[(gt >= predicted) & (gt != 255)], return_counts=True)
        files += bool(values.size)
        counts.update(dict(zip(values.tolist(), n.tolist(), strict=True)))
    if counts:
        shown = ", ".join(f"{v} ({c} pixel{'s' if c != 1 else ''})" for v, c in sorted(counts.items())[:6])
        warn(
            f"ground truth has labels no prediction uses, in {files} mask(s): {shown}; they are scored as classes. "
            f"If they are not classes, pass --num-classes {predicted} to leave them out"
        )


def _default_class_names(n: int) -> list[str]:
    if n == 21:
        from fcn_studio.data.labels import VOC_CLASSES

        return list(VOC_CLASSES)
    return [f"class {i}" for i in range(n)]


def _eval_model(args: argparse.Namespace, shard=None):
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.data.annotations import largest_label
    from fcn_studio.data.class_source import Side, classes_of_pairing, mask_palette, scoring
    from fcn_studio.data.dataset import find_pairs, folder_encoding, load_pair, read_mask
    from fcn_studio.data.metrics import ConfusionMatrix
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    pairing = find_pairs(args.data, split=args.split or "val")
    for note in pairing.notes:  # which images a split without its list stands for
        warn(note)
    if not pairing.pairs:
        raise FCNStudioError(f"{args.data}: no image/mask pairs found")
    # binary 0/255 masks mean background/foreground there, not "ignore"
    encoding = folder_encoding(pairing.pairs[0][1].parent, [m for _, m in pairing.pairs])
    classes = classes_of_pairing(Path(args.data), pairing)
    warn(f"ground truth {classes.describe()}")
    pairs = shard.take(pairing.pairs, key=lambda pair: pair[0].name) if shard else pairing.pairs
    checkpoint = resolve_model(args.model)
    model_names = list(checkpoint.labels.classes)
    plan = scoring(
        Side(model_names, lambda: len(model_names) - 1, "the model", colors=list(checkpoint.labels.colors)),
        Side(
            classes.names,
            lambda: largest_label(read_mask(m, encoding) for _, m in pairing.pairs),  # every shard alike
            "the ground truth",
            str(Path(args.data) / "classes.txt"),
            colors=mask_palette(pairing.pairs[0][1]),
        ),
    )
    warn(plan.note)
    predictor = Predictor(
        checkpoint,
        args.device,
        max_size=args.max_size or None,
        backend=args.backend,
        precision=args.precision,
        calibration=[img for img, _ in pairs[:2]],
    )
    if predictor.precision == "bf16":
        warn(f"bf16 mode: {predictor.backend_note}")
    cm = ConfusionMatrix(plan.num_classes or checkpoint.num_classes)
    bar = ProgressBar(len(pairs), "eval")
    for i, (img, mask_path) in enumerate(pairs):
        rgb, mask = load_pair(img, mask_path, encoding)
        cm.update(plan.gt(mask), predictor.predict(rgb).labels, mask_path.name)
        bar.update(i + 1, img.name)
    bar.close()
    return cm, plan.names or model_names
