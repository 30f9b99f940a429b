"""Voices that speak a scene's narration: one small interface, one implementation per engine.

An engine under another licence (piper is GPL-3.0) runs in its own process behind this interface,
so i2v's own code stays under its licence. Nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from i2v.media import Audio

VoiceChoice = Literal["own", "en-synthetic", "zh-synthetic", "none"]


@dataclass(frozen=True)
class Spoken:
    """Where one sentence is spoken inside the audio, in seconds from its start."""

    text: str
    start: float
    end: float


class Voice(Protocol):
    """Speaks text offline. `rate` is a speed factor (1.0 normal, 0.5-2.0). Returns the sound and
    each sentence's timing as the engine spoke it (captions follow these)."""

    def speak(self, text: str, lang: str, rate: float = 1.0) -> tuple[Audio, list[Spoken]]: ...
