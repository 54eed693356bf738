"""A fine-tune round whose version scores worse than the one in use: kept and offered, never
made active behind the user's back; one click uses it anyway (issue 18)."""

from __future__ import annotations

from fcn_studio.application import retrain_round
from fcn_studio.application.judgement import FoldScores
from fcn_studio.data.metrics import ConfusionMatrix
from fcn_studio.labelling.versions import current_version
from fcn_studio.training.head_trainer import HeadTrainConfig
from tests.e2e.app.label_kit import LEFT, MODEL_ID
from tests.e2e.app.test_label_mode import labelled_folder


def _scores(folds, num_classes: int, right: bool) -> FoldScores:
    """Every fold's labelled pixels all right, or all wrong."""
    out = []
    for held in folds.parts:
        cm = ConfusionMatrix(num_classes)
        for i in held:
            for s in folds.units[i].samples:
                truth = s.target.numpy()
                cm.update(truth, truth if right else (truth + 1) % num_classes)
        out.append(cm)
    return FoldScores(tuple(out), folds)


def test_a_worse_version_is_not_made_active_without_the_users_click(qtbot, win, folder, monkeypatch):
    labelled_folder(qtbot, win, folder)
    # the version in use gets every labelled pixel right, the new one (cross-validated) none
    monkeypatch.setattr(retrain_round, "measure", lambda head, start, folds, n, **_: _scores(folds, n, True))
    monkeypatch.setattr(retrain_round, "cross_validated", lambda start, folds, n, **_: _scores(folds, n, False))
    lm = win.label_mode
    lm.fine_tune.train_config = HeadTrainConfig(epochs=2)
    lm.actions.retrain.trigger()
    qtbot.waitUntil(lambda: lm.fine_tune.task is None, timeout=120_000)
    result = lm.fine_tune.last_round
    new = f"{MODEL_ID}-v2"
    assert result.version.id == new and result.regressed and not result.made_current
    assert current_version(MODEL_ID) == MODEL_ID and win.models.current_id() == MODEL_ID, "still the active model"
    assert win.workspace.current_result.model_key == MODEL_ID
    text = lm.panel.scores.text()
    assert "scores worse" in text and f"Still using {MODEL_ID}" in text and "3 images" in text
    assert new in [lm.panel.versions.itemData(i) for i in range(lm.panel.versions.count())], "kept"

    button = lm.panel.offer.use_button
    assert button.isVisible() and button.text() == f"Use {new} anyway"
    qtbot.mouseClick(button, LEFT)
    assert current_version(MODEL_ID) == new and win.models.current_id() == new
    qtbot.waitUntil(
        lambda: win.workspace.current_result is not None and win.workspace.current_result.model_key == new,
        timeout=60_000,
    )
    assert not button.isVisible()
