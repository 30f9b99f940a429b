"""The sound a generated clip carries: the engine's audio as the product writes it.

Family-neutral (the base imports no engine): takes the engine's `Audio` (or None), the request's
`sound` choice and whether a test model made it, and returns what goes into the MP4 and the recipe.
A test model's sound starts with a TEST MODEL tone (0.25 s at 1 kHz, half scale) over its noise, as
its frames carry a banner, so random-weight output is never mistaken for a result, by ear either.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from i2v.media import Audio

TEST_TONE_HZ = 1000.0
TEST_TONE_S = 0.25
TEST_TONE_LEVEL = 0.5


def label_test_audio(audio: Audio) -> Audio:
    """`audio` with the TEST MODEL tone written over its first `TEST_TONE_S` seconds (padded if shorter)."""
    n = int(round(TEST_TONE_S * audio.rate))
    samples = audio.samples.copy()
    if samples.shape[1] < n:
        samples = np.pad(samples, ((0, 0), (0, n - samples.shape[1])))
    tone = TEST_TONE_LEVEL * np.sin(2 * np.pi * TEST_TONE_HZ * np.arange(n) / audio.rate)
    samples[:, :n] = tone.astype(np.float32)
    return Audio(samples, audio.rate)


def clip_sound(audio: Audio | None, sound: str, is_test_model: bool) -> Audio | None:
    """The audio to write beside the frames: None when the family made none or `sound` is "off"."""
    if audio is None or sound == "off":
        return None
    return label_test_audio(audio) if is_test_model else audio


def sound_recipe(audio: Audio | None, sound: str, makes_sound: bool, is_test_model: bool) -> dict[str, Any]:
    """What the recipe records about sound (only for families that make it)."""
    if not makes_sound:
        return {}
    record: dict[str, Any] = {"sound": sound, "audio_rate": audio.rate if audio is not None else None,
                              "audio_channels": audio.channels if audio is not None else None}
    if audio is not None and is_test_model:
        record["audio_test_label"] = f"TEST MODEL tone: {TEST_TONE_HZ:.0f} Hz for the first {TEST_TONE_S} s"
    return record
