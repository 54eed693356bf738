"""A loaded model: :func:`load_model` and :class:`Model`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.api import inputs
from fcn_studio.api.segmentation import Segmentation

if TYPE_CHECKING:
    import numpy as np

    from fcn_studio.inference.fast_choice import FastChoice
    from fcn_studio.inference.predictor import Prediction, Predictor
    from fcn_studio.storage.checkpoint import Checkpoint

DEFAULT_MAX_SIZE = 2048  # the command line's --max-size default
#: What ``load_model(precision=...)`` accepts (the app's and the command line's modes).
PRECISIONS = ("exact", "bf16", "int8", "fast")
DEFAULT_BATCH_SIZE = 4  # images per forward pass where the backend runs batches

Progress = Callable[[int, int | None], None]


def fast_choice(checkpoint: Checkpoint, images: Iterable[object]) -> FastChoice:
    """What "fast" runs for this model on this machine: the approximate precision measured
    fastest that keeps the model's own labels, else the exact path. The same measured
    choice as the app's Fast mode and ``fcn-studio segment --fast``
    (fcn_studio.inference.fast_choice.choose_fast, made once per machine and model on a few
    of ``images``, then cached). The one place the API asks."""
    from fcn_studio.inference.fast_choice import choose_fast

    return choose_fast(checkpoint, list(images))


@dataclass(frozen=True)
class FolderReport:
    """What :meth:`Model.predict_folder` did.

    Attributes:
        written: the palette PNG masks written (and overlays, with ``overlay=True``).
        kept: existing masks left as they were (``overwrite=False``).
        failures: one message for each input that could not be segmented.
        seconds: the run's time.
    """

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Model:
    """A loaded FCN, made by :func:`load_model`; ``predict`` may be called many times.

    Attributes:
        id: what it was loaded from (an installed id or a weights file's path).
        architecture: "fcn32s", "fcn16s" or "fcn8s".
        class_names: the classes it tells apart, indexed by class id.
        device: the torch device it runs on ("cpu", "cuda", "cuda:1", "mps").
        precision: "exact", "bf16", "int8" (the approximate modes are measured against
            exact on calibration images); "fast" until the first images (or the
            calibration images) measured which of them "fast" runs here.
    """

    def __init__(
        self, checkpoint: Checkpoint, spec: str, device: object, max_size: int | None, backend, precision, calibration
    ) -> None:
        from fcn_studio.inference.device import choose_device

        self._checkpoint = checkpoint
        self.id = spec
        self._device = choose_device(inputs.device_name(device))
        self._max_size = max_size or None
        self._backend = backend
        self.precision = precision
        self._predictor: Predictor | None = None
        self._check_precision()
        if self.precision == "exact" or calibration is not None:
            self._predictor = self._build(calibration or ())

    def __repr__(self) -> str:
        n = len(self.class_names)
        return (
            f"<fcn_studio.Model {self.id!r}: {self.architecture}, {n} classes ({self._class_preview()}), "
            f"device={self.device!r}, precision={self.precision!r}>"
        )

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) - {n for n in super().__dir__() if n.startswith("_") and not n.startswith("__")}
        )

    @property
    def architecture(self) -> str:
        """ "fcn32s", "fcn16s" or "fcn8s"."""
        return self._checkpoint.arch

    @property
    def class_names(self) -> tuple[str, ...]:
        """The class names, indexed by class id (the values in ``Segmentation.labels``)."""
        return tuple(self._checkpoint.labels.classes)

    @property
    def device(self) -> str:
        """The torch device the model runs on: "cpu", "cuda", "cuda:1", "mps"."""
        return str(self._device.device)

    @property
    def max_size(self) -> int | None:
        """The longest side the network sees (bigger images are shrunk, the result upsampled)."""
        return self._max_size

    def predict(
        self,
        images,
        *,
        probabilities: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
    ):
        """Segment one image, or each of several.

        Args:
            images: one image: a file path, a PIL image, an (H, W, 3) uint8 RGB array, or a
                torch tensor (C, H, W) of uint8 0-255 or float 0-1 on any device. Several:
                a list, tuple, generator or any iterable of those, an (N, H, W, 3) array or
                an (N, C, H, W) tensor.
            probabilities: also fill ``Segmentation.probabilities`` ((C, H, W) float32;
                C x 4 bytes a pixel: mind big images).
            batch_size: images per forward pass where the backend runs batches (torch,
                e.g. on CUDA, images of the same size); elsewhere one at a time.
            progress: called as ``progress(done, total)`` after each image; ``total`` is
                None for an iterable of unknown length.

        Returns:
            A :class:`Segmentation` for one image; a list of them, in order, for several.

        Raises:
            FCNStudioError: an image cannot be read or does not fit in memory (the message
                says which and why).
            TypeError: ``images`` is none of the above.

        Example:
            >>> results = model.predict(["a.jpg", "b.jpg"], progress=print)  # doctest: +SKIP
            >>> results[0].classes[0].name  # doctest: +SKIP
            'background'
        """
        if inputs.is_single(images):
            return self._run([inputs.to_rgb8(images)], probabilities)[0]
        total = len(images) if hasattr(images, "__len__") and not inputs.is_single(images) else None
        results: list[Segmentation] = []
        rgbs = (inputs.to_rgb8(image) for image in inputs.iterate(images))
        for chunk in _chunks(rgbs, max(1, batch_size)):
            results += self._run(chunk, probabilities)
            if progress is not None:
                progress(len(results), total)
        return results

    def predict_folder(
        self,
        folder: str | os.PathLike[str],
        out: str | os.PathLike[str],
        *,
        overlay: bool = False,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> FolderReport:
        """Segment every image in ``folder`` (recursively, sorted; hidden files and label
        folders such as ``masks/`` skipped) into ``out``, as ``fcn-studio segment FOLDER
        --out OUT`` does: ``out/<name>.png`` palette masks mirroring sub-folders, and with
        ``overlay=True`` ``<name>_overlay.jpg`` beside them. Images are read and written
        on background threads while the model runs; a file that fails is reported, the
        others are still done.

        Args:
            folder: the images (a folder, or one image file).
            out: the output folder (created; never the input folder).
            overlay: also write the overlays.
            overwrite: False keeps outputs that exist (to resume an interrupted run).
            progress: called as ``progress(done, total)``.

        Returns:
            A :class:`FolderReport`.

        Raises:
            FCNStudioError: no images, an output folder that would replace inputs, or one
                that cannot be written.

        Example:
            >>> report = model.predict_folder("photos", "masks", overlay=True)  # doctest: +SKIP
            >>> len(report.written), report.failures  # doctest: +SKIP
            (120, [])
        """
        from fcn_studio.errors import FCNStudioError
        from fcn_studio.inference.batch import segment_files
        from fcn_studio.inference.batch_plan import batch_items, prepare_output, refuse_input_folder_as_output
        from fcn_studio.inference.inputs import expand_with_roots

        out = Path(out)
        found = expand_with_roots([folder], videos=False)
        if not found:
            raise FCNStudioError("{path}: no images in this folder", path=str(folder))
        refuse_input_folder_as_output([root for _, root in found], out)
        items = prepare_output(batch_items(found), out)
        predictor = self._ensure_predictor([p for p, _ in found])
        on_progress = (lambda done, total, _name: progress(done, total)) if progress else None
        report = segment_files(
            predictor, items, out, overlay=overlay, overwrite=overwrite, progress=on_progress, prepared=True
        )
        return FolderReport(list(report.written), list(report.skipped), list(report.failures), report.seconds)

    # -- internals --------------------------------------------------------------------------

    def _run(self, rgbs: list[np.ndarray], probabilities: bool) -> list[Segmentation]:
        from fcn_studio.inference.stacked import predict_stacked

        predictor = self._ensure_predictor(rgbs)
        return [
            self._result(p, rgb)
            for p, rgb in zip(predict_stacked(predictor, rgbs, probabilities=probabilities), rgbs, strict=True)
        ]

    def _result(self, p: Prediction, rgb: np.ndarray) -> Segmentation:
        import numpy as np

        return Segmentation(
            p.labels,
            p.confidence.astype(np.float32),
            self.class_names,
            p.seconds,
            p.backend,
            p.precision,
            p.probabilities,
            rgb,
            self._checkpoint.labels,
        )

    def _check_precision(self) -> None:
        """Refuse at load what cannot run here (not at the first image)."""
        from fcn_studio.errors import FCNStudioError
        from fcn_studio.inference.precision import for_inference

        if self.precision == "bf16":
            for_inference("bf16", self._device.device)
        if self.precision == "int8" and self._device.device.type != "cpu":
            raise FCNStudioError("the int8 precision runs on the CPU (with ONNX Runtime); choose the CPU as the device")
        if self.precision == "fast" and self._device.device.type != "cpu":
            raise FCNStudioError(
                "the fast precision measures the CPU's approximate modes and runs on the CPU; choose the CPU as the device",
                fix="device-cpu",
            )

    def _ensure_predictor(self, first_images: list) -> Predictor:
        """The predictor; an approximate one is calibrated on the first images it is given."""
        if self._predictor is None:
            from fcn_studio.data.images import calibration_sample

            self._predictor = self._build(calibration_sample(first_images))
        return self._predictor

    def _build(self, calibration) -> Predictor:
        from fcn_studio.errors import FCNStudioError
        from fcn_studio.inference.fast_choice import fast_predictor

        calibration = list(calibration)
        options = {"max_size": self._max_size, "backend": self._backend, "calibration": calibration}
        if self.precision == "fast":
            choice = fast_choice(self._checkpoint, calibration)
            self.precision = choice.precision if choice.approximate else "exact"
            predictor = fast_predictor(self._checkpoint, choice, self._device, **options)
        else:
            from fcn_studio.inference.predictor import Predictor

            precision = {"bf16": {"precision": "bf16"}, "int8": {"fast": True}}.get(self.precision, {})
            predictor = Predictor(self._checkpoint, self._device, **options, **precision)
        if self.precision != "exact" and predictor.fast_path is not None and not predictor.fast_path.wait():
            raise FCNStudioError(
                "the {precision} model could not be prepared: {error}",
                precision=self.precision,
                error=str(predictor.fast_path.error),
            )
        return predictor

    def _class_preview(self) -> str:
        names = self.class_names
        return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk


def load_model(
    model: str | os.PathLike[str],
    device: object = "auto",
    *,
    precision: str = "exact",
    max_size: int | None = DEFAULT_MAX_SIZE,
    calibration: Iterable[object] | None = None,
    backend: str | None = None,
) -> Model:
    """Load a model to segment images with.

    Args:
        model: an installed model's id (``fcn-studio weights list``; e.g. "fcn8s-voc", a
            fine-tuned model's id, or a version such as "garden@v2"), or the path of a weights
            file (.safetensors, .pth, .caffemodel conversions).
        device: "auto" (CUDA, else Apple MPS, else the CPU), "cpu", "cuda", "cuda:1",
            "mps", or a ``torch.device``.
        precision: "exact" (the default: the labels ``fcn-studio segment`` writes; fp16 on
            CUDA as there); "bf16" (approximate, on CPUs with native bf16 and on CUDA);
            "int8" (approximate, CPU, ONNX Runtime); "fast" (CPU): the fastest approximate
            precision this machine measures as keeping the model's own labels, else
            exact: the app's Fast mode and ``fcn-studio segment --fast``, the same
            choice (measured once per machine and model on the calibration images).
        max_size: the longest side the network sees (default 2048 px; None = full size).
            Bigger images are segmented at that size and the result upsampled.
        calibration: images like the ones to segment, for "int8"/"fast"/"bf16"
            (calibration and the agreement check); by default the first images predicted.
        backend: None (the default: ONNX Runtime on the CPU once its one-time conversion
            is cached, torch until then and on CUDA), "torch" or "onnxruntime".

    Returns:
        A :class:`Model`.

    Raises:
        FCNStudioError: no model has that id, the file is not usable weights, the device
            or precision is not available here (the message says what to do).
        ValueError: ``precision`` is not one of those above.

    Example:
        >>> from fcn_studio import load_model
        >>> model = load_model("fcn8s-voc", device="cpu")  # doctest: +SKIP
        >>> model.predict("photo.jpg").save("photo_mask.png")  # doctest: +SKIP
    """
    from fcn_studio.storage.weights import resolve_model

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    spec = os.fspath(model)
    cal = None if calibration is None else [inputs.to_rgb8(image) for image in calibration]
    return Model(resolve_model(spec), spec, device, max_size, backend, precision, cal)
