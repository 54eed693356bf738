""" "Fine-tune on my labels": one round (application/retrain_round.run_round) on a worker
thread, and what the panel says about it.

The round runs on the base the views already hold (the window's model service) and the
features they computed (the feature cache); it measures the new version and the version in
use on the same folds of all labelled pixels and decides once whether the new one becomes
active (application/judgement.decide): a tie or a worse figure keeps the version in use,
unless the user chose to always switch (settings.ALWAYS_SWITCH, in the window's settings).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from fcn_studio.gui import settings as keys
from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner
from fcn_studio.messages import fill
from fcn_studio.state.versions_list import VersionEntry

if TYPE_CHECKING:  # torch-backed: imported when a round runs, never at the app's start
    from fcn_studio.application.retrain_round import RoundResult
    from fcn_studio.gui.settings import Settings
    from fcn_studio.inference.model_service import ModelService
    from fcn_studio.training.feature_cache import FeatureCache
    from fcn_studio.training.head_trainer import HeadTrainConfig

PROGRESS_STEPS = 1000


def start_retrain(
    folder: Path,
    model_key: str,
    device: str,
    max_size: int,
    service: ModelService,
    cache: FeatureCache,
    config: HeadTrainConfig,
    switch: str,
    runner: TaskRunner | None = None,
) -> BackgroundTask:
    """A started task whose ``succeeded`` carries the :class:`RoundResult`; its worker's
    ``progress`` reports (done, PROGRESS_STEPS, note)."""

    def run(progress, cancelled) -> RoundResult:
        from dataclasses import replace

        from fcn_studio.application.retrain_round import RoundRequest, run_round
        from fcn_studio.training.config import IterationEvent

        use_background_threads()
        run_config = replace(config, device=device, max_size=max_size)

        def on_event(event) -> None:
            if isinstance(event, IterationEvent):
                note = QCoreApplication.translate("Retrain", "epoch {epoch}/{epochs}, loss {loss:.3f}").format(
                    epoch=event.epoch, epochs=run_config.epochs, loss=event.loss
                )
                progress(int(event.progress * PROGRESS_STEPS), PROGRESS_STEPS, note)

        request = RoundRequest(folder, model_key, device, switch, run_config)
        return run_round(request, service, cache, on_event=on_event, cancelled=cancelled)

    return BackgroundTask(run, None).start(runner)


def always_switch(settings: Settings) -> bool:
    """The remembered choice: every new version becomes active at once, better or not."""
    return settings.read(keys.ALWAYS_SWITCH)


def set_always_switch(settings: Settings, on: bool) -> None:
    settings.write(keys.ALWAYS_SWITCH, bool(on))


def basis_text(score) -> str:
    """ "6 images, 41,310 labelled pixels, ± 4.2" : what a figure rests on, and its spread."""
    translate = QCoreApplication.translate
    text = fill(
        translate("Retrain", "{n} {n:image|images}, {px} labelled pixels"), n=score.images, px=f"{score.pixels:,}"
    )
    if not math.isnan(score.spread):  # two or more folds
        text += translate("Retrain", ", spread ± {spread:.1f}").format(spread=100 * score.spread)
    return text


def scores_text(result: RoundResult) -> str:
    """What the round did, how both versions scored on the same pixels and why the one in
    use is the one in use: "Now using crack-v3: mean IoU 41.0 % (crack-v2) → 63.2 % (6
    images, 41,310 labelled pixels, spread ± 4.2); better by 22.2 points, more than the
    noise (± 3.1)", or that a tie or a worse version was kept and not used."""
    translate = QCoreApplication.translate
    verdict, before, after = result.verdict, result.before, result.after
    version = result.version.id if result.version else ""
    active = result.compared_with
    if after is None or before is None:
        text = translate(
            "Retrain", "Installed {version}; not scored: label a few more strokes (or a second image) for a figure."
        ).format(version=version)
        if result.made_current:
            return text + " " + translate("Retrain", "Now using it: you chose to always use a new version.")
        return text + " " + translate("Retrain", "Still using {active}.").format(active=active)
    figures = dict(
        version=version,
        active=active,
        before=100 * before.mean_iou,
        after=100 * after.mean_iou,
        diff=100 * abs(verdict.difference),
        margin=100 * verdict.margin,
        basis=basis_text(after),
    )
    text = _verdict_text(verdict.kind, result.regressed).format(**figures)
    if result.before_seen:
        text += " " + translate(
            "Retrain",
            "{active} was trained on {seen} of these images: on each of them its figure is its training refitted "
            "without that image, as held out as the new version's.",
        ).format(active=active, seen=result.before_seen)
    return text


def _verdict_text(kind: str, regressed: bool) -> str:
    translate = QCoreApplication.translate
    same = translate("Retrain", "mean IoU {before:.1f} % ({active}) → {after:.1f} % ({version}), on the same {basis}")
    if kind == "better":
        return (
            translate("Retrain", "Now using {version}: ")
            + same
            + translate("Retrain", "; better by {diff:.1f} points, more than the noise (± {margin:.1f}).")
        )
    if kind == "always":
        tail = (
            translate("Retrain", "; {diff:.1f} points lower, used because you chose to always use a new version.")
            if regressed
            else translate("Retrain", "; used because you chose to always use a new version.")
        )
        return translate("Retrain", "Now using {version}: ") + same + tail
    if kind == "tie":
        return (
            translate("Retrain", "{version} ties with {active}: ")
            + same
            + translate(
                "Retrain",
                "; the difference ({diff:.1f} points) is within the noise (± {margin:.1f}). Still using {active}; "
                "{version} is kept.",
            )
        )
    return (
        translate("Retrain", "{version} scores worse than {active}: ")
        + same
        + translate("Retrain", ", {diff:.1f} points lower. Still using {active}; {version} is kept.")
    )


def version_text(entry: VersionEntry) -> str:
    """An entry of the Version box: its figure on the folder's current labels when
    measured (all entries on the same pixels), else as recorded when it was trained."""
    translate = QCoreApplication.translate
    v, figure = entry.version, entry.figure
    if figure is not None:  # measured now, on the same pixels as every other entry
        return fill(
            translate("Retrain", "{id}: {miou} % on {n} {n:image|images}, {px} px"),
            id=v.id,
            miou=f"{100 * figure.mean_iou:.1f}",
            n=figure.images,
            px=f"{figure.pixels:,}",
        )
    miou = v.metrics.get("mean_iou")
    if v.version == 1:
        return translate("Retrain", "{id} (base)").format(id=v.id)
    if isinstance(miou, int | float):
        return translate("Retrain", "{id} (mean IoU {miou:.1f} % when trained)").format(id=v.id, miou=100 * miou)
    return v.id
