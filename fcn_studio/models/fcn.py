"""The FCN skip-fusion head and the FCN-32s/16s/8s models of Long, Shelhamer and Darrell."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fcn_studio.models.vgg import VGG16Backbone

ARCHITECTURES = ("fcn32s", "fcn16s", "fcn8s", "fcn8s_atonce")


def bilinear_kernel(channels: int, kernel_size: int) -> torch.Tensor:
    """A ``(C, C, k, k)`` deconvolution weight that upsamples each channel bilinearly.

    The kernel sits on the diagonal weight[i, i] so channels never mix (Caffe's "bilinear"
    filler as used by the FCN reference).
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = np.ogrid[:kernel_size, :kernel_size]
    filt = (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)
    weight = np.zeros((channels, channels, kernel_size, kernel_size), dtype=np.float64)
    weight[range(channels), range(channels)] = filt
    return torch.from_numpy(weight).float()


def _upsample(channels: int, kernel_size: int, stride: int) -> nn.ConvTranspose2d:
    layer = nn.ConvTranspose2d(channels, channels, kernel_size, stride=stride, bias=False)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(channels, kernel_size))
    return layer


def _crop(x: torch.Tensor, offset: int, height: int, width: int) -> torch.Tensor:
    return x[:, :, offset : offset + height, offset : offset + width]


@dataclass(frozen=True)
class CropOffsets:
    """Where each tensor is cropped before fusion; they depend on the backbone's padding."""

    pool4: int
    pool3: int
    final: dict[str, int]


VGG16_OFFSETS = CropOffsets(pool4=5, pool3=9, final={"fcn32s": 19, "fcn16s": 27, "fcn8s": 31})


class FCNHead(nn.Module):
    """Scores features at strides 8, 16 and 32 and fuses them as FCN-32s, -16s or -8s.

    It only needs the three feature maps and their channel counts, so any backbone that
    provides them (with its own crop offsets) can be put under it.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: tuple[int, int, int],
        arch: str,
        offsets: CropOffsets = VGG16_OFFSETS,
    ) -> None:
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"unknown FCN architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        self.arch = arch
        self.skips = {"fcn32s": 0, "fcn16s": 1}.get(arch, 2)
        # The "at-once" FCN-8s scales the skip features by fixed constants (not parameters).
        self.pool4_scale, self.pool3_scale = (0.01, 0.0001) if arch == "fcn8s_atonce" else (1.0, 1.0)
        self.offsets = offsets
        c8, c16, c32 = in_channels
        self.score_fr = nn.Conv2d(c32, num_classes, 1)
        if self.skips == 0:
            self.upscore = _upsample(num_classes, 64, 32)
            return
        self.score_pool4 = nn.Conv2d(c16, num_classes, 1)
        self.upscore2 = _upsample(num_classes, 4, 2)
        if self.skips == 1:
            self.upscore16 = _upsample(num_classes, 32, 16)
            return
        self.score_pool3 = nn.Conv2d(c8, num_classes, 1)
        self.upscore_pool4 = _upsample(num_classes, 4, 2)
        self.upscore8 = _upsample(num_classes, 16, 8)

    def _fuse(self, coarse: torch.Tensor, skip: torch.Tensor, offset: int) -> torch.Tensor:
        return coarse + _crop(skip, offset, coarse.shape[2], coarse.shape[3])

    def forward(
        self, feat8: torch.Tensor, feat16: torch.Tensor, feat32: torch.Tensor, size: tuple[int, int]
    ) -> torch.Tensor:
        score, upsample, offset = self.coarse(feat8, feat16, feat32)
        return _crop(upsample(score), offset, *size)

    def coarse(
        self, feat8: torch.Tensor, feat16: torch.Tensor, feat32: torch.Tensor
    ) -> tuple[torch.Tensor, nn.Module, int]:
        """The fused scores before the last upsampling, that layer and its crop offset: the
        logits are ``upsample(score)`` cropped at ``offset``. Apart so that a reader of a few
        pixels (the uncertainty ranking) need not upsample the whole map."""
        score = self.score_fr(feat32)
        if self.skips == 0:
            return score, self.upscore, self.offsets.final["fcn32s"]
        score = self.upscore2(score)
        score = self._fuse(score, self.score_pool4(feat16 * self.pool4_scale), self.offsets.pool4)
        if self.skips == 1:
            return score, self.upscore16, self.offsets.final["fcn16s"]
        score = self.upscore_pool4(score)
        score = self._fuse(score, self.score_pool3(feat8 * self.pool3_scale), self.offsets.pool3)
        return score, self.upscore8, self.offsets.final["fcn8s"]


class FCN(nn.Module):
    """A backbone under an :class:`FCNHead`; ``forward`` returns logits at the input size."""

    def __init__(self, backbone: nn.Module, head: FCNHead, num_classes: int) -> None:
        super().__init__()
        # The converted Caffe weights name every layer at the top level (conv1_1.weight,
        # score_fr.weight, upscore8.weight, ...). Registering the parts' layers directly on
        # the model keeps exactly those keys, so the published files load with strict=True,
        # while backbone and head stay separate pieces of code.
        for part in (backbone, head):
            for name, module in part.named_children():
                self.add_module(name, module)
        self.__dict__["backbone"] = backbone  # unregistered: its layers already are
        self.__dict__["head"] = head
        self.arch = head.arch
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(x)[0]

    def forward_with_features(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Logits and the backbone features they came from (pool3, pool4, fc7), so a caller
        that trains the head on them later does not run the backbone a second time."""
        features = self.backbone(x)
        return self.head(*features, (x.shape[2], x.shape[3])), features


def build_fcn(arch: str, num_classes: int = 21, *, width_divisor: int = 1) -> FCN:
    """FCN on VGG16 as published; score layers start at zero as in the reference.

    ``width_divisor`` > 1 divides every backbone channel count (a narrow model for tests)."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    backbone = VGG16Backbone(width_divisor)
    head = FCNHead(num_classes, backbone.out_channels, arch)
    for module in head.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.zeros_(module.weight)
            nn.init.zeros_(module.bias)
    return FCN(backbone, head, num_classes)


def fcn32s(num_classes: int = 21) -> FCN:
    return build_fcn("fcn32s", num_classes)


def fcn16s(num_classes: int = 21) -> FCN:
    return build_fcn("fcn16s", num_classes)


def fcn8s(num_classes: int = 21) -> FCN:
    return build_fcn("fcn8s", num_classes)


def detect_architecture(keys: set[str]) -> str | None:
    """Which FCN a state dict belongs to, from its upsampling layer names."""
    if "upscore8.weight" in keys:
        return "fcn8s"
    if "upscore16.weight" in keys:
        return "fcn16s"
    if "upscore.weight" in keys:
        return "fcn32s"
    return None
