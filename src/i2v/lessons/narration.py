"""How long a narrated scene lasts and where each narration sentence falls in it.

A scene lasts its narration plus a short pause, and never less than its clip; a recording's
sentences are spread by characters (a recording carries no word timings), a synthetic voice's
come from the voice itself.
"""

from __future__ import annotations

import re

from i2v.voice import Spoken

PAUSE_SECONDS = 0.6  # the breath after a scene's narration before the next scene starts
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def sentences(text: str) -> list[str]:
    """The narration's sentences in order (English and Chinese stops); empty text has none."""
    return [part.strip() for part in _SENTENCE_END.split(" ".join(text.split())) if part.strip()]


def scene_seconds(clip_seconds: float, narration_seconds: float, pause: float = PAUSE_SECONDS) -> float:
    """The scene's length: the narration and a pause, at least the clip (a scene without
    narration keeps its clip's length)."""
    if narration_seconds <= 0:
        return clip_seconds
    return max(clip_seconds, narration_seconds + pause)


def spread_by_characters(text: str, seconds: float) -> list[Spoken]:
    """Sentence timings for a recording: each sentence gets a share of `seconds` in proportion to
    its characters. An estimate, and the captions say so; a synthetic voice's own timings are exact."""
    parts = sentences(text)
    total = sum(len(p) for p in parts)
    spoken, at = [], 0.0
    for part in parts:
        end = at + seconds * len(part) / total
        spoken.append(Spoken(part, round(at, 3), round(end, 3)))
        at = end
    return spoken
