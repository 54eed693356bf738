"""A fixed bilinear deconvolution computed as what it is, bilinear interpolation: the FCN's
upsampling layers hold the bilinear filter on the diagonal (the paper fixes them), so the dense
(C, C, 2s, 2s) transposed convolution does C times the work it needs. Used where the result
may differ from the dense layer by float rounding only: training a head, and drawing a head
over features already held (never the exact path, whose labels equal the reference's)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn


class BilinearUpsample(nn.Module):
    """A fixed bilinear deconvolution (stride s, kernel 2s, diagonal bilinear filter) run
    as bilinear interpolation of the zero-padded input, shifted by s/2: the same output as
    the dense (C, C, 2s, 2s) transposed convolution (to float rounding) for a fraction of
    the work, which would otherwise be most of a head step on a CPU."""

    def __init__(self, dense: nn.ConvTranspose2d) -> None:
        super().__init__()
        self.kernel_size = dense.weight.shape[-1]
        self.stride = dense.stride[0]

    @staticmethod
    def fits(dense: nn.ConvTranspose2d) -> bool:
        w = dense.weight.detach()
        c, k, s = w.shape[0], w.shape[-1], dense.stride[0]
        if w.shape[1] != c or dense.stride != (s, s) or k != 2 * s or s % 2 or dense.padding != (0, 0):
            return False
        off = w.clone()
        off[range(c), range(c)] = 0
        f = bilinear_profile(k).to(w.dtype)
        return not off.any() and torch.allclose(w[range(c), range(c)], torch.outer(f, f).expand(c, k, k), atol=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # out[o] = sum_i x[i] f[o - s i] is linear interpolation at (o + 0.5) / s - 1, i.e.
        # interpolate() of x padded by one zero, read from output index o + s/2.
        s, h, w = self.stride, x.shape[2], x.shape[3]
        y = F.interpolate(F.pad(x, (1, 1, 1, 1)), scale_factor=s, mode="bilinear", align_corners=False)
        return y[:, :, s // 2 : s // 2 + (h + 1) * s, s // 2 : s // 2 + (w + 1) * s]


def bilinear_profile(k: int) -> torch.Tensor:
    """The 1-D profile whose outer product is models.bilinear_kernel's k x k filter."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    return 1 - (torch.arange(k, dtype=torch.float64) - center).abs().float() / factor


def with_bilinear_upsampling(head: nn.Module) -> nn.Module:
    """``head`` with each upsampling layer that is the fixed bilinear one computed as
    interpolation (in place; learned deconvolutions stay as they are)."""
    for name, module in list(head.named_children()):
        if isinstance(module, nn.ConvTranspose2d) and BilinearUpsample.fits(module):
            setattr(head, name, BilinearUpsample(module))
    return head


@functools.lru_cache(maxsize=64)
def bilinear_axis(n_in: int, stride: int) -> torch.Tensor:
    """(n_out, n_in), float64: a fixed stride-s bilinear deconvolution (kernel 2s) along one
    axis, uncropped. The 2-D layer is this matrix on each axis (it is separable). Shared:
    callers index it, never write to it."""
    k = 2 * stride
    profile = bilinear_profile(k).double()
    out = torch.zeros((n_in - 1) * stride + k, n_in, dtype=torch.float64)
    for i in range(n_in):
        out[i * stride : i * stride + k, i] = profile
    return out


def upsampled_at(
    score: torch.Tensor, upsample: nn.Module, offset: int, rows: torch.Tensor, cols: torch.Tensor
) -> torch.Tensor:
    """``upsample(score)`` (score: C x h x w) cropped at ``offset``, at the given output rows
    and columns only: C x len(rows) x len(cols). A fixed bilinear layer is two small matrix
    products on the sampled rows and columns instead of the whole upsampled map."""
    if isinstance(upsample, BilinearUpsample):
        ry = bilinear_axis(score.shape[1], upsample.stride)[rows + offset].to(score.dtype)
        rx = bilinear_axis(score.shape[2], upsample.stride)[cols + offset].to(score.dtype)
        return torch.einsum("yi,cij,xj->cyx", ry, score, rx)
    full = upsample(score[None])[0]  # a learned deconvolution: the whole map, then the samples
    return full[:, rows + offset][:, :, cols + offset]
