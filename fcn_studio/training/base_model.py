"""The model a run starts from: a base's weights fitted to the data's classes, and which of
its parameters train."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fcn_studio.messages import Message
from fcn_studio.models import FCN, build_fcn, is_vgg16_classifier_state, vgg16_to_fcn_state, width_divisor_of
from fcn_studio.models.preprocessing import IMAGENET_RGB, Preprocessing
from fcn_studio.storage.checkpoint import Checkpoint, checkpoint_from_tensors, load_checkpoint, read_tensors
from fcn_studio.storage.heads import is_head_metadata
from fcn_studio.training.config import TrainConfig

BACKBONE_PREFIXES = ("conv", "fc6", "fc7")


def initial_model(config: TrainConfig, num_classes: int) -> tuple[FCN, Preprocessing, list[str]]:
    """The model to start from, the input convention its weights expect, and notes."""
    from fcn_studio.storage import weights

    notes: list[Message] = []
    if config.base == "scratch":
        model = build_fcn(config.arch, num_classes, width_divisor=config.width_divisor)
        torch.manual_seed(config.seed)
        for m in model.modules():
            if isinstance(m, nn.Conv2d) and m.weight.shape[0] != num_classes:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        notes.append(
            Message('starting from random weights (the base "scratch"): expect poor results without a long run')
        )
        return model, IMAGENET_RGB, notes
    path, known = weights.locate_weights(config.base, backbones=True)
    tensors, ckpt = _read_base(path, known)
    model = build_fcn(config.arch, num_classes, width_divisor=width_divisor_of(tensors))
    if ckpt is None:
        model.load_state_dict(vgg16_to_fcn_state(tensors), strict=False)
        notes.append(
            Message("backbone from VGG16 ImageNet weights ({file}); score layers start at zero", file=path.name)
        )
        return model, known.get("preprocessing", IMAGENET_RGB), notes
    own = model.state_dict()
    usable = {k: v for k, v in ckpt.state_dict.items() if k in own and own[k].shape == v.shape}
    dropped = sorted(k.split(".")[0] for k in set(ckpt.state_dict) - set(usable))
    model.load_state_dict(usable, strict=False)
    if ckpt.num_classes != num_classes:
        notes.append(
            Message(
                "the base predicts {base} classes, this data has {data}: score layers re-initialised",
                base=ckpt.num_classes,
                data=num_classes,
            )
        )
    elif dropped:
        notes.append(Message("not taken from the base: {layers}", layers=", ".join(sorted(set(dropped)))))
    if ckpt.arch != config.arch:
        notes.append(
            Message(
                "initialised {arch} from a {base} model (as the paper grows 32s -> 16s -> 8s)",
                arch=config.arch,
                base=ckpt.arch,
            )
        )
    return model, ckpt.preprocessing, notes


def _read_base(path: Path, known: dict) -> tuple[dict[str, torch.Tensor], Checkpoint | None]:
    """The base's tensors, read once (a VGG16 or FCN file is ~0.5 GB), and its checkpoint
    (None for VGG16 classification weights). A version stored as a head file (storage/heads.py)
    is its base's backbone under that head: a full fine-tune starts from those standalone
    weights, a head-only run from that head."""
    from fcn_studio.storage import weights

    tensors, meta = read_tensors(path)
    if is_head_metadata(meta):
        ckpt = load_checkpoint(path, locate_base=lambda base_id: weights.locate_weights(base_id)[0])
        return ckpt.state_dict, ckpt
    if is_vgg16_classifier_state(tensors):
        return tensors, None
    return tensors, checkpoint_from_tensors(tensors, meta, path, **known)


def trainable_parameters(model: FCN, freeze_backbone: bool) -> list[nn.Parameter]:
    params = []
    for name, p in model.named_parameters():
        # Deconvolutions stay bilinear, as in the paper; the backbone optionally frozen.
        frozen = name.startswith("upscore") or (freeze_backbone and name.startswith(BACKBONE_PREFIXES))
        p.requires_grad_(not frozen)
        if not frozen:
            params.append(p)
    return params
