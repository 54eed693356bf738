"""Video files at their edges: a clip of a single frame, a run that decoded nothing."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_studio.data.labels import voc_labels
from fcn_studio.inference.video import VideoWriter, read_frames, segment_video


@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_a_one_frame_video_is_read_and_segmented(tmp_path, ext):
    """Bug: "no frames could be decoded" for a 1-frame video: the seek back to frame 0 after
    the test read lost the only frame with OpenCV's FFmpeg reader."""
    writer = VideoWriter(tmp_path / f"one{ext}", 64, 48, 10.0)
    writer.write(np.full((48, 64, 3), 120, np.uint8))
    clip = writer.close()
    assert [i for i, _ in read_frames(clip)] == [0]
    result = segment_video(lambda rgb: np.zeros(rgb.shape[:2], np.uint8), voc_labels(), clip, tmp_path / "o.mp4")
    assert result.frames == 1 and result.path.is_file()


def test_a_run_that_decoded_nothing_prepares_no_faster_path(tmp_path, capsys, monkeypatch, caffe_layout_file):
    """Bug: a run whose only input decoded no frame still said "preparing the faster CPU
    path for later runs" (and converted the model, for nothing)."""
    from fcn_studio.cli.main import main
    from fcn_studio.inference import runtime

    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\\x00\\x00\\x00\\x18ftypmp42" + bytes(200))
    code = main(["segment", str(broken), "--model", str(caffe_layout_file("fcn8s")), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "broken.mp4" in err, err
    assert "preparing the faster CPU path" not in err, err


@pytest.mark.parametrize("keyframes", ["auto", "4"])
def test_segment_a_video_on_keyframes(tmp_path, capsys, caffe_layout_file, keyframes):
    """``segment VIDEO --keyframes auto|N``: every frame written, the network on a few."""
    import cv2

    from fcn_studio.cli.main import main
    from tests.unit.inference.test_keyframes import textured

    scene = textured(48, 64 + 2 * 12, seed=1)
    writer = VideoWriter(tmp_path / "pan.avi", 64, 48, 10.0)
    for i in range(12):
        writer.write(scene[:, 2 * i : 2 * i + 64])
    clip = writer.close()
    model = str(caffe_layout_file("fcn8s"))
    args = ["segment", str(clip), "--model", model, "--out", str(tmp_path / "o"), "--keyframes", keyframes]
    assert main(args) == 0
    err = capsys.readouterr().err
    ran = int(err.split("the network ran on ")[1].split(" keyframe")[0])
    assert 1 <= ran < 12 and "of 12 frames" in err
    if keyframes == "4":
        assert ran == 3
    cap = cv2.VideoCapture(str(tmp_path / "o" / "pan.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    cap.release()


def test_keyframes_must_be_auto_or_a_whole_number(tmp_path, capsys):
    from fcn_studio.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["segment", "x.mp4", "--model", "m", "--out", str(tmp_path), "--keyframes", "often"])
    assert exit_.value.code == 2 and "neither 'auto' nor a whole number" in capsys.readouterr().err
