"""Training on several processes, GPUs and machines under ``torchrun`` (torch.distributed).

Nothing here launches processes: ``torchrun`` starts one process per GPU (or per CPU
worker) and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; this module
joins that job (NCCL on CUDA, gloo on the CPU), wraps the model in
DistributedDataParallel, shards the data, and sums what must be summed. Started without
torchrun, every function here is the identity and the trainer runs exactly as before.

A rank that fails exits with its message; torchrun then stops the other ranks. A rank
that waits for a peer that will never come gives up after ``FCN_STUDIO_DIST_TIMEOUT``
seconds (default 600) instead of hanging.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist

from fcn_studio import environment
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.device import DeviceChoice, describe

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None  # None: a single process, no process group

    @property
    def enabled(self) -> bool:
        return self.backend is not None

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that prints, writes checkpoints and registers the model."""
        return self.rank == 0

    def shard_indices(self, n: int) -> range:
        """This rank's share of ``n`` items (evaluation: every item exactly once overall)."""
        return range(self.rank, n, self.world_size)


_context = Context()


def context() -> Context:
    return _context


def launched_by_torchrun() -> bool:
    return all(name in os.environ for name in _ENV)


def init_from_env(device: str = "auto") -> Context:
    """Join the torchrun job this process belongs to (no-op when there is none)."""
    global _context
    if _context.enabled or not launched_by_torchrun():
        return _context
    rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if use_cuda and torch.cuda.is_available():
        torch.cuda.set_device(local % torch.cuda.device_count())
    backend = "nccl" if use_cuda and torch.cuda.is_available() else "gloo"
    timeout = timedelta(seconds=environment.read(environment.DIST_TIMEOUT))
    try:
        dist.init_process_group(backend, timeout=timeout)
    except (RuntimeError, ValueError) as exc:
        raise FCNStudioError(
            "rank {rank}: could not join the torchrun job ({error}); check that every machine runs the same command with the same rendezvous endpoint (MASTER_ADDR/MASTER_PORT)",
            fix="rendezvous",
            rank=rank,
            error=exc,
        ) from None
    _context = Context(rank, world, local, backend)
    return _context


def shutdown() -> None:
    global _context
    if _context.enabled and dist.is_initialized():
        dist.destroy_process_group()
    _context = Context()


def local_device(choice: DeviceChoice) -> DeviceChoice:
    """Each rank on its own GPU (LOCAL_RANK); the CPU stays the CPU."""
    ctx = _context
    if not ctx.enabled or choice.device.type != "cuda":
        return choice
    device = torch.device("cuda", ctx.local_rank % torch.cuda.device_count())
    return DeviceChoice(device, describe(device))


def wrap_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` (whose trainable parameters are already
    chosen); the model itself when not distributed. DDP copies rank 0's weights to every
    rank, so all start from the same state."""
    if not _context.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def _collective_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if _context.backend == "nccl" else torch.device("cpu")


def all_reduce_sum(array: np.ndarray) -> np.ndarray:
    """The element-wise sum of ``array`` over all ranks (an int64 confusion matrix, say)."""
    if not _context.enabled:
        return array
    tensor = torch.from_numpy(np.array(array, copy=True)).to(_collective_device())  # never in place
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.cpu().numpy().astype(array.dtype, copy=False)


def mean_across(values: Sequence[float]) -> float:
    """The mean of every rank's values together (the epoch's training loss)."""
    if not _context.enabled:
        return float(np.mean(values)) if len(values) else math.nan
    total, count = all_reduce_sum(np.array([float(np.sum(values)), float(len(values))], dtype=np.float64))
    return float(total / count) if count else math.nan


@contextlib.contextmanager
def quiet_unless_main() -> Iterator[None]:
    """Only rank 0 prints; the others stay silent unless they fail (their error is
    printed by the caller after this block)."""
    if _context.is_main:
        yield
        return
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        yield
