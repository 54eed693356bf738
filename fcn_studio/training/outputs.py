"""What a training run leaves behind, for every variant of the loop: ``OUT`` (the best model
by validation mean IoU), ``OUT.last.state.pt`` (the state ``--resume`` continues from, see
resume.py), and the installed model. Only rank 0 of a torchrun job writes.

Refusals come first (:func:`check_output`): an existing ``OUT`` or model id is only replaced
with ``force`` (``--force``), so a run never silently replaces a user's file at its end.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import torch

from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.models import FCN
from fcn_studio.models.preprocessing import Preprocessing
from fcn_studio.storage.checkpoint import Checkpoint, save_checkpoint
from fcn_studio.storage.titles import fine_tuned_title
from fcn_studio.training import resume
from fcn_studio.training.config import TrainConfig


def writes_outputs() -> bool:
    """False in the worker processes of a distributed run: only rank 0 writes files."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def model_id(config: TrainConfig) -> str:
    """The id the result is installed under: --id, else one made from OUT's file name."""
    from fcn_studio.storage.model_ids import id_from_filename
    from fcn_studio.storage.weights import check_id

    return check_id(config.register_id) if config.register_id is not None else id_from_filename(Path(config.out).stem)


def check_output(config: TrainConfig) -> None:
    """Refuse, before any work, what would fail or silently replace a user's file at the end:
    an existing OUT or installed model id (unless ``force`` or ``resume``), an unusable id,
    an output folder that cannot be written."""
    from fcn_studio.files.fileio import check_writable_folder, clean_stale_temporaries
    from fcn_studio.storage.weights import weights_dir

    if not writes_outputs():
        return
    out = Path(config.out)
    weights_id = model_id(config)
    if out.is_dir():
        raise FCNStudioError(
            "{out} is a folder; give a file name for the model, such as {example}",
            fix="out-file",
            out=out,
            example=out / "model.safetensors",
        )
    check_writable_folder(out.parent)
    clean_stale_temporaries(out.parent)
    if config.force or config.resume:
        return
    if out.exists():
        if not resume.state_path(out).exists():  # stopped before its first resume state: --resume has nothing
            raise FCNStudioError(
                "{out} exists (an earlier training's model, with no state to resume); {keep_model_hint}",
                out=out,
                keep_model_hint=resume.keep_model_hint(out),
                fix="keep-model",
            )
        raise FCNStudioError(
            "{out} exists (an earlier training's model); replace it, continue it, or choose another output file",
            fix="out-exists",
            out=out,
        )
    installed = weights_dir() / f"{weights_id}.safetensors"
    if installed.exists():
        raise FCNStudioError(
            "a model with id {weights_id!r} is already installed; choose another id, or replace it",
            fix="other-id-or-replace",
            weights_id=weights_id,
        )


def read_metrics(out: Path) -> dict:
    """The scores recorded in a written model (``{}`` when there is none)."""
    from fcn_studio.files.fileio import read_safetensors_metadata

    try:
        return json.loads(read_safetensors_metadata(out).get("metrics", "{}"))
    except (OSError, ValueError):
        return {}


class RunOutputs:
    """The files of one run: the best model, the resumable state, the installed id."""

    def __init__(self, config: TrainConfig, labels: LabelSet, pre: Preprocessing, is_main: bool = True) -> None:
        from fcn_studio.training.head_output import head_base_of_run

        self.config, self.labels, self.pre, self.is_main = config, labels, pre, is_main
        self.out = Path(config.out)
        self.state = resume.state_path(self.out)
        # a head-only run over an installed base writes its score layers over that base (head_output.py)
        self.head_base = head_base_of_run(config) if is_main else None

    def checkpoint(self, model: FCN, metrics: dict, history: list[dict], epoch: int) -> Checkpoint:
        config = self.config
        return Checkpoint(
            arch=config.arch,
            num_classes=self.labels.num_classes,
            labels=self.labels,
            preprocessing=self.pre,
            state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()},
            provenance={
                "title": fine_tuned_title(config.arch, Path(config.data).name).english(),
                "base": config.base,
                "data": str(Path(config.data).resolve()),
                "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            metrics=metrics,
            training={**asdict(config), "epochs_done": epoch, "history": history},
        )

    def save_best(self, model: FCN, metrics: dict, history: list[dict], epoch: int) -> None:
        if not self.is_main:  # one writer under torchrun
            return
        checkpoint = self.checkpoint(model, metrics, history, epoch)
        if self.head_base is not None:
            from fcn_studio.training.head_output import write_trained_head

            write_trained_head(checkpoint, self.head_base, self.out)
        else:
            save_checkpoint(checkpoint, self.out)

    def save_last(self, model: FCN, opt: torch.optim.Optimizer, history: list[dict], epoch: int, best: float) -> None:
        if self.is_main:
            resume.save_state(
                self.state,
                model,
                opt,
                epoch=epoch,
                best_miou=best,
                history=history,
                arch=self.config.arch,
                num_classes=model.num_classes,
                config=asdict(self.config),
                head_only=self.config.freeze_backbone,
            )

    def resume_into(self, model: FCN, opt: torch.optim.Optimizer) -> tuple[int, float, list]:
        """Load the saved state into ``model`` and ``opt``: (epochs done, best mean IoU, history)."""
        config = self.config
        state = resume.load_state(config.out)
        if state.arch != config.arch or state.num_classes != model.num_classes:
            raise FCNStudioError(
                "{state}: a {arch} with {num_classes} classes cannot resume this {run_arch} run with {run_classes} classes",
                state=self.state,
                arch=state.arch,
                num_classes=state.num_classes,
                run_arch=config.arch,
                run_classes=model.num_classes,
            )
        if state.head_only and not config.freeze_backbone:
            raise FCNStudioError(
                "{path}: the saved state is that of a run with the backbone frozen; resume it with the backbone "
                "frozen, or train again without resuming",
                path=self.state,
            )
        try:
            resume.load_into(state, model, opt)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise FCNStudioError(
                "{state}: the saved state does not fit this run ({error}); train again without resuming",
                fix="no-resume",
                state=self.state,
                error=exc,
            ) from None
        # The best model may have been saved after the state (a stop between the two): its
        # score counts, so a worse epoch never replaces it.
        saved = read_metrics(self.out).get("mean_iou")
        valid = isinstance(saved, float | int) and not math.isnan(saved)
        return state.epoch, max(state.best_miou, saved) if valid else state.best_miou, state.history

    def register(self) -> str | None:
        """Install OUT under the run's id (rank 0 only); None when there is nothing to install.
        A head-only run over an installed base is installed as a head file over it."""
        from fcn_studio.labelling.versions import register_trained
        from fcn_studio.storage.weights import register_checkpoint

        if not self.is_main or not self.out.is_file():
            return None
        if self.head_base is not None:  # OUT is a head file over an installed base: installed as it is
            return register_checkpoint(self.out, model_id(self.config))
        if self.config.freeze_backbone:
            return register_trained(self.out, self.config.base, model_id(self.config))
        return register_checkpoint(self.out, model_id(self.config))
