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
    ev.add_argument("--shard", metavar="I/N", help="evaluate only shard I of N (0-based) of the images")
    ev.add_argument("--save-cm", metavar="FILE", help="also save the confusion matrix (JSON) for --merge")
    ev.add_argument("--merge", nargs="+", metavar="CM_FILE",
                    help="the metrics of several saved confusion matrices together (e.g. one per shard)")  # fmt: skip
    ev.set_defaults(func=cmd_eval)


def _report_unknown_labels(cm, whose: str) -> None:
    if not cm.unknown_labels:
        return
    shown = "; ".join(
        f"{name}: {', '.join(map(str, labels[:5]))}" for name, labels in list(cm.unknown_labels.items())[:5]
    )
    more = f" and {len(cm.unknown_labels) - 5} more" if len(cm.unknown_labels) > 5 else ""
    warn(
        f"{len(cm.unknown_labels)} ground-truth mask(s) have labels >= {cm.num_classes} ({whose} class count), "
        f"not scored ({shown}{more}); check the masks, or pass the right --num-classes"
    )


def _print_scores(scores, class_names: list[str]) -> None:
    def pct(v: float) -> str:
        return "   n/a" if math.isnan(v) else f"{100 * v:6.2f}"

    say(f"pixel accuracy   {pct(scores.pixel_accuracy)}")
    say(f"mean accuracy    {pct(scores.mean_accuracy)}")
    say(f"mean IoU         {pct(scores.mean_iou)}")
    say(f"fw IoU           {pct(scores.fw_iou)}")
    say("\nper-class IoU")
    for i, (name, v) in enumerate(zip(class_names, scores.per_class_iou, strict=False)):
        say(f"  {i:3d} {name:<20} {pct(v)}")


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
            warn(f"no prediction for {gt_path.name}")
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
        warn(f"saved the confusion matrix to {args.save_cm}" + (f" (shard {shard})" if shard else ""))
    scores = cm.scores()
    if args.json:
        say(json.dumps(scores.to_json(names)))
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
    predictor = Predictor(resolve_model(args.model), args.device, max_size=args.max_size or None, backend=args.backend,
                          precision=args.precision, calibration=[img for img, _ in pairs[:2]])  # fmt: skip
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
