"""`i2v generate --model tiny-ltx` end to end in process (tests.support.cli), decoding what it wrote, and the
recipe replaying with the same family and frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2v.media import probe, read_video
from tests.support.cli import generate_once, run_cli

ARGS = ["--model", "tiny-ltx", "--resolution", "256p", "--frames", "17", "--fps", "24", "--steps", "2"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_once(tmp_path_factory.mktemp("ltx-cli"), "leaf.png", "a leaf swaying in the wind", "7", ARGS)


def test_the_mp4_has_ltx_frames_and_fps_and_the_test_banner(generated):
    _, video, result = generated
    info = probe(video)
    assert (info.codec, info.frames, info.fps, info.width, info.height) == ("h264", 17, 24, 384, 288)
    frames, _ = read_video(video)
    strip = frames[:, :8].reshape(-1, 3).mean(axis=0)  # the yellow TEST MODEL strip on every frame
    assert strip[0] > 180 and strip[1] > 160 and strip[2] < 90, strip
    assert "TEST model" in result.stderr


def test_the_recipe_records_the_family_and_the_model(generated):
    _, video, _ = generated
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert recipe["model"]["family"] == "ltx" and recipe["model"]["id"] == "tiny-ltx"
    assert recipe["model"]["test_model"] is True
    assert recipe["request"]["model"] == "tiny-ltx" and recipe["request"]["frames"] == 17
    assert (recipe["seed"], recipe["fps"], recipe["frames"], recipe["width"], recipe["height"]) == (7, 24, 17, 384, 288)
    embedded = json.loads(probe(video).metadata["comment"])
    assert embedded["model"] == recipe["model"]


def test_the_recipe_replays_with_the_same_family_and_frames(generated):
    folder, video, _ = generated
    again = run_cli("generate", "--recipe", str(video.with_suffix(".json")), home=folder / "outputs")
    assert again.returncode == 0, again.stderr
    second = Path(again.stdout.strip().splitlines()[-1])
    assert second != video
    assert json.loads(second.with_suffix(".json").read_text())["model"]["family"] == "ltx"
    first_frames, _ = read_video(video)
    second_frames, _ = read_video(second)
    assert np.array_equal(first_frames, second_frames)


def test_a_frame_count_ltx_cannot_make_is_refused_in_its_words(tmp_path, picture_file):
    result = run_cli("generate", str(picture_file), "--prompt", "x", "--model", "tiny-ltx", "--frames", "16", home=tmp_path)
    assert result.returncode == 2
    assert "frames: must be 8k+1 between 9 and 257" in result.stderr and "for LTX-Video 2B (got 16)" in result.stderr
    assert not list(tmp_path.rglob("*.mp4"))
