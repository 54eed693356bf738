"""Fine-tuning an FCN on a folder of images and masks.

Progress is reported through an ``on_event(dict)`` callback and cancellation through a
``cancelled()`` callable, so the CLI, the GUI dialog and benchmarks drive the same loop.
Checkpoints are written atomically: ``OUT`` holds the best model by validation mean IoU,
``OUT.last.state.pt`` the latest state for ``--resume`` (one file: see resume.py). One run
at a time writes an ``OUT`` (a lock), and an existing ``OUT`` or model id is only replaced
with ``force`` (``--force``).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from fcn_studio.data.dataset import (
    DatasetReport,
    MaskEncoding,
    find_label_file,
    folder_encoding,
    load_pair,
    scan_dataset,
)
from fcn_studio.data.labels import LabelSet, generic_labels, read_label_file, voc_labels
from fcn_studio.data.metrics import ConfusionMatrix, Scores
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference import precision
from fcn_studio.inference.device import choose_device
from fcn_studio.models import FCN, build_fcn, is_vgg16_classifier_state, vgg16_to_fcn_state, width_divisor_of
from fcn_studio.models.preprocessing import IMAGENET_RGB, Preprocessing
from fcn_studio.storage.checkpoint import Checkpoint, checkpoint_from_tensors, read_tensors, save_checkpoint
from fcn_studio.training import distributed, resume
from fcn_studio.training.config import EventFn, TrainConfig, TrainResult, last_paths  # noqa: F401 (the trainer's API)

BACKBONE_PREFIXES = ("conv", "fc6", "fc7")


# --------------------------------------------------------------------------- data


class SegmentationData(torch.utils.data.Dataset):
    """Image/mask pairs as uint8 tensors; training crops are augmented jointly (image and
    mask get the same scale, crop and flip), validation images come whole."""

    def __init__(self, pairs, encoding: MaskEncoding, crop: int | None, augment: TrainConfig | None, seed: int) -> None:
        self.pairs = list(pairs)
        self.encoding = encoding
        self.crop = crop
        self.augment = augment
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, mask = load_pair(*self.pairs[index], self.encoding)
        image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
        target = torch.from_numpy(mask.astype(np.int64))[None]
        if self.crop is None:
            return image, target[0]
        cfg = self.augment
        if cfg is not None and (cfg.scale_min, cfg.scale_max) != (1.0, 1.0):
            s = self.rng.uniform(cfg.scale_min, cfg.scale_max)
            size = [max(1, round(image.shape[1] * s)), max(1, round(image.shape[2] * s))]
            image = TF.resize(image, size, antialias=True)
            target = TF.resize(target, size, interpolation=v2.InterpolationMode.NEAREST)
        pad_h, pad_w = max(0, self.crop - image.shape[1]), max(0, self.crop - image.shape[2])
        if pad_h or pad_w:  # pad with ignore so the border teaches nothing
            image = TF.pad(image, [0, 0, pad_w, pad_h], fill=0)
            target = TF.pad(target, [0, 0, pad_w, pad_h], fill=255)
        top = self.rng.randint(0, image.shape[1] - self.crop)
        left = self.rng.randint(0, image.shape[2] - self.crop)
        image = image[:, top : top + self.crop, left : left + self.crop]
        target = target[:, top : top + self.crop, left : left + self.crop]
        if cfg is not None and cfg.flip and self.rng.random() < 0.5:
            image, target = image.flip(2), target.flip(2)
        return image.contiguous(), target[0].contiguous()


def split_pairs(report: DatasetReport, config: TrainConfig) -> tuple[list, list]:
    """Training and validation pairs: --val folder, VOC's val.txt, or a seeded random split."""
    if config.val_dir:
        val = scan_dataset(config.val_dir, report.class_names)
        if not val.ok:
            raise FCNStudioError(f"validation folder {config.val_dir}:\n{val.text()}")
        return report.pairs, val.pairs
    if report.layout == "voc":
        train_ids = scan_ids(report.root, "train")
        val_ids = scan_ids(report.root, "val")
        if train_ids and val_ids:
            train = [p for p in report.pairs if p[0].stem in train_ids]
            val = [p for p in report.pairs if p[0].stem in val_ids]
            if train and val:
                return train, val
    pairs = list(report.pairs)
    random.Random(config.seed).shuffle(pairs)
    n_val = 0 if len(pairs) < 2 or config.val_split <= 0 else max(1, round(len(pairs) * config.val_split))
    return pairs[n_val:], pairs[:n_val]


def checked_split(config: TrainConfig, report: DatasetReport | None) -> tuple[DatasetReport, list, list]:
    """The dataset checked (a blocking problem stops here, named by file) and split into
    training and validation pairs; the plain and the cached-feature loops share it."""
    if config.arch not in ("fcn32s", "fcn16s", "fcn8s", "fcn8s_atonce"):
        raise FCNStudioError(f"unknown architecture {config.arch!r}: choose fcn32s, fcn16s or fcn8s")
    report = report or scan_dataset(config.data, config.class_names)
    if not report.ok:
        raise FCNStudioError(f"the dataset cannot be used for training:\n{report.text()}")
    train_pairs, val_pairs = split_pairs(report, config)
    return report, train_pairs, val_pairs


def dataset_labels(report: DatasetReport, data: str) -> LabelSet:
    """The dataset's classes, with the colours of its label file when it has them (so a
    model trained on colour-coded masks draws their colours), VOC's for VOC's classes."""
    if report.class_names == list(voc_labels().classes):
        return voc_labels()
    colors = generic_labels(report.num_classes).colors
    label_file = find_label_file(Path(data))
    if label_file:
        names, file_colors = read_label_file(label_file)
        if file_colors and names == report.class_names:
            colors = tuple(file_colors)
    return LabelSet(Path(data).name, tuple(report.class_names), colors)


def validation_encoding(report: DatasetReport, config: TrainConfig, val_pairs: list) -> MaskEncoding:
    """A --val folder's masks are decoded by their own encoding, not the training folder's."""
    if not config.val_dir or not val_pairs:
        return report.encoding
    return folder_encoding(Path(val_pairs[0][1]).parent, [m for _, m in val_pairs])


def scan_ids(root: Path, split: str) -> set[str]:
    for base in (root, root / "VOC2012"):
        listing = base / "ImageSets" / "Segmentation" / f"{split}.txt"
        if listing.is_file():
            return {line.strip() for line in listing.read_text().split() if line.strip()}
    return set()


# --------------------------------------------------------------------------- model


def initial_model(config: TrainConfig, num_classes: int) -> tuple[FCN, Preprocessing, list[str]]:
    """The model to start from, the input convention its weights expect, and notes."""
    from fcn_studio.storage import weights

    notes: list[str] = []
    if config.base == "scratch":
        model = build_fcn(config.arch, num_classes, width_divisor=config.width_divisor)
        torch.manual_seed(config.seed)
        for m in model.modules():
            if isinstance(m, nn.Conv2d) and m.weight.shape[0] != num_classes:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        notes.append("starting from random weights (--base scratch): expect poor results without a long run")
        return model, IMAGENET_RGB, notes
    path, known = weights.locate_weights(config.base, backbones=True)
    tensors, meta = read_tensors(path)  # read once: a VGG16 or FCN file is ~0.5 GB
    model = build_fcn(config.arch, num_classes, width_divisor=width_divisor_of(tensors))
    if is_vgg16_classifier_state(tensors):
        model.load_state_dict(vgg16_to_fcn_state(tensors), strict=False)
        notes.append(f"backbone from VGG16 ImageNet weights ({path.name}); score layers start at zero")
        return model, known.get("preprocessing", IMAGENET_RGB), notes
    ckpt = checkpoint_from_tensors(tensors, meta, path, **known)
    own = model.state_dict()
    usable = {k: v for k, v in ckpt.state_dict.items() if k in own and own[k].shape == v.shape}
    dropped = sorted(k.split(".")[0] for k in set(ckpt.state_dict) - set(usable))
    model.load_state_dict(usable, strict=False)
    if ckpt.num_classes != num_classes:
        notes.append(f"the base predicts {ckpt.num_classes} classes, this data has {num_classes}: "
                     "score layers re-initialised")  # fmt: skip
    elif dropped:
        notes.append(f"not taken from the base: {', '.join(sorted(set(dropped)))}")
    if ckpt.arch != config.arch:
        notes.append(f"initialised {config.arch} from a {ckpt.arch} model (as the paper grows 32s -> 16s -> 8s)")
    return model, ckpt.preprocessing, notes


def trainable_parameters(model: FCN, freeze_backbone: bool) -> list[nn.Parameter]:
    params = []
    for name, p in model.named_parameters():
        # Deconvolutions stay bilinear, as in the paper; the backbone optionally frozen.
        frozen = name.startswith("upscore") or (freeze_backbone and name.startswith(BACKBONE_PREFIXES))
        p.requires_grad_(not frozen)
        if not frozen:
            params.append(p)
    return params


# --------------------------------------------------------------------------- evaluation


def evaluate(model: FCN, data: SegmentationData, pre: Preprocessing, device: torch.device, num_classes: int,
             cancelled: Callable[[], bool] | None = None) -> Scores:  # fmt: skip
    """The four paper metrics over whole validation images, from one confusion matrix."""
    cm = ConfusionMatrix(num_classes)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for i in distributed.context().shard_indices(len(data)):  # under torchrun: this rank's share
            if cancelled and cancelled():
                raise Cancelled()
            image, target = data[i]
            logits = model(pre.normalize(image[None].to(device)))
            cm.update(target.numpy(), logits.argmax(1)[0].cpu().numpy(), data.pairs[i][1].name)
    model.train(was_training)
    cm.hist = distributed.all_reduce_sum(cm.hist)  # the same matrix as one process's, on every rank
    return cm.scores()


# --------------------------------------------------------------------------- training


def _checkpoint(model: FCN, config: TrainConfig, labels: LabelSet, pre: Preprocessing, metrics: dict,
                history: list[dict], epoch: int) -> Checkpoint:  # fmt: skip
    return Checkpoint(
        arch=config.arch, num_classes=labels.num_classes, labels=labels, preprocessing=pre,
        state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()},
        provenance={"title": f"{config.arch} fine-tuned on {Path(config.data).name}", "base": config.base,
                    "data": str(Path(config.data).resolve()), "created": time.strftime("%Y-%m-%d %H:%M:%S")},
        metrics=metrics, training={**asdict(config), "epochs_done": epoch, "history": history},
    )  # fmt: skip


def train(config: TrainConfig, on_event: EventFn | None = None, cancelled: Callable[[], bool] | None = None,
          report: DatasetReport | None = None) -> TrainResult:  # fmt: skip
    """Train as ``config`` says, holding ``OUT``'s lock throughout (a second run on the same
    ``OUT`` fails at once with a clear message instead of both overwriting each other)."""
    from fcn_studio.storage.locks import exclusive

    if not _writes_outputs():
        return _train(config, on_event, cancelled, report)
    check_output(config)  # before the lock: a refusal needs no waiting
    with exclusive(config.out, f"the training output {config.out}"):
        check_output(config)
        return _train(config, on_event, cancelled, report)


def _writes_outputs() -> bool:
    """False in the worker processes of a distributed run: only rank 0 writes files."""
    import os

    return int(os.environ.get("RANK", "0") or 0) == 0


def model_id(config: TrainConfig) -> str:
    """The id the result is installed under: --id, else one made from OUT's file name."""
    from fcn_studio.storage.weights import check_id, id_from_filename

    return check_id(config.register_id) if config.register_id is not None else id_from_filename(Path(config.out).stem)


def check_output(config: TrainConfig) -> None:
    """Refuse, before any work, what would fail or silently replace a user's file at the end:
    an existing OUT or installed model id (unless ``force`` or ``resume``), an unusable id,
    an output folder that cannot be written."""
    from fcn_studio.storage.fileio import check_writable_folder, clean_stale_temporaries
    from fcn_studio.storage.weights import weights_dir

    if not _writes_outputs():
        return
    out = Path(config.out)
    weights_id = model_id(config)
    if out.is_dir():
        raise FCNStudioError(f"--out {out} is a folder; give a file name such as {out / 'model.safetensors'}")
    check_writable_folder(out.parent)
    clean_stale_temporaries(out.parent)
    if config.force or config.resume:
        return
    if out.exists():
        raise FCNStudioError(
            f"{out} exists (an earlier training's model); replace it with --force, continue it with --resume, "
            "or choose another --out"
        )
    installed = weights_dir() / f"{weights_id}.safetensors"
    if installed.exists():
        raise FCNStudioError(
            f"a model with id {weights_id!r} is already installed; replace it with --force, or choose another --id"
        )


def _train(config: TrainConfig, on_event: EventFn | None = None, cancelled: Callable[[], bool] | None = None,
           report: DatasetReport | None = None) -> TrainResult:  # fmt: skip
    ctx = distributed.context()
    if config.freeze_backbone and ctx.world_size == 1:
        # the frozen backbone's features are computed once per image and cached; epochs
        # after the first train the score layers alone (under torchrun the DDP loop runs)
        from fcn_studio.training.cached_training import train_cached

        return train_cached(config, on_event, cancelled, report)
    emit = (on_event or (lambda e: None)) if ctx.is_main else (lambda e: None)
    out = Path(config.out)
    report, train_pairs, val_pairs = checked_split(config, report)
    num_classes = report.num_classes
    labels = dataset_labels(report, config.data)
    choice = distributed.local_device(choose_device(config.device))
    device = choice.device
    model, pre, notes = initial_model(config, num_classes)
    for n in notes:
        emit({"type": "message", "text": n})
    emit({"type": "message", "text": f"{len(train_pairs)} training and {len(val_pairs)} validation images, "
          f"{num_classes} classes, on {choice.description}"})  # fmt: skip
    model.to(device).train()
    mixed = precision.for_training(config.precision, device, amp=config.amp)
    precision.guard_for_autocast(model, mixed, device)
    emit({"type": "message", "text": f"precision: {mixed.reason}"})
    params = trainable_parameters(model, config.freeze_backbone)
    net = distributed.wrap_model(model, device)  # the model itself in a single process
    if config.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    elif config.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    else:
        raise FCNStudioError(f"unknown optimizer {config.optimizer!r}: choose adam or sgd")
    scaler = torch.amp.GradScaler("cuda", enabled=mixed.precision == "fp16")  # bf16 needs no loss scaling
    start_epoch, best, history = 0, -1.0, []
    last_state = resume.state_path(out)
    if config.resume:
        start_epoch, best, history = _resume(model, opt, config)
        emit({"type": "message", "text": f"resumed after epoch {start_epoch} (best mean IoU {best:.4f})"})
    torch.manual_seed(config.seed + start_epoch)
    train_data = SegmentationData(train_pairs, report.encoding, config.crop_size, config,
                                  config.seed + start_epoch + 7919 * ctx.rank)  # fmt: skip
    val_data = SegmentationData(val_pairs, validation_encoding(report, config, val_pairs), None, None, config.seed)
    loader, sampler = train_loader(train_data, config, start_epoch, ctx, emit)
    iters_per_epoch = len(loader)
    total_iters = iters_per_epoch * max(config.epochs - start_epoch, 0)
    loss_fn = nn.CrossEntropyLoss(ignore_index=255)
    t0, done_iters, seen = time.monotonic(), 0, 0
    result = TrainResult(out, {}, history)
    epoch = start_epoch
    best_metrics: dict = {}
    try:
        for epoch in range(start_epoch + 1, config.epochs + 1):
            losses = []
            if sampler is not None:
                sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
            for it, (images, targets) in enumerate(loader, 1):
                if cancelled and cancelled():
                    raise Cancelled()
                images = pre.normalize(images.to(device, non_blocking=True))
                targets = targets.to(device, non_blocking=True)
                with precision.autocast(mixed, device):
                    loss = loss_fn(net(images).float(), targets)
                if not torch.isfinite(loss):
                    raise FCNStudioError(
                        f"the loss became {loss.item()} at epoch {epoch}: lower the learning rate (--lr)"
                    )
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                losses.append(loss.item())
                done_iters += 1
                seen += images.shape[0]
                elapsed = time.monotonic() - t0
                emit({"type": "iteration", "epoch": epoch, "iteration": it, "iterations": iters_per_epoch,
                      "loss": losses[-1], "images_per_s": seen * ctx.world_size / elapsed, "progress": done_iters / max(total_iters, 1),
                      "eta_s": elapsed / done_iters * (total_iters - done_iters)})  # fmt: skip
            scores = evaluate(model, val_data, pre, device, num_classes, cancelled) if len(val_data) else None
            metrics = scores.to_json(list(labels.classes)) if scores else {}
            record = {"epoch": epoch, "train_loss": distributed.mean_across(losses), **metrics}
            history.append(record)
            miou = metrics.get("mean_iou") if metrics else None
            improved = miou is not None and miou > best
            if improved or not out.exists() or not len(val_data):
                best = miou if miou is not None else best
                best_metrics = metrics
                if ctx.is_main:  # one writer under torchrun
                    save_checkpoint(_checkpoint(model, config, labels, pre, metrics, history, epoch), out)
            if ctx.is_main:
                _save_last(model, opt, config, history, epoch, best, last_state)
            emit({"type": "epoch", "epoch": epoch, "epochs": config.epochs, "metrics": metrics,
                  "train_loss": record["train_loss"], "best": improved})  # fmt: skip
    except (Cancelled, KeyboardInterrupt):  # Stop in the GUI, Ctrl+C on the command line
        result.cancelled = True
        # keep what was learnt: the last state for resume, and a best model if none exists yet
        if ctx.is_main:  # one writer under torchrun
            _save_last(model, opt, config, history, epoch - 1, best, last_state)
            if not out.exists():
                save_checkpoint(_checkpoint(model, config, labels, pre, {}, history, epoch - 1), out)
        emit({"type": "message", "text": f"cancelled during epoch {epoch}; checkpoints kept"})
    result.best_metrics = best_metrics or _read_metrics(out)
    result.registered_id = _register(out, config) if ctx.is_main else None
    emit({"type": "done", "out": str(out), "id": result.registered_id, "metrics": result.best_metrics,
          "cancelled": result.cancelled})  # fmt: skip
    return result


def train_loader(data: SegmentationData, config: TrainConfig, start_epoch: int, ctx: distributed.Context,
                 emit: EventFn) -> tuple[torch.utils.data.DataLoader, torch.utils.data.DistributedSampler | None]:  # fmt: skip
    """Batches of ``data``. Under torchrun each rank draws its own shard (DistributedSampler,
    reshuffled per epoch with set_epoch; every rank gets as many batches), so the global
    batch is the per-rank batch times the world size."""
    if not ctx.enabled:
        loader = torch.utils.data.DataLoader(data, batch_size=config.batch_size, shuffle=True, num_workers=0,
                                             generator=torch.Generator().manual_seed(config.seed + start_epoch),
                                             drop_last=len(data) > config.batch_size)  # fmt: skip
        return loader, None
    sampler = torch.utils.data.DistributedSampler(
        data, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=config.seed + start_epoch
    )
    emit({"type": "message", "text": f"{ctx.world_size} processes ({ctx.backend}): batch {config.batch_size} per "
          f"process, global batch {config.batch_size * ctx.world_size}; {len(sampler)} training images per process"})  # fmt: skip
    loader = torch.utils.data.DataLoader(data, batch_size=config.batch_size, sampler=sampler, num_workers=0,
                                         drop_last=len(sampler) > config.batch_size)  # fmt: skip
    return loader, sampler


def _save_last(model, opt, config, history, epoch, best, last_state) -> None:
    resume.save_state(last_state, model, opt, epoch=epoch, best_miou=best, history=history, arch=config.arch,
                      num_classes=model.num_classes, config=asdict(config))  # fmt: skip


def _resume(model: FCN, opt: torch.optim.Optimizer, config: TrainConfig) -> tuple[int, float, list]:
    state = resume.load_state(config.out)
    if state.arch != config.arch or state.num_classes != model.num_classes:
        raise FCNStudioError(
            f"{resume.state_path(config.out)}: a {state.arch} with {state.num_classes} classes cannot resume "
            f"this {config.arch} run with {model.num_classes} classes"
        )
    try:
        model.load_state_dict(state.model)
        opt.load_state_dict(state.optimizer)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise FCNStudioError(
            f"{resume.state_path(config.out)}: the saved state does not fit this run ({exc}); "
            "train again without --resume"
        ) from None
    # The best model may have been saved after the state (a stop between the two): its
    # score counts, so a worse epoch never replaces it.
    saved = _read_metrics(Path(config.out)).get("mean_iou")
    best = max(state.best_miou, saved) if isinstance(saved, float | int) and not math.isnan(saved) else state.best_miou
    return state.epoch, best, state.history


def _read_metrics(out: Path) -> dict:
    from fcn_studio.storage.fileio import read_safetensors_metadata

    try:
        return json.loads(read_safetensors_metadata(out).get("metrics", "{}"))
    except (OSError, ValueError):
        return {}


def _register(out: Path, config: TrainConfig) -> str | None:
    from fcn_studio.storage.weights import register_checkpoint

    if not out.is_file():
        return None
    return register_checkpoint(out, model_id(config))
