"""`i2v generate START --end-image END` end to end in process (tests.support.cli), decoding what they wrote:
Wan 2.2 I2V-A14B and LTX-Video (its 0.9.5 condition path) take the end picture, two end pictures give
two different last frames with every other setting equal, the recipe records and replays both
pictures, and the families that take none refuse with exit 2 and one line naming those that can."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2v.media import probe, read_video
from tests.conftest import gradient_picture
from tests.support.cli import run_cli

A14B = ["--model", "tiny-wan-a14b", "--resolution", "240p", "--frames", "5", "--steps", "2", "--seed", "9"]
LTX = ["--model", "tiny-ltx", "--resolution", "256p", "--frames", "17", "--steps", "2", "--seed", "9"]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    made = {"start": gradient_picture(400, 300), "blue": Image.new("RGB", (400, 300), (20, 40, 220)),
            "yellow": Image.new("RGB", (400, 300), (240, 200, 30)), "tall": Image.new("RGB", (300, 400), (0, 160, 60))}
    for name, picture in made.items():
        picture.save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in made}


def generate(home: Path, *args: str):
    result = run_cli("generate", *args, "--prompt", "ice melting into water", home=home)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]), result


@pytest.fixture(scope="module")
def a14b_runs(tmp_path_factory, pictures):
    home = tmp_path_factory.mktemp("a14b") / "outputs"
    return {end: generate(home, str(pictures["start"]), *(["--end-image", str(pictures[end])] if end else []), *A14B)
            for end in ("blue", "yellow", None)}


def test_a14b_with_an_end_picture_writes_a_playable_clip_and_records_both_pictures(a14b_runs, pictures):
    video, result = a14b_runs["blue"]
    info = probe(video)
    assert (info.codec, info.frames, info.fps, info.width, info.height) == ("h264", 5, 16, 368, 272)
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert recipe["model"]["family"] == "wan_a14b" and recipe["request"]["keyframes"] == [1.0]
    [end] = recipe["keyframes"]
    assert (end["position"], end["frame"]) == (1.0, 4) and (video.parent / end["file"]).is_file()
    assert Image.open(video.parent / end["file"]).getpixel((10, 10)) == (20, 40, 220)
    assert "TEST model" in result.stderr


def test_two_end_pictures_give_different_last_frames_and_the_same_settings(a14b_runs):
    (blue, _), (yellow, _) = a14b_runs["blue"], a14b_runs["yellow"]
    a, _ = read_video(blue)
    b, _ = read_video(yellow)
    assert not np.array_equal(a[-1], b[-1])
    first, second = (json.loads(v.with_suffix(".json").read_text()) for v in (blue, yellow))
    assert first["request"] == second["request"] and first["seed"] == second["seed"] == 9
    assert first["keyframes"][0]["sha256"] != second["keyframes"][0]["sha256"]


def test_without_the_end_picture_the_family_still_works(a14b_runs):
    video, _ = a14b_runs[None]
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert recipe["keyframes"] == [] and recipe["request"]["keyframes"] == [] and probe(video).frames == 5


def test_the_recipe_replays_both_pictures(a14b_runs):
    video, _ = a14b_runs["blue"]
    again, _ = generate(video.parent.parent, "--recipe", str(video.with_suffix(".json")))
    assert np.array_equal(read_video(video)[0], read_video(again)[0])
    assert json.loads(again.with_suffix(".json").read_text())["keyframes"][0]["position"] == 1.0


def test_ltx_takes_an_end_and_a_middle_picture(tmp_path, pictures):
    video, result = generate(tmp_path, str(pictures["start"]), "--end-image", str(pictures["blue"]),
                             "--keyframe", f"{pictures['yellow']}@0.5", *LTX)
    assert probe(video).frames == 17
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert [(k["position"], k["frame"]) for k in recipe["keyframes"]] == [(0.5, 8), (1.0, 16)]
    assert "warning" not in result.stderr


def test_a_very_different_shape_is_warned_about_before_generating(tmp_path, pictures):
    _, result = generate(tmp_path, str(pictures["start"]), "--end-image", str(pictures["tall"]),
                         *[a if a != "2" else "1" for a in A14B])  # one step: only the warning is of interest
    warning = result.stderr.index("very different shapes")
    assert "400×300" in result.stderr and "300×400" in result.stderr
    assert warning < result.stderr.index("Loading")  # said before the model loads and generates


@pytest.mark.parametrize("model, title", [("tiny", "I2VGen-XL"), ("tiny-wan", "Wan 2.2 TI2V-5B")])
def test_families_without_keyframes_refuse_with_one_line_naming_those_that_can(tmp_path, pictures, model, title):
    result = run_cli("generate", str(pictures["start"]), "--end-image", str(pictures["blue"]), "--prompt", "x",
                     "--model", model, home=tmp_path)
    assert result.returncode == 2
    [line] = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert f"{title} takes no end picture" in line and "Wan 2.2 I2V-A14B" in line and "LTX-Video 2B" in line
    assert not list(tmp_path.rglob("*.mp4"))


def test_a_keyframe_without_a_position_is_exit_2(tmp_path, pictures):
    result = run_cli("generate", str(pictures["start"]), "--keyframe", str(pictures["blue"]), "--prompt", "x",
                     "--model", "tiny-ltx", home=tmp_path)
    assert result.returncode == 2 and "PICTURE@POSITION" in result.stderr
