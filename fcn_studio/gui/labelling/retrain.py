""" "Fine-tune on my labels": one head-only round on a worker thread, and what the panel
says about it.

Each round starts from the family's base (version 1), not from the version in use, and
compares the version in use ("before") with the new one ("after", cross-validated by image)
on the same labelled pixels, as head_trainer.retrain does; the app stays usable while it
runs. A new version that scores worse is installed but not made active unless the user
asked to always switch (ALWAYS_SWITCH_KEY, remembered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.shared.results import use_background_threads
from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.labelling.versions import ModelVersion, family_for, list_versions
from fcn_studio.messages import fill

if TYPE_CHECKING:  # torch-backed: imported when a round runs, never at the app's start
    from fcn_studio.training.feature_cache import FeatureCache
    from fcn_studio.training.head_trainer import HeadTrainConfig, RoundResult

PROGRESS_STEPS = 1000
ALWAYS_SWITCH_KEY = "labelling/always_use_new_version"


def start_retrain(
    folder: Path, model_key: str, device: str, max_size: int, cache: FeatureCache, config: HeadTrainConfig
) -> BackgroundTask:
    """A started task whose ``succeeded`` carries the :class:`RoundResult`; its worker's
    ``progress`` reports (done, PROGRESS_STEPS, note)."""

    def run(progress, cancelled) -> RoundResult:
        from fcn_studio.storage.weights import resolve_model
        from fcn_studio.training.config import IterationEvent
        from fcn_studio.training.head_trainer import retrain

        use_background_threads()
        current = resolve_model(model_key)
        family = family_for(model_key)
        try:
            base = resolve_model(family) if family != model_key else current
        except FCNStudioError:  # the family's first version was removed: start from this one
            base = current

        def on_event(event) -> None:
            if isinstance(event, IterationEvent):
                note = QCoreApplication.translate("Retrain", "epoch {epoch}/{epochs}, loss {loss:.3f}").format(
                    epoch=event.epoch, epochs=run_config.epochs, loss=event.loss
                )
                progress(int(event.progress * PROGRESS_STEPS), PROGRESS_STEPS, note)

        run_config = replace(config, device=device, max_size=max_size)
        return retrain(
            folder,
            base,
            family,
            compare_with=current,
            compare_id=model_key,
            config=run_config,
            cache=cache,
            switch=switch,
            on_event=on_event,
            cancelled=cancelled,
        )

    switch = "always" if always_switch() else "if better"  # read here, on the GUI thread

    return BackgroundTask(run, None).start()


def always_switch() -> bool:
    """The remembered choice: every new version becomes active at once, better or not."""
    from fcn_studio.gui.settings import Settings

    return Settings().get_bool(ALWAYS_SWITCH_KEY, False)


def set_always_switch(on: bool) -> None:
    from fcn_studio.gui.settings import Settings

    Settings().set(ALWAYS_SWITCH_KEY, on)


def basis_text(score) -> str:
    """ "6 images, 41,310 labelled pixels, ± 4.2" : what a figure rests on, and its spread."""
    translate = QCoreApplication.translate
    text = fill(
        translate("Retrain", "{n} {n:image|images}, {px} labelled pixels"), n=score.images, px=f"{score.pixels:,}"
    )
    if score.spread == score.spread:  # not nan: two or more folds
        text += translate("Retrain", ", spread ± {spread:.1f}").format(spread=100 * score.spread)
    return text


def scores_text(result: RoundResult) -> str:
    """What the round did and how it scored, with what each figure rests on: "Installed
    crack-v3 and switched to it. Mean IoU 41.0 % → 63.2 % (cross-validated: 6 images,
    41,310 labelled pixels, spread ± 4.2)", or that a worse version was kept and not used."""
    translate = QCoreApplication.translate
    version = result.version.id if result.version else ""
    before, after, active = result.before, result.after, result.compared_with or ""
    if after is None:
        text = translate(
            "Retrain", "Installed {version}; not scored: label a second image for a cross-validated score."
        ).format(version=version)
        if before is not None:
            text += " " + translate("Retrain", "{active} scores {before:.1f} % on these labels ({basis}).").format(
                active=active, before=100 * before.mean_iou, basis=basis_text(before)
            )
        return text
    scored = translate("Retrain", "cross-validated: {basis}").format(basis=basis_text(after))
    if before is None:
        return translate("Retrain", "Installed {version}. Mean IoU {after:.1f} % ({scored}).").format(
            version=version, after=100 * after.mean_iou, scored=scored
        )
    figures = dict(
        version=version,
        active=active,
        before=100 * before.mean_iou,
        after=100 * after.mean_iou,
        diff=100 * abs(after.mean_iou - before.mean_iou),
        scored=scored,
    )
    if result.made_current:
        text = translate(
            "Retrain", "Now using {version}: mean IoU {before:.1f} % ({active}) → {after:.1f} % ({scored})."
        ).format(**figures)
        if result.regressed:
            text += " " + translate(
                "Retrain", "It scores {diff:.1f} points lower than {active}; you chose to always use a new version."
            ).format(**figures)
    else:
        text = translate(
            "Retrain",
            "{version} scores worse than {active}: mean IoU {after:.1f} % against "
            "{before:.1f} %, {diff:.1f} points lower ({scored}). Still using {active}; "
            "{version} is kept.",
        ).format(**figures)
    if getattr(result, "before_recorded", False):
        text += " " + translate(
            "Retrain",
            "{active} was trained on all of these images: its figure is its own "
            "cross-validated score from when it was trained ({basis}).",
        ).format(active=active, basis=basis_text(before))
    if result.before_seen:
        text += " " + translate(
            "Retrain", "{active} was trained on {seen} of these images, so its figure is optimistic."
        ).format(active=active, seen=result.before_seen)
    return text


def version_entries(model_key: str) -> tuple[list[tuple[str, str]], str]:
    """The versions of ``model_key``'s family as (id, text) for the versions combo."""
    if not model_key:
        return [], ""
    versions: list[ModelVersion] = list_versions(family_for(model_key))
    entries = [(v.id, _version_text(v)) for v in versions]
    return entries, model_key


def _version_text(v: ModelVersion) -> str:
    translate = QCoreApplication.translate
    miou = v.metrics.get("mean_iou")
    if v.version == 1:
        return translate("Retrain", "{id} (base)").format(id=v.id)
    if isinstance(miou, int | float):
        return translate("Retrain", "{id} (mean IoU {miou:.1f} %)").format(id=v.id, miou=100 * miou)
    return v.id


RetrainDone = Callable[[object, str], None]  # (RoundResult or None, error message)
