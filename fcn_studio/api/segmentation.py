"""One image's result: labels, confidence, optional probabilities, and the helpers a script
needs next (the classes present with their areas, a mask file, an overlay)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcn_studio.data.labels import LabelSet


@dataclass(frozen=True)
class ClassArea:
    """A class present in a :class:`Segmentation`: its id, name, colour and area."""

    id: int  #: the class id, the value in ``Segmentation.labels``
    name: str  #: the class name, as the model stores it
    color: tuple[int, int, int]  #: RGB, as in the mask's palette and the overlay
    pixels: int  #: how many pixels have this class
    fraction: float  #: ``pixels`` / all pixels of the image, 0 to 1


@dataclass(frozen=True, repr=False)
class Segmentation:
    """One image's result, at the image's own size.

    Attributes:
        labels: (H, W) uint8 class ids; ``class_names[labels[y, x]]`` is the class at (x, y).
        confidence: (H, W) float32, the softmax probability of the chosen class, 0 to 1.
        class_names: the model's classes, indexed by class id.
        seconds: how long the model took for this image.
        backend: what computed it: "torch" or "onnxruntime".
        precision: the number format it ran in: "fp32", "fp16" (CUDA), "bf16" or "int8".
        probabilities: (C, H, W) float32 softmax probabilities of every class, summing to 1
            per pixel, when ``predict(..., probabilities=True)`` asked for them; else None.
        image: the (H, W, 3) uint8 RGB image that was segmented (what :meth:`overlay` draws on).
    """

    labels: np.ndarray
    confidence: np.ndarray
    class_names: tuple[str, ...]
    seconds: float
    backend: str
    precision: str = "fp32"
    probabilities: np.ndarray | None = None
    image: np.ndarray | None = None
    label_set: LabelSet | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        h, w = self.labels.shape
        present = ", ".join(f"{c.name} {100 * c.fraction:.1f}%" for c in self.classes[:4])
        more = ", ..." if len(self.classes) > 4 else ""
        return f"<Segmentation {w}x{h}: {present}{more} ({self.backend} {self.precision}, {self.seconds:.2f} s)>"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the image, in pixels."""
        h, w = self.labels.shape
        return w, h

    @property
    def classes(self) -> list[ClassArea]:
        """The classes present, largest area first.

        Example:
            >>> [(c.name, c.pixels) for c in result.classes]  # doctest: +SKIP
            [('background', 15012), ('cat', 3988)]
        """
        from fcn_studio.data.stats import class_stats

        return [
            ClassArea(s.class_id, s.name, s.color, s.pixels, float(s.share))
            for s in class_stats(self.labels, self._labels())
        ]

    def class_at(self, x: int, y: int) -> str:
        """The name of the class at pixel (x, y) (column, row)."""
        return self.class_names[int(self.labels[y, x])]

    def colors(self) -> np.ndarray:
        """The labels as an (H, W, 3) uint8 RGB image in the model's palette (VOC colours)."""
        from fcn_studio.data.images import colorize

        return colorize(self.labels, self._labels())

    def overlay(self, image: object = None, opacity: float = 0.5) -> np.ndarray:
        """The image with the class colours blended over it, as an (H, W, 3) uint8 RGB array.

        Args:
            image: what to draw on; by default the image that was segmented. Any input
                :meth:`Model.predict` takes, of the same size.
            opacity: of the colours, 0 (image only) to 1 (colours only).

        Returns:
            (H, W, 3) uint8 RGB array; save it with ``PIL.Image.fromarray(...).save(path)``.

        Raises:
            ValueError: no image was kept and none is given, ``image`` has another size,
                or ``opacity`` is outside [0, 1].

        Example:
            >>> from PIL import Image
            >>> Image.fromarray(result.overlay(opacity=0.6)).show()  # doctest: +SKIP
        """
        from fcn_studio.api.inputs import to_rgb8
        from fcn_studio.data.images import blend_overlay

        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be between 0 and 1, not {opacity}")
        rgb = self.image if image is None else to_rgb8(image)
        if rgb is None:
            raise ValueError("this result keeps no image: pass the image to draw on, overlay(image)")
        if rgb.shape[:2] != self.labels.shape:
            raise ValueError(f"the image is {rgb.shape[1]}x{rgb.shape[0]}, the result {self.size[0]}x{self.size[1]}")
        return blend_overlay(np.ascontiguousarray(rgb), self.labels, self._labels(), opacity)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the labels as a palette PNG: pixel value = class id, palette = the class
        colours (the PASCAL VOC convention, what ``fcn-studio segment`` writes). The file
        is written atomically: never half a PNG.

        Returns:
            The path written.

        Raises:
            FCNStudioError: the file cannot be written (the message says why).

        Example:
            >>> model.predict("photo.jpg").save("photo_mask.png")  # doctest: +SKIP
        """
        from fcn_studio.data.images import save_mask

        return save_mask(self.labels, self._labels(), path)

    def save_overlay(self, path: str | os.PathLike[str], opacity: float = 0.5) -> Path:
        """Write :meth:`overlay` to ``path`` (PNG, JPEG ... by its extension); returns the path."""
        from fcn_studio.data.images import save_rgb

        return save_rgb(self.overlay(opacity=opacity), path)

    def _labels(self) -> LabelSet:
        if self.label_set is not None:
            return self.label_set
        from fcn_studio.data.labels import voc_colormap

        colors = tuple(tuple(int(v) for v in c) for c in voc_colormap(len(self.class_names)))
        return LabelSet("result", tuple(self.class_names), colors)
