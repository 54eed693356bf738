"""The compare view's ground truth: the mask read and checked against the image, and the
line that names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication

from fcn_studio.data.dataset import read_mask
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.compare import ground_truth_name, labelled_fraction


def read_ground_truth(path: Path | None, image_shape: tuple[int, ...] | None) -> tuple[np.ndarray | None, list[str]]:
    """The mask at ``path`` (None: none) if it fits an image of ``image_shape``, and what
    went wrong (for the view's error signal)."""
    if path is None:
        return None, []
    try:
        gt = read_mask(path)
    except FCNStudioError as exc:
        return None, [str(exc)]
    if image_shape is not None and gt.shape != tuple(image_shape[:2]):
        return None, [
            QCoreApplication.translate(
                "CompareView", "{path}: the mask's size differs from the image's; ignored"
            ).format(path=path)
        ]
    return gt, []


def ground_truth_line(path: Path | None, gt: np.ndarray | None) -> str:
    if gt is None:
        return QCoreApplication.translate("CompareView", "Ground truth: none")
    return QCoreApplication.translate("CompareView", "Ground truth: {name}, {percent:.0f} % labelled").format(
        name=ground_truth_name(path), percent=100 * labelled_fraction(gt)
    )
