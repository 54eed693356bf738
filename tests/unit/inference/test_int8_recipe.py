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
