"""A narrated lesson (issue 22, CPU): three scenes, one in Chinese, spoken by the offline voices (piper
for English, espeak-ng for Chinese). One AAC track as long as the video, each narration starting with
its part, −16 LUFS ± 1 and true peak ≤ −1 dBTP read back from the MP4 by an independent meter
(pyloudnorm) and FFmpeg's resampler, and captions that are the spoken sentences inside their parts."""

import json

import av
import numpy as np
import pyloudnorm
import pytest

from i2v.lessons.narration import PAUSE_SECONDS, sentences, spoken_parts
from i2v.media import probe, read_audio
from tests.lessons.conftest import THREE_POINTS, make_clips
from tests.lessons.test_lessons_assemble import cues

SHAPES = [(8, 8, 320, 192), (8, 4, 256, 256), (9, 8, 320, 192)]
NARRATION = ["Watch the chromatids separate. Each pole gets one full set.", "叶片在光照下释放氧气。植物需要光。",
             "The tilt of the axis causes the seasons."]
ONSET_WINDOW_S = 0.01


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    from i2v.archive import Archive
    from i2v.lessons.service import LessonService
    from i2v.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("narrated") / "home", model="tiny")
    service = LessonService(settings, Archive(settings.home), None, lambda: ["tiny"])
    lesson = service.create_from_text(THREE_POINTS, service.options("tiny", "draft"), None, title="Cells and seasons")
    data = lesson.model_dump(mode="json")
    data["voice"] = "en-synthetic"
    for scene, text in zip(data["scenes"], NARRATION, strict=True):
        scene["narration"] = text
    lesson = service.update(lesson.id, data, None)
    assert [scene.lang for scene in lesson.scenes] == ["en", "zh", "en"]
    make_clips(service, lesson.id, SHAPES)
    service.assemble(lesson.id)
    video = service.files.output(lesson.id, "video")
    timeline = json.loads(service.files.output(lesson.id, "timeline").read_text())
    return service, lesson, video, timeline


def test_the_video_has_one_aac_track_as_long_as_the_picture(narrated):
    _, _, video, timeline = narrated
    with av.open(str(video)) as container:
        assert len(container.streams.audio) == 1 and container.streams.audio[0].codec_context.name == "aac"
    info = probe(video)
    seconds = info.frames / float(info.fps)
    assert seconds == pytest.approx(timeline["segments"][-1]["end_s"])
    assert info.audio_seconds == pytest.approx(seconds, abs=0.05)


def test_each_part_lasts_its_narration_and_a_pause_and_at_least_its_clip(narrated):
    _, _, _, timeline = narrated
    scenes = [s for s in timeline["segments"] if s["kind"] == "scene"]
    for segment, (frames, fps, _, _) in zip(scenes, SHAPES, strict=True):
        length = segment["end_s"] - segment["start_s"]
        spoken_end = segment["spoken"][-1]["end"]
        assert length >= frames / fps - 1 / 8
        assert length == pytest.approx(spoken_end - segment["start_s"] + PAUSE_SECONDS, abs=1 / 8 + 1e-6)
    title = timeline["segments"][0]
    assert title["kind"] == "title" and title["spoken"][0]["text"] == "Cells and seasons"


def energy_onset(samples: np.ndarray, rate: int, after_s: float, threshold: float) -> float:
    window = int(ONSET_WINDOW_S * rate)
    first = int(after_s * rate) // window * window
    levels = np.sqrt((samples[first : first + 5 * rate][: 5 * rate // window * window].reshape(-1, window) ** 2).mean(axis=1))
    return (first + int(np.argmax(levels > threshold)) * window) / rate


def test_each_narration_starts_within_100_ms_of_its_part(narrated):
    _, _, video, timeline = narrated
    audio = read_audio(video)
    mono = audio.samples.mean(axis=0)
    threshold = 0.1 * float(np.abs(mono).max())
    for segment in timeline["segments"]:
        if not segment["spoken"]:
            continue
        onset = energy_onset(mono, audio.rate, max(0.0, segment["start_s"] - 0.5), threshold)
        assert abs(onset - segment["start_s"]) <= 0.1, (segment["kind"], segment["start_s"], onset)


def test_the_track_is_minus_16_lufs_with_true_peaks_under_minus_1_dbtp(narrated):
    _, _, video, _ = narrated
    audio = read_audio(video)
    measured = pyloudnorm.Meter(audio.rate).integrated_loudness(audio.samples.T.astype(np.float64))
    assert measured == pytest.approx(-16.0, abs=1.0)
    oversampled = audio.resampled(4 * audio.rate)  # FFmpeg's resampler: independent of i2v's own peak filter
    assert 20 * np.log10(np.abs(oversampled.samples).max()) <= -1.0


def test_captions_are_the_spoken_sentences_each_inside_its_part(narrated):
    service, lesson, _, timeline = narrated
    found = cues(service.files.output(lesson.id, "captions").read_text("utf-8"))
    said = [sentence for text, _ in spoken_parts(lesson).values() for sentence in sentences(text)]
    assert [text.replace(" ", "") for _, _, text in found] == [s.replace(" ", "") for s in said]
    parts = [s for s in timeline["segments"] if s["spoken"]]
    spans = [(p["start_s"], p["end_s"]) for p in parts for _ in p["spoken"]]
    for (start, end, _), (part_start, part_end) in zip(found, spans, strict=True):
        assert part_start - 1e-3 <= start < end <= part_end + 1e-3
    srt = service.files.output(lesson.id, "captions-srt").read_text("utf-8")
    assert srt.count(" --> ") == len(found) and "00:00:00,000 --> " in srt


def test_a_lesson_without_a_voice_has_no_sound_track(lesson_service):
    lesson = lesson_service.create_from_text(THREE_POINTS, lesson_service.options("tiny", "draft"), None)
    assert lesson.voice == "none"
    make_clips(lesson_service, lesson.id, SHAPES)
    lesson_service.assemble(lesson.id)
    assert probe(lesson_service.files.output(lesson.id, "video")).audio_codec is None


@pytest.mark.parametrize(("fill", "expected"), [("hold", [0, 1, 2, 2, 2, 2, 2]), ("loop", [0, 1, 2, 0, 1, 2, 0]),
                                                ("slow", [0, 0, 0, 1, 1, 2, 2])])
def test_a_clip_shorter_than_its_narration_holds_loops_or_slows_down(fill, expected):
    from i2v.lessons.assemble import stretched

    frames = np.arange(3, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    out = np.concatenate(list(stretched(frames, 7, fill, batch=3)))
    assert out[:, 0, 0, 0].tolist() == expected


def test_the_handout_prints_each_scene_s_narration(narrated):
    from tests.lessons.conftest import pdf_text

    service, lesson, _, _ = narrated
    text = " ".join(pdf_text(service.files.output(lesson.id, "handout")).split())
    assert "Narration: Watch the chromatids separate. Each pole gets one full set." in text
    assert "Narration: The tilt of the axis causes the seasons." in text


def test_a_clip_s_own_sound_plays_at_its_scene_ducked_12_db_under_the_voice_and_cards_are_silent(lesson_service, tmp_path):
    """A family that makes sound (LTX-2): the clip's 3 kHz hum is heard at its scene, 12 dB quieter
    while the narration speaks, at full level after it; the end card after it carries none."""
    from i2v.lessons.batch import fingerprint
    from i2v.media import Audio, encode_mp4

    lesson = lesson_service.create_from_text("Anaphase: sister chromatids separate", lesson_service.options("tiny", "draft"), None)
    data = lesson.model_dump(mode="json") | {"voice": "en-synthetic"}
    data["scenes"][0]["narration"] = "Watch them separate."
    lesson = lesson_service.update(lesson.id, data, None)
    scene = lesson.scenes[0]
    hum = Audio(0.2 * np.sin(2 * np.pi * 3000 * np.arange(6 * 48_000) / 48_000), 48_000)
    frames = np.stack([np.full((192, 320, 3), 40 + 4 * i, np.uint8) for i in range(48)])
    clip = lesson_service.files.clip(lesson.id, scene.id, fingerprint(lesson, scene))
    clip.parent.mkdir(parents=True, exist_ok=True)
    encode_mp4(frames, 8, clip, audio=hum)
    lesson_service.assemble(lesson.id)
    timeline = json.loads(lesson_service.files.output(lesson.id, "timeline").read_text())
    part, end = timeline["segments"][1], timeline["segments"][2]
    track = read_audio(lesson_service.files.output(lesson.id, "video"))

    def hum_level(start_s: float, end_s: float) -> float:
        piece = track.samples[0, int(start_s * track.rate) : int(end_s * track.rate)]
        window = np.hanning(len(piece))
        spectrum = np.abs(np.fft.rfft(piece * window)) * 2 / window.sum()  # a sine's amplitude, whatever the length
        freqs = np.fft.rfftfreq(len(piece), 1 / track.rate)
        return float(spectrum[(freqs > 2950) & (freqs < 3050)].max())

    voice_end = part["spoken"][-1]["end"]
    assert part["end_s"] - part["start_s"] == pytest.approx(6.0, abs=0.15)  # the clip is longer than its narration
    under_voice = hum_level(part["start_s"] + 0.15, voice_end - 0.1)
    alone = hum_level(voice_end + 0.3, part["start_s"] + 5.7)
    assert 20 * np.log10(alone / under_voice) == pytest.approx(12.0, abs=2.0)
    assert hum_level(end["start_s"] + 0.1, end["end_s"]) < 0.01 * alone


def test_preview_speaks_a_scene_s_narration_at_the_lesson_s_level(lesson_service):
    from i2v import loudness
    from i2v.voice.recording import read_wav

    lesson = lesson_service.create_from_text("光合作用：叶片在光照下释放氧气", lesson_service.options("tiny", "draft"), None)
    heard = read_wav(lesson_service.preview_narration(lesson.id, "叶片在光照下释放氧气。", "zh", 1.0).read_bytes())
    assert heard.seconds > 1.0 and loudness.integrated_lufs(heard) == pytest.approx(-16.0, abs=0.5)


def test_a_silent_lesson_with_one_sound_clip_has_that_sound_at_its_scene_within_20_ms(lesson_service):
    """Issue 21: no voice, one scene whose clip has sound (noise bursts, so the match is sharp): the
    lesson gets a sound track, and cross-correlating the clip's sound with it finds it at the scene."""
    from i2v.lessons.batch import fingerprint
    from i2v.media import Audio, encode_mp4

    lesson = lesson_service.create_from_text(THREE_POINTS, lesson_service.options("tiny", "draft"), None)
    clips = make_clips(lesson_service, lesson.id, SHAPES)
    rng = np.random.default_rng(3)
    bursts = rng.standard_normal(2 * 48_000) * np.repeat(rng.random(20) > 0.5, 4800) * 0.2
    scene = lesson.scenes[1]
    frames = np.stack([np.full((256, 256, 3), 60 + 9 * i, np.uint8) for i in range(8)])
    encode_mp4(frames, 4, clips[scene.id], audio=Audio(bursts.astype(np.float32), 48_000))
    assert clips[scene.id] == lesson_service.files.clip(lesson.id, scene.id, fingerprint(lesson, scene))
    lesson_service.assemble(lesson.id)
    start = json.loads(lesson_service.files.output(lesson.id, "timeline").read_text())["segments"][2]["start_s"]
    track = read_audio(lesson_service.files.output(lesson.id, "video")).samples[0]
    sound = read_audio(clips[scene.id]).samples[0]
    size = 1 << int(np.ceil(np.log2(len(track) + len(sound))))
    correlation = np.fft.irfft(np.fft.rfft(track, size) * np.conj(np.fft.rfft(sound, size)), size)[: len(track)]
    found = int(np.argmax(correlation)) / 48_000
    assert abs(found - start) <= 0.020, (found, start)
