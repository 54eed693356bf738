"""The head-only problem solved as what it is: a convex one.

With the backbone fixed, the logits at a pixel are a *linear* function of the score layers'
weights (1x1 convolutions of fixed features, then fixed bilinear upsamplings and crops), and
softmax cross-entropy of a linear function is convex. So instead of stochastic steps whose
size the user must guess (Adam at ``--lr 1e-3`` oscillated and ended no better than "all
background"), the head is fitted full-batch with L-BFGS and a strong-Wolfe line search: every
iteration lowers the objective, whatever ``--lr`` says, and the result depends only on the
data, the start and the seed-free arithmetic (deterministic).

Two things make it fast and well conditioned:

- The upsampling chain is separable: along each axis it is a fixed matrix R (output size x
  feature size). A layer's contribution to the logits at labelled pixel (y, x) is
  ``sum_ij Ry[y, i] S[c, i, j] Rx[x, j]`` with ``S = W F + b`` the layer's coarse scores,
  so only the labelled pixels are ever computed, never a full-size map.
- Each feature channel is scaled to unit root-mean-square (pool3 and fc7 differ by orders
  of magnitude, and channels within a layer too), a diagonal preconditioner; the weights
  are scaled back at the end.

The objective is the mean cross-entropy over every labelled pixel plus a small ridge
``(l2 / 2) * ||W' - W'_start||^2`` (in the scaled coordinates) towards the starting head, which
keeps the weights finite on separable scribbles and the result near the base where the labels
say nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from fcn_studio.data.labels import IGNORE_INDEX
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.errors import Cancelled
from fcn_studio.inference.threads import one_thread
from fcn_studio.models import FCNHead
from fcn_studio.models.bilinear import BilinearUpsample, bilinear_axis
from fcn_studio.training import distributed
from fcn_studio.training.feature_cache import Features
from fcn_studio.training.head import SCORE_LAYERS, target_at

MIN_RIDGE = 1e-2  # in scaled coordinates: keeps scribbles' separable fits finite and near the base
# (bench scenes, 6 scribbled images, 20 steps: unseen-image mIoU 0.83 at 1e-4, 0.86 at 1e-2)
ITERATIONS_PER_EPOCH = 5  # L-BFGS iterations per epoch of the loop
_LAYER_INPUT = {"score_fr": 2, "score_pool4": 1, "score_pool3": 0}  # index into (pool3, pool4, fc7)
TOLERANCE = 1e-5  # relative decrease of the objective below which a fit counts as converged


# --------------------------------------------------------------------------- geometry


def _crop(n_in: int, offset: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in): rows offset..offset+n_out of the input."""
    out = torch.zeros(n_out, n_in, dtype=torch.float64)
    out[range(n_out), range(offset, offset + n_out)] = 1
    return out


def axis_operators(head: FCNHead, sizes: Sequence[int], n: int) -> dict[str, torch.Tensor]:
    """Per score layer, the (n, feature size) matrix from its coarse scores to the output
    along one axis; ``sizes`` are the pool3, pool4 and fc7 sizes along that axis."""
    n8, n16, n32 = sizes
    off = head.offsets
    if head.skips == 0:
        up = bilinear_axis(n32, 32)
        return {"score_fr": _crop(up.shape[0], off.final["fcn32s"], n) @ up}
    up2 = bilinear_axis(n32, 2)
    fuse16 = _crop(n16, off.pool4, up2.shape[0])
    if head.skips == 1:
        up16 = bilinear_axis(up2.shape[0], 16)
        last = _crop(up16.shape[0], off.final["fcn16s"], n) @ up16
        return {"score_fr": last @ up2, "score_pool4": last @ fuse16}
    up4 = bilinear_axis(up2.shape[0], 2)
    fuse8 = _crop(n8, off.pool3, up4.shape[0])
    up8 = bilinear_axis(up4.shape[0], 8)
    last = _crop(up8.shape[0], off.final["fcn8s"], n) @ up8
    return {"score_fr": last @ up4 @ up2, "score_pool4": last @ up4 @ fuse16, "score_pool3": last @ fuse8}


def separable(head: FCNHead) -> bool:
    """True when every upsampling is the fixed bilinear one (trainable_head replaced it)."""
    return all(isinstance(m, BilinearUpsample) for name, m in head.named_children() if name.startswith("upscore"))


# --------------------------------------------------------------------------- the data


PRELOAD_BYTES = 1 << 30  # float32 features kept in memory; beyond, read from the cache per use


class PixelSample:
    """One image's labelled pixels with what their logits need: per layer, the weights of
    the upsampling chain from the coarse cells each pixel touches (a sparse matrix, as taps),
    and the features of those cells only (kept, or fetched from the feature cache at each use
    when many images would not fit in memory). Scribbles touch a fraction of the cells, so a
    solver evaluation costs that fraction of a full head pass."""

    def __init__(
        self,
        head: FCNHead,
        source: Callable[[], Features],
        features: Features,
        mask: np.ndarray,
        flipped: bool,
        keep: bool,
    ) -> None:
        target = target_at(mask, features.size, flipped)[0]
        self.ys, self.xs = ys, xs = torch.nonzero(target != IGNORE_INDEX, as_tuple=True)
        self.target = target[ys, xs]
        self._head, self._source = head, source
        maps = features.as_float("cpu")
        h, w = features.size
        ry = axis_operators(head, [m.shape[2] for m in maps], h)
        rx = axis_operators(head, [m.shape[3] for m in maps], w)
        self.taps, self.cells = {}, {}
        for name in ry:
            cols, vals = _taps(ry[name].float(), rx[name].float(), ys, xs)
            self.cells[name], local = torch.unique(cols, return_inverse=True)
            self.taps[name] = (local, vals)
        self._kept = self._touched(features) if keep else None

    @property
    def kept(self) -> bool:
        return self._kept is not None

    @property
    def pixels(self) -> int:
        return len(self.target)

    @property
    def features(self) -> dict[str, torch.Tensor]:
        """Layer -> (c, cells) float32 features of the touched cells (times the head's fixed
        skip scales)."""
        return self._kept if self._kept is not None else self._touched(self._source())

    def _touched(self, features: Features) -> dict[str, torch.Tensor]:
        maps = layer_features(self._head, features)
        return {k: maps[k].reshape(len(maps[k]), -1)[:, self.cells[k]].contiguous() for k in self.cells}


def _taps(ry: torch.Tensor, rx: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel p's coarse cells (flat index, (P, K)) and weights ``Ry[y_p, i] * Rx[x_p, j]``
    ((P, K)); a bilinear chain touches a few cells per axis, so K is at most a few dozen."""
    taps_y = int((ry != 0).sum(1).max()) if ry.numel() else 1
    taps_x = int((rx != 0).sum(1).max()) if rx.numel() else 1
    vy, iy = ry[ys].topk(taps_y, dim=1)  # the weights are non-negative
    vx, ix = rx[xs].topk(taps_x, dim=1)
    cols = (iy[:, :, None] * rx.shape[1] + ix[:, None, :]).reshape(len(ys), -1)
    return cols, (vy[:, :, None] * vx[:, None, :]).reshape(len(ys), -1).contiguous()


class PixelBatch:
    """Samples kept in memory, concatenated: their cells side by side, their taps re-indexed."""

    def __init__(self, samples: Sequence[PixelSample]) -> None:
        self.target = torch.cat([s.target for s in samples])
        self.features, self.taps = {}, {}
        for name in samples[0].taps:
            offsets = np.cumsum([0] + [len(s.cells[name]) for s in samples[:-1]])
            self.features[name] = torch.cat([s.features[name] for s in samples], dim=1)
            cells = torch.cat([s.taps[name][0] + int(o) for s, o in zip(samples, offsets, strict=True)])
            self.taps[name] = (cells, torch.cat([s.taps[name][1] for s in samples]))


def layer_features(head: FCNHead, features: Features) -> dict[str, torch.Tensor]:
    maps = features.as_float("cpu")
    scale = {"score_pool4": head.pool4_scale, "score_pool3": head.pool3_scale}
    return {name: maps[_LAYER_INPUT[name]][0] * scale.get(name, 1.0) for name in SCORE_LAYERS if hasattr(head, name)}


def pixel_samples(
    head: FCNHead, views: Sequence[tuple[Callable[[], Features], np.ndarray, bool]]
) -> list[PixelSample | None]:
    """A sample per view (feature source, full-size mask, flipped), None where it has no
    labelled pixel; features are kept in memory up to PRELOAD_BYTES in all."""
    out, kept = [], 0
    for source, mask, flipped in views:
        features = source()
        keep = kept + 2 * features.nbytes <= PRELOAD_BYTES
        sample = PixelSample(head, source, features, mask, flipped, keep)
        out.append(sample if sample.pixels else None)
        kept += 2 * features.nbytes if keep and sample.pixels else 0
    return out


class _Gather(torch.autograd.Function):
    """``out[p] = sum_k weights[p, k] * scores[cells[p, k]]``: the pixels' logits from the
    coarse cells: embedding_bag forward; a backward of its own that adds into the cells
    directly (index_add), 2-3x faster than embedding_bag's (which sorts the indices at every
    call)."""

    @staticmethod
    def forward(ctx, scores: torch.Tensor, cells: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(cells, weights)
        ctx.rows = scores.shape[0]
        return F.embedding_bag(cells, scores, per_sample_weights=weights, mode="sum")

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        cells, weights = ctx.saved_tensors
        spread = (weights[:, :, None] * grad[:, None, :]).reshape(-1, grad.shape[1])
        out = torch.zeros(ctx.rows, grad.shape[1], dtype=grad.dtype).index_add_(0, cells.reshape(-1), spread)
        return out, None, None


class ScaledHead:
    """The score layers as plain tensors in scaled coordinates (each feature channel divided
    by its root-mean-square: a diagonal preconditioner; on the bench scenes it reached in 5
    solver steps the unseen-image score one scale per layer reached in 12)."""

    def __init__(self, head: FCNHead, samples: Sequence[PixelSample]) -> None:
        self.names = [n for n in SCORE_LAYERS if hasattr(head, n)]
        self.scale = {}
        # per channel: the features' root-mean-square over this rank's samples, then every rank's
        sizes = [getattr(head, n).weight.shape[1] for n in self.names]
        sums = np.zeros(sum(sizes) + len(self.names))
        for s in samples:
            maps, at = s.features, 0
            for name, size in zip(self.names, sizes, strict=True):
                sums[at : at + size] += (maps[name].double() ** 2).sum(1).numpy()
                sums[sum(sizes) + self.names.index(name)] += maps[name].shape[1]
                at += size
        sums = distributed.all_reduce_sum(sums)
        at = 0
        for i, (name, size) in enumerate(zip(self.names, sizes, strict=True)):
            count = sums[sum(sizes) + i]
            rms = np.sqrt(sums[at : at + size] / count) if count else np.ones(size)
            self.scale[name] = torch.from_numpy(np.maximum(rms, 1e-3 * max(float(rms.max()), 1e-6))).float()
            at += size
        self.weights = {
            n: (getattr(head, n).weight.detach()[:, :, 0, 0].cpu() * self.scale[n]).clone() for n in self.names
        }
        self.biases = {n: getattr(head, n).bias.detach().cpu().clone() for n in self.names}
        self.start = {n: w.clone() for n, w in self.weights.items()}
        for t in self.parameters():
            t.requires_grad_(True)

    def load(self, head: FCNHead) -> None:
        """Take ``head``'s current weights (a resumed run), in place: the optimizer keeps them."""
        with torch.no_grad():
            for n in self.names:
                self.weights[n].copy_(getattr(head, n).weight.detach()[:, :, 0, 0].cpu() * self.scale[n])
                self.biases[n].copy_(getattr(head, n).bias.detach().cpu())

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights.values(), *self.biases.values()]

    def logits(self, s: PixelSample) -> torch.Tensor:
        """(P, C) logits at the sample's labelled pixels."""
        total = 0
        maps = s.features
        for name in self.names:
            scores = (self.weights[name] / self.scale[name]) @ maps[name] + self.biases[name][:, None]
            total = total + _Gather.apply(scores.T.contiguous(), *s.taps[name])
        return total

    def ridge(self) -> torch.Tensor:
        return sum(((self.weights[n] - self.start[n]) ** 2).sum() for n in self.names)

    def write_to(self, head: FCNHead) -> None:
        with torch.no_grad():
            for n in self.names:
                layer = getattr(head, n)
                layer.weight.copy_((self.weights[n] / self.scale[n])[:, :, None, None].to(layer.weight))
                layer.bias.copy_(self.biases[n].to(layer.bias))


# --------------------------------------------------------------------------- the solver


class HeadSolver:
    """Full-batch L-BFGS over the labelled pixels of ``samples`` (this rank's share under
    torchrun: losses and gradients are summed over ranks inside the closure, so every rank
    takes the same steps)."""

    def __init__(
        self,
        head: FCNHead,
        samples: Sequence[PixelSample],
        l2: float = MIN_RIDGE,
        iterations: int = ITERATIONS_PER_EPOCH,
    ) -> None:
        self.head, self.samples = head, list(samples)
        self.l2 = max(l2, MIN_RIDGE)
        self.scaled = ScaledHead(head, self.samples)
        # the samples in memory as one: a few large operations per evaluation, not many small ones
        kept = [s for s in self.samples if s.kept]
        self._terms = ([PixelBatch(kept)] if kept else []) + [s for s in self.samples if not s.kept]
        local = sum(s.pixels for s in self.samples)
        self.pixels = int(distributed.all_reduce_sum(np.array([local], np.int64))[0])
        self.optimizer = torch.optim.LBFGS(
            self.scaled.parameters(),
            lr=1.0,
            max_iter=iterations,
            history_size=20,
            tolerance_grad=1e-7,
            tolerance_change=1e-10,
            line_search_fn="strong_wolfe",
        )
        self.start_loss: float | None = None
        self.loss = float("nan")
        self.converged = False  # a step no longer lowers the objective measurably: later steps are free

    def objective(self, cancelled: Callable[[], bool] | None = None) -> torch.Tensor:
        """Mean cross-entropy + ridge, with its gradient accumulated: the samples kept in
        memory in one pass, the others one at a time."""
        self.optimizer.zero_grad(set_to_none=False)
        total = torch.zeros((), dtype=torch.float64)
        for term in self._terms:
            if cancelled and cancelled():
                raise Cancelled()
            loss = F.cross_entropy(self.scaled.logits(term), term.target, reduction="sum") / max(self.pixels, 1)
            total += loss.detach().double()
            loss.backward()
        params = self.scaled.parameters()
        if distributed.context().enabled:
            flat = torch.cat([total.reshape(1), *[p.grad.reshape(-1).double() for p in params]])
            flat = torch.from_numpy(distributed.all_reduce_sum(flat.numpy()))
            total = flat[0]
            offset = 1
            for p in params:
                p.grad.copy_(flat[offset : offset + p.numel()].reshape(p.shape))
                offset += p.numel()
        ridge = 0.5 * self.l2 * self.scaled.ridge()
        ridge.backward()
        return (total + ridge.detach().double()).float()

    def step(self, cancelled: Callable[[], bool] | None = None) -> float:
        """Up to ITERATIONS_PER_EPOCH L-BFGS iterations; the objective after them."""
        with one_thread(), torch.enable_grad():
            if self.start_loss is None:
                self.start_loss = self.loss = float(self.objective(cancelled))
            if not self.pixels or self.converged:
                return self.loss
            before = self.loss
            self.optimizer.step(lambda: self.objective(cancelled))
            self.loss = float(self.objective(cancelled))
        if not np.isfinite(self.loss):  # cannot happen with a line search; kept as a guard
            raise FloatingPointError("the head objective became non-finite")
        self.converged = before - self.loss <= TOLERANCE * max(abs(self.loss), 1.0)
        self.scaled.write_to(self.head)
        return self.loss


def warm_up() -> None:
    """Pay the first optimizer's one-time cost now: torch.optim imports torch._dynamo (and
    sympy) when the first optimizer is made, 1-6 s on a 2-core CPU, which would otherwise fall
    on the user's first "Fine-tune" click (seen in a profile of the window's round 1)."""
    torch.optim.LBFGS([torch.zeros(1, requires_grad=True)])


def pixel_confusion(scaled_or_head: ScaledHead, samples: Sequence[PixelSample], num_classes: int) -> ConfusionMatrix:
    """The confusion matrix of the head's labels at the samples' labelled pixels."""
    cm = ConfusionMatrix(num_classes)
    with torch.no_grad(), one_thread():
        for s in samples:
            cm.update(s.target.numpy(), scaled_or_head.logits(s).argmax(1).numpy())
    return cm
