"""How an RGB uint8 image becomes the tensor a given set of weights expects.

Every checkpoint carries one of these: the converted Caffe weights want BGR, 0-255,
mean-subtracted; torchvision's want RGB in [0, 1] with ImageNet mean and std. Mixing them
up gives garbage without any error, so the choice is never implicit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Preprocessing:
    name: str
    channel_order: str  # "RGB" or "BGR"
    scale: float  # multiply the 0-255 values by this before mean/std
    mean: tuple[float, float, float]  # in channel_order, after scaling
    std: tuple[float, float, float]

    def __post_init__(self) -> None:
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel order must be RGB or BGR, not {self.channel_order!r}")

    def to_tensor(self, image: np.ndarray) -> torch.Tensor:
        """``(H, W, 3)`` uint8 RGB -> ``(1, 3, H, W)`` float32.

        The arithmetic is done in float64 and cast once, as the reference implementations
        do, so that the same weights give the same labels bit for bit.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        x = image[:, :, ::-1] if self.channel_order == "BGR" else image
        x = x.astype(np.float64) * self.scale
        x -= np.asarray(self.mean, dtype=np.float64)
        x /= np.asarray(self.std, dtype=np.float64)
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float().unsqueeze(0)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Batched ``(N, 3, H, W)`` uint8 RGB tensor -> float32, on the tensor's device
        (the training path; inference uses :meth:`to_tensor`)."""
        if self.channel_order == "BGR":
            x = x.flip(1)
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        return (x.float() * self.scale - mean) / std

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "channel_order": self.channel_order,
            "scale": self.scale,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        return cls(
            name=str(data["name"]),
            channel_order=str(data["channel_order"]),
            scale=float(data["scale"]),
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in data["std"]),  # type: ignore[arg-type]
        )


CAFFE_BGR = Preprocessing(
    name="caffe-bgr",
    channel_order="BGR",
    scale=1.0,
    mean=(104.00698793, 116.66876762, 122.67891434),
    std=(1.0, 1.0, 1.0),
)

IMAGENET_RGB = Preprocessing(
    name="imagenet-rgb",
    channel_order="RGB",
    scale=1.0 / 255.0,
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
)

PRESETS = {p.name: p for p in (CAFFE_BGR, IMAGENET_RGB)}
