"""Whether a post-processed video keeps its source's sound.

Steps that keep the clip's length (interpolation, smoothing) keep the audio as it is; steps that change
the length (speed, loops, trims) would put sound and picture out of step, so they drop it, and the recipe
says so (`audio`: "kept" / "dropped: …").
"""

from __future__ import annotations

from pathlib import Path

from i2v.media import Audio, read_audio


def carried_audio(source: Path, seconds_before: float, seconds_after: float, fps_before: float) -> tuple[Audio | None, str | None]:
    """(the audio to write beside the new frames, what the recipe records); (None, None) for a silent source.
    "The same length" is within one source frame: interpolating n frames makes 2n−1, one interval shorter."""
    audio = read_audio(source)
    if audio is None:
        return None, None
    if abs(seconds_after - seconds_before) <= 1 / fps_before + 1e-9:
        return audio, "kept"
    return None, f"dropped: the length changed from {seconds_before:.2f} s to {seconds_after:.2f} s"
