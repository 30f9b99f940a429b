"""Interpolation is measured against the true in-between frames of a clip with known motion."""

from __future__ import annotations

import numpy as np
import pytest

from i2v.post import interpolate


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


@pytest.mark.parametrize("factor", [2, 4])
def test_interpolated_frames_beat_duplication_and_crossfade(moving_shape, factor: int) -> None:
    frames = moving_shape.clip(5)
    out = interpolate(frames, factor)
    assert out.shape == ((len(frames) - 1) * factor + 1, *frames.shape[1:])
    np.testing.assert_array_equal(out[::factor], frames)  # original frames pass through untouched
    scores: dict[str, list[float]] = {"interpolated": [], "duplicated": [], "crossfade": []}
    for pair in range(len(frames) - 1):
        for step in range(1, factor):
            t = step / factor
            truth = moving_shape.frame(pair + t)
            nearest = frames[pair] if t <= 0.5 else frames[pair + 1]
            fade = (1 - t) * frames[pair].astype(np.float64) + t * frames[pair + 1]
            scores["interpolated"].append(psnr(out[pair * factor + step], truth))
            scores["duplicated"].append(psnr(nearest, truth))
            scores["crossfade"].append(psnr(np.round(fade).astype(np.uint8), truth))
    mean = {name: np.mean(values) for name, values in scores.items()}
    assert mean["interpolated"] > mean["crossfade"] + 0.5, mean
    assert mean["interpolated"] > mean["duplicated"] + 0.5, mean
    if factor == 2:  # the true middle frame, pair by pair
        for ours, fade, dup in zip(scores["interpolated"], scores["crossfade"], scores["duplicated"]):
            assert ours > fade and ours > dup, scores


def test_still_clip_stays_still(shape_factory) -> None:
    still = shape_factory(velocity=(0.0, 0.0), spin=0.0).clip(3)
    out = interpolate(still, 4)
    assert len(out) == 9
    assert min(psnr(frame, still[0]) for frame in out) > 45


def test_trivial_and_bad_inputs(clip: np.ndarray) -> None:
    np.testing.assert_array_equal(interpolate(clip, 1), clip)
    np.testing.assert_array_equal(interpolate(clip[:1], 4), clip[:1])
    with pytest.raises(ValueError, match="factor"):
        interpolate(clip, 0)
    with pytest.raises(ValueError, match="uint8"):
        interpolate(clip.astype(np.float32), 2)
