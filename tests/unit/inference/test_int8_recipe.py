"""The int8 recipe as written into a conversion: every quantised convolution is one that
ONNX Runtime runs in int8 (QLinearConv), and the layers the recipe keeps in float stay fp32."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import torch

from fcn_studio.inference import conversion
from fcn_studio.inference.sessions import cpu_key, open_session
from tests.conftest import randomize


def int8_conversion(model, folder):
    """``conversion.prepare`` for int8 in ``folder`` (two calibration images, one check)."""
    gen = np.random.default_rng(0)
    images = [gen.normal(0, 60, (1, 3, 40, 48)).astype(np.float32) for _ in range(3)]
    np.savez(folder / "images.npz", *images)
    (folder / "split.json").write_text(json.dumps({"calibration": 2}))
    conversion.prepare(model, folder, "int8", 1)
    return folder / "model.onnx"


def graph(path):
    import onnx

    return onnx.load(str(path), load_external_data=False).graph


def convolutions(model) -> list[str]:
    return [f"/backbone/{name}/Conv" for name, m in model.backbone.named_modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.fixture()
def equal_biases(random_model):
    """A base whose convolutions' biases are all zero (freshly initialised, as the bench's
    and a from-scratch base are): the exporter shares one tensor among them."""
    import copy

    from fcn_studio.models import build_fcn

    model = randomize(build_fcn("fcn8s", 3, width_divisor=16), 7)
    with torch.no_grad():
        for m in model.backbone.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.bias.zero_()
    return copy.deepcopy(model).eval()


def test_every_quantised_convolution_runs_in_int8_even_with_shared_biases(equal_biases, tmp_path):
    """A shared bias reached the quantiser through an Identity node: it left those
    convolutions as float weights dequantised at every run (9 of FCN-8s' 15), and the int8
    path ran at the exact path's speed."""
    int8_conversion(equal_biases, tmp_path)
    open_session(tmp_path, 1)  # the optimised graph ONNX Runtime runs, saved beside it
    ops = Counter(node.op_type for node in graph(tmp_path / f"optimised-{cpu_key()}" / "model.onnx").node)
    kept = len(conversion.INT8_FLOAT_LAYERS)
    assert ops["QLinearConv"] == len(convolutions(equal_biases)) - kept
    assert ops["Conv"] == kept


def test_the_recipes_float_layers_stay_fp32_in_the_written_graph(random_model, tmp_path):
    model = random_model("fcn8s", 3)
    g = graph(int8_conversion(model, tmp_path))
    produced_by = {out: node.op_type for node in g.node for out in node.output}
    floats = {init.name for init in g.initializer if init.data_type == 1}  # FLOAT
    convs = {node.name: node for node in g.node if node.op_type == "Conv"}
    assert set(convs) == set(convolutions(model))
    for name, node in convs.items():
        layer = name.split("/")[2]
        if layer in conversion.INT8_FLOAT_LAYERS:
            assert node.input[1] in floats and node.input[0] == "image", name  # fp32 weights on the raw pixels
        else:
            assert produced_by.get(node.input[1]) == "DequantizeLinear", name  # int8 weights
            assert produced_by.get(node.input[0]) == "DequantizeLinear", name  # uint8 activations


def test_an_int8_conversion_of_an_earlier_recipe_is_not_reused(random_model, tmp_path, monkeypatch):
    """A conversion made by the recipe before the shared-bias fix ran at fp32's speed: a
    changed recipe is another cache folder (and the earlier one is stale)."""
    from fcn_studio.inference import runtime

    def folder():
        x = torch.zeros(1, 3, 8, 8)
        path = runtime.FastPath(
            random_model("fcn8s", 3), name="m", identity="abc", cache_root=tmp_path, precision="int8", calibration=[x]
        )
        return path.cache_dir

    before = folder()
    monkeypatch.setattr(runtime, "INT8_RECIPE", runtime.INT8_RECIPE + 1)
    assert folder() != before and folder().parent == before.parent
    assert before.match("m-*-int8-*") and folder().match("m-*-int8-*")  # earlier ones are removed as stale


def textured_scene(seed: int, h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Blobs of three classes on a ground, each class its colour and texture, and the truth."""
    rng = np.random.default_rng(seed)
    colors = np.array([(90, 110, 70), (200, 60, 50), (60, 170, 80), (70, 90, 210)], np.float32)
    truth = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[:h, :w]
    for c in (1, 2, 3, 1, 2, 3):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(h // 8, h // 3), rng.integers(w // 8, w // 3)
        truth[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = c
    rgb = colors[truth] + rng.normal(0, 18, (h, w, 3))
    rgb[truth == 1] += (((yy // 3 + xx // 6) % 2) * 50 - 25)[truth == 1, None]  # courses
    rgb[truth == 2] += (np.sin(xx / 1.5) * 30)[truth == 2, None]  # stripes
    return np.clip(rgb, 0, 255).astype(np.uint8), truth


def trained_head_model(seed: int):
    """A narrow FCN-8s whose score layers are trained on four scenes: a learned model's
    labels, not random weights' near ties (any rounding flips those)."""
    from fcn_studio.models import build_fcn
    from fcn_studio.models.preprocessing import CAFFE_BGR

    model = randomize(build_fcn("fcn8s", 4, width_divisor=4), seed)
    scenes = [textured_scene(s) for s in range(4)]
    with torch.no_grad():
        feats = [model.backbone(CAFFE_BGR.to_tensor(rgb)) for rgb, _ in scenes]
    torch.manual_seed(0)
    opt = torch.optim.Adam([p for n, p in model.head.named_parameters() if n.startswith("score")], lr=1e-2)
    for step in range(300):
        truth = scenes[step % len(scenes)][1]
        logits = model.head(*feats[step % len(scenes)], truth.shape)
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(truth).long()[None])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.mark.slow
def test_images_beyond_the_calibration_images_range_keep_their_labels(tmp_path):
    """One int8 conversion of a base serves every image and head, calibrated on whichever
    images first made it. An image with more contrast than those (its activations beyond
    their min-max range) lost 10 % of a trained head's labels to clipping, against 2.4 % on
    images like the calibration ones; with the recipe's headroom it keeps as many."""
    from fcn_studio.models.preprocessing import CAFFE_BGR

    def contrast(rgb, c):
        return np.clip(128 + (rgb.astype(np.float32) - 128) * c, 0, 255).astype(np.uint8)

    model = trained_head_model(2)
    conversion.prepare(model, tmp_path, "fp32", 1)
    calibration = [CAFFE_BGR.to_tensor(contrast(textured_scene(s)[0], 0.75)).numpy() for s in (20, 21)]
    (tmp_path / "int8").mkdir()
    conversion.quantize_graph(tmp_path / "model.onnx", tmp_path / "int8" / "model.onnx", calibration)
    session = open_session(tmp_path / "int8", 1)

    def agreement(c: float) -> float:
        xs = [CAFFE_BGR.to_tensor(contrast(textured_scene(s)[0], c)).numpy() for s in (10, 11, 12)]
        exact = [conversion.torch_labels(model, x) for x in xs]
        approx = [conversion.head_labels(model, session.run(None, {"image": x}), x.shape[2:]) for x in xs]
        return conversion.check_agreement(exact, approx)

    like_calibration, more_contrast = agreement(0.75), agreement(1.0)
    assert more_contrast >= like_calibration - 0.01, (more_contrast, like_calibration)
