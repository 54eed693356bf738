"""The FCN architecture exactly as published: shapes, crops, kernels, key names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fcn_studio.models import bilinear_kernel, build_fcn, detect_architecture
from fcn_studio.models.vgg import CONV_NAMES, vgg16_to_fcn_state

VGG_KEYS = [f"{n}.{p}" for n in (*CONV_NAMES, "fc6", "fc7") for p in ("weight", "bias")]
EXPECTED_KEYS = {
    "fcn32s": [*VGG_KEYS, "score_fr.weight", "score_fr.bias", "upscore.weight"],
    "fcn16s": [
        *VGG_KEYS,
        "score_fr.weight",
        "score_fr.bias",
        "score_pool4.weight",
        "score_pool4.bias",
        "upscore2.weight",
        "upscore16.weight",
    ],
    "fcn8s": [
        *VGG_KEYS,
        "score_fr.weight",
        "score_fr.bias",
        "score_pool4.weight",
        "score_pool4.bias",
        "score_pool3.weight",
        "score_pool3.bias",
        "upscore2.weight",
        "upscore_pool4.weight",
        "upscore8.weight",
    ],
}


def meta_model(arch: str, num_classes: int = 21):
    with torch.device("meta"):
        return build_fcn(arch, num_classes).eval()


@pytest.mark.parametrize("arch", ["fcn32s", "fcn16s", "fcn8s"])
def test_state_dict_keys_match_converted_caffe_weights(arch):
    model = meta_model(arch)
    assert sorted(model.state_dict()) == sorted(EXPECTED_KEYS[arch])
    assert detect_architecture(set(model.state_dict())) == arch
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["conv1_1.weight"] == (64, 3, 3, 3)
    assert shapes["fc6.weight"] == (4096, 512, 7, 7)
    assert shapes["fc7.weight"] == (4096, 4096, 1, 1)
    assert shapes["score_fr.weight"] == (21, 4096, 1, 1)
    assert not any(k.startswith("upscore") and k.endswith("bias") for k in shapes)


def test_reference_example_shapes_500x500():
    """The reference's shape check: pool3 88, pool4 44, pool5 22, fc7 16, upscore2 34,
    upscore_pool4 70, upscore8 568; FCN-32s upscore 544."""
    model = meta_model("fcn8s")
    seen: dict[str, tuple[int, ...]] = {}
    for name in ("pool3", "pool4", "pool5", "fc7", "upscore2", "upscore_pool4", "upscore8"):
        getattr(model, name).register_forward_hook(
            lambda m, i, o, name=name: seen.__setitem__(name, tuple(o.shape[2:]))
        )
    out = model(torch.empty(1, 3, 500, 500, device="meta"))
    assert seen == {
        "pool3": (88, 88),
        "pool4": (44, 44),
        "pool5": (22, 22),
        "fc7": (16, 16),
        "upscore2": (34, 34),
        "upscore_pool4": (70, 70),
        "upscore8": (568, 568),
    }
    assert tuple(out.shape) == (1, 21, 500, 500)
    m32 = meta_model("fcn32s")
    m32.upscore.register_forward_hook(lambda m, i, o: seen.__setitem__("upscore", tuple(o.shape[2:])))
    m32(torch.empty(1, 3, 500, 500, device="meta"))
    assert seen["upscore"] == (544, 544)


@pytest.mark.parametrize("arch", ["fcn32s", "fcn16s", "fcn8s"])
@pytest.mark.parametrize("size", [(1, 1), (7, 13), (333, 501), (64, 1)])
def test_output_is_cropped_to_any_input_size(arch, size):
    out = meta_model(arch, 5)(torch.empty(1, 3, *size, device="meta"))
    assert tuple(out.shape) == (1, 5, *size)


def test_bilinear_kernel_values():
    k4 = bilinear_kernel(2, 4)
    one_d = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(k4[0, 0].numpy(), np.outer(one_d, one_d))
    assert torch.all(k4[0, 1] == 0) and torch.all(k4[1, 0] == 0)
    k3 = bilinear_kernel(1, 3)[0, 0].numpy()  # odd: center 1, factor 2
    np.testing.assert_allclose(k3, np.outer([0.5, 1, 0.5], [0.5, 1, 0.5]))
    model = meta_model("fcn8s")
    assert model.upscore8.kernel_size == (16, 16) and model.upscore8.stride == (8, 8)
    assert model.upscore_pool4.kernel_size == (4, 4) and model.upscore2.stride == (2, 2)


@pytest.mark.slow  # the published width: the init is checked on the real layers
def test_fresh_model_has_published_init():
    model = build_fcn("fcn16s", 3)
    assert torch.all(model.score_fr.weight == 0) and torch.all(model.score_pool4.bias == 0)
    torch.testing.assert_close(model.upscore16.weight, bilinear_kernel(3, 32))


def _reference_forward(state: dict[str, torch.Tensor], x: torch.Tensor, arch: str) -> torch.Tensor:
    """An independent, functional transcription of the Caffe/pytorch-fcn forward pass."""
    h = x
    feats = {}
    for stage, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
        for i in range(1, n + 1):
            name = f"conv{stage}_{i}"
            h = F.relu(
                F.conv2d(h, state[f"{name}.weight"], state[f"{name}.bias"], padding=100 if name == "conv1_1" else 1)
            )
        h = F.max_pool2d(h, 2, 2, ceil_mode=True)
        feats[stage] = h
    h = F.relu(F.conv2d(h, state["fc6.weight"], state["fc6.bias"]))
    h = F.relu(F.conv2d(h, state["fc7.weight"], state["fc7.bias"]))
    h = F.conv2d(h, state["score_fr.weight"], state["score_fr.bias"])
    H, W = x.shape[2:]
    if arch == "fcn32s":
        h = F.conv_transpose2d(h, state["upscore.weight"], stride=32)
        return h[:, :, 19 : 19 + H, 19 : 19 + W]
    h = F.conv_transpose2d(h, state["upscore2.weight"], stride=2)
    p4 = F.conv2d(feats[4], state["score_pool4.weight"], state["score_pool4.bias"])
    h = h + p4[:, :, 5 : 5 + h.shape[2], 5 : 5 + h.shape[3]]
    if arch == "fcn16s":
        h = F.conv_transpose2d(h, state["upscore16.weight"], stride=16)
        return h[:, :, 27 : 27 + H, 27 : 27 + W]
    h = F.conv_transpose2d(h, state["upscore_pool4.weight"], stride=2)
    p3 = F.conv2d(feats[3], state["score_pool3.weight"], state["score_pool3.bias"])
    h = h + p3[:, :, 9 : 9 + h.shape[2], 9 : 9 + h.shape[3]]
    h = F.conv_transpose2d(h, state["upscore8.weight"], stride=8)
    return h[:, :, 31 : 31 + H, 31 : 31 + W]


@pytest.mark.parametrize(
    ("arch", "full"),
    [("fcn32s", False), ("fcn16s", False), ("fcn8s", False), pytest.param("fcn8s", True, marks=pytest.mark.slow)],
)
def test_forward_matches_independent_reference(arch, full, random_model):
    model = random_model(arch, full=full)
    x = torch.randn(1, 3, 37, 53, generator=torch.Generator().manual_seed(1)) * 50
    with torch.inference_mode():
        ours = model(x)
        ref = _reference_forward(model.state_dict(), x, arch)
    torch.testing.assert_close(ours, ref)
    assert torch.equal(ours.argmax(1), ref.argmax(1))
    assert ours.argmax(1).unique().numel() > 1, "random weights should give several classes"


@pytest.mark.slow  # ImageNet's classifier at full size (4096 x 25088) onto a full-width FCN-32s
def test_vgg16_imagenet_weights_map_onto_backbone():
    gen = torch.Generator().manual_seed(0)
    conv_idx = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    model = meta_model("fcn32s")
    state = {}
    for name, idx in zip(CONV_NAMES, conv_idx, strict=True):
        w = model.state_dict()[f"{name}.weight"]
        state[f"features.{idx}.weight"] = torch.randn(w.shape if name != "conv1_1" else (64, 3, 3, 3), generator=gen)
        state[f"features.{idx}.bias"] = torch.randn(w.shape[0], generator=gen)
    state["classifier.0.weight"] = torch.randn(4096, 25088, generator=gen)
    state["classifier.0.bias"] = torch.randn(4096, generator=gen)
    state["classifier.3.weight"] = torch.randn(4096, 4096, generator=gen)
    state["classifier.3.bias"] = torch.randn(4096, generator=gen)
    state["classifier.6.weight"] = torch.randn(1000, 4096, generator=gen)
    state["classifier.6.bias"] = torch.randn(1000, generator=gen)
    mapped = vgg16_to_fcn_state(state)
    assert mapped["fc6.weight"].shape == (4096, 512, 7, 7)
    # C-order reshape: classifier input index c*49 + y*7 + x is fc6[:, c, y, x]
    assert torch.equal(mapped["fc6.weight"][5, 3, 2, 4], state["classifier.0.weight"][5, 3 * 49 + 2 * 7 + 4])
    assert torch.equal(mapped["conv5_3.weight"], state["features.28.weight"])
    assert not any(k.startswith("classifier") for k in mapped)
    real = build_fcn("fcn32s", 21)
    missing, unexpected = real.load_state_dict(mapped, strict=False)
    assert not unexpected and set(missing) == {"score_fr.weight", "score_fr.bias", "upscore.weight"}
