"""The offline Chinese voice: espeak-ng's `cmn` voice (Debian's espeak-ng, GPL-3.0, run as its own
program). Robotic, and the studio says so and recommends a recording; it is the fallback that is
always there, since nothing is downloaded at run time.

Each sentence is spoken by its own call, so every caption's timing is exact.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from i2v.lessons.narration import sentences
from i2v.media import Audio
from i2v.voice import Spoken, VoiceUnavailable

WORDS_PER_MINUTE = 150  # espeak-ng's speed at rate 1.0 (its own default, 175, is hurried for Mandarin)
_VOICES = {"zh": "cmn", "en": "en-us"}


def _pcm_from_wav(data: bytes) -> tuple[np.ndarray, int]:
    """espeak-ng's streamed WAV (its size fields say 'unknown'): the rate from `fmt `, samples after `data`."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise VoiceUnavailable("espeak-ng did not answer with a WAV file")
    rate = int.from_bytes(data[24:28], "little")
    start = data.find(b"data") + 8
    pcm = data[start : start + (len(data) - start) // 2 * 2]
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, rate


class EspeakVoice:
    """Speaks with espeak-ng (`cmn` for Chinese, `en-us` for English)."""

    def __init__(self, program: str = "espeak-ng") -> None:
        found = shutil.which(program)
        if found is None:
            raise VoiceUnavailable("the Chinese voice needs espeak-ng (Debian/Ubuntu: apt install espeak-ng)")
        self.program = found

    def _say(self, text: str, lang: str, rate: float) -> tuple[np.ndarray, int]:
        speed = str(round(WORDS_PER_MINUTE * min(max(rate, 0.5), 2.0)))
        done = subprocess.run([self.program, "-v", _VOICES.get(lang, "cmn"), "-s", speed, "--stdout", text],
                              capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise VoiceUnavailable(f"espeak-ng failed: {done.stderr.decode(errors='replace')[:200]}")
        return _pcm_from_wav(done.stdout)

    def speak(self, text: str, lang: str = "zh", rate: float = 1.0) -> tuple[Audio, list[Spoken]]:
        parts, spoken, at, sample_rate = [], [], 0, 22_050
        for sentence in sentences(text):
            pcm, sample_rate = self._say(sentence, lang, rate)
            parts.append(pcm)
            spoken.append(Spoken(sentence, round(at / sample_rate, 3), round((at + len(pcm)) / sample_rate, 3)))
            at += len(pcm)
        samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return Audio(samples[None], sample_rate), spoken
