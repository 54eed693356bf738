"""The state ``train --resume`` continues from: one file, written atomically.

Model weights, optimizer state, the epoch they belong to, the best score so far and the
history travel together in ``OUT.last.state.pt``: a kill at any moment leaves either the
previous complete state or the new one, never weights of one epoch with the optimizer of
another. Runs of older versions wrote two files (``OUT.last.safetensors`` +
``OUT.last.state.pt``); those are still resumed, after checking they belong together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from fcn_studio.errors import FCNStudioError
from fcn_studio.files.fileio import atomic_path, write_error
from fcn_studio.messages import Message
from fcn_studio.storage.heads import SCORE_PREFIXES
from fcn_studio.training.config import legacy_model_path, state_path

FORMAT = "fcn-studio-resume/1"


@dataclass
class ResumeState:
    model: dict[str, torch.Tensor]  # a head-only run's: its score layers alone
    optimizer: dict | None  # None for a head-only run (its solver starts afresh from the saved head)
    epoch: int
    best_miou: float
    history: list[dict]
    arch: str
    num_classes: int

    @property
    def head_only(self) -> bool:
        return self.optimizer is None


def save_state(
    path: Path,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    *,
    epoch: int,
    best_miou: float,
    history: list[dict],
    arch: str,
    num_classes: int,
    config: dict,
    head_only: bool = False,
) -> None:
    """With ``head_only`` (the backbone frozen) the state is a head's size: the score layers
    alone, and no optimizer state (the L-BFGS memory would be tens of heads: the convex solver
    resumes from the saved head towards the same optimum)."""
    weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    state = {
        "format": FORMAT,
        "model": {k: v for k, v in weights.items() if k.startswith(SCORE_PREFIXES)} if head_only else weights,
        "optimizer": None if head_only else opt.state_dict(),
        "epoch": int(epoch),
        "best_miou": float(best_miou),
        "history": json.dumps(history),
        "arch": arch,
        "num_classes": int(num_classes),
        "config": json.dumps(config),
    }
    try:
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
    except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError
        needed = sum(t.numel() * t.element_size() for t in state["model"].values()) * 3  # weights + Adam moments
        raise FCNStudioError(write_error(path, exc, needed)) from None


def load_state(out: str | Path) -> ResumeState:
    """The saved state next to ``out``; FCNStudioError if missing, damaged or inconsistent."""
    path = state_path(out)
    if not path.is_file():
        if Path(out).is_file():  # stopped after its best model, before its first state
            raise FCNStudioError(
                "nothing to resume: {name} is not next to {out}; {keep_model_hint}",
                name=path.name,
                out=out,
                keep_model_hint=keep_model_hint(out),
                fix="keep-model",
            )
        raise FCNStudioError(
            "nothing to resume: {name} is not next to {out}; train again without resuming",
            fix="no-resume",
            name=path.name,
            out=out,
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any damage: the message says what to do
        from fcn_studio.storage.checkpoint import torch_load_problem

        raise FCNStudioError(
            "{path}: unreadable training state ({error}); train again without resuming",
            fix="no-resume",
            path=path,
            error=torch_load_problem(exc),
        ) from None
    if not isinstance(state, dict) or "optimizer" not in state or "epoch" not in state:
        raise FCNStudioError("{path}: not a training state; train again without resuming", fix="no-resume", path=path)
    if state.get("format") == FORMAT:
        return ResumeState(
            state["model"],
            state["optimizer"],
            int(state["epoch"]),
            float(state["best_miou"]),
            json.loads(state["history"]),
            state["arch"],
            int(state["num_classes"]),
        )
    return _legacy_state(out, state)


def load_into(state: ResumeState, model: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
    """Put a saved state into ``model`` and ``opt`` (a head-only state: the score layers,
    over the backbone the run rebuilt from its base)."""
    if not state.head_only:
        model.load_state_dict(state.model)
        opt.load_state_dict(state.optimizer)
        return
    unexpected = model.load_state_dict(state.model, strict=False).unexpected_keys
    if unexpected or not state.model:
        raise ValueError(f"not this model's score layers: {', '.join(unexpected) or 'none saved'}")


def keep_model_hint(out: str | Path) -> Message:
    """What to do with a model whose run left no resume state, keeping the model."""
    out = Path(out)
    other = out.with_name(f"{out.stem}-2{out.suffix}")
    return Message(
        "to keep it and train on from it, use it as the base and write the new model to {other}; or start over and replace it",
        out=out,
        other=other,
    )


def _legacy_state(out: str | Path, state: dict) -> ResumeState:
    from fcn_studio.storage.checkpoint import load_checkpoint

    model_path = legacy_model_path(out)
    if not model_path.is_file():
        raise FCNStudioError("nothing to resume: {name} is missing next to {out}", name=model_path.name, out=out)
    ckpt = load_checkpoint(model_path)
    model_epoch = int(ckpt.training.get("epochs_done", -1))
    if model_epoch != int(state["epoch"]):
        raise FCNStudioError(
            "cannot resume: {name} holds the weights after epoch {model_epoch} but {state_file} the optimizer after epoch {epoch} (the run was stopped between the two saves); train again without resuming, or start a new run with {out_name} as its base",
            fix="restart-or-base",
            name=model_path.name,
            model_epoch=model_epoch,
            state_file=state_path(out).name,
            epoch=state["epoch"],
            out_name=Path(out).name,
        )
    return ResumeState(
        ckpt.state_dict,
        state["optimizer"],
        model_epoch,
        float(state["best_miou"]),
        json.loads(state["history"]),
        ckpt.arch,
        ckpt.num_classes,
    )
