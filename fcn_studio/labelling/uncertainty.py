"""Which image to label next: the folder's unlabelled images, most uncertain first.

An image's uncertainty is the mean over its pixels of 1 - confidence (the winning class's
softmax probability, :attr:`Prediction.confidence`), as Label Studio's "sort by low
confidence" does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_studio.errors import Cancelled, FCNStudioError

if TYPE_CHECKING:  # the GUI imports this module at start; torch only when ranking runs
    from fcn_studio.inference.predictor import Predictor


@dataclass(frozen=True)
class RankedImage:
    image: Path
    uncertainty: float  # mean of 1 - confidence, in [0, 1 - 1/C]


def rank_by_uncertainty(
    predictor: Predictor,
    images: Iterable[str | Path],
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[RankedImage]:
    """Every image scored by the model, most uncertain first (ties by name). An image
    that cannot be read is skipped, not fatal: it is reported through ``progress``."""
    paths = [Path(p) for p in images]
    ranked = []
    for i, path in enumerate(paths, 1):
        if cancelled and cancelled():
            raise Cancelled()
        try:
            prediction = predictor.predict(path, cancelled=cancelled)
        except Cancelled:
            raise
        except FCNStudioError as exc:
            if progress:
                progress(i, len(paths), f"skipped: {exc}")
            continue
        ranked.append(RankedImage(path, float(1.0 - prediction.confidence.mean(dtype="float64"))))
        if progress:
            progress(i, len(paths), path.name)
    return sorted(ranked, key=lambda r: (-r.uncertainty, r.image.name))


def rank_unlabelled(predictor: Predictor, folder: str | Path, **kwargs) -> list[RankedImage]:
    """The images of ``folder`` without a mask in ``folder/masks``, most uncertain first."""
    from fcn_studio.labelling.label_store import LabelStore

    return rank_by_uncertainty(predictor, LabelStore(folder).unlabelled_images(), **kwargs)
