"""An FCN's head as a thing of its own: its three 1x1 score layers (score_fr, score_pool4,
score_pool3) train, its deconvolutions stay bilinear as in the paper, and it runs on the
backbone features the feature cache keeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from fcn_studio.data.labels import LabelSet
from fcn_studio.models import FCN, FCNHead, bilinear_kernel
from fcn_studio.models.bilinear import BilinearUpsample
from fcn_studio.training.feature_cache import Features

SCORE_LAYERS = ("score_fr", "score_pool4", "score_pool3")


@dataclass
class LabelledImage:
    image: Path
    mask: np.ndarray  # (H, W) uint8, 255 = unlabelled


def trainable_head(model: FCN, model_classes: Sequence[str], labels: LabelSet) -> FCNHead:
    """A copy of ``model``'s head that predicts ``labels``' classes: the score rows of
    classes the model already knows (by name) are copied, new classes start at zero as in
    the paper. Only the score layers require gradients."""
    c8, c16, c32 = model.backbone.out_channels
    head = FCNHead(labels.num_classes, (c8, c16, c32), model.arch, model.head.offsets)
    rows = {name: i for i, name in enumerate(model_classes)}
    with torch.no_grad():
        for name in SCORE_LAYERS:
            if not hasattr(head, name):
                continue
            new, old = getattr(head, name), getattr(model.head, name)
            new.weight.zero_()
            new.bias.zero_()
            for i, cls in enumerate(labels.classes):
                if cls in rows:
                    new.weight[i] = old.weight[rows[cls]].to(new.weight.dtype)
                    new.bias[i] = old.bias[rows[cls]].to(new.bias.dtype)
        same = tuple(model_classes) == tuple(labels.classes)
        for name, module in list(head.named_children()):
            if isinstance(module, nn.ConvTranspose2d):
                if same:  # keep the model's own deconvolutions, learned or not
                    module.weight.copy_(getattr(model.head, name).weight)
                if BilinearUpsample.fits(module):
                    setattr(head, name, BilinearUpsample(module))
    for name, p in head.named_parameters():
        p.requires_grad_(name.split(".")[0] in SCORE_LAYERS)
    return head.to(next(model.parameters()).device)


def head_state(head: FCNHead) -> dict[str, torch.Tensor]:
    """The head's tensors under the FCN's (and the published weights') names."""
    out = {}
    for name, module in head.named_children():
        if isinstance(module, BilinearUpsample):  # exactly the bilinear filler's weights
            out[f"{name}.weight"] = bilinear_kernel(head.score_fr.out_channels, module.kernel_size)
        else:
            out |= {f"{name}.{k}": v.detach().cpu().clone() for k, v in module.state_dict().items()}
    return out


def head_logits(head: FCNHead, features: Features, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(1, C, h, w)`` logits of the network input the features came from."""
    return head(*features.as_float(device), features.size)


def target_at(mask: np.ndarray, size: tuple[int, int], flipped: bool = False) -> torch.Tensor:
    """A full-size label mask at the network input's size (nearest), as a (1, h, w) target."""
    h, w = size
    small = mask if mask.shape == (h, w) else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    if flipped:
        small = small[:, ::-1]
    return torch.from_numpy(np.ascontiguousarray(small).astype(np.int64))[None]
