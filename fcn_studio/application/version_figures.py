"""Every listed version's figure on the folder's current labels: the same pixels, the same
folds, the same rule as a round's "before" (application/judgement.measure), so the Version
list is always comparable. The app runs this in the background after a round and whenever
the labels change; a figure says how many images and pixels it rests on."""

from __future__ import annotations

from collections.abc import Callable

from fcn_studio.application.retrain_round import RoundRequest, measure_version, prepare
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.model_service import ModelService
from fcn_studio.labelling.versions import family_for, list_versions
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head_scores import ScoreSummary


def measure_versions(
    request: RoundRequest,
    service: ModelService,
    cache: FeatureCache,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, ScoreSummary]:
    """Version id -> its figure on the labelled pixels of ``request.folder``, for every
    version of ``request.model_id``'s family that sits on the same base (others, which
    cannot share these pixel samples, are left out)."""
    prep = prepare(request, service, cache)
    out: dict[str, ScoreSummary] = {}
    for version in list_versions(family_for(request.model_id)):
        if cancelled and cancelled():
            break
        try:
            loaded = service.load(version.id, request.device)
        except FCNStudioError:  # a damaged or orphaned version: listed without a figure
            continue
        scores = measure_version(loaded, prep, request.config, cancelled, request.folder)
        if scores is not None:
            out[version.id] = scores.summary(prep.labels.num_classes)
    return out
