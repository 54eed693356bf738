"""What a training run is asked to do: plain settings, importable without torch (the
fine-tune window builds one on the GUI thread, where importing torch would stall it)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.messages import Message

# --------------------------------------------------------------------------- events
# What a run reports while it works, as typed records: the CLI, the fine-tune window and
# Label mode match on the class, and a training process sends them over a queue (pickled).


@dataclass(frozen=True)
class MessageEvent:
    """A line for the user's log (notes on the base, the split, the device, cancelling)."""

    text: str | Message  # a Message is shown in the interface's language


@dataclass(frozen=True)
class IterationEvent:
    """One training step done."""

    epoch: int
    iteration: int  # 1-based within the epoch
    iterations: int  # steps per epoch
    loss: float  # nan when the step had nothing labelled
    images_per_s: float
    progress: float  # 0..1 over the whole run
    eta_s: float


@dataclass(frozen=True)
class EpochEvent:
    """An epoch done: its mean training loss and validation scores (``{}`` without any)."""

    epoch: int
    epochs: int
    train_loss: float
    metrics: dict = field(default_factory=dict)
    best: bool = False  # the best model so far, written to OUT


@dataclass(frozen=True)
class DoneEvent:
    """The run ended: where its model went (a file and/or an installed id) and its scores."""

    out: str | None
    id: str | None
    metrics: dict = field(default_factory=dict)
    cancelled: bool = False


@dataclass(frozen=True)
class ProcessEvent:
    """Which process trains (the app's training child announces itself; tests, logs)."""

    pid: int


Event = MessageEvent | IterationEvent | EpochEvent | DoneEvent | ProcessEvent
EventFn = Callable[[Event], None]


def ignore_events(_event: Event) -> None:
    """The sink of a run nobody watches (and of the silent ranks under torchrun)."""


@dataclass
class TrainConfig:
    data: str
    out: str
    base: str = "vgg16-imagenet"  # installed id or file; VGG16 or FCN weights; "scratch" = random
    arch: str = "fcn8s"
    epochs: int = 10
    batch_size: int = 2
    crop_size: int = 320
    lr: float = 1e-4
    optimizer: str = "adam"  # "adam" or "sgd"
    weight_decay: float = 5e-4
    momentum: float = 0.9
    flip: bool = True
    scale_min: float = 0.75
    scale_max: float = 1.25
    freeze_backbone: bool = False
    val_split: float = 0.2
    val_dir: str | None = None
    seed: int = 0
    amp: bool = True  # mixed precision, CUDA only
    # "auto": bf16 autocast on a CPU with native bf16 where it measures faster, else fp32;
    # fp16 AMP on CUDA (inference/precision.py). "fp32" or "bf16" force one.
    precision: str = "auto"
    device: str = "auto"
    class_names: list[str] | None = None
    resume: bool = False
    register_id: str | None = None  # id under which the result is installed (default: OUT's stem)
    force: bool = False  # replace an existing OUT and an installed model with the same id
    # a head-only run over an installed base writes a head file of kilobytes at OUT; True: the whole network
    standalone: bool = False
    width_divisor: int = 1  # with --base scratch only: >1 builds a narrow VGG16 (tests, experiments)

    def command_line(self) -> str:
        """The equivalent ``fcn-studio train`` call (reproducing a GUI run)."""
        d = TrainConfig(self.data, self.out)
        args = [
            "fcn-studio",
            "train",
            "--data",
            self.data,
            "--out",
            self.out,
            "--base",
            self.base,
            "--arch",
            self.arch,
            "--epochs",
            str(self.epochs),
        ]
        for name in (
            "batch_size",
            "crop_size",
            "lr",
            "optimizer",
            "weight_decay",
            "val_split",
            "seed",
            "device",
            "precision",
        ):
            if getattr(self, name) != getattr(d, name):
                args += [f"--{name.replace('_', '-')}", str(getattr(self, name))]
        if (self.scale_min, self.scale_max) != (d.scale_min, d.scale_max):
            args += ["--scale", f"{self.scale_min},{self.scale_max}"]
        flags = {
            "freeze_backbone": "--freeze-backbone",
            "standalone": "--standalone",
            "resume": "--resume",
            "force": "--force",
        }
        args += [flag for name, flag in flags.items() if getattr(self, name)]
        if not self.flip:
            args.append("--no-flip")
        if not self.amp:
            args.append("--no-amp")
        if self.val_dir:
            args += ["--val", self.val_dir]
        if self.class_names:
            args += ["--class-names", ",".join(self.class_names)]
        if self.register_id:
            args += ["--id", self.register_id]
        return shlex.join(args)


@dataclass
class TrainResult:
    """What a run leaves: torch-free, so the app can receive it from a training process
    without importing the trainer (and torch) into the window's process."""

    out: Path
    best_metrics: dict
    history: list[dict] = field(default_factory=list)
    registered_id: str | None = None
    cancelled: bool = False


def state_path(out: str | Path) -> Path:
    """``OUT.last.state.pt``: the one file ``--resume`` continues from."""
    stem = Path(out).with_suffix("")
    return stem.with_name(stem.name + ".last.state.pt")


def legacy_model_path(out: str | Path) -> Path:
    """``OUT.last.safetensors``: the weights half of older versions' two-file state."""
    stem = Path(out).with_suffix("")
    return stem.with_name(stem.name + ".last.safetensors")


def last_paths(out: str | Path) -> tuple[Path, Path]:
    """The resume files of older versions (weights, optimizer); now only the second is written."""
    return legacy_model_path(out), state_path(out)
