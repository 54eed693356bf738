"""VGG16 as the FCN paper uses it: padding 100, ceil-mode pools, fc6/fc7 as convolutions."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from fcn_studio.errors import FCNStudioError

# (stage, number of convs, output channels) of VGG16.
_STAGES = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))
CONV_NAMES: tuple[str, ...] = tuple(f"conv{s}_{i}" for s, n, _ in _STAGES for i in range(1, n + 1))


class VGG16Backbone(nn.Module):
    """VGG16 up to fc7, returning features at strides 8, 16 and 32 (pool3, pool4, fc7).

    conv1_1 pads by 100 so that any input, however small, survives the 7x7 fc6; the head
    crops the surplus away again.
    """

    def __init__(self, width_divisor: int = 1) -> None:
        super().__init__()
        # width_divisor > 1 gives a narrow VGG16 (same layers, kernels, strides and padding,
        # so every shape and crop offset is the real one) that tests build in milliseconds.
        if width_divisor < 1 or 64 % width_divisor:
            raise ValueError(f"width_divisor must divide 64, got {width_divisor}")
        self.width_divisor = width_divisor
        fc = 4096 // width_divisor
        self.out_channels: tuple[int, int, int] = (256 // width_divisor, 512 // width_divisor, fc)
        in_ch = 3
        for stage, n_convs, full_ch in _STAGES:
            out_ch = full_ch // width_divisor
            for i in range(1, n_convs + 1):
                padding = 100 if (stage, i) == (1, 1) else 1
                self.add_module(f"conv{stage}_{i}", nn.Conv2d(in_ch, out_ch, 3, padding=padding))
                self.add_module(f"relu{stage}_{i}", nn.ReLU(inplace=True))
                in_ch = out_ch
            self.add_module(f"pool{stage}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
        self.fc6 = nn.Conv2d(in_ch, fc, 7)
        self.relu6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout2d(0.5)
        self.fc7 = nn.Conv2d(fc, fc, 1)
        self.relu7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout2d(0.5)

    def _stage(self, x: torch.Tensor, stage: int) -> torch.Tensor:
        n_convs = _STAGES[stage - 1][1]
        for i in range(1, n_convs + 1):
            x = getattr(self, f"relu{stage}_{i}")(getattr(self, f"conv{stage}_{i}")(x))
        return getattr(self, f"pool{stage}")(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        for stage in (1, 2):
            x = self._stage(x, stage)
        pool3 = self._stage(x, 3)
        pool4 = self._stage(pool3, 4)
        x = self._stage(pool4, 5)
        x = self.drop6(self.relu6(self.fc6(x)))
        x = self.drop7(self.relu7(self.fc7(x)))
        return pool3, pool4, x


def width_divisor_of(state: Mapping[str, torch.Tensor]) -> int:
    """1 for the published VGG16 width; more for the narrow test variant (from conv1_1)."""
    weight = state.get("conv1_1.weight")
    channels = int(weight.shape[0]) if weight is not None and weight.ndim == 4 else 64
    return 64 // channels if channels and 64 % channels == 0 else 1


def is_vgg16_classifier_state(state: Mapping[str, torch.Tensor]) -> bool:
    """True for torchvision-layout VGG16 weights (features.N / classifier.N keys)."""
    return "features.0.weight" in state and "classifier.0.weight" in state


def vgg16_to_fcn_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map torchvision VGG16 weights onto the FCN backbone's names.

    The 13 convs are features.{0,2,5,...,28} in order; classifier.0 ([4096, 25088]) becomes
    fc6 ([4096, 512, 7, 7], C order) and classifier.3 becomes fc7. fc8 is dropped.
    """
    conv_keys = sorted({int(k.split(".")[1]) for k in state if k.startswith("features.") and k.endswith(".weight")})
    if len(conv_keys) != len(CONV_NAMES):
        raise FCNStudioError(
            "these VGG weights have {n} convolutions, VGG16 has {n2}: use VGG16 (not VGG11/13/19) ImageNet weights",
            n=len(conv_keys),
            n2=len(CONV_NAMES),
        )
    out: dict[str, torch.Tensor] = {}
    for name, idx in zip(CONV_NAMES, conv_keys, strict=True):
        out[f"{name}.weight"] = state[f"features.{idx}.weight"]
        out[f"{name}.bias"] = state[f"features.{idx}.bias"]
    out["fc6.weight"] = state["classifier.0.weight"].reshape(4096, 512, 7, 7)
    out["fc6.bias"] = state["classifier.0.bias"]
    out["fc7.weight"] = state["classifier.3.weight"].reshape(4096, 4096, 1, 1)
    out["fc7.bias"] = state["classifier.3.bias"]
    return out
