"""The teacher's own voice (issue 22): a recording uploaded as a browser or a phone makes it (WAV, MP3,
M4A, OGG/Opus, WebM) is decoded, trimmed of silence and levelled, stored with the lesson and spoken at
its scene; every kind of bad audio is a clear 4xx and leaves nothing behind."""

from __future__ import annotations

import io
import json
from fractions import Fraction

import av
import numpy as np
import pytest

from i2v import loudness
from i2v.media import Audio, read_audio
from i2v.voice import synthetic_voice
from i2v.voice.recording import read_wav, wav_bytes
from tests.lessons.conftest import THREE_POINTS, make_clips

SHAPES = [(8, 8, 320, 192), (8, 4, 256, 256), (9, 8, 320, 192)]
SPEECH_TEXT = "Watch the chromatids separate. Each pole gets one full set."
FORMATS = {"wav": ("wav", "pcm_s16le", 48_000), "mp3": ("mp3", "libmp3lame", 44_100), "m4a": ("mp4", "aac", 48_000),
           "ogg": ("ogg", "libopus", 48_000), "webm": ("webm", "libopus", 48_000)}


@pytest.fixture(scope="module")
def speech() -> Audio:
    """A spoken sentence with half a second of room silence either side (as a recording has)."""
    audio, _ = synthetic_voice("en").speak(SPEECH_TEXT, "en", 1.0)
    pad = np.zeros((1, audio.rate // 2), np.float32)
    return Audio(np.concatenate([pad, audio.samples * 0.3, pad], axis=1), audio.rate)


def encoded(audio: Audio, kind: str) -> bytes:
    """`audio` as a file of `kind`, written by PyAV."""
    container_format, codec, rate = FORMATS[kind]
    samples = audio.resampled(rate).samples
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        convert = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for start in range(0, samples.shape[1], frame_size):
            chunk = np.ascontiguousarray(np.clip(samples[:, start : start + frame_size], -1, 1))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for converted in convert.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def assert_heard_at(track: Audio, start_s: float, recording: Audio) -> None:
    """`recording` is what the lesson's track plays from `start_s`: their loudness contours (10 ms
    windows) correlate above 0.9, best within 5 ms of `start_s` (searched over ±50 ms)."""
    start, n = int(round(start_s * track.rate)), recording.samples.shape[1]

    def likeness(lag: int) -> float:
        heard = track.samples[0, start + lag : start + lag + n]
        contours = [np.sqrt(np.convolve(x**2, np.ones(480) / 480, mode="valid"))[::240] for x in (heard, recording.samples[0])]
        return float(np.corrcoef(*contours)[0, 1])

    best = max(range(-2400, 2401, 240), key=likeness)
    assert likeness(best) > 0.9 and abs(best) <= 240, (best, likeness(best))


@pytest.fixture(scope="module")
def http(lesson_server):
    with lesson_server.client() as client:
        yield client


def new_lesson(http) -> dict:
    made = http.post("/api/v1/lessons", json={"outline": THREE_POINTS, "model": "tiny", "resolution_class": "draft"})
    assert made.status_code == 201, made.text
    return made.json()


def lesson_folder(lesson_server, lesson_id: str):
    return lesson_server.services.lessons.files.folder(lesson_id)


@pytest.mark.parametrize("kind", list(FORMATS))
def test_a_recording_in_each_format_is_trimmed_levelled_and_kept_with_the_lesson(http, lesson_server, speech, kind):
    view = new_lesson(http)
    sent = http.post(f"/api/v1/lessons/{view['id']}/scenes/1/voice", files={"file": (f"take.{kind}", encoded(speech, kind))})
    assert sent.status_code == 201, sent.text
    lesson = sent.json()["lesson"]
    assert lesson["voice"] == "own" and lesson["scenes"][0]["recording"] and lesson["scenes"][1]["recording"] is None
    stored = read_wav((lesson_folder(lesson_server, view["id"]) / "recordings" / lesson["scenes"][0]["recording"]).read_bytes())
    assert stored.rate == 48_000 and stored.channels == 1
    level = np.abs(stored.samples[0])
    assert level[:480].max() > 0.01 and level[-480:].max() > 0.005  # the half-second silences are gone
    assert 0.7 * (speech.seconds - 1.0) < stored.seconds < speech.seconds - 0.95  # both half-second pads cut
    assert loudness.integrated_lufs(stored) == pytest.approx(-16.0, abs=0.5)


def silence(seconds: float, kind: str = "wav") -> bytes:
    return encoded(Audio(np.zeros((1, int(seconds * 48_000)), np.float32), 48_000), kind)


def bad_recordings(speech: Audio) -> dict[str, tuple[bytes, int, str]]:
    """name → (body, expected status, words the message must hold)."""
    mp3 = encoded(speech, "mp3")  # garbage after the first half: the MP3 decoder stops with an error there
    damaged = mp3[: len(mp3) // 2] + bytes(np.random.default_rng(5).integers(0, 256, len(mp3) - len(mp3) // 2, dtype=np.uint8))
    video_only = io.BytesIO()
    with av.open(video_only, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=8)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for i in range(8):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 30 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    click = Audio(np.concatenate([np.zeros(24_000), 0.5 * np.sin(np.arange(4800) / 3), np.zeros(24_000)]), 48_000)
    return {
        "empty": (b"", 422, "empty"),
        "not audio (text)": (b"This is my narration, typed, not recorded.\n" * 20, 422, "not a sound file"),
        "not audio (a PNG picture)": (b"\x89PNG\r\n\x1a\n" + bytes(2000), 422, "no sound track"),
        "a video without sound": (video_only.getvalue(), 422, "no sound track"),
        "a WAV header and no samples": (wav_bytes(Audio(np.zeros((1, 0), np.float32), 48_000)), 422, "no sound"),
        "damaged after the header": (damaged, 422, "damaged"),
        "silent": (silence(3.0), 422, "silent"),
        "too short (a click)": (encoded(click, "wav"), 422, "less than 0.3 s"),
        "too long": (silence(301.0, "ogg"), 413, "longer than 300 s"),
        "too large": (b"RIFF" + bytes(20 * 2**20 + 10), 413, "larger than 20 MB"),
    }


def test_bad_audio_is_a_clear_4xx_and_leaves_nothing(http, lesson_server, speech):
    view = new_lesson(http)
    folder = lesson_folder(lesson_server, view["id"])
    before = (folder / "lesson.json").read_bytes()
    for name, (body, code, words) in bad_recordings(speech).items():
        answer = http.post(f"/api/v1/lessons/{view['id']}/scenes/2/voice", content=body,
                           headers={"content-type": "application/octet-stream"})
        assert answer.status_code == code, (name, answer.status_code, answer.text[:300])
        assert words in answer.json()["detail"], (name, answer.json())
    assert not (folder / "recordings").exists()
    assert (folder / "lesson.json").read_bytes() == before
    missing = http.post(f"/api/v1/lessons/{view['id']}/scenes/9/voice", content=encoded(speech, "wav"))
    assert missing.status_code == 404 and not (folder / "recordings").exists()


def test_the_lesson_plays_the_recording_at_its_scene_and_forgetting_it_brings_the_offline_voice_back(lesson_service, speech):
    lesson = lesson_service.create_from_text(THREE_POINTS, lesson_service.options("tiny", "draft"), None)
    lesson = lesson_service.add_recording(lesson.id, "2", encoded(speech, "webm"), None)
    assert lesson.voice == "own" and lesson.scenes[1].recording
    make_clips(lesson_service, lesson.id, SHAPES)
    lesson_service.assemble(lesson.id)
    timeline = json.loads(lesson_service.files.output(lesson.id, "timeline").read_text())
    scene = [s for s in timeline["segments"] if s["kind"] == "scene"][1]
    track = read_audio(lesson_service.files.output(lesson.id, "video"))
    stored = read_wav(lesson_service.files.recording(lesson.id, lesson.scenes[1].recording).read_bytes())
    assert_heard_at(track, scene["start_s"], stored)
    assert scene["end_s"] - scene["start_s"] == pytest.approx(stored.seconds + 0.6, abs=0.15)
    assert [c["text"] for c in scene["spoken"]] == [s for s in lesson.scenes[1].narration.replace("。", "。\n").split("\n") if s]
    vtt = lesson_service.files.output(lesson.id, "captions").read_text("utf-8")
    assert vtt.startswith("WEBVTT\n\nNOTE The cues of scenes spoken in the teacher's own recording are spread")
    back = lesson_service.remove_recording(lesson.id, "2", None)
    assert back.scenes[1].recording is None and back.voice == "own"
