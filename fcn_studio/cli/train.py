"""``fcn-studio train``: fine-tuning from the command line, alone or under torchrun."""

from __future__ import annotations

import argparse

from fcn_studio.cli import args as num
from fcn_studio.cli import common
from fcn_studio.cli.common import say, warn
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.precision import PRECISIONS


def add_parser(sub) -> None:
    tr = sub.add_parser("train", help="fine-tune an FCN on a folder of images and masks")
    tr.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="a Label mode folder (photos + masks/), VOC, Carvana or images/ + masks/ folder",
    )
    tr.add_argument("--out", required=True, metavar="FILE", help="best checkpoint (.safetensors)")
    tr.add_argument(
        "--base",
        default="vgg16-imagenet",
        help="start from: an installed id or weights file (VGG16 or FCN), or 'scratch' (default vgg16-imagenet)",
    )
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
    tr.add_argument(
        "--freeze-backbone",
        action="store_true",
        help="train only the score layers (fast on a CPU); over an installed base OUT is a head file of kilobytes",
    )
    tr.add_argument(
        "--standalone",
        action="store_true",
        help="with --freeze-backbone: write the whole network to OUT (to share), not a head over its base",
    )
    tr.add_argument(
        "--val-split", type=num.number(0.0, 1.0, high_open=True), default=0.2, help="fraction held out for validation"
    )
    tr.add_argument("--val", metavar="DIR", help="separate validation folder (instead of --val-split)")
    tr.add_argument("--class-names", help="comma-separated names (default: classes.txt, else class 0..N-1)")
    tr.add_argument("--seed", type=num.integer(0, 2**32 - 1), default=0)
    tr.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    tr.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="auto: bf16 autocast on CPUs with native bf16 where it measures faster, fp16 mixed precision "
        "on CUDA, else fp32; fp32 or bf16 force one",
    )
    tr.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    tr.add_argument("--resume", action="store_true", help="continue from OUT.last.state.pt")
    tr.add_argument("--force", action="store_true", help="replace an existing OUT and an installed model with this id")
    tr.add_argument("--id", help="install the result under this id (default: OUT's file name)")
    common.allow_outside_option(tr)
    tr.set_defaults(func=cmd_train)


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


def train_config(args: argparse.Namespace):
    """The run the options ask for (the Python API's train() maps its arguments the same way)."""
    from fcn_studio.training.config import TrainConfig

    lo, _, hi = args.scale.partition(",")
    return TrainConfig(
        data=args.data,
        out=args.out,
        base=args.base,
        arch=args.arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        crop_size=args.crop_size,
        lr=args.lr,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        flip=not args.no_flip,
        scale_min=float(lo),
        scale_max=float(hi or lo),
        freeze_backbone=args.freeze_backbone,
        val_split=args.val_split,
        val_dir=args.val,
        seed=args.seed,
        amp=not args.no_amp,
        device=args.device,
        precision=args.precision,
        class_names=[c.strip() for c in args.class_names.split(",")] if args.class_names else None,
        resume=args.resume,
        register_id=args.id,
        force=args.force,
        standalone=args.standalone,
    )


def _train(args: argparse.Namespace) -> int:
    from fcn_studio.cli.progress import ProgressBar
    from fcn_studio.data.dataset import scan_dataset
    from fcn_studio.training.config import EpochEvent, Event, IterationEvent, MessageEvent
    from fcn_studio.training.trainer import check_output, train

    config = train_config(args)
    check_output(config)  # an --out or --id it would refuse is said before the dataset scan
    scan_bar = ProgressBar(None, "checking dataset")
    report = scan_dataset(config.data, config.class_names, progress=lambda d, t, n: scan_bar.update(d, n, total=t))
    scan_bar.close()
    warn(report.text().replace("\n", "\nfcn-studio: "))
    if not report.ok:
        raise FCNStudioError(f"{config.data}: fix the problems above, then train again")
    bar = ProgressBar(None, "train")

    def on_event(e: Event) -> None:
        if isinstance(e, IterationEvent):
            note = f"epoch {e.epoch}/{config.epochs} loss {e.loss:.4f} {e.images_per_s:.2f} img/s"
            bar.update(round(1000 * e.progress), note, total=1000)
        elif isinstance(e, EpochEvent):
            m = e.metrics
            score = (
                f"val mIoU {100 * m['mean_iou']:.2f} pixel acc {100 * m['pixel_accuracy']:.2f}"
                if m.get("mean_iou") is not None
                else "no validation images"
            )
            bar.close()
            warn(f"epoch {e.epoch}/{e.epochs}: train loss {e.train_loss:.4f}, {score}" + (" (best)" if e.best else ""))
        elif isinstance(e, MessageEvent):
            warn(e.text)

    result = train(config, on_event, report=report)
    bar.close()
    m = result.best_metrics
    if m.get("mean_iou") is not None:
        say(
            f"best validation: pixel accuracy {100 * m['pixel_accuracy']:.2f}, mean accuracy "
            f"{100 * m['mean_accuracy']:.2f}, mean IoU {100 * m['mean_iou']:.2f}, fw IoU {100 * m['fw_iou']:.2f}"
        )
    say(
        f"wrote {result.out}"
        + (
            f"; installed as {result.registered_id} (use --model {result.registered_id})"
            if result.registered_id
            else ""
        )
    )
    return 130 if result.cancelled else 0
