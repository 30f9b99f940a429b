"""The loudness meter against BS.1770's reference signal and an independent meter (pyloudnorm), true
peak between the samples, and normalisation that reaches −16 LUFS without clipping or clicking."""

import numpy as np
import pyloudnorm
import pytest

from i2v import loudness
from i2v.media import Audio

RATE = 48_000


def tone(amplitude: float, seconds: float, hz: float = 997.0, phase: float = 0.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE + phase)


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Bursts of band-limited noise with sharp peaks and gaps: the peak-to-loudness ratio of speech."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.standard_normal(int(seconds * RATE)), np.hanning(24), mode="same") * 0.05
    syllables = (np.sin(2 * np.pi * 4 * np.arange(len(noise)) / RATE) > 0.2) * (rng.random(len(noise)) > 0.0)
    clicks = np.zeros(len(noise))
    clicks[rng.integers(0, len(noise), 40)] = 0.95
    return noise * syllables + clicks


def test_a_full_scale_997_hz_sine_reads_minus_3_01_lufs_and_minus_20_db_reads_minus_23_01():
    assert loudness.integrated_lufs(Audio(tone(1.0, 5), RATE)) == pytest.approx(-3.01, abs=0.03)
    assert loudness.integrated_lufs(Audio(tone(0.1, 5), RATE)) == pytest.approx(-23.01, abs=0.03)


def test_silence_is_gated_out_and_reads_minus_infinity_alone():
    with_gap = np.concatenate([tone(0.1, 5), np.zeros(5 * RATE)])
    gated = loudness.integrated_lufs(Audio(with_gap, RATE))
    assert gated == pytest.approx(-23.01, abs=0.2)  # only the blocks that straddle the tone's end count a little
    assert gated == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(with_gap), abs=0.1)
    assert loudness.integrated_lufs(Audio(np.zeros(RATE), RATE)) == float("-inf")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_meter_agrees_with_pyloudnorm_on_speech_like_sound_at_other_rates(seed):
    sound = speech_like(8, seed)
    ours = loudness.integrated_lufs(Audio(sound, RATE))
    assert ours == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(sound), abs=0.1)
    at_22k = Audio(sound, RATE).resampled(22_050)  # a voice's own rate is measured after resampling to 48 kHz
    assert loudness.integrated_lufs(at_22k) == pytest.approx(ours, abs=0.2)


def test_true_peak_finds_the_peak_between_samples():
    # A sine at a quarter of the rate, sampled 45° off its crests: every sample is at 0.707, the wave reaches 1.0.
    wave = tone(1.0, 1, hz=RATE / 4, phase=np.pi / 4)
    assert 20 * np.log10(np.abs(wave).max()) == pytest.approx(-3.01, abs=0.01)
    assert loudness.true_peak_dbtp(Audio(wave, RATE)) == pytest.approx(0.0, abs=0.3)


def test_normalise_reaches_minus_16_lufs_under_the_peak_ceiling_without_a_jump_in_gain():
    sound = speech_like(12)
    made = loudness.normalise(Audio(sound, RATE))
    assert loudness.integrated_lufs(made) == pytest.approx(-16.0, abs=0.2)
    assert loudness.true_peak_dbtp(made) <= loudness.PEAK_DBTP - loudness.CODEC_MARGIN_DB + 0.1
    gain = made.samples[0] / np.where(np.abs(sound) > 1e-2, sound, np.nan)  # NaN where the sound is too quiet to tell
    steps = np.abs(np.diff(gain))  # only neighbouring samples that are both loud enough count
    assert np.nanmin(gain) < 0.8 * np.nanmax(gain)  # the peaks were limited...
    assert np.nanmax(steps) < 0.01 * np.nanmax(gain)  # ...by a gain that ramps over 5 ms: no jump, so no click


def test_silence_is_left_silent():
    made = loudness.normalise(Audio(np.zeros(RATE, np.float32), RATE))
    assert not made.samples.any()


def test_the_limiter_s_sliding_minimum_is_the_minimum_of_each_trailing_window():
    values = np.random.default_rng(4).random(1000)
    padded = np.concatenate([np.full(9, values[0]), values])
    assert np.array_equal(loudness._sliding_min(values, 10), [padded[i : i + 10].min() for i in range(1000)])
