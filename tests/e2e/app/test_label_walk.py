"""What a walk through the real window found in Label mode (issue 26): the photo opened right
after a round is the one labelled; live results reach the screen; the overlay stays up after
a version is installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject

from fcn_studio.data.images import load_image
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.predictor import Predictor
from fcn_studio.labelling.versions import install_version
from fcn_studio.storage import weights
from tests.e2e.app.label_kit import MODEL_ID, drag, open_and_label


def _switch_while_loading(qtbot, win, target: Path, model_id: str) -> None:
    """Open ``target`` and, before its decoding comes back from the loader thread, change
    the model as a round's install does; wait for the result that follows."""
    ws = win.workspace
    before = ws.current_result
    win.open_paths([str(target)])  # decoded on the loader thread: its answer is queued...
    win.models_changed(model_id)  # ...behind the model change (every view segments anew)
    qtbot.waitUntil(lambda: ws.current_result is not None and ws.current_result is not before, timeout=60_000)


@pytest.mark.parametrize("other", [True, False], ids=["another-model", "same-model-reloaded"])
def test_a_model_change_while_the_next_photo_loads_leaves_label_mode_on_that_photo(
    qtbot, win, folder, caffe_layout_file, other
):
    model_id = "other" if other else MODEL_ID
    if other:
        weights.import_weights(caffe_layout_file("fcn32s"), model_id)
    lm = open_and_label(qtbot, win, folder / "p0.png")
    target = folder / "p1.png"
    _switch_while_loading(qtbot, win, target, model_id)
    ws = win.workspace
    assert ws.current_path == target
    assert np.array_equal(ws.current_rgb, load_image(target)), "the new photo is on screen"
    assert lm.session is not None and lm.session.image == target, "Label mode is on the new photo"
    expected = Predictor(weights.resolve_model(model_id), "cpu", max_size=ws.max_size).predict(target)
    assert ws.current_result.model_key == model_id
    assert np.array_equal(ws.current_result.labels, expected.labels), "the result is the new photo's"
    assert win.overlay.result is ws.current_result


class _Paints(QObject):
    """Counts the paint events of a widget (the canvas's viewport)."""

    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_a_live_result_is_painted_as_soon_as_it_arrives(qtbot, win, folder):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    lm.actions.live.trigger()
    lm.state.set_radius(3)
    paints = _Paints(win.canvas.viewport())
    arrived: list[tuple[int, object]] = []  # (paints before it, the live result)
    lm.live.updated.connect(lambda result, _s: arrived.append((paints.count, result)))
    for i in range(3):
        lm.state.set_class(1 + i)
        drag(qtbot, win, [(5, 5 + 10 * i), (40, 5 + 10 * i)])
        qtbot.waitUntil(lambda n=i: len(arrived) > n, timeout=60_000)
        before, result = arrived[i]
        qtbot.waitUntil(lambda b=before: paints.count > b, timeout=2000)  # repainted without any other cause
        assert win.overlay.result is result
        shown = win.canvas.overlay_pixmap().toImage()
        y, x = 70, 90  # far from the strokes
        index = int(result.labels[y, x])
        assert shown.pixelColor(x, y).rgb() & 0xFFFFFF == _rgb(result.label_set.colors[index])


def test_installing_a_version_keeps_the_overlay_up_and_segments_once(qtbot, win, folder, monkeypatch):
    lm = open_and_label(qtbot, win, folder / "p0.png")
    ws = win.workspace
    shown, requests = [], []
    set_result, submit = win.overlay.set_result, ws.worker.submit
    monkeypatch.setattr(win.overlay, "set_result", lambda r: (shown.append(r), set_result(r)))
    monkeypatch.setattr(ws.worker, "submit", lambda request: (requests.append(request), submit(request)))
    ckpt = weights.resolve_model(MODEL_ID)
    ckpt.metrics = {"mean_iou": 0.5}
    v2 = install_version(ckpt, MODEL_ID).id
    lm.ctx.use_model(v2)  # as a round that made it current does
    win.model_actions.models_changed_keep_selection()  # the weights folder's watcher, a moment later
    qtbot.waitUntil(lambda: ws.current_result is not None and ws.current_result.model_key == v2, timeout=60_000)
    assert None not in shown, "the previous overlay stays up until the new version's result replaces it"
    assert win.overlay.result is ws.current_result
    assert [r.model for r in requests] == [v2], "segmented once: the watcher's reload of the same file restarts nothing"


def test_an_overlay_kept_while_a_model_loads_goes_when_the_model_fails(
    qtbot, win, folder, caffe_layout_file, monkeypatch
):
    open_and_label(qtbot, win, folder / "p0.png")
    weights.import_weights(caffe_layout_file("fcn32s"), "broken")
    load = win.service.load

    def failing_load(spec, *args, **kwargs):
        if spec == "broken":
            raise FCNStudioError("broken: cannot be read")
        return load(spec, *args, **kwargs)

    monkeypatch.setattr(win.service, "load", failing_load)
    win.models_changed("broken")
    qtbot.waitUntil(lambda: win.error_box is not None and win.error_box.isVisible(), timeout=30_000)
    assert win.workspace.current_result is None and win.overlay.result is None
    assert win.canvas.overlay_pixmap().isNull(), "nothing of the previous model's overlay stays"


def _rgb(color) -> int:
    r, g, b = (int(v) for v in color)
    return (r << 16) | (g << 8) | b
