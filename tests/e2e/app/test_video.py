"""Video: round trips, bad files, the CLI, and the player's frame/overlay pairing."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from fcn_studio.cli.main import main
from fcn_studio.data.labels import generic_labels
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.predictor import Predictor
from fcn_studio.inference.video import open_capture, read_frames, segment_video
from fcn_studio.storage import weights
from tests.builders import make_clip


def stub(frame):
    return (frame[:, :, 0] > 128).astype(np.uint8)


@pytest.mark.parametrize("size", [(48, 40), (65, 37)])
def test_round_trip_keeps_frames_rate_and_size(tmp_path, size):
    clip = make_clip(tmp_path / "in.mp4", n=11, size=size, fps=29.97)
    out = segment_video(stub, generic_labels(2), clip, tmp_path / "out.mp4", masks_dir=tmp_path / "masks")
    _, info = open_capture(out.path)
    assert (info.width, info.height) == size
    assert info.fps == pytest.approx(29.97, abs=1e-3)
    assert sum(1 for _ in read_frames(out.path)) == 11 == out.frames
    assert len(list((tmp_path / "masks").glob("*.png"))) == 11
    if size[0] % 2:
        assert out.path.suffix == ".avi" and "odd" in str(out.note)


def test_cancel_or_error_leaves_no_file(tmp_path):
    clip = make_clip(tmp_path / "in.mp4")
    with pytest.raises(Cancelled):
        segment_video(stub, generic_labels(2), clip, tmp_path / "out.mp4", cancelled=lambda: True)

    def boom(frame):
        raise FCNStudioError("model failed")

    with pytest.raises(FCNStudioError):
        segment_video(boom, generic_labels(2), clip, tmp_path / "out2.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_bad_videos_get_a_message_naming_the_file(tmp_path):
    clip = make_clip(tmp_path / "good.mp4", n=20)
    data = clip.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    (tmp_path / "empty.mp4").write_bytes(b"")
    for name in ("cut.mp4", "noise.mp4", "empty.mp4"):
        with pytest.raises(FCNStudioError, match=name.replace(".", r"\.")):
            open_capture(tmp_path / name)


def test_cli_segments_a_video(tmp_path, capsys, weights_home, caffe_layout_file):
    clip = make_clip(tmp_path / "walk.mp4", n=4)
    code = main(
        [
            "segment",
            str(clip),
            "--model",
            str(caffe_layout_file("fcn32s")),
            "--out",
            str(tmp_path / "o"),
            "--frame-masks",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    _, info = open_capture(tmp_path / "o" / "walk.mp4")
    assert (info.width, info.height, info.frame_count) == (48, 40, 4)
    assert len(list((tmp_path / "o" / "walk_masks").glob("*.png"))) == 4
    assert "Audio is not kept" in err


@pytest.fixture()
def player(qtbot, tmp_path, monkeypatch, caffe_layout_file):
    from fcn_studio.gui.main_window import MainWindow
    from fcn_studio.gui.settings import Settings

    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(tmp_path / "w"))
    weights.import_weights(caffe_layout_file("fcn32s"), "vid")
    win = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_player_draws_each_overlay_on_its_own_frame_and_seeks(qtbot, player, tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", n=8)
    frames = [f for _, f in read_frames(clip)]
    predictor = Predictor(weights.resolve_model("vid"), "cpu")
    expected = [predictor.predict(f).labels for f in frames]
    shown = []
    player.video.frame_shown.connect(lambda i, rgb, r: shown.append((i, rgb, r)))
    player.open_paths([str(clip)])
    qtbot.waitUntil(lambda: player.video.result is not None, timeout=60_000)
    assert player.video_controls.isVisible() and player.actions_.play_pause.isEnabled()
    player.video_controls.mode.setCurrentIndex(1)  # every frame
    player.actions_.play_pause.trigger()
    qtbot.waitUntil(lambda: player.video.index == 7 and player.video.result is not None, timeout=120_000)
    for index, rgb, result in shown:
        assert np.array_equal(rgb, frames[index])
        if result is not None:
            assert np.array_equal(result.labels, expected[index]), f"overlay of another frame on frame {index}"
    assert any(r is not None for _, _, r in shown)
    assert player.video_controls.fps.text().endswith("fps shown"), "achieved FPS is shown while playing"
    # seek while playing (inference running), then pause: the frame on screen carries its own result
    player.actions_.play_pause.trigger()  # at the end: plays again from the start
    qtbot.waitUntil(lambda: player.video.index >= 1, timeout=60_000)
    player.video_controls.slider.setValue(2)
    player.video_controls.slider.setValue(5)
    player.actions_.play_pause.trigger()
    qtbot.waitUntil(lambda: not player.video.engine._playing, timeout=60_000)
    player.actions_.frame_forward.trigger()  # a paused step: frame, then its segmentation
    qtbot.wait(200)
    qtbot.waitUntil(lambda: player.video.result is not None and player.video.engine._commands.empty(), timeout=60_000)
    now = player.video.index
    assert now >= 5 and np.array_equal(player.video.result.labels, expected[now])
    player.actions_.frame_back.trigger()
    qtbot.waitUntil(lambda: player.video.index == now - 1 and player.video.result is not None, timeout=60_000)
    assert np.array_equal(player.video.result.labels, expected[now - 1])
    assert np.array_equal(player.video.rgb, frames[now - 1])


def test_player_reports_a_broken_video_and_keeps_running(qtbot, player, tmp_path):
    (tmp_path / "broken.mp4").write_bytes(b"\x00" * 1000)
    player.open_paths([str(tmp_path / "broken.mp4")])
    qtbot.waitUntil(lambda: player.error_box is not None and player.error_box.isVisible(), timeout=10_000)
    assert "broken.mp4" in player.error_box.text()
    clip = make_clip(tmp_path / "ok.mp4", n=3)
    player.open_paths([str(clip)])
    qtbot.waitUntil(lambda: player.video.result is not None, timeout=60_000)


def test_missing_camera_is_explained(qtbot, player):
    import cv2

    if cv2.VideoCapture(0).isOpened():
        pytest.skip("this machine has a camera")
    player.actions_.open_camera.trigger()
    qtbot.waitUntil(lambda: player.error_box is not None and player.error_box.isVisible(), timeout=10_000)
    assert "camera" in player.error_box.text()


def test_player_keyframes_mode_carries_labels_between_keyframes(qtbot, player, tmp_path, monkeypatch):
    """Keyframes + motion: every frame shown gets an overlay of its size, the model runs on
    a few of them, and the achieved rate is shown."""
    from fcn_studio.inference.video import VideoWriter
    from tests.unit.inference.test_keyframes import textured

    scene = textured(48, 64 + 2 * 30, seed=2)
    writer = VideoWriter(tmp_path / "pan.avi", 64, 48, 12.5)
    for i in range(30):
        writer.write(scene[:, 2 * i : 2 * i + 64])
    clip = writer.close()
    shown = []
    player.video.frame_shown.connect(lambda i, rgb, r: shown.append((i, r)))
    player.open_paths([str(clip)])
    qtbot.waitUntil(lambda: player.video.result is not None, timeout=60_000)
    player.video_controls.mode.setCurrentIndex(2)  # keyframes + motion
    engine, segment = player.video.engine, player.video.engine._segment

    def slow(rgb, interruptible, on_preview=None, cancelled=lambda: False):  # slower than the clock's 80 ms
        time.sleep(0.3)  # a frame, as a full-width model is
        return segment(rgb, interruptible, cancelled=cancelled)

    monkeypatch.setattr(engine, "_segment", slow)  # the narrow test model alone keeps up on a quiet CPU
    shown.clear()
    player.actions_.play_pause.trigger()
    qtbot.waitUntil(lambda: player.video.index == 29, timeout=120_000)
    qtbot.waitUntil(lambda: not player.video.engine._playing, timeout=60_000)
    keyframes = engine._keyframes
    with_overlay = [r for _, r in shown if r is not None]
    assert shown[-1][0] == 29 and with_overlay, "played to the end with overlays"
    assert all(r.labels.shape == (48, 64) and r.confidence.shape == (48, 64) for r in with_overlay)
    assert 1 <= keyframes.keyframes < keyframes.frames, (keyframes.keyframes, keyframes.frames)
    assert player.video_controls.fps.text().endswith("fps shown")
