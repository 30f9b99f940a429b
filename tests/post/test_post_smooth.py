"""Smoothing removes frame-to-frame noise without ghosting the moving shape."""

from __future__ import annotations

import numpy as np
import pytest

from i2v.post import smooth


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


@pytest.fixture
def noisy(clip: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.clip(clip + rng.normal(0, 8, clip.shape), 0, 255).astype(np.uint8)


def test_smoothing_removes_flicker_and_beats_a_plain_temporal_average(clip: np.ndarray, noisy: np.ndarray) -> None:
    out = smooth(noisy, 1.0)
    assert out.shape == noisy.shape and out.dtype == np.uint8
    inner = slice(1, -1)
    plain_average = (noisy[:-2].astype(np.float64) + noisy[1:-1] + noisy[2:]) / 3  # ghosts the moving star
    assert psnr(out[inner], clip[inner]) > psnr(noisy[inner], clip[inner]) + 3
    assert psnr(out[inner], clip[inner]) > psnr(np.round(plain_average), clip[inner]) + 3
    assert psnr(smooth(noisy, 1.0)[inner], clip[inner]) > psnr(smooth(noisy, 0.3)[inner], clip[inner])


def test_clean_motion_keeps_its_edges(clip: np.ndarray) -> None:
    assert psnr(smooth(clip, 1.0), clip) > 45


def test_zero_strength_is_a_copy_and_range_is_checked(clip: np.ndarray) -> None:
    np.testing.assert_array_equal(smooth(clip, 0.0), clip)
    with pytest.raises(ValueError, match="between 0 and 1"):
        smooth(clip, 1.5)
