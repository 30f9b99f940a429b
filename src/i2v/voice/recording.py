"""The teacher's own voice: a recording (from the browser's microphone or a file) checked, decoded with
PyAV, trimmed of silence at either end and brought to the lesson's loudness, then kept as a WAV
inside the lesson. It never leaves the machine.

Every way a recording can be wrong is a clear error that names it (422, or 413 for size; exit 2), and
is found before anything is stored, so a bad upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import wave

import av
import numpy as np

from i2v.errors import InvalidInput, TooLarge
from i2v.loudness import RATE, normalise
from i2v.media import Audio

MIN_SPEECH_S = 0.3
SILENCE = 10 ** (-45 / 20)  # a recording's quiet start and end (room noise) are cut below this
KINDS = "WAV, MP3, M4A, OGG/Opus or WebM"


class RecordingError(InvalidInput):
    """A recording that cannot be used; the message says what is wrong with it."""


class RecordingTooLarge(TooLarge):
    """A recording over the size or length limit."""


def _decoded(data: bytes, max_seconds: float) -> np.ndarray:
    """Mono 48 kHz samples of the file's first sound track."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError):
        raise RecordingError(f"This is not a sound file i2v can read; record again or upload {KINDS}.") from None
    parts, count = [], 0
    with container:
        if not container.streams.audio:
            raise RecordingError("The file has no sound track (a video without sound, or a picture?); upload a recording.")
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE)
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray()[0])
                    count += out.samples
                if count > max_seconds * RATE:
                    raise RecordingTooLarge(f"The recording is longer than {max_seconds:.0f} s; keep a scene's narration shorter.")
            parts += [out.to_ndarray()[0] for out in resampler.resample(None)]
        except (av.FFmpegError, ValueError) as exc:
            raise RecordingError(f"The recording is damaged after {count / RATE:.1f} s ({type(exc).__name__}); "
                                 "record it again or upload another copy.") from None
    if not parts or sum(len(p) for p in parts) == 0:
        raise RecordingError("The recording holds no sound (0 s); record it again.")
    return np.concatenate(parts).astype(np.float32)


def check_recording(data: bytes, *, max_bytes: int, max_seconds: float) -> Audio:
    """The recording as the lesson will play it: trimmed, at −16 LUFS, mono 48 kHz. Raises
    RecordingError / RecordingTooLarge for empty, oversized, unreadable, soundless, damaged, too long,
    silent or too short input."""
    if not data:
        raise RecordingError("The recording is empty (0 bytes); record it again.")
    if len(data) > max_bytes:
        raise RecordingTooLarge(f"The recording is larger than {max_bytes // 2**20} MB; upload a shorter or compressed one.")
    samples = _decoded(data, max_seconds)
    loud = np.flatnonzero(np.abs(samples) > SILENCE)
    if not len(loud):
        raise RecordingError("The recording is silent; check that the microphone is on and record again.")
    speech = samples[loud[0] : loud[-1] + 1]
    if len(speech) < MIN_SPEECH_S * RATE:
        raise RecordingError(f"The recording has less than {MIN_SPEECH_S} s of sound; record the narration again.")
    return normalise(Audio(speech, RATE))


def wav_bytes(audio: Audio) -> bytes:
    """16-bit PCM WAV of the (mono, 48 kHz) recording, as stored in the lesson."""
    pcm = np.clip(np.round(audio.samples[0] * 32767), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def read_wav(data: bytes) -> Audio:
    with wave.open(io.BytesIO(data), "rb") as source:
        pcm = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
        return Audio(pcm.astype(np.float32)[None] / 32768.0, source.getframerate())


def recording_name(wav: bytes) -> str:
    return hashlib.sha256(wav).hexdigest()[:16] + ".wav"
