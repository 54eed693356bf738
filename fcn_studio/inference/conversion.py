"""Converting a base for ONNX Runtime: the backbone exported as a graph whose outputs are the
features every head needs (pool3, pool4, fc7), and optionally quantised to int8.

A head (the three score layers and the fixed bilinear upsampling) runs after it in torch,
so a new version of a model, which only changes its head, needs no conversion of its own.
This module is the conversion process's side (:func:`convert_file` runs in a child, see
runtime.FastPath); nothing here is imported by the app until a conversion is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.sessions import DATA_FILE, open_session

if TYPE_CHECKING:
    import torch

FEATURES = ("pool3", "pool4", "fc7")
# The int8 recipe's layers kept in float: the convolution on the raw pixel values (the
# image would be rounded to 256 levels; it costs the most agreement for the least time).
INT8_FLOAT_LAYERS = ("conv1_1",)
# The calibrated activation ranges (min-max over the calibration images) widened by this.
# Other images exceed them: the bench's scenes went 1.3 to 1.8 times (median 1.5) past the
# ranges of the photos its base was calibrated on (reduced to 256 px, as calibration is),
# in all 30 calibrated tensors, all through the network, and the clipping cost a trained
# head 1.5 % of its labels (98.47 % equal); with 1.25 it kept 99.70 %. On images like the
# calibration ones the coarser steps cost it 0.03 % (99.77 to 99.74 %; with 1.5, 0.12 %).
INT8_HEADROOM = 1.25
INT8_RECIPE = 3  # part of an int8 conversion's cache key: a changed recipe converts again


def state_hash(state_dict: dict[str, torch.Tensor]) -> str:
    """A short key of weights that have no file (tests, the Python API): their bytes."""
    import torch

    h = hashlib.blake2b(digest_size=10)
    for name in sorted(state_dict):
        t = state_dict[name].detach().to("cpu").contiguous()
        h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def check_agreement(reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray]) -> float:
    """Share of pixels whose labels are identical, over all check images."""
    same = sum(int((a == b).sum()) for a, b in zip(reference, candidate, strict=True))
    return same / max(1, sum(a.size for a in reference))


def head_labels(model, features: Sequence[np.ndarray | torch.Tensor], size: tuple[int, int]) -> np.ndarray:
    """Labels of ``model``'s head on backbone ``features`` of an input of ``size``."""
    import torch

    with torch.no_grad():
        feats = [torch.as_tensor(f).float() for f in features]
        return model.head(*feats, size).argmax(1)[0].numpy()


def torch_labels(model, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(x)).argmax(1)[0].numpy()


@contextlib.contextmanager
def warnings_quiet():
    """Tracing warns about shape-dependent Python values (the crops); they are intended."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _backbone_graph(model):
    import torch

    class Features(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = model.backbone

        def forward(self, x):
            return self.backbone(x)

    return Features().eval()


def prepare(model: torch.nn.Module, out: Path, precision: str, threads: int) -> None:
    """Export ``model``'s backbone to ``out/model.onnx`` (dynamic height and width) and
    write ``out/meta.json``; for int8, quantise it with the calibration images in
    ``out/images.npz`` and record its label agreement on the check images there."""
    import torch

    out = Path(out)
    exported = out / ("float.onnx" if precision == "int8" else "model.onnx")
    axes = {"image": {2: "height", 3: "width"}} | {name: {2: f"{name}_h", 3: f"{name}_w"} for name in FEATURES}
    with torch.no_grad(), warnings_quiet():
        torch.onnx.export(
            _backbone_graph(model),
            (torch.zeros(1, 3, 64, 64),),
            str(exported),
            input_names=["image"],
            output_names=list(FEATURES),
            dynamic_axes=axes,
            dynamo=False,  # the TorchScript exporter: dynamic shapes, no onnxscript needed
        )
    meta: dict = {"precision": precision, "graph": "features"}
    if precision == "int8":
        with np.load(out / "images.npz") as npz:
            images = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        n = json.loads((out / "split.json").read_text())["calibration"]
        meta["agreement"] = _quantize(model, exported, out / "model.onnx", images[:n], images[n:], threads)
        exported.unlink()
    _weights_beside(out / "model.onnx")
    (out / "meta.json").write_text(json.dumps(meta))


def _weights_beside(path: Path) -> None:
    """Move the weights out of the graph file into DATA_FILE: a 0.5 GB protobuf takes
    seconds to parse at every session start, a file beside it is read directly."""
    import onnx

    model = onnx.load(str(path))
    onnx.save_model(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=DATA_FILE,
        size_threshold=1024,
    )


def _float_convolutions(path: Path, layers: Sequence[str]) -> list[str]:
    """The convolutions of ``layers`` (kept in float), by node name."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [
        node.name
        for node in graph.node
        if node.op_type == "Conv" and any(f"/{layer}/" in node.name for layer in layers)
    ]


def _own_initializers(path: Path) -> None:
    """Give every consumer of a shared weight its own initializer.

    The exporter stores equal tensors once (all-zero biases: a freshly initialised or random
    base) and hands the copies out through Identity nodes. The quantiser then finds no bias
    initializer for those convolutions and leaves them as float weights dequantised at every
    run, which ONNX Runtime cannot fuse into an int8 convolution (QLinearConv): 9 of FCN-8s'
    15 ran in fp32, and int8 ran at the exact path's speed."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    shared = {init.name: init for init in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in shared:
            copy = onnx.TensorProto()
            copy.CopyFrom(shared[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
        else:
            kept.append(node)
    if len(kept) < len(graph.node):
        del graph.node[:]
        graph.node.extend(kept)
        onnx.save_model(model, str(path))


def _quantize(model, exported: Path, target: Path, calibration, checks, threads: int) -> float:
    """Quantise ``exported`` into ``target`` (a conversion folder's model.onnx) and return
    its label agreement with ``model`` on ``checks`` (the head run on its features)."""
    quantize_graph(exported, target, calibration)
    # the session the conversion keeps: optimised once here, saved, and mapped from then on
    session = open_session(target.parent, threads)
    exact = [torch_labels(model, x) for x in checks]
    approx = [head_labels(model, session.run(None, {"image": x}), x.shape[2:]) for x in checks]
    return check_agreement(exact, approx)


def _reader(images: Sequence[np.ndarray]):
    """ONNX Runtime's calibration input: ``images`` one at a time."""
    from onnxruntime.quantization import CalibrationDataReader

    class Images(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(images)

        def get_next(self):
            x = next(self._it, None)
            return None if x is None else {"image": x}

    return Images()


def calibrated_ranges(exported: Path, calibration: Sequence[np.ndarray]) -> dict[str, tuple[float, float]]:
    """Every activation the int8 recipe quantises: its (min, max) over ``calibration``."""
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    with tempfile.TemporaryDirectory(prefix="fcn-calibration-") as tmp, warnings_quiet():
        calibrator = create_calibrator(
            Path(exported), ["Conv"], f"{tmp}/augmented.onnx", calibrate_method=CalibrationMethod.MinMax
        )
        calibrator.collect_data(_reader(calibration))
        data = calibrator.compute_data().data
    return {name: (float(np.min(r.range_value[0])), float(np.max(r.range_value[1]))) for name, r in data.items()}


def quantize_graph(
    exported: Path,
    target: Path,
    calibration: Sequence[np.ndarray],
    *,
    headroom: float = INT8_HEADROOM,
    float_layers: Sequence[str] = INT8_FLOAT_LAYERS,
    reduce_range: bool = False,
    operators: bool = False,
) -> None:
    """The int8 recipe: static quantisation of every convolution but ``float_layers``,
    weights int8 per output channel, activations uint8 over their range on
    ``calibration`` (min-max) times ``headroom``, as QDQ pairs that ONNX Runtime fuses
    into QLinearConv. The other arguments are the variants bench/bench_fast.py measures
    against it: 7-bit weights (``reduce_range``: no int16 saturation in AVX2's u8s8
    products) and the QOperator format (``operators``) instead of QDQ."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    _own_initializers(exported)
    ranges = calibrated_ranges(exported, calibration)
    overrides = {
        name: [{"rmin": np.float32(low * headroom), "rmax": np.float32(high * headroom)}]
        for name, (low, high) in ranges.items()
    }
    # The ranges are all given: ONNX Runtime's own calibration pass only needs an input
    corner = calibration[0][..., :32, :32]
    with warnings_quiet():
        quantize_static(
            str(exported),
            str(target),
            _reader([np.ascontiguousarray(corner)]),
            quant_format=QuantFormat.QOperator if operators else QuantFormat.QDQ,
            per_channel=True,
            reduce_range=reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=_float_convolutions(exported, float_layers),
            extra_options={"TensorQuantOverrides": overrides},
        )


def convert_file(path: str, arch: str, num_classes: str, out: str, precision: str = "fp32", threads: str = "0") -> None:
    """Child-process side of the conversion: read the weights file, build the model and
    :func:`prepare` its ONNX Runtime conversion in ``out``."""
    import torch

    from fcn_studio.storage.checkpoint import load_checkpoint

    threads = int(threads) or torch.get_num_threads()
    torch.set_num_threads(threads)
    checkpoint = load_checkpoint(path, arch=arch)
    if checkpoint.num_classes != int(num_classes):
        raise FCNStudioError(
            "{path}: {num_classes} classes, expected {num_classes2}",
            path=path,
            num_classes=checkpoint.num_classes,
            num_classes2=num_classes,
        )
    model = checkpoint.build_model()
    del checkpoint  # its tensors are the model's now
    prepare(model, Path(out), precision, threads)
    del model
    # Optimise here too (seconds of CPU for a VGG16 graph), with torch's copy of the weights
    # freed: the process that uses the conversion then only maps the saved result. Same
    # machine, so the same CPU key.
    open_session(Path(out), threads)
