"""Keyframes and propagation: the network on keyframes, labels carried by optical flow to
the frames between; exact where the motion is known, a new keyframe at a scene cut."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_studio.inference.keyframes import KeyframePropagator, parse_keyframes


def textured(h: int, w: int, seed: int) -> np.ndarray:
    """Smooth colour regions with texture (what flow needs) and sharp edges."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(8):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.1, 0.3) * max(h, w)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += 25 * np.sin(xx / 3.0 + yy / 5.0)[:, :, None] + rng.normal(0, 8, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def pixelwise(rgb: np.ndarray) -> np.ndarray:
    """A segmenter that commutes with translation: each pixel's class from its colour."""
    return ((rgb[..., 0] > 128).astype(np.uint8) + 2 * (rgb[..., 1] > 128)).astype(np.uint8)


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, rgb):
        self.calls += 1
        return pixelwise(rgb)


def test_a_static_clip_is_segmented_once_and_every_frame_is_exact():
    frame = textured(180, 320, seed=1)
    segment = Counting()
    propagate = KeyframePropagator(segment)
    results = [propagate(frame.copy()) for _ in range(12)]
    assert segment.calls == 1 and results[0].keyframe and results[0].reason == "first"
    for r in results[1:]:
        assert not r.keyframe and (r.labels == pixelwise(frame)).all()


@pytest.mark.parametrize("step", [2, 3, 5])
def test_a_pure_translation_by_whole_pixels_is_propagated_exactly(step):
    """A pan: each frame the window moves ``step`` pixels right over a larger scene. Every
    pixel that was in the keyframe gets exactly the label segmenting the frame would give."""
    h, w, n = 180, 320, 6
    scene = textured(h, w + step * n, seed=2)
    segment = Counting()
    propagate = KeyframePropagator(segment, every=n)
    for i in range(n):
        frame = scene[:, i * step : i * step + w]
        result = propagate(frame)
        seen = w - i * step  # columns that were in the keyframe
        assert (result.labels[:, :seen] == pixelwise(frame)[:, :seen]).all(), (step, i)
    assert segment.calls == 1


def test_a_scene_cut_forces_a_keyframe():
    a, b = textured(180, 320, seed=3), textured(180, 320, seed=4)[::-1] // 2
    segment = Counting()
    propagate = KeyframePropagator(segment, every=100)  # even with a fixed, long interval
    reasons = [propagate(f).reason for f in [a] * 4 + [b] * 4]
    assert reasons == ["first", "", "", "", "cut", "", "", ""]
    assert segment.calls == 2


def test_fixed_keyframes_every_n_frames():
    frame = textured(90, 160, seed=5)
    segment = Counting()
    propagate = KeyframePropagator(segment, every=3)
    keys = [propagate(frame).keyframe for _ in range(7)]
    assert keys == [True, False, False, True, False, False, True]


def test_auto_takes_a_keyframe_when_a_pan_uncovers_new_content():
    h, w = 180, 320
    scene = textured(h, w * 2, seed=6)
    propagate = KeyframePropagator(Counting())
    results = [propagate(scene[:, 8 * i : 8 * i + w]) for i in range(12)]
    keys = [i for i, r in enumerate(results) if r.keyframe]
    assert keys[0] == 0 and len(keys) >= 2, keys  # 8 px a frame: new content keeps coming in
    assert all(results[k].reason in ("first", "uncovered", "motion") for k in keys)


def test_parse_keyframes():
    assert parse_keyframes("auto") is None and parse_keyframes(None) is None and parse_keyframes("5") == 5
    for bad in ("0", "-2", "often"):
        with pytest.raises(ValueError):
            parse_keyframes(bad)
