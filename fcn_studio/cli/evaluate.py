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
    ev.add_argument("--split", default="val", help="VOC ImageSets split (default val)")
    ev.add_argument("--pred", metavar="DIR", help="folder of predicted masks")
    ev.add_argument("--gt", metavar="DIR", help="folder of ground-truth masks")
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
    """``--pred DIR --gt DIR``: the matrix, the class names, and how many ground-truth masks
    have no prediction (reported; the run then exits 1, so a script notices)."""
    from fcn_studio.data.dataset import folder_encoding, pair_by_stem, read_mask
    from fcn_studio.data.metrics import ConfusionMatrix, infer_num_classes

    if not args.gt:
        raise FCNStudioError("--pred needs --gt DIR (the ground-truth masks)")
    pairing = pair_by_stem(Path(args.gt), Path(args.pred), "gt/pred")
    if not pairing.pairs:
        raise FCNStudioError(f"no prediction in {args.pred} matches a mask in {args.gt} by file name")
    _refuse_photos([g for g, _ in pairing.pairs], "--gt")
    _refuse_photos([p for _, p in pairing.pairs], "--pred")
    missing = pairing.unpaired_images
    if missing:
        shown = ", ".join(p.name for p in missing[:5]) + (" ..." if len(missing) > 5 else "")
        warn(
            f"{len(missing)} of {len(missing) + len(pairing.pairs)} ground-truth mask(s) have no prediction in "
            f"{args.pred} ({shown}); the scores below leave them out"
        )
    pairs = shard.take(pairing.pairs, key=lambda pair: pair[0].name) if shard else pairing.pairs
    # each folder decoded by its own encoding, by the rule training uses (binary 0/255
    # masks are background/foreground, not "ignore")
    gt_enc = folder_encoding(Path(args.gt), [g for g, _ in pairing.pairs])
    pred_enc = folder_encoding(Path(args.pred), [p for _, p in pairing.pairs])
    masks = [(read_mask(g, gt_enc), read_mask(p, pred_enc), p.name) for g, p in pairs]
    if shard and not args.num_classes:
        raise FCNStudioError("--pred with --shard needs --num-classes N, so every shard counts the same classes")
    n = args.num_classes or infer_num_classes(*(m for pair in masks for m in pair[:2]))
    if not args.num_classes:
        _report_unpredicted_labels(masks, infer_num_classes(*(pred for _, pred, _ in masks)))
    cm = ConfusionMatrix(n)
    for gt, pred, name in masks:
        cm.update(gt, pred, name)
    return cm, _default_class_names(n), len(missing)


_PHOTO_COLOURS = 1024  # a mask has a colour per class; a photo has thousands


def _refuse_photos(paths: list[Path], option: str) -> None:
    """Photos given where masks belong are refused rather than scored as masks."""
    from PIL import Image

    from fcn_studio.data.images import calibration_sample

    for path in calibration_sample(paths, 4):
        try:
            with Image.open(path) as img:
                lossy = img.format == "JPEG"
                colours = img.convert("RGB").getcolors(_PHOTO_COLOURS)
        except (OSError, ValueError):
            continue  # reported when it is read
        if colours is None or (lossy and len(colours) > 64):
            what = "a JPEG photo" if lossy else f"an image of over {_PHOTO_COLOURS} colours"
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
    from fcn_studio.data.dataset import find_pairs, folder_encoding, load_pair
    from fcn_studio.data.metrics import ConfusionMatrix
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.weights import resolve_model

    pairing = find_pairs(args.data, split=args.split)
    for note in pairing.notes:  # which images a split without its list stands for
        warn(note)
    if not pairing.pairs:
        raise FCNStudioError(f"{args.data}: no image/mask pairs found")
    # binary 0/255 masks mean background/foreground there, not "ignore"
    encoding = folder_encoding(pairing.pairs[0][1].parent, [m for _, m in pairing.pairs])
    pairs = shard.take(pairing.pairs, key=lambda pair: pair[0].name) if shard else pairing.pairs
    predictor = Predictor(
        resolve_model(args.model),
        args.device,
        max_size=args.max_size or None,
        backend=args.backend,
        precision=args.precision,
        calibration=[img for img, _ in pairs[:2]],
    )
    if predictor.precision == "bf16":
        warn(f"bf16 mode: {predictor.backend_note}")
    cm = ConfusionMatrix(predictor.checkpoint.num_classes)
    bar = ProgressBar(len(pairs), "eval")
    for i, (img, mask_path) in enumerate(pairs):
        rgb, mask = load_pair(img, mask_path, encoding)
        cm.update(mask, predictor.predict(rgb).labels, mask_path.name)
        bar.update(i + 1, img.name)
    bar.close()
    return cm, list(predictor.labels.classes)
