"""The click-to-fine-tune loop in the window, as the app runs it (issue 26): a round reads no
base file and runs no backbone for images the views already ran; the new version's overlay
is its head over the held features; a tie keeps the version in use and says so; every
listed version's figure rests on the same pixels."""

from __future__ import annotations

from fcn_studio.inference.predictor import Predictor
from fcn_studio.labelling.versions import current_version
from fcn_studio.training.head_trainer import HeadTrainConfig
from tests.e2e.app.label_kit import MODEL_ID
from tests.e2e.app.test_label_mode import labelled_folder


def _round(qtbot, win) -> object:
    lm = win.label_mode
    lm.fine_tune.train_config = HeadTrainConfig(epochs=2)
    lm.actions.retrain.trigger()
    qtbot.waitUntil(lambda: lm.fine_tune.task is None, timeout=120_000)
    assert lm.fine_tune.last_round is not None, win.statusBar().currentMessage()
    return lm.fine_tune.last_round


def test_a_round_reads_no_base_and_the_new_overlay_is_its_head_over_held_features(qtbot, win, folder, monkeypatch):
    labelled_folder(qtbot, win, folder)  # three photos, each drawn while in Label mode
    lm = win.label_mode
    lm.prefetch.wait()
    lm.panel.offer.always.setChecked(True)  # the new version becomes active whatever it scores
    service = win.workspace.service
    reads, runs = service.reads, lm.cache.backbone_runs
    forwards = []
    real = Predictor._logits
    monkeypatch.setattr(Predictor, "_logits", lambda self, *a, **k: forwards.append(1) or real(self, *a, **k))
    result = _round(qtbot, win)
    new = result.version.id
    qtbot.waitUntil(
        lambda: win.workspace.current_result is not None and win.workspace.current_result.model_key == new,
        timeout=60_000,
    )
    assert service.reads == reads, "the loaded base is not read again"
    assert lm.cache.backbone_runs == runs, "training reused the features the view computed"
    assert forwards == [], "no full forward for an image whose features are held"
    assert win.workspace.current_result.backend == "held features"
    assert win.overlay.result is win.workspace.current_result


def test_a_tie_keeps_the_version_in_use_and_the_panel_says_why(qtbot, win, folder):
    labelled_folder(qtbot, win, folder)
    lm = win.label_mode
    lm.panel.offer.always.setChecked(True)
    first = _round(qtbot, win)  # made active by the user's standing choice
    lm.panel.offer.always.setChecked(False)
    again = _round(qtbot, win)  # the same labels: v2's training refitted without each fold is v3's
    assert again.verdict.kind == "tie" and not again.made_current
    assert current_version(MODEL_ID) == first.version.id == win.inference.model_key
    text = lm.panel.scores.text()
    assert "ties with" in text and f"Still using {first.version.id}" in text and "within the noise" in text
    assert lm.panel.offer.use_button.isVisible()  # the user may still choose it


def test_every_listed_version_is_measured_on_the_same_pixels(qtbot, win, folder):
    labelled_folder(qtbot, win, folder)
    lm = win.label_mode
    result = _round(qtbot, win)
    qtbot.waitUntil(lambda: lm.fine_tune.figures_task is None and len(lm.fine_tune.figures) >= 2, timeout=120_000)
    figures = lm.fine_tune.figures
    assert {MODEL_ID, result.version.id} <= set(figures)
    assert len({(f.images, f.pixels) for f in figures.values()}) == 1, "all on the same images and pixels"
    texts = [lm.panel.versions.itemText(i) for i in range(lm.panel.versions.count())]
    assert all("3 images" in t for t in texts), texts
