"""Post steps on a clip with sound: interpolation and smoothing keep the audio (the length is
unchanged); speed changes and boomerang loops change the length and drop it, said in the recipe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2v.media import Audio, encode_mp4, probe, read_audio
from i2v.post.apply import reprocess
from i2v.post.spec import PostSpec


@pytest.fixture
def sound_video(tmp_path: Path, clip: np.ndarray, recipe: dict) -> Path:
    folder = tmp_path / "outputs" / "2026-01-05"
    folder.mkdir(parents=True)
    video = folder / "101500-a-bell-ab12cd34.mp4"
    video.with_suffix(".json").write_text(json.dumps(recipe), encoding="utf-8")
    seconds = len(clip) / 8
    t = np.arange(int(seconds * 48000)) / 48000
    tone = Audio((0.4 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32), 48000)
    return encode_mp4(clip, 8, video, metadata={"comment": json.dumps(recipe)}, audio=tone)


@pytest.mark.parametrize("spec", [PostSpec(interpolate=2), PostSpec(smooth=0.5)], ids=["interpolate", "smooth"])
def test_steps_that_keep_the_length_keep_the_sound(sound_video, spec):
    result = reprocess(sound_video, spec)
    before, after = probe(sound_video), probe(result)
    assert after.audio_codec == "aac"
    # the sound ends with the new picture (within one of its frames), and the clip is as long as before
    # within one source frame (interpolating 8 frames gives 15: the last in-between interval is not made)
    assert abs(after.audio_seconds - after.frames / float(after.fps)) <= 1 / float(after.fps)
    assert abs(after.audio_seconds - before.audio_seconds) <= 1 / float(before.fps)
    assert json.loads(result.with_suffix(".json").read_text())["audio"] == "kept"
    audio = read_audio(result)
    assert audio is not None and np.abs(audio.samples).max() > 0.2  # the tone, not silence


@pytest.mark.parametrize("spec", [PostSpec(speed=2.0), PostSpec(loop="pingpong")], ids=["speed", "boomerang"])
def test_steps_that_change_the_length_drop_the_sound_and_say_so(sound_video, spec):
    result = reprocess(sound_video, spec)
    assert probe(result).audio_codec is None
    assert json.loads(result.with_suffix(".json").read_text())["audio"].startswith("dropped: the length changed")


def test_exports_keep_the_sound_where_the_format_can_carry_it(sound_video, clip):
    """WebM carries the sound as Opus (same length as the picture, the tone intact); the pack's MP4
    is the video with its AAC track; GIF, frames and contact sheet are pictures only."""
    import io
    import zipfile

    import av

    from i2v.post import export

    made = export(sound_video, ["webm", "pack", "gif"])
    with av.open(str(made["webm"])) as container:
        assert [s.codec_context.name for s in container.streams] == ["vp9", "opus"]
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    assert len(samples) / 48000 == pytest.approx(len(clip) / 8, abs=1 / 8)
    spectrum = np.abs(np.fft.rfft(samples[4800:-4800]))
    assert abs(np.argmax(spectrum) * 48000 / len(samples[4800:-4800]) - 440) <= 2
    with zipfile.ZipFile(made["pack"]) as pack:
        inner = next(n for n in pack.namelist() if n.endswith(".mp4"))
        with av.open(io.BytesIO(pack.read(inner))) as container:
            assert container.streams.audio[0].codec_context.name == "aac"
    assert made["gif"].read_bytes()[:6] == b"GIF89a"


def test_a_silent_video_exports_a_silent_webm(tmp_path, clip):
    import av

    from i2v.post.exports import export_webm

    with av.open(str(export_webm(clip, 8, tmp_path / "silent.webm"))) as container:
        assert [s.type for s in container.streams] == ["video"]
