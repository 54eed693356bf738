"""The approximate bf16 inference mode (a CPU with native bf16: see precision.py, which
decides where it is offered): a bf16 copy of the backbone under the exact fp32 head, served
by the predictor as it serves the int8 mode, and the label agreement both are judged by."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def to_bf16_model(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` in bf16 and channels_last (oneDNN's fastest layout for bf16 convolutions)."""
    import torch

    return model.to(torch.bfloat16).to(memory_format=torch.channels_last).eval()


def label_agreement(reference: Sequence, candidate: Sequence) -> float:
    """Share of pixels whose labels are identical, over all pairs of label maps."""
    same = sum(int((a == b).sum()) for a, b in zip(reference, candidate, strict=True))
    return same / max(1, sum(a.size for a in reference))


class Bf16Path:
    """The approximate bf16 mode, with the interface of the CPU's fast paths
    (:class:`~fcn_studio.inference.runtime.FastPath`), so the predictor serves it as it
    serves the int8 mode: ``ready()``, ``features(x)``, ``kind``, ``agreement``,
    ``describe()``. Like them it computes the backbone's features; the head (score layers
    and upsampling) stays the exact fp32 one.

    It holds its own bf16 copy of the backbone (half of fp32's bytes); the fp32 one stays
    for the exact features Label mode caches. Its label agreement with fp32 is measured on
    ``checks`` (preprocessed images) when it is made.
    """

    kind = "torch-bf16"  # the backend id of its results (runtime.BACKEND_NAMES: "torch bf16")
    precision = "bf16"
    approximate = True
    error: str | None = None
    loaded_from_cache = False

    def __init__(self, model: torch.nn.Module, checks: Sequence[torch.Tensor] = ()) -> None:
        """``model``: the exact fp32 FCN (its ``backbone`` and ``head``)."""
        import copy

        import torch

        self.head = model.head
        self.device = next(model.parameters()).device
        self.backbone = to_bf16_model(copy.deepcopy(model.backbone).float())
        self.weight_bytes = sum(p.numel() * p.element_size() for p in self.backbone.parameters())
        self.notes: list[str] = []
        self.agreement: float | None = None
        if checks:
            with torch.inference_mode():
                exact = [model(x.to(self.device)).argmax(1)[0].cpu().numpy() for x in checks]
                approx = [self._labels(x) for x in checks]
            self.agreement = label_agreement(exact, approx)

    @property
    def label(self) -> str:
        return "torch bf16"

    def _labels(self, x: torch.Tensor):
        return self.head(*self.features(x), (x.shape[2], x.shape[3])).argmax(1)[0].cpu().numpy()

    def ready(self) -> bool:
        return True

    def is_cached(self) -> bool:
        return True

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def close(self) -> None:
        return None

    def wait(self, timeout: float | None = None, cancelled=None) -> bool:
        return True

    def describe(self) -> str:
        agreement = (
            f"{100 * self.agreement:.1f} % label agreement on its check images"
            if self.agreement is not None
            else "label agreement not measured"
        )
        return f"{self.label} (approximate, {agreement}); its own weight copy: {self.weight_bytes / 2**20:.0f} MB"

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(1, 3, H, W)`` float32 (preprocessed) -> the backbone's (pool3, pool4, fc7), float32."""
        import torch

        xb = x.to(self.device, torch.bfloat16).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return tuple(f.float().contiguous() for f in self.backbone(xb))
