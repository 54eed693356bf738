""" "Fine-tune on my labels": one head-only round on a worker thread.

Each round starts from the family's base (version 1), not from the version in use, and
compares the held-out scores of the version in use ("before") with the new one ("after"),
as head_trainer.retrain does; the app stays usable while it runs.
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


def start_retrain(folder: Path, model_key: str, device: str, max_size: int, cache: FeatureCache,
                  config: HeadTrainConfig) -> BackgroundTask:  # fmt: skip
    """A started task whose ``succeeded`` carries the :class:`RoundResult`; its worker's
    ``progress`` reports (done, PROGRESS_STEPS, note)."""

    def run(progress, cancelled) -> RoundResult:
        from fcn_studio.storage.weights import resolve_model
        from fcn_studio.training.head_trainer import retrain

        use_background_threads()
        current = resolve_model(model_key)
        family = family_for(model_key)
        try:
            base = resolve_model(family) if family != model_key else current
        except FCNStudioError:  # the family's first version was removed: start from this one
            base = current

        def on_event(event: dict) -> None:
            if event.get("type") == "iteration":
                note = QCoreApplication.translate("Retrain", "epoch {epoch}/{epochs}, loss {loss:.3f}").format(
                    epoch=event["epoch"], epochs=run_config.epochs, loss=event["loss"]
                )
                progress(int(event["progress"] * PROGRESS_STEPS), PROGRESS_STEPS, note)

        run_config = replace(config, device=device, max_size=max_size)
        return retrain(folder, base, family, compare_with=current, config=run_config, cache=cache,
                       on_event=on_event, cancelled=cancelled)  # fmt: skip

    return BackgroundTask(run, None).start()


def scores_text(result: RoundResult) -> str:
    """ "Held-out mean IoU 41.0 % → 63.2 % (2 images)" or why there is no score."""
    translate = QCoreApplication.translate
    version = result.version.id if result.version else ""
    if result.after is None:
        return translate("Retrain", "Installed {version}. No held-out scores: label at least 3 images.").format(
            version=version
        )
    after = 100 * result.after.mean_iou
    n = len(result.val_images)
    if result.before is None:
        return fill(translate("Retrain", "Installed {version}. Held-out mean IoU {after:.1f} % ({n} {n:image|images})."),
                    version=version, after=after, n=n)  # fmt: skip
    before = 100 * result.before.mean_iou
    return fill(translate("Retrain", "Installed {version}. Held-out mean IoU {before:.1f} % → {after:.1f} % ({n} "
                                     "{n:image|images})."), version=version, before=before, after=after, n=n)  # fmt: skip


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
