"""One round of "Fine-tune on my labels": the one entry point the app (and the benches) call.

A round works on what is already in memory: the base loaded once by the model service (no
file is read, hashed or verified again while its identity is unchanged), the features the
views computed for the labelled images (the feature cache; an image not yet seen is run
through the same path that draws predictions), and the version in use. It fits a new head
(the base's score layers, refitted on every labelled pixel of the folder: each round starts
from the base, no drift), measures it and the version in use on the same folds
(application/judgement.py), decides once whether it becomes active, installs it as a head
file of kilobytes, and reports events on the way; the GUI only listens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from fcn_studio.application.judgement import (
    Folds,
    FoldScores,
    Unit,
    Verdict,
    bands,
    cross_validated,
    decide,
    make_folds,
    measure,
)
from fcn_studio.data.labels import IGNORE_INDEX, LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.model_service import LoadedModel, ModelService, SharedBase
from fcn_studio.labelling.label_store import LabelStore
from fcn_studio.labelling.versions import ModelVersion, family_for, install_head_version
from fcn_studio.messages import Message
from fcn_studio.models import FCNHead
from fcn_studio.storage.titles import retrained_title
from fcn_studio.training import engine
from fcn_studio.training.config import DoneEvent, EventFn, MessageEvent, ignore_events
from fcn_studio.training.feature_cache import FeatureCache
from fcn_studio.training.head import LabelledImage, head_state, trainable_head
from fcn_studio.training.head_scores import ScoreSummary
from fcn_studio.training.head_solver import pixel_samples
from fcn_studio.training.head_trainer import HeadTrainConfig, load_labelled
from fcn_studio.training.head_variant import HeadVariant, head_variant


@dataclass(frozen=True)
class RoundRequest:
    folder: Path
    model_id: str  # the version in use: "before", and (through its base) where the round starts
    device: str = "auto"
    switch: str = "if better"  # or "always": the user's standing choice
    config: HeadTrainConfig = field(default_factory=HeadTrainConfig)


@dataclass
class RoundResult:
    version: ModelVersion | None
    before: ScoreSummary | None  # the version in use, on the same folds
    after: ScoreSummary | None  # the new head, cross-validated on them
    verdict: Verdict
    images: list[Path]
    seconds: float
    compared_with: str
    labels: LabelSet
    head: FCNHead  # the new head: a view draws it over the features it holds
    base: SharedBase
    history: list[dict] = field(default_factory=list)
    before_seen: int = 0  # images the version in use was trained on (refitted without them)

    @property
    def made_current(self) -> bool:
        return self.version is not None and self.verdict.make_active

    @property
    def better(self) -> bool | None:
        """Better by more than the noise; None when nothing could be compared."""
        return None if self.verdict.kind == "unscored" else self.verdict.kind == "better"

    @property
    def regressed(self) -> bool:
        return self.verdict.kind == "worse" or (self.verdict.kind == "always" and self.verdict.difference < 0)


@dataclass
class Prepared:
    """What a round and a re-measurement share: the base, the labels, the pixel samples of
    every labelled image and their folds."""

    base: SharedBase
    labels: LabelSet
    samples: list[LabelledImage]
    start: FCNHead  # the base's head for these labels: where every fit starts
    variant: HeadVariant  # its head is the one a round fits
    folds: Folds | None


def prepare(request: RoundRequest, service: ModelService, cache: FeatureCache) -> Prepared:
    """The folder's labelled pixels over the loaded base of ``request.model_id`` (features
    from the cache, or by the path that draws predictions), in folds."""
    config = request.config
    base = service.base(request.model_id, request.device)
    model, pre = base.model(), base.checkpoint.preprocessing
    store = LabelStore(request.folder)
    labels = store.label_set(default=base.checkpoint.labels)
    samples = load_labelled(store, labels, cache)
    if not samples:
        raise FCNStudioError(
            "{folder}: no labelled pixels yet; paint a few strokes per class, then fine-tune again",
            folder=str(request.folder),
        )
    start = trainable_head(model, base.checkpoint.labels.classes, labels)
    variant = head_variant(
        model, start, labels, pre, samples, [], cache, config, max_size=config.max_size, compute=base.features
    )
    folds = make_folds(_units(variant, samples, base, cache, config), config.seed)
    return Prepared(base, labels, samples, start, variant, folds)


def run_round(
    request: RoundRequest,
    service: ModelService,
    cache: FeatureCache,
    *,
    on_event: EventFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RoundResult:
    """Fit, measure, decide, install: see the module's text."""
    config, emit, cancelled = request.config, on_event or ignore_events, cancelled or engine.never
    start_time = time.monotonic()
    prep = prepare(request, service, cache)
    base, labels, samples, start, variant, folds = (
        prep.base,
        prep.labels,
        prep.samples,
        prep.start,
        prep.variant,
        prep.folds,
    )
    emit(
        MessageEvent(
            Message(
                "{n} labelled {n:image|images}, {pixels} labelled pixels, {classes} classes",
                n=len(samples),
                pixels=folds.pixels if folds else sum(int((s.mask != IGNORE_INDEX).sum()) for s in samples),
                classes=labels.num_classes,
            )
        )
    )
    active = service.load(request.model_id, request.device)
    halt = threading.Event()  # the main fit failed or was cancelled: the folds stop too
    stop = lambda: halt.is_set() or cancelled()  # noqa: E731
    with ThreadPoolExecutor(2) as pool:  # both candidates' folds beside the fit of the version itself
        after_job = pool.submit(_after, start, folds, labels, config, stop)
        before_job = pool.submit(measure_version, active, prep, config, stop, request.folder)
        try:
            history = engine.fit_epochs(variant, 1, config.epochs, emit, cancelled)
        except BaseException:
            halt.set()
            raise
        after, before = after_job.result(), before_job.result()
    verdict = decide(before, after, labels.num_classes, request.switch)
    n = labels.num_classes
    result = RoundResult(
        None,
        before and before.summary(n),
        after and after.summary(n),
        verdict,
        [s.image for s in samples],
        0.0,
        request.model_id,
        labels,
        variant.head,
        base,
        history,
        before.seen if before else 0,
    )
    result.version = _install(request, base, variant.head, labels, result)
    result.seconds = time.monotonic() - start_time
    emit(DoneEvent(None, result.version.id, _metrics(result)))
    return result


def _units(variant: HeadVariant, samples: Sequence[LabelledImage], base: SharedBase, cache, config) -> list[Unit]:
    """What the folds hold out: each image; a single image's bands when there is one."""
    if len(samples) > 1:
        return [Unit(s.image.name, tuple(g)) for s, g in zip(samples, variant.groups, strict=True)]
    only = samples[0]
    source = partial(
        cache.features, only.image, variant.model, variant.pre, max_size=config.max_size, compute=base.features
    )
    made = pixel_samples(variant.head, [(source, part, False) for part in bands(only.mask)])
    return [Unit(only.image.name, (p,)) for p in made if p is not None]


def _after(start: FCNHead, folds: Folds | None, labels: LabelSet, config, stop) -> FoldScores | None:
    if folds is None:
        return None
    return cross_validated(
        start, folds, labels.num_classes, l2=config.weight_decay, steps=config.epochs, cancelled=stop
    )


def measure_version(
    version: LoadedModel, prep: Prepared, config: HeadTrainConfig, stop, folder: Path
) -> FoldScores | None:
    """A version on the round's folds: itself where it has not seen a fold, its recipe
    refitted without the fold where it has. A version on another backbone or architecture
    than the round's base cannot share the round's pixel samples: not compared (None)."""
    base, folds, labels = prep.base, prep.folds, prep.labels
    if folds is None or version.base != base.key or version.checkpoint.arch != base.checkpoint.arch:
        return None
    mapped = trainable_head(version.model, version.checkpoint.labels.classes, labels)
    return measure(
        mapped,
        prep.start,
        folds,
        labels.num_classes,
        seen=_trained_on(version, folder),
        l2=config.weight_decay,
        steps=config.epochs,
        cancelled=stop,
    )


def _trained_on(version: LoadedModel, folder: Path) -> set[str]:
    """The images of ``folder`` a head version was trained on (a version trained on another
    folder has seen none of these, whatever their names)."""
    ckpt = version.checkpoint
    if not ckpt.training.get("head_only") or ckpt.provenance.get("data") != str(Path(folder).resolve()):
        return set()
    return set(ckpt.training.get("train_images", []))


def _metrics(result: RoundResult) -> dict:
    metrics: dict = {}
    if result.after is not None:
        metrics = result.after.scores.to_json(list(result.labels.classes)) | result.after.to_json()
    if result.before is not None:
        metrics["before"] = result.before.to_json() | {"model": result.compared_with}
    metrics["decision"] = {
        "kind": result.verdict.kind,
        "difference": _finite(result.verdict.difference),
        "margin": _finite(result.verdict.margin),
    }
    return metrics


def _finite(value: float) -> float | None:
    return None if value != value else value


def _install(request: RoundRequest, base: SharedBase, head: FCNHead, labels: LabelSet, result: RoundResult):
    family = family_for(request.model_id)
    folder = Path(request.folder)
    info = {
        "provenance": {
            "title": retrained_title(family, folder.name).english(),
            "base": base.checkpoint.provenance.get("id", family),
            "data": str(folder.resolve()),
        },
        "metrics": _metrics(result),
        "training": {
            "head_only": True,
            "solver": "lbfgs",
            **asdict(request.config),
            "history": result.history,
            "train_images": [p.name for p in result.images],
        },
    }
    return install_head_version(
        base.checkpoint,
        head_state(head),
        labels,
        base.checkpoint.preprocessing,
        info,
        family,
        make_current=result.verdict.make_active,
    )
