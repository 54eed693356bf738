"""Random FCN weights for the benchmarks: labels that vary over the image, so the timings
cover a real prediction (the published init zeroes the score layers: every pixel class 0).

tests/conftest.randomize does the same for the tests with small random biases; it stays
there, since nothing in the package needs random weights."""

from __future__ import annotations


def random_fcn(arch: str, num_classes: int, *, width_divisor: int = 1, seed: int = 0):
    """An FCN in eval mode with He-normal convolutions, zero biases and zero-mean score
    layers (over input channels: the common mode of the positive ReLU features cancels, so
    the winning class varies across the image); the deconvolutions stay bilinear."""
    import torch

    from fcn_studio.models import build_fcn

    model = build_fcn(arch, num_classes, width_divisor=width_divisor)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.normal_(0.0, (2.0 / module.weight[0].numel()) ** 0.5, generator=gen)
                module.bias.zero_()
                if name.startswith("score"):
                    module.weight.sub_(module.weight.mean(dim=1, keepdim=True))
    return model.eval()
