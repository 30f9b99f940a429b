"""`i2v generate --model tiny-ltx2` end to end in real subprocesses, decoding what they wrote: an MP4
with an H.264 stream and an AAC stream whose lengths agree within one video frame, no audio stream
with `--sound off`, an end picture (keyframes), the AI-generated marking, and a recipe replay that
gives the same frames and samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2v.media import probe, read_audio, read_video
from i2v.sound import TEST_TONE_HZ, TEST_TONE_S
from tests.conftest import gradient_picture
from tests.core.test_cli import run_cli

LTX2 = ["--model", "tiny-ltx2", "--resolution", "256p", "--frames", "9", "--steps", "2", "--seed", "9"]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    made = {"start": gradient_picture(400, 300), "blue": Image.new("RGB", (400, 300), (20, 40, 220))}
    for name, picture in made.items():
        picture.save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in made}


def generate(home: Path, *args: str) -> Path:
    result = run_cli("generate", *args, "--prompt", "a beaker boiling, the sound of bubbles", home=home)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory, pictures) -> dict[str, Path]:
    home = tmp_path_factory.mktemp("ltx2") / "outputs"
    return {
        "on": generate(home, str(pictures["start"]), *LTX2),
        "off": generate(home, str(pictures["start"]), *LTX2, "--sound", "off"),
        "end": generate(home, str(pictures["start"]), "--end-image", str(pictures["blue"]), *LTX2),
    }


def test_the_clip_has_h264_and_aac_of_the_same_length(runs):
    info = probe(runs["on"])
    assert (info.codec, info.audio_codec, info.audio_rate, info.frames) == ("h264", "aac", 48000, 9)
    video_seconds = info.frames / float(info.fps)
    assert abs(info.audio_seconds - video_seconds) <= 1 / float(info.fps), (info.audio_seconds, video_seconds)


def test_the_test_model_tone_opens_the_sound(runs):
    audio = read_audio(runs["on"])
    assert audio is not None
    n = int(TEST_TONE_S * audio.rate)
    spectrum = np.abs(np.fft.rfft(audio.samples[0, n // 4: 3 * n // 4]))
    peak_hz = np.argmax(spectrum) * audio.rate / (2 * (len(spectrum) - 1))
    assert abs(peak_hz - TEST_TONE_HZ) < 50, peak_hz


def test_the_recipe_and_metadata_record_sound_and_the_ai_marking(runs):
    recipe = json.loads(runs["on"].with_suffix(".json").read_text())
    assert (recipe["sound"], recipe["audio_rate"], recipe["request"]["sound"]) == ("on", 16000, "on")
    assert "AI-generated" in recipe["ai_generated"] and "LTX-2 Community License" in recipe["ai_generated"]
    assert "AI-generated" in probe(runs["on"]).metadata["description"]


def test_sound_off_writes_no_audio_stream(runs):
    info = probe(runs["off"])
    assert info.audio_codec is None and read_audio(runs["off"]) is None and info.frames == 9
    recipe = json.loads(runs["off"].with_suffix(".json").read_text())
    assert recipe["sound"] == "off" and recipe["audio_rate"] is None
    assert np.array_equal(read_video(runs["on"])[0], read_video(runs["off"])[0])  # sound off changes no picture


def test_an_end_picture_is_taken(runs):
    recipe = json.loads(runs["end"].with_suffix(".json").read_text())
    assert recipe["request"]["keyframes"] == [1.0] and recipe["keyframes"][0]["frame"] == 8
    assert probe(runs["end"]).audio_codec == "aac"
    assert not np.array_equal(read_video(runs["on"])[0][-1], read_video(runs["end"])[0][-1])


def test_a_recipe_replay_gives_the_same_frames_and_samples(runs):
    video = runs["on"]
    again = generate(video.parent.parent, "--recipe", str(video.with_suffix(".json")))
    assert np.array_equal(read_video(video)[0], read_video(again)[0])
    first, second = read_audio(video), read_audio(again)
    assert first is not None and second is not None and np.array_equal(first.samples, second.samples)
