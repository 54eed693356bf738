"""Image in, label map out: the one inference path used by the CLI, the GUI and benchmarks."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fcn_studio import environment
from fcn_studio.data.images import as_rgb8, available_memory, format_bytes, image_size, load_image
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.bf16_path import Bf16Path
from fcn_studio.inference.device import DeviceChoice, choose_device
from fcn_studio.inference.precision import for_inference
from fcn_studio.inference.resize import band_rows, inference_image, inference_shape, logits_to_full_size, resize_rgb
from fcn_studio.inference.threads import one_thread
from fcn_studio.messages import Message
from fcn_studio.models import FCN, FCNHead
from fcn_studio.models.bilinear import upsampled_at, with_bilinear_upsampling
from fcn_studio.storage import conversions
from fcn_studio.storage.checkpoint import Checkpoint

log = logging.getLogger(__package__)  # one logger per package

DEFAULT_MAX_SIZE = 2048
# The quick first pass shown while the full result is computed (longer side, pixels). The
# network pads its input by 100 pixels a side, so smaller previews hardly cost less.
PREVIEW_MAX_SIZE = 128
# Ranking reads an image's uncertainty on every 4th pixel of each row and column: 1/16 of the
# pixels of a smooth map (the logits are upsampled 8x), a mean within a fraction of a point
# of the whole image's.
UNCERTAINTY_STEP = 4


@dataclass
class Prediction:
    labels: np.ndarray  # (H, W) uint8 class ids at the image's displayed size
    # (H, W) float16, the winning class's softmax probability (half of float32's memory;
    # 3 significant digits are plenty for a probability shown in percent)
    confidence: np.ndarray
    inference_size: tuple[int, int]  # (h, w) the network actually saw
    seconds: float
    probabilities: np.ndarray | None = None  # (C, H, W) float32, only on request
    backend: str = "torch"  # the id of the path that computed it: "torch" or "onnxruntime" (runtime.BACKENDS)
    approximate: bool = False  # fast (int8) mode, or a low-resolution preview
    preview: bool = False  # a quick low-resolution pass, to be replaced by the full result
    # (pool3, pool4, fc7) of the network input, only on request: Label mode caches them
    features: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
    precision: str = "fp32"  # of what computed it: "fp32", "fp16" (CUDA) or "int8" (fast mode)

    @property
    def backend_label(self) -> str:
        """Display text of what computed it: "torch", "ONNX Runtime int8"."""
        from fcn_studio.inference.runtime import backend_label

        return backend_label(self.backend, self.precision)


@dataclass
class Backbone:
    """A base's backbone on one device and its fast path: built once, shared by every head
    that sits on it (the versions of one model, in every view)."""

    module: torch.nn.Module
    fast_path: object | None  # runtime.FastPath
    nbytes: int


class Predictor:
    """Holds one model on one device; ``predict`` may be called many times.

    ``max_size`` caps the longer side the network sees (logits are upsampled back to full
    size), which bounds memory for big photos; ``None`` or 0 means full resolution.

    On the CPU the default ``backend="auto"`` converts the model for ONNX Runtime (when it
    is installed and the weights come from a file) in the background and caches the
    conversion next to the weights; until it is ready, the torch model serves. ``"torch"``
    keeps to torch; the environment variable FCN_STUDIO_BACKEND overrides the default.
    ``fast=True`` (opt-in) uses an int8-quantised conversion instead, calibrated on
    ``calibration`` images: approximate, with its label agreement in :attr:`backend_note`.

    On CUDA, ``half`` (fp16) and ``channels_last`` default to on, with cudnn.benchmark.
    """

    fast_choice = None  # fast_choice.FastChoice that chose this precision: its figures describe results

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: str | DeviceChoice = "auto",
        *,
        max_size: int | None = DEFAULT_MAX_SIZE,
        half: bool | None = None,
        channels_last: bool | None = None,
        allow_fallback: bool = False,
        backend: str | None = None,
        fast: bool = False,
        calibration: Sequence[object] = (),
        backbone: Backbone | None = None,
        precision: str | None = None,
    ) -> None:
        """``backbone``: a loaded base to put this checkpoint's head on (the model service
        shares one between a model's versions); its fast path serves this head too."""
        self.checkpoint = checkpoint
        self.device_choice = (
            device if isinstance(device, DeviceChoice) else choose_device(device, allow_fallback=allow_fallback)
        )
        self.device = self.device_choice.device
        self.max_size = max_size
        cuda = self.device.type == "cuda"
        # "bf16": the approximate bf16 mode (inference/precision.py), served like fast mode
        chosen = for_inference(precision, self.device).precision
        self.half = chosen == "fp16" if half is None else (half and cuda and chosen != "bf16")
        self.precision = "fp16" if self.half else "bf16" if chosen == "bf16" else "fp32"
        self.channels_last = cuda if channels_last is None else channels_last
        self._held_head = None  # the head that draws over held features (predict_from_features)
        if cuda:
            torch.backends.cudnn.benchmark = True  # FCN input sizes repeat (video, batch)
        if backbone is not None:
            head = self._head(backbone.module.out_channels)
            self.model = FCN(backbone.module, head, checkpoint.num_classes).eval()
            self.backbone = backbone
            return
        # moved first, converted on the device: no converted copy in host memory on the way
        self.model = self._on_device(checkpoint.build_model()).eval()
        fast_path = self._make_fast_path(backend, fast, calibration)
        nbytes = sum(p.numel() * p.element_size() for p in self.model.backbone.parameters())
        self.backbone = Backbone(self.model.backbone, fast_path, nbytes)
        if fast_path is not None:
            fast_path.start()
        log.info(
            "%s ready on %s, %s, max size %s", checkpoint.arch, self.device_choice.description, self.precision, max_size
        )

    @property
    def fast_path(self):
        return self.backbone.fast_path

    def _on_device(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        if self.half:
            module = module.half()
        if self.channels_last:
            module = module.to(memory_format=torch.channels_last)
        return module

    def _head(self, channels: tuple[int, int, int]) -> FCNHead:
        """This checkpoint's head alone (score layers; upsampling bilinear unless stored)."""
        ckpt = self.checkpoint
        head = FCNHead(ckpt.num_classes, channels, ckpt.arch)
        own = {k: v for k, v in ckpt.state_dict.items() if k.split(".")[0] in dict(head.named_children())}
        missing = [k for k in head.state_dict() if k.startswith("score") and k not in own]
        if missing:
            raise FCNStudioError(
                "{source}: no {missing} in the weights; the file is damaged",
                source=ckpt.source,
                missing=", ".join(missing),
            )
        head.load_state_dict({k: v.float() for k, v in own.items()}, strict=False)
        return self._on_device(head)

    @property
    def labels(self):
        return self.checkpoint.labels

    def _make_fast_path(self, backend: str | None, fast: bool, calibration: Sequence[object]):
        from fcn_studio.inference import runtime

        if self.precision == "bf16":
            if fast:
                raise FCNStudioError("choose one approximate mode: fast (int8) or bf16, not both", fix="one-mode")
            checks = [self.checkpoint.preprocessing.to_tensor(rgb) for rgb in _calibration_rgbs(calibration)]
            return Bf16Path(self.model, checks)
        backend = (backend or environment.read(environment.BACKEND)).lower()
        if backend not in runtime.BACKENDS:
            raise FCNStudioError(
                "unknown backend {backend!r}; choose one of {backends}",
                backend=backend,
                backends=", ".join(runtime.BACKENDS),
            )
        if fast and self.device.type != "cpu":
            raise FCNStudioError(
                "fast (int8) mode runs on the CPU (with ONNX Runtime); choose the CPU as the device", fix="device-cpu"
            )
        if fast and backend == "torch":
            raise FCNStudioError(
                "fast (int8) mode runs with ONNX Runtime, not the torch backend: turn fast mode off, or use the automatic backend (unset {backend_env})",
                fix="backend-auto",
                backend_env=runtime.BACKEND_ENV,
            )
        if backend == "torch" or self.device.type != "cpu":
            return None
        source, classes = fast_path_source(self.checkpoint)
        if backend == "auto" and not fast and (source is None or runtime.onnxruntime_version() is None):
            return None  # nothing to cache it under, or not installed: torch serves
        from fcn_studio.files.identity import content_hash
        from fcn_studio.inference.conversion import state_hash

        images = [self.checkpoint.preprocessing.to_tensor(rgb) for rgb in _calibration_rgbs(calibration)]
        calibrate_on, check_on = calibration_split(images)
        return runtime.FastPath(
            self.model,
            name=source.name if source else f"{self.checkpoint.arch}-in-memory",
            identity=content_hash(source) if source else state_hash(self.checkpoint.state_dict),
            cache_root=conversions.cache_root_for(source),
            precision="int8" if fast else "fp32",
            calibration=calibrate_on,
            checks=check_on,
            source=(str(source), self.checkpoint.arch, classes) if source else None,
        )

    @property
    def backend_note(self) -> str:
        """What serves now, for the status bar: "torch (preparing ONNX Runtime f32)" etc."""
        fp = self.fast_path
        if fp is None:
            return f"torch, {self.device_choice.description}"
        if fp.ready():
            choice = self.fast_choice
            if choice is not None and choice.approximate and fp.approximate:
                return f"{fp.label} ({choice.summary()}); its own weight copy: {fp.weight_bytes / 2**20:.0f} MB"
            return fp.describe()
        if fp.error:
            return f"torch ({fp.label} failed: {fp.error})"
        return f"torch (preparing {fp.label})"

    def sharing(self, max_size: int | None) -> Predictor:
        """Another predictor over the same model and fast path, with its own inference size
        (the model service hands these out: one copy of the weights for every view)."""
        other = copy.copy(self)
        other.max_size = max_size
        return other

    def logits(self, rgb: np.ndarray, cancelled: Callable[[], bool] | None = None) -> torch.Tensor:
        """``(1, C, h, w)`` float32 logits for an RGB uint8 image, on the model's device."""
        return self._logits(rgb, cancelled)[0]

    def features(self, rgb: np.ndarray, cancelled: Callable[[], bool] | None = None):
        """The backbone features (pool3, pool4, fc7) of the network input for ``rgb`` (as
        :meth:`predict` would size it), from the fast path when it is ready."""
        return self._logits(inference_image(rgb, self.max_size), cancelled)[2]

    def _logits(
        self, rgb: np.ndarray, cancelled: Callable[[], bool] | None = None
    ) -> tuple[torch.Tensor, str, tuple[torch.Tensor, ...]]:
        """Logits, the backend id that computed them, and the backbone features."""
        x = self.checkpoint.preprocessing.to_tensor(rgb)
        fp = self.fast_path
        if fp is not None and not fp.ready() and fp.is_cached() and fp.error is None:
            fp.wait(cancelled=cancelled)  # loading a cached conversion beats one torch pass
        if fp is not None and fp.ready():
            features = fp.features(x)
            with torch.inference_mode():
                return self.model.head(*features, (x.shape[2], x.shape[3])).float(), fp.kind, features
        x = x.to(self.device)
        if self.half:
            x = x.half()
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            logits, features = self.model.forward_with_features(x)
            return logits.float(), "torch", features

    def _precision(self, backend: str) -> str:
        if backend != "torch":
            return self.fast_path.precision
        return "fp16" if self.half else "fp32"

    def predict(
        self,
        image: object,
        *,
        return_probabilities: bool = False,
        return_features: bool = False,
        cancelled: Callable[[], bool] | None = None,
    ) -> Prediction:
        """``return_features``: also the backbone features of the network input (Label mode
        caches them), from whichever path computed the labels."""
        start = time.perf_counter()
        rgb = as_rgb8(image)
        height, width = rgb.shape[:2]
        self.check_memory(height, width, return_probabilities)
        small = inference_image(rgb, self.max_size)
        h, w = small.shape[:2]
        if cancelled and cancelled():
            raise Cancelled()
        logits, backend, features = self._logits(small, cancelled)
        labels, confidence, probs = logits_to_full_size(logits[0], height, width, return_probabilities, cancelled)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        approximate = backend != "torch" and self.fast_path.approximate
        return Prediction(
            labels,
            confidence,
            (h, w),
            time.perf_counter() - start,
            probs,
            backend=backend,
            approximate=approximate,
            features=features if return_features else None,
            precision=self._precision(backend),
        )

    def predict_from_features(
        self, features: Sequence[torch.Tensor], size: tuple[int, int], height: int, width: int
    ) -> Prediction:
        """The labels of an image whose backbone features (pool3, pool4, fc7 of its network
        input of ``size``) are already held: only this model's head runs (a new version is
        drawn in milliseconds, not a forward pass of the whole network)."""
        start = time.perf_counter()
        with torch.inference_mode():
            logits = self._head_over_features()(*self._held_maps(features), tuple(size)).float()
        labels, confidence, _ = logits_to_full_size(logits[0], height, width)
        return Prediction(
            labels, confidence, tuple(size), time.perf_counter() - start, backend="features", precision=self.precision
        )

    def uncertainty_from_features(
        self, features: Sequence[torch.Tensor], size: tuple[int, int], step: int = UNCERTAINTY_STEP
    ) -> float:
        """The mean of 1 - confidence over every ``step``-th pixel of each row and column of
        the network's output, from held features: what ranking a folder needs, computed at
        those pixels only (the last upsampling evaluated where it is read), a fraction of
        :meth:`predict_from_features`' work for the same values at those pixels."""
        rows, cols = (torch.arange(0, n, step, device=self.device) for n in size)
        with torch.inference_mode(), one_thread():
            score, upsample, offset = self._head_over_features().coarse(*self._held_maps(features))
            logits = upsampled_at(score[0].float(), upsample, offset, rows, cols)
            return float(1.0 - torch.softmax(logits, 0).amax(0).double().mean())

    def _head_over_features(self) -> FCNHead:
        if self._held_head is None:  # its fixed bilinear upsampling as interpolation: C times less work
            self._held_head = with_bilinear_upsampling(copy.deepcopy(self.model.head))
        return self._held_head

    def _held_maps(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f.to(self.device, torch.float16 if self.half else torch.float32) for f in features]

    def preview(
        self, image: object, *, max_size: int = PREVIEW_MAX_SIZE, cancelled: Callable[[], bool] | None = None
    ) -> Prediction:
        """A quick low-resolution pass at the image's full size, marked ``preview``.

        The network sees at most ``max_size`` pixels on the longer side and the labels are
        enlarged by nearest neighbour (cheap even for huge photos). Paths to big JPEGs are
        decoded reduced (JPEG draft mode), so the full photo is never decoded for it.
        """
        start = time.perf_counter()
        if isinstance(image, (str, os.PathLike)):
            height, width = image_size(image)
            rgb = load_image(image, max_size=max_size)
        else:
            rgb = as_rgb8(image)
            height, width = rgb.shape[:2]
        h, w = inference_shape(rgb.shape[0], rgb.shape[1], max_size)
        small = rgb if (h, w) == rgb.shape[:2] else resize_rgb(rgb, h, w)
        if cancelled and cancelled():
            raise Cancelled()
        logits, backend, _ = self._logits(small, cancelled)
        labels, confidence, _ = logits_to_full_size(logits[0], h, w, False, cancelled)
        if (h, w) != (height, width):
            import cv2

            labels = cv2.resize(labels, (width, height), interpolation=cv2.INTER_NEAREST)
            confidence = cv2.resize(confidence.astype(np.float32), (width, height), interpolation=cv2.INTER_NEAREST)
            confidence = confidence.astype(np.float16)
        return Prediction(
            labels,
            confidence,
            (h, w),
            time.perf_counter() - start,
            backend=backend,
            approximate=True,
            preview=True,
            precision=self._precision(backend),
        )

    def memory_needed(self, height: int, width: int, with_probs: bool = False) -> dict[str, int]:
        """Bytes that segmenting an (height, width) image allocates, by stage (estimates)."""
        c = self.checkpoint.num_classes
        h, w = inference_shape(height, width, self.max_size)
        first = self.model.conv1_1.out_channels
        # conv1's output at the padded size (padding 100) dominates; two are alive at once
        network = 2 * first * 4 * (h + 200) * (w + 200) + 3 * c * 4 * h * w
        needed = {
            "network": network,
            "labels": height * width * (1 if c <= 256 else 4),
            "confidence": height * width * 2,
            "upsampling": 4 * min(band_rows(c, width), height) * c * width * 4,
        }
        if (h, w) != (height, width):  # Pillow resizes from its own 4-byte-a-pixel copy
            needed["resizing"] = height * width * 4 + h * w * 3
        if with_probs:
            needed["probabilities"] = c * height * width * 4
        return needed

    def check_memory(self, height: int, width: int, with_probs: bool = False) -> None:
        """Refuse, with the figures, an image whose segmentation cannot fit in free memory."""
        free = available_memory()
        needed = self.memory_needed(height, width, with_probs)
        total = sum(needed.values())
        if free is not None and total > free:
            parts = ", ".join(f"{k} {format_bytes(v)}" for k, v in needed.items() if v >= total // 20)
            shrinkable = (height, width) == inference_shape(height, width, self.max_size)
            hint = Message("choose a smaller inference size, or ") if shrinkable else ""
            raise FCNStudioError(
                "segmenting this {width}x{height} image needs about {total} ({parts}) but only {free} of memory is free; {hint}close other programs or split the image into tiles",
                width=width,
                height=height,
                total=format_bytes(total),
                parts=parts,
                free=format_bytes(free),
                hint=hint,
                fix="max-size" if shrinkable else None,
            )


def fast_path_source(checkpoint: Checkpoint) -> tuple[Path | None, int]:
    """The weights file a checkpoint's fast path is converted from, and its class count:
    for a version stored as a head, its base (whose conversion every version shares)."""
    from fcn_studio.storage.checkpoint import head_base

    base = head_base(checkpoint)
    if base is not None:
        return base.path, base.checkpoint.num_classes
    return checkpoint.source, checkpoint.num_classes


def calibration_split(images: Sequence) -> tuple[list, list]:
    """The images an int8 conversion is calibrated on (every other one) and those its
    agreement is checked on (the others; one image is both)."""
    images = list(images)
    return images[::2] or images, images[1::2] or images


def _calibration_rgbs(images: Sequence[object]) -> list[np.ndarray]:
    """The calibration images that can be read: one corrupt file in a folder must not take
    the fast mode away (it is reported when its own turn to be segmented comes)."""
    readable = []
    for image in images:
        with contextlib.suppress(FCNStudioError):
            readable.append(_calibration_rgb(image))
    if images and not readable:
        raise FCNStudioError("fast mode: none of the {n} calibration images could be read", n=len(images))
    return readable


def _calibration_rgb(image: object) -> np.ndarray:
    """Calibration images, the longer side at most 256 pixels: the activation ranges of a
    photo are those of its reduced copy, and calibrating at 500 px took twice as long."""
    # a path to a big JPEG is decoded reduced
    rgb = load_image(image, max_size=256) if isinstance(image, (str, os.PathLike)) else as_rgb8(image)
    h, w = inference_shape(rgb.shape[0], rgb.shape[1], 256)
    return rgb if (h, w) == rgb.shape[:2] else resize_rgb(rgb, h, w)
