"""Fine-tuning from a script: :func:`train`, with the command line's option names."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fcn_studio.api.model import Model
    from fcn_studio.training.config import TrainConfig


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        out: the best checkpoint's file (the ``out`` given).
        id: the installed model's id (load it with ``load_model(result.id)``), or None
            when it was not installed.
        metrics: the best epoch's validation scores, each 0 to 1: ``pixel_accuracy``,
            ``mean_accuracy``, ``mean_iou``, ``fw_iou`` (empty without validation images).
        history: one dict per epoch: ``epoch``, ``train_loss`` and the validation scores.
        cancelled: True when the run was stopped before its last epoch (the best model so
            far is still written).
    """

    out: Path
    id: str | None
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    cancelled: bool = False

    def load_model(self, device: object = "auto", **options) -> Model:
        """The trained model, loaded: ``load_model(self.id or self.out, device, **options)``."""
        from fcn_studio.api.model import load_model

        return load_model(self.id or self.out, device, **options)


def train(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    base: str = "vgg16-imagenet",
    arch: str = "fcn8s",
    epochs: int = 10,
    batch_size: int = 2,
    crop_size: int = 320,
    lr: float = 1e-4,
    optimizer: str = "adam",
    weight_decay: float = 5e-4,
    scale: tuple[float, float] | str = (0.75, 1.25),
    no_flip: bool = False,
    freeze_backbone: bool = False,
    standalone: bool = False,
    val_split: float = 0.2,
    val: str | os.PathLike[str] | None = None,
    class_names: Sequence[str] | str | None = None,
    seed: int = 0,
    no_amp: bool = False,
    precision: str = "auto",
    device: object = "auto",
    resume: bool = False,
    force: bool = False,
    allow_outside: bool = False,
    id: str | None = None,  # the command line's --id
    on_event: Callable[[object], None] | None = None,
) -> TrainResult:
    """Fine-tune an FCN on a folder of images and masks, as ``fcn-studio train`` does.

    Every option is the command line's, by its long name with dashes as underscores
    (``--batch-size`` -> ``batch_size``, ``--no-flip`` -> ``no_flip``, ``--id`` -> ``id``);
    ``fcn-studio train --help`` and the README's "Fine-tuning" section say what each does.

    Args:
        data: the training folder: Label mode's (photos + ``masks/``), VOC, Carvana, or
            ``images/`` + ``masks/``; it is checked first, as the command line does.
        out: the best checkpoint's file (.safetensors).
        base: an installed id or weights file to start from (VGG16 or FCN), a version of an
            installed model ("garden@v2"), or "scratch".
        scale: the random scale range, (low, high) or "low,high"; (1, 1) is off.
        val: a separate validation folder (instead of ``val_split``).
        class_names: the class names (a list, or "a,b,c"); default: the folder's
            classes.txt, else class 0..N-1.
        id: install the result under this id (default: ``out``'s file name).
        on_event: called with each progress event (fcn_studio.training.config:
            IterationEvent, EpochEvent, MessageEvent, DoneEvent).
        arch, epochs, batch_size, crop_size, lr, optimizer, weight_decay, no_flip,
            freeze_backbone, standalone, val_split, seed, no_amp, precision, device, resume, force,
            allow_outside: as ``--arch``, ``--epochs`` ... on the command line.

    Returns:
        A :class:`TrainResult`: where the model went, its id and its scores.

    Raises:
        FCNStudioError: the dataset has problems (the message lists them), ``out`` or
            ``id`` exists (pass ``force=True`` to replace them), the base is unknown.
        TypeError: an option that ``fcn-studio train`` does not have.

    Example:
        >>> from fcn_studio import train
        >>> run = train("my-photos", "garden.safetensors", base="fcn8s-voc",
        ...             freeze_backbone=True, epochs=5, id="garden")  # doctest: +SKIP
        >>> run.metrics["mean_iou"], run.load_model().predict("photo.jpg")  # doctest: +SKIP
    """
    from fcn_studio.api.inputs import device_name

    config = _config(locals() | {"device": device_name(device)})
    if not allow_outside:
        return _run(config, on_event)
    from fcn_studio import environment

    with environment.set_for_now(environment.ALLOW_OUTSIDE, "1"):
        return _run(config, on_event)


def _config(options: dict) -> TrainConfig:
    """The command line's options -> the trainer's TrainConfig (as cli/train.py maps them)."""
    from fcn_studio.training.config import TrainConfig

    low, high = _scale(options["scale"])
    names = options["class_names"]
    if isinstance(names, str):
        names = [c.strip() for c in names.split(",")]
    plain = ("base", "arch", "epochs", "batch_size", "crop_size", "lr", "optimizer", "weight_decay")
    plain += ("freeze_backbone", "standalone", "val_split", "seed", "precision", "device", "resume", "force")
    return TrainConfig(
        data=os.fspath(Path(options["data"])),
        out=os.fspath(Path(options["out"])),
        flip=not options["no_flip"],
        scale_min=low,
        scale_max=high,
        val_dir=os.fspath(options["val"]) if options["val"] is not None else None,
        amp=not options["no_amp"],
        class_names=list(names) if names is not None else None,
        register_id=options["id"],
        **{name: options[name] for name in plain},
    )


def _scale(scale: tuple[float, float] | str) -> tuple[float, float]:
    if isinstance(scale, str):
        low, _, high = scale.partition(",")
        return float(low), float(high or low)
    low, high = scale
    return float(low), float(high)


def _run(config: TrainConfig, on_event) -> TrainResult:
    from fcn_studio.data.dataset import scan_dataset
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.training.trainer import check_output
    from fcn_studio.training.trainer import train as run_training

    check_output(config)
    report = scan_dataset(config.data, config.class_names)
    if not report.ok:
        raise FCNStudioError(
            "{path}: the dataset has problems; fix them, then train again:\n{report}",
            path=config.data,
            report=report.lines(),
        )
    done = run_training(config, on_event, report=report)
    return TrainResult(
        Path(done.out), done.registered_id, dict(done.best_metrics), list(done.history), bool(done.cancelled)
    )
