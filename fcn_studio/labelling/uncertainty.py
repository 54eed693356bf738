"""Which image to label next: the folder's unlabelled images, most uncertain first.

An image's uncertainty is the mean over its pixels of 1 - confidence (the winning class's
softmax probability, :attr:`Prediction.confidence`), as Label Studio's "sort by low
confidence" does, read on every 4th pixel of each row and column (UNCERTAINTY_STEP: the map
is smooth, and 1/16 of its pixels is most of the saving when the head alone runs).

With a feature store (Label mode's feature cache), an image whose backbone features are held
is scored by the model's head alone, and the features of one that is not are kept as it is
scored: the first ranking of a folder costs a forward pass per image, every later one (a new
version after each round) costs its head, milliseconds an image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from fcn_studio.errors import Cancelled, FCNStudioError

if TYPE_CHECKING:  # the GUI imports this module at start; torch only when ranking runs
    from fcn_studio.inference.predictor import Prediction, Predictor


class FeatureStore(Protocol):
    """Where an image's backbone features are kept for a predictor (the feature cache)."""

    def held(self, image: Path, predictor: Predictor) -> tuple[tuple, tuple[int, int]] | None: ...

    def keep(self, image: Path, predictor: Predictor, prediction: Prediction) -> None: ...


@dataclass(frozen=True)
class RankedImage:
    image: Path
    uncertainty: float  # mean of 1 - confidence, in [0, 1 - 1/C]


def rank_by_uncertainty(
    predictor: Predictor,
    images: Iterable[str | Path],
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    features: FeatureStore | None = None,
) -> list[RankedImage]:
    """Every image scored by the model, most uncertain first (ties by name). An image
    that cannot be read is skipped, not fatal: it is reported through ``progress``.
    ``features``: held features are scored by the head alone; computed ones are kept."""
    paths = [Path(p) for p in images]
    ranked = []
    for i, path in enumerate(paths, 1):
        if cancelled and cancelled():
            raise Cancelled()
        try:
            uncertainty = _uncertainty(predictor, path, features, cancelled)
        except Cancelled:
            raise
        except FCNStudioError as exc:
            if progress:
                progress(i, len(paths), f"skipped: {exc}")
            continue
        ranked.append(RankedImage(path, uncertainty))
        if progress:
            progress(i, len(paths), path.name)
    return sorted(ranked, key=lambda r: (-r.uncertainty, r.image.name))


def _uncertainty(predictor: Predictor, path: Path, features: FeatureStore | None, cancelled) -> float:
    """Mean 1 - confidence on every UNCERTAINTY_STEP-th pixel of each row and column, by the
    head alone where the features are held."""
    from fcn_studio.inference.predictor import UNCERTAINTY_STEP

    held = None if features is None else features.held(path, predictor)
    if held is None:
        prediction = predictor.predict(path, return_features=features is not None, cancelled=cancelled)
        if features is not None:
            features.keep(path, predictor, prediction)
        step = slice(None, None, UNCERTAINTY_STEP)
        return float(1.0 - prediction.confidence[step, step].mean(dtype="float64"))
    return predictor.uncertainty_from_features(*held)


def rank_unlabelled(predictor: Predictor, folder: str | Path, **kwargs) -> list[RankedImage]:
    """The images of ``folder`` without a mask in ``folder/masks``, most uncertain first."""
    from fcn_studio.labelling.label_store import LabelStore

    return rank_by_uncertainty(predictor, LabelStore(folder).unlabelled_images(), **kwargs)
