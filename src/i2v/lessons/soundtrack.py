"""The lesson's one sound track: each narration at the start of its part, the clips' own sound (when
a family made sound) under it, ducked while the voice speaks, and the whole brought to −16 LUFS with
true peaks at or below −1 dBTP (`i2v.loudness`).

Every piece is faded in and out (10 ms for the voice, 50 ms for a clip's sound), so no join clicks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from i2v.loudness import PEAK_DBTP, RATE, normalise, true_peak_dbtp
from i2v.media import Audio, aac_round_trip
from i2v.voice import Spoken

VOICE_FADE_S = 0.010
CLIP_FADE_S = 0.050
DUCK_GAIN = 10 ** (-12 / 20)  # a clip's sound sits 12 dB under the voice while it speaks
SILENCE = 10 ** (-50 / 20)  # quieter than this at a narration's ends counts as silence (trimmed)


@dataclass(frozen=True)
class Narration:
    """One part's spoken narration and where each sentence falls in it (seconds from its start)."""

    audio: Audio
    spoken: list[Spoken]

    @property
    def seconds(self) -> float:
        return self.audio.seconds


@dataclass(frozen=True)
class Placed:
    """A sound at its place in the lesson."""

    start_s: float
    audio: Audio


def trimmed(narration: Narration) -> Narration:
    """The narration without its leading and trailing silence (sentence timings shifted to match), so
    a scene's voice starts with the scene."""
    level = np.abs(narration.audio.samples).max(axis=0)
    loud = np.flatnonzero(level > SILENCE)
    if not len(loud):
        return Narration(Audio(narration.audio.samples[:, :0], narration.audio.rate), [])
    first, last = int(loud[0]), int(loud[-1]) + 1
    rate, shift = narration.audio.rate, loud[0] / narration.audio.rate
    end = (last - first) / rate
    spoken = [Spoken(s.text, round(max(0.0, s.start - shift), 3), round(min(end, max(0.0, s.end - shift)), 3))
              for s in narration.spoken]
    return Narration(Audio(narration.audio.samples[:, first:last], rate), spoken)


def _faded(samples: np.ndarray, fade_s: float) -> np.ndarray:
    n = min(int(fade_s * RATE), samples.shape[1] // 2)
    if n == 0:
        return samples
    ramp = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
    out = samples.copy()
    out[:, :n] *= ramp
    out[:, -n:] *= ramp[::-1]
    return out


def _add(track: np.ndarray, start_s: float, samples: np.ndarray) -> tuple[int, int]:
    start = int(round(start_s * RATE))
    stop = min(track.shape[1], start + samples.shape[1])
    if stop > start:
        track[:, start:stop] += samples[:, : stop - start]  # a mono piece spreads to both channels
    return start, max(start, stop)


def _duck_envelope(length: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """1 where no voice speaks, DUCK_GAIN where it does, with 50 ms ramps either side."""
    voiced = np.zeros(length, np.float32)
    for start, stop in spans:
        voiced[start:stop] = 1.0
    ramp = int(CLIP_FADE_S * RATE)
    sums = np.concatenate([[0.0], np.cumsum(np.pad(voiced, ramp), dtype=np.float64)])
    average = (sums[2 * ramp + 1 :] - sums[: -2 * ramp - 1]) / (2 * ramp + 1)  # centred moving mean
    voiced = np.minimum(1.0, 2 * average).astype(np.float32)  # fully ducked from the voice's first sample
    return 1.0 - voiced * (1.0 - DUCK_GAIN)


def mix(voices: Sequence[Placed], clip_sounds: Sequence[Placed], seconds: float) -> Audio | None:
    """The lesson's sound track, `seconds` long at 48 kHz, normalised; None when there is nothing to hear.
    Mono unless a clip's sound is stereo."""
    if not voices and not clip_sounds:
        return None
    channels = max([1, *(p.audio.channels for p in clip_sounds)])
    length = int(round(seconds * RATE))
    beds = np.zeros((channels, length), np.float32)
    for placed in clip_sounds:
        _add(beds, placed.start_s, _faded(placed.audio.resampled(RATE).samples, CLIP_FADE_S))
    speech = np.zeros((channels, length), np.float32)
    spans = [_add(speech, p.start_s, _faded(p.audio.resampled(RATE).samples, VOICE_FADE_S)) for p in voices]
    track = speech + beds * _duck_envelope(length, spans)
    return codec_safe(normalise(Audio(track, RATE)))


def codec_safe(track: Audio, ceiling_dbtp: float = PEAK_DBTP, tries: int = 3) -> Audio:
    """`track` lowered until its true peak, as heard after AAC encoding, is at or under the ceiling (with
    0.2 dB to spare). The limiter leaves 1.5 dB for the codec, which is usually enough; a loud start or
    an unlucky frame can overshoot more, and the lesson promises the level of the file, not of the mix."""
    for _ in range(tries):
        heard = true_peak_dbtp(aac_round_trip(track))
        if heard <= ceiling_dbtp - 0.2:
            break
        track = Audio(track.samples * 10 ** ((ceiling_dbtp - 0.3 - heard) / 20), track.rate)
    return track
