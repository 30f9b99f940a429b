"""Loops and speed: frame counts, seams and durations."""

from __future__ import annotations

import numpy as np
import pytest

from i2v.post import change_speed, crossfade_loop, pingpong


def numbered(count: int) -> np.ndarray:
    """Frames whose pixel value is their index, so the order can be read back."""
    return np.repeat(np.arange(count, dtype=np.uint8)[:, None, None, None] * 10, 4, axis=1).repeat(4, axis=2).repeat(3, axis=3)


def test_pingpong_turns_without_repeating_a_frame() -> None:
    out = pingpong(numbered(5))
    assert out[:, 0, 0, 0].tolist() == [0, 10, 20, 30, 40, 30, 20, 10]
    looped = np.concatenate([out, out[:1]])[:, 0, 0, 0]
    assert np.all(np.diff(looped.astype(int)) != 0)
    assert len(pingpong(numbered(2))) == 2


def test_crossfade_loop_has_no_jump_at_the_seam(clip: np.ndarray) -> None:
    out = crossfade_loop(clip, 2)
    assert len(out) == len(clip) - 2

    def jump(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a.astype(np.float64) - b).mean())

    typical_step = np.mean([jump(a, b) for a, b in zip(clip[:-1], clip[1:])])
    raw_seam = jump(clip[-1], clip[0])
    assert raw_seam > 2 * typical_step  # the raw clip jumps when it loops
    assert jump(out[-1], out[0]) < 0.6 * raw_seam
    assert jump(out[-1], out[0]) < 1.3 * typical_step  # a blended step, a little more than a plain one
    # the first frame is mostly the tail frame that naturally follows the last one
    np.testing.assert_allclose(out[0], np.round(clip[-2] * (2 / 3) + clip[0] * (1 / 3)), atol=1)


@pytest.mark.parametrize("overlap", [0, 4])
def test_crossfade_overlap_is_checked(clip: np.ndarray, overlap: int) -> None:
    with pytest.raises(ValueError, match="overlap must be between 1 and 3"):
        crossfade_loop(clip, overlap)


def test_speed_changes_fps_when_it_can_and_resamples_otherwise() -> None:
    frames = numbered(16)
    same, fps = change_speed(frames, 8, 1.5)
    assert fps == 12 and len(same) == 16
    slow, fps = change_speed(frames, 8, 0.25)  # 2 fps is too slow to play: 4 fps, each frame twice
    assert fps == 4 and len(slow) == 32 and len(slow) / fps == 16 / 8 / 0.25
    assert slow[:4, 0, 0, 0].tolist() == [0, 0, 10, 10]
    fast, fps = change_speed(numbered(24), 24, 4)  # 96 fps is too fast: 60 fps, frames dropped
    assert fps == 60 and len(fast) == 15 and fast[:3, 0, 0, 0].tolist() == [0, 10, 30]
    untouched, fps = change_speed(frames, 8, 1)
    assert fps == 8 and np.array_equal(untouched, frames)
    with pytest.raises(ValueError, match="positive"):
        change_speed(frames, 0, 2)
