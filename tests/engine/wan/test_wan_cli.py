"""`i2v generate --model tiny-wan` end to end in process (tests.support.cli), then the recipe replayed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2v.media import probe, read_video
from tests.support.cli import generate_once, run_cli

ARGS = ["--model", "tiny-wan", "--resolution", "480p", "--frames", "5", "--steps", "2"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_once(tmp_path_factory.mktemp("wan-cli"), "boat.png", "a paper boat drifting", "7", ARGS)


def test_the_video_has_wans_frames_and_frame_rate_and_the_test_banner(generated):
    _, video, result = generated
    info = probe(video)
    assert (info.codec, info.frames, info.fps) == ("h264", 5, 24)  # Wan's default 24 fps
    assert (info.width, info.height) == (736, 544)
    frames, _ = read_video(video)
    assert frames.shape == (5, 544, 736, 3)
    banner = frames[:, :20].reshape(-1, 3).mean(axis=0)
    assert banner[0] > 200 and banner[1] > 190 and banner[2] < 90  # the yellow TEST MODEL strip
    assert "TEST model" in result.stderr


def test_the_recipe_records_the_family_and_model(generated):
    _, video, _ = generated
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert recipe["model"]["family"] == "wan" and recipe["model"]["id"] == "tiny-wan"
    assert recipe["model"]["test_model"] is True and recipe["model"]["source"] == "tiny"
    assert recipe["request"]["model"] == "tiny-wan" and recipe["seed"] == 7
    assert (recipe["frames"], recipe["fps"], recipe["request"]["steps"]) == (5, 24, 2)
    assert recipe["request"]["scheduler"] == "unipc" and recipe["request"]["guidance"] == 5.0
    assert recipe["memory_plan"]["dtype"] == "fp32"


def test_the_recipe_replays_with_the_same_family_and_frames(generated):
    folder, video, _ = generated
    again = run_cli("generate", "--recipe", str(video.with_suffix(".json")), home=folder / "outputs")
    assert again.returncode == 0, again.stderr
    second = Path(again.stdout.strip().splitlines()[-1])
    assert second != video
    replayed = json.loads(second.with_suffix(".json").read_text())
    assert replayed["model"]["family"] == "wan" and replayed["model"]["id"] == "tiny-wan"
    first_frames, _ = read_video(video)
    second_frames, _ = read_video(second)
    assert np.array_equal(first_frames, second_frames)
