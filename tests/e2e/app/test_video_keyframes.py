"""The player's keyframes mode: the display never waits on the model (a fake slow one),
labels carried exactly on a static clip and on whole-pixel pans, keyframes read ahead in a
file, a cut drops the old scene's keyframes, and the engine drops frames rather than
queueing them when it falls behind."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fcn_studio.data.labels import voc_labels
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.gui.video.keyframes import PlayerKeyframes
from tests.unit.inference.test_keyframes import pixelwise, textured


def as_result(rgb: np.ndarray) -> SegmentationResult:
    h, w = rgb.shape[:2]
    labels = pixelwise(rgb)
    return SegmentationResult(labels, np.full((h, w), 200, np.uint8), voc_labels(), "fake", "fcn8s", 0.0, (h, w))


class SlowModel:
    """Segments only while ``go`` is set, stops (None) when ``cancelled()`` says so; counts
    calls, cancellations and which frames it was given."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.go = threading.Event()
        self.calls = 0
        self.cancelled = 0
        self.seconds = seconds  # what its results say the model took
        self.frames: list[np.ndarray] = []

    def __call__(self, rgb, cancelled=lambda: False):
        self.calls += 1
        self.frames.append(rgb)
        end = time.monotonic() + 20
        while not self.go.wait(0.01):
            if cancelled():
                self.cancelled += 1
                return None
            assert time.monotonic() < end, "the test never let the model finish"
        return dataclasses.replace(as_result(rgb), seconds=self.seconds)


def engine_on_a_pan(tmp_path, model: SlowModel, seed: int):
    """The real video engine, ``model`` its segmentation, and a 50-frame 160x90 clip of a
    2 px a frame pan at 25 fps: (engine, clip, the scene panned over)."""
    from fcn_studio.gui.video.engine import VideoEngine
    from fcn_studio.inference.video import VideoWriter

    h, w, n = 90, 160, 50
    scene = textured(h, w + 2 * n, seed=seed)
    writer = VideoWriter(tmp_path / "pan.avi", w, h, 25.0)
    for i in range(n):
        writer.write(np.ascontiguousarray(scene[:, 2 * i : 2 * i + w]))
    engine = VideoEngine()
    engine._segment = lambda rgb, interruptible, on_preview=None, cancelled=lambda: False: model(rgb, cancelled)
    return engine, writer.close(), scene


def wait_for(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_the_display_never_waits_for_the_model_and_asks_for_one_keyframe_at_a_time():
    h, w, step = 90, 160, 3
    scene = textured(h, w + step * 14, seed=11)
    model = SlowModel()
    player = PlayerKeyframes(model)
    frame = [scene[:, step * i : step * i + w] for i in range(14)]
    start = time.perf_counter()
    assert player.result(0, frame[0]) is None  # nothing finished yet: the frame without overlay
    for i in range(1, 10):
        assert player.result(i, frame[i]) is None
    assert time.perf_counter() - start < 2.0
    wait_for(lambda: model.calls >= 1)
    assert model.calls == 1  # one request, never a queue
    model.go.set()
    wait_for(lambda: player.keyframes == 1)
    model.go.clear()  # from now on the model is "slow": the display goes on
    start = time.perf_counter()
    for i in range(10, 14):  # up to a quarter of the frame's width from the keyframe
        out = player.result(i, frame[i])
        seen = w - step * i  # the columns frame 0 (the keyframe) saw
        assert out is not None and (out.labels[:, :seen] == pixelwise(frame[i])[:, :seen]).all(), i
        assert (out.confidence == 200).all()
    assert time.perf_counter() - start < 5.0, "frames were held up by the model"
    wait_for(lambda: model.calls >= 2)
    assert model.calls == 2 and player.keyframes == 1  # the next keyframe, asked for at once, still running
    model.go.set()
    wait_for(lambda: player.keyframes == 2)
    player.close()


def test_a_static_clip_is_carried_exactly():
    frame = textured(90, 160, seed=12)
    model = SlowModel()
    model.go.set()
    player = PlayerKeyframes(model)
    player.result(0, frame)
    wait_for(lambda: player.keyframes >= 1)
    for i in range(1, 8):
        assert (player.result(i, frame.copy()).labels == pixelwise(frame)).all()
    player.close()


@pytest.mark.parametrize("step", [2, 4])
def test_keyframes_read_ahead_carry_a_whole_pixel_pan_exactly_from_both_sides(step):
    """A file: the next keyframe is a frame ahead of the display, and pixels the nearest
    keyframe did not see come from another that did: every pixel exact."""
    h, w, n = 90, 160, 30
    scene = textured(h, w + step * n, seed=13)
    frames = [np.ascontiguousarray(scene[:, step * i : step * i + w]) for i in range(n)]
    model = SlowModel()
    model.go.set()
    player = PlayerKeyframes(model)
    player.ahead = frames.__getitem__
    player.result(0, frames[0])
    wait_for(lambda: player.keyframes == 1)
    player._latency = 4 / 25  # as if a keyframe took 4 frames at 25 fps: the next is 6 ahead
    player.result(1, frames[1])
    wait_for(lambda: player.keyframes == 2)
    model.go.clear()  # no further keyframe finishes: frames 2-7 come from frames 0 and 7
    assert np.array_equal(model.frames[1], frames[7])
    for i in range(2, 8):
        out = player.result(i, frames[i])
        assert (out.labels == pixelwise(frames[i])).all(), i  # from frame 0 and frame 7 together
    model.go.set()
    player.close()


def test_a_cut_drops_the_old_scenes_keyframes():
    a, b = textured(90, 160, seed=14), textured(90, 160, seed=15)[::-1] // 2
    model = SlowModel()
    model.go.set()
    player = PlayerKeyframes(model)
    player.result(0, a)
    wait_for(lambda: player.keyframes >= 1)
    model.go.clear()  # (the next request may already be under way: counts below are at least)
    assert player.result(1, a) is not None  # carried; the keyframe it asks for is held up
    assert player.result(2, b) is None  # old labels never drawn over a new scene
    model.go.set()

    def new_scene_drawn() -> bool:
        shown = player.result(3, b)
        return shown is not None and bool((shown.labels == pixelwise(b)).all())

    wait_for(new_scene_drawn)
    player.close()


def test_the_engine_shows_frames_at_the_clocks_rate_while_the_model_is_slow_and_drops_frames(tmp_path):
    """The real engine (its own thread, its own clock) in keyframes mode with a model that
    takes far longer than the whole clip: every frame shown on time, none queued."""
    from fcn_studio.gui.video.engine import KEYFRAMES
    from fcn_studio.state.inference_choice import InferenceChoice

    n, fps = 50, 25.0
    model = SlowModel()
    engine, clip, _ = engine_on_a_pan(tmp_path, model, seed=16)
    shown: list[tuple[int, float]] = []
    ended = threading.Event()
    direct = Qt.ConnectionType.DirectConnection  # no event loop runs here
    engine.frame_ready.connect(lambda i, rgb, r: shown.append((i, time.monotonic())), direct)
    engine.playing_changed.connect(lambda playing: playing or ended.set(), direct)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    try:
        engine.command("mode", KEYFRAMES)
        engine.open_source(str(clip))
        engine.set_model(InferenceChoice("fake"))
        wait_for(lambda: model.calls >= 1)
        model.go.set()  # frame 0's own (paused) result
        wait_for(lambda: engine._commands.empty() and not engine._needs_result)
        model.go.clear()  # from here on the model never finishes while the clip plays
        slow = engine._keyframes.result
        engine._keyframes.result = lambda *a: time.sleep(0.1) or slow(*a)  # a display slower than 25 fps
        shown.clear()
        start = time.monotonic()
        engine.command("play")
        assert ended.wait(20)
        took = time.monotonic() - start
    finally:
        model.go.set()
        engine.stop()
        thread.join(10)
    indices = [i for i, _ in shown]
    assert indices[-1] == n - 1 and took < n / fps + 1.5, (took, indices)  # kept the clock's pace
    assert len(indices) < n * 0.6 and indices == sorted(set(indices)), indices  # frames dropped, not queued


def test_closing_gives_a_keyframe_in_the_making_time_to_end():
    """The engine's end: the process must not exit while the model runs on the thread."""
    model = SlowModel()
    player = PlayerKeyframes(model)
    player.result(0, textured(90, 160, seed=17))
    wait_for(lambda: model.calls == 1)
    threading.Timer(0.3, model.go.set).start()
    player.close(wait=10)
    assert not player._thread.is_alive() and player.keyframes == 0  # its result dropped


def test_a_seek_stops_the_keyframe_in_the_making_and_asks_for_the_new_one_at_once():
    """A keyframe of the frames left behind is worthless: it must not hold up the first
    keyframe of where the user went (the frames would show no overlay meanwhile)."""
    a, b = textured(90, 160, seed=18), textured(90, 160, seed=19)
    model = SlowModel()
    player = PlayerKeyframes(model)
    player.result(0, a)
    wait_for(lambda: model.calls == 1)
    player.reset()  # the user seeks
    assert player.result(40, b) is None
    wait_for(lambda: model.calls == 2, timeout=5)  # asked for at once, beside the stopped one
    wait_for(lambda: model.cancelled == 1)
    model.go.set()
    wait_for(lambda: player.keyframes == 1)
    assert (player.result(41, b).labels == pixelwise(b)).all()
    player.close()


def test_paused_on_a_file_the_next_keyframe_is_read_ahead_and_play_starts_from_both_sides():
    """Paused in keyframes mode, the player reads ahead as a video player buffers: the
    keyframe playback will reach is made while the user looks, so the first frames played
    are carried from both sides (a pan uncovers nothing) instead of from one."""
    h, w, n, step = 90, 160, 30, 4
    scene = textured(h, w + step * n, seed=20)
    frames = [np.ascontiguousarray(scene[:, step * i : step * i + w]) for i in range(n)]
    model = SlowModel(seconds=4 / 25)  # a keyframe takes 4 frames at 25 fps: the next is 6 ahead
    model.go.set()
    player = PlayerKeyframes(model)
    player.ahead = frames.__getitem__
    paused = dataclasses.replace(as_result(frames[0]), seconds=4 / 25)
    player.buffer(0, frames[0], paused, fps=25.0, last=n - 1)
    wait_for(lambda: player.keyframes == 1)
    assert np.array_equal(model.frames[0], frames[6])
    player._latency = 4 / 25  # as if the keyframe had taken 4 frames' time on its thread
    model.go.clear()  # playback starts; no further keyframe finishes
    player.seed(0, frames[0], dataclasses.replace(paused, seconds=1.0))  # the engine seeds again
    for i in range(1, 7):
        out = player.result(i, frames[i], 25.0, n - 1)
        assert (out.labels == pixelwise(frames[i])).all(), i
    wait_for(lambda: model.calls == 2)
    # the keyframe measured on the thread outranks the paused frame's time (a cold first
    # run), and the one already read ahead is not made again: the next is a keyframe's
    # time (4 frames) beyond it
    assert np.array_equal(model.frames[1], frames[10])
    model.go.set()
    player.close()


def test_the_keyframes_kept_are_those_nearest_the_frame_on_screen():
    h, w, n = 90, 160, 40
    frames = [textured(h, w, seed=30)] * n  # a still scene
    model = SlowModel(seconds=4 / 25)
    model.go.set()
    player = PlayerKeyframes(model)
    player.ahead = frames.__getitem__
    done = dataclasses.replace(as_result(frames[0]), seconds=4 / 25)  # 4 frames: the next is 6 ahead
    for index in (2, 0, 39):  # 39: read ahead while paused, far on
        player.seed(index, frames[index], done)
    player.result(20, frames[20], 25.0, n - 1)  # the display moved on: asks for frame 26
    wait_for(lambda: player.keyframes == 1)
    assert sorted(k.index for k in player._keys) == [2, 26, 39]  # frame 0 dropped, not 39
    player.close()


def test_the_engine_reads_the_next_keyframe_ahead_while_paused(tmp_path):
    from fcn_studio.gui.video.engine import KEYFRAMES
    from fcn_studio.state.inference_choice import InferenceChoice

    model = SlowModel(seconds=0.4)  # 10 frames: the keyframe ahead is 15 frames on
    model.go.set()
    engine, clip, scene = engine_on_a_pan(tmp_path, model, seed=21)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    try:
        engine.command("mode", KEYFRAMES)
        engine.open_source(str(clip))
        engine.set_model(InferenceChoice("fake"))
        wait_for(lambda: engine._keyframes.keyframes == 1)  # paused on frame 0, nothing played
    finally:
        engine.stop()
        thread.join(10)
    assert not engine._playing and engine._index == 0
    ahead = model.frames[-1]
    assert not np.array_equal(ahead, model.frames[0])  # not the frame on screen
    assert np.abs(ahead.astype(int) - scene[:, 30 : 30 + 160]).mean() < 8  # frame 15 (decoded, lossy)


def test_a_model_faster_than_the_frames_never_stalls_the_display():
    """A keyframe time of one frame or less (a small model, a fast machine) next to
    keyframes already made: the next one is still chosen at once."""
    frames = [textured(90, 160, seed=31)] * 10
    model = SlowModel()
    player = PlayerKeyframes(model)
    player.ahead = frames.__getitem__
    done = dataclasses.replace(as_result(frames[0]), seconds=1 / 25)
    for index in (0, 1, 2):
        player.seed(index, frames[index], done)
    shown = []
    display = threading.Thread(target=lambda: shown.append(player.result(0, frames[0], 25.0, 9)), daemon=True)
    display.start()
    display.join(2.0)
    assert not display.is_alive() and shown[0] is not None, "the display hung choosing the next keyframe"
    model.go.set()
    player.close()
