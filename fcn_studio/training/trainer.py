"""Fine-tuning an FCN on a folder of images and masks: ``fcn-studio train``, the fine-tune
window and benchmarks all call :func:`train`.

It checks and splits the data, builds the starting model, picks the variant of the one loop
(engine.py): the plain loop (plain.py; under torchrun too), or with ``freeze_backbone`` the
head-only solver on cached features (head_variant.py; under torchrun too), and runs it with
the run's outputs (outputs.py). Progress is reported as typed events (config.py) through
``on_event`` and cancellation through a ``cancelled()`` callable. One run at a time writes an
``OUT`` (a lock).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from fcn_studio.data.dataset import DatasetReport
from fcn_studio.inference.device import choose_device, device_message
from fcn_studio.messages import Message
from fcn_studio.training import distributed, engine
from fcn_studio.training.base_model import initial_model, trainable_parameters  # noqa: F401 (the trainer's API)
from fcn_studio.training.config import (  # noqa: F401 (the trainer's API)
    EventFn,
    MessageEvent,
    TrainConfig,
    TrainResult,
    ignore_events,
    last_paths,
)
from fcn_studio.training.data import (  # noqa: F401 (the trainer's API)
    SegmentationData,
    checked_split,
    dataset_labels,
    split_pairs,
    validation_encoding,
)
from fcn_studio.training.outputs import RunOutputs, check_output, model_id, writes_outputs
from fcn_studio.training.plain import PlainVariant, evaluate  # noqa: F401 (the trainer's API)

log = logging.getLogger(__package__)  # one logger per package


def train(
    config: TrainConfig,
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    report: DatasetReport | None = None,
) -> TrainResult:
    """Train as ``config`` says, holding ``OUT``'s lock throughout (a second run on the same
    ``OUT`` fails at once with a clear message instead of both overwriting each other)."""
    from fcn_studio.files.locks import exclusive

    log.info(
        "training on %s -> %s (base %s, %s, %d epochs)",
        config.data,
        config.out,
        config.base,
        config.arch,
        config.epochs,
    )
    if not writes_outputs():
        return _train(config, on_event, cancelled, report)
    check_output(config)  # before the lock: a refusal needs no waiting
    from fcn_studio.storage.weights import model_path, reserved_id

    # the id too, from its check to the install: two runs under one --id never both install. An
    # OUT in the weights folder (the fine-tune window's) is the id's own file: one lock, the id's.
    same_file = Path(config.out).resolve() == model_path(model_id(config)).resolve()
    out_lock = contextlib.nullcontext() if same_file else exclusive(config.out, f"the training output {config.out}")
    with out_lock, reserved_id(model_id(config)):
        check_output(config)
        return _train(config, on_event, cancelled, report)


def split_message(train: int, val: int, classes: int, device: Message) -> Message:
    """The first line of every run: what it trains on and where."""
    return Message(
        "{train} {train:image|images} for training and {val} for validation, {classes} classes, on {device}",
        train=train,
        val=val,
        classes=classes,
        device=device,
    )


def _train(
    config: TrainConfig, on_event: EventFn | None, cancelled: Callable[[], bool] | None, report: DatasetReport | None
) -> TrainResult:
    ctx = distributed.context()
    emit = (on_event or ignore_events) if ctx.is_main else ignore_events
    report, train_pairs, val_pairs = checked_split(config, report)
    labels = dataset_labels(report, config.data)
    choice = distributed.local_device(choose_device(config.device))
    model, pre, notes = initial_model(config, labels.num_classes)
    for n in notes:
        emit(MessageEvent(n))
    emit(
        MessageEvent(split_message(len(train_pairs), len(val_pairs), labels.num_classes, device_message(choice.device)))
    )
    outputs = RunOutputs(config, labels, pre, ctx.is_main)
    if not config.freeze_backbone:
        variant = PlainVariant(config, model, pre, choice.device, report, train_pairs, val_pairs, emit)
        return engine.run(variant, outputs, labels, emit, cancelled)
    from fcn_studio.training.head_variant import dataset_variant

    head = dataset_variant(config, model, pre, choice.device, report, train_pairs, val_pairs, labels, emit)
    result = engine.run(head, outputs, labels, emit, cancelled)
    emit(
        MessageEvent(
            Message(
                "backbone passes: {runs}, cached features reused: {hits}",
                runs=head.cache.backbone_runs,
                hits=head.cache.hits,
            )
        )
    )
    return result
