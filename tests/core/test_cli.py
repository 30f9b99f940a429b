"""`i2v generate` end to end on the tiny model, decoding what it wrote: in process through `i2v.cli.main`
(tests.support.cli; same arguments, environment, output and exit code) except where the process is the
point (the missing-weights exit and `i2v models` from the app's folder run a real `python -m i2v.cli`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from i2v.media import probe, read_video
from tests.support.cli import generate_once, run_cli

ARGS = ["--model", "tiny", "--resolution", "256p", "--frames", "8", "--fps", "10", "--steps", "3"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_once(tmp_path_factory.mktemp("cli"), "leaf.png", "a leaf swaying in the wind", "42", ARGS)


def test_last_line_is_a_playable_h264_mp4(generated):
    folder, video, _ = generated
    assert video.is_file() and video.suffix == ".mp4"
    assert video.is_relative_to(folder / "outputs")
    info = probe(video)
    assert (info.codec, info.pix_fmt, info.frames, info.fps) == ("h264", "yuv420p", 8, 10)
    assert (info.width, info.height) == (256, 192)
    with av.open(str(video)) as container:  # every frame decodes
        assert sum(1 for _ in container.decode(video=0)) == 8


def test_recipe_beside_the_video_and_inside_it(generated):
    _, video, result = generated
    recipe = json.loads(video.with_suffix(".json").read_text())
    assert recipe["seed"] == 42 and recipe["prompt"] == "a leaf swaying in the wind"
    assert recipe["request"]["steps"] == 3 and recipe["fps"] == 10 and recipe["frames"] == 8
    assert recipe["model"]["id"] == "tiny" and recipe["model"]["test_model"] is True
    assert recipe["memory_plan"]["device"] == "cpu" and recipe["memory_plan"]["dtype"] == "fp32"
    assert {"torch", "diffusers", "transformers", "av"} <= set(recipe["libraries"])
    assert recipe["timings"]["total_s"] > 0
    assert video.with_suffix(".jpg").is_file()
    assert (video.parent / recipe["input_image"]["file"]).is_file()
    embedded = json.loads(probe(video).metadata["comment"])
    assert embedded["seed"] == 42 and embedded["model"] == recipe["model"]
    assert "TEST model" in result.stderr


def test_recipe_reproduces_the_same_frames_without_overwriting(generated):
    folder, video, _ = generated
    again = run_cli("generate", "--recipe", str(video.with_suffix(".json")), home=folder / "outputs")
    assert again.returncode == 0, again.stderr
    second = Path(again.stdout.strip().splitlines()[-1])
    assert second != video and video.is_file() and second.is_file()
    first_frames, _ = read_video(video)
    second_frames, _ = read_video(second)
    assert np.array_equal(first_frames, second_frames)


def test_another_seed_gives_another_video(generated):
    folder, video, _ = generated
    other = run_cli("generate", str(folder / "leaf.png"), "--prompt", "a leaf swaying in the wind", "--seed", "43", *ARGS, home=folder / "outputs")
    assert other.returncode == 0, other.stderr
    a, _ = read_video(video)
    b, _ = read_video(Path(other.stdout.strip().splitlines()[-1]))
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1.0


def test_bad_input_exits_2_with_a_clear_message(tmp_path, picture_file):
    result = run_cli("generate", str(picture_file), "--prompt", "x", "--frames", "64", "--model", "tiny", home=tmp_path)
    assert result.returncode == 2
    assert "frames: must be between 8 and 32 for I2VGen-XL (got 64)" in result.stderr
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    result = run_cli("generate", str(not_image), "--prompt", "x", "--model", "tiny", home=tmp_path)
    assert result.returncode == 2 and "not a picture" in result.stderr
    assert not list(tmp_path.glob("*/*.mp4"))


def test_missing_weights_name_the_download_command(tmp_path, picture_file):
    env_home = tmp_path / "hf"
    result = subprocess.run(
        [sys.executable, "-m", "i2v.cli", "generate", str(picture_file), "--prompt", "cells", "--model", "ali-vilab/i2vgen-xl"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(env_home), "I2V_HOME": str(tmp_path / "out")},
    )
    assert result.returncode == 1
    # the default model's command, as it runs from the app's folder (the default needs no --model)
    assert "ali-vilab/i2vgen-xl" in result.stderr and "i2v download" in result.stderr


def test_i2v_models_lists_each_family_with_its_licence_and_a_download_line_that_runs(tmp_path):
    """Without weights: every family appears once with its licence and frame rule, and each line to
    fetch weights is the command as typed from the app's folder (the one the test runs in)."""
    result = subprocess.run(
        [sys.executable, "-m", "i2v.cli", "models"], capture_output=True, text=True, timeout=120, cwd=Path(sys.executable).parents[2],
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "I2V_HOME": str(tmp_path / "out"),
             "I2V_MODEL": "ali-vilab/i2vgen-xl", "I2V_MODELS": ""},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title, licence in (("I2VGen-XL", "MIT"), ("Wan 2.2 TI2V-5B", "Apache-2.0"), ("LTX-Video 2B", "OpenRAIL-M"),
                           ("Wan 2.2 I2V-A14B", "Apache-2.0"), ("LTX-2 (video + sound)", "LTX-2 Community License")):
        assert out.count(f"— {title},") == 1 and licence in out, (title, out)
    downloads = [line.split(": ", 1)[1].split("  (")[0] for line in out.splitlines() if line.strip().startswith("download")]
    assert downloads == [".venv/bin/i2v download", ".venv/bin/i2v download --model Wan-AI/Wan2.2-TI2V-5B-Diffusers",
                         ".venv/bin/i2v download --model Lightricks/LTX-Video",
                         ".venv/bin/i2v download --model Wan-AI/Wan2.2-I2V-A14B-Diffusers",
                         ".venv/bin/i2v download --model Lightricks/LTX-2"], out


def test_the_command_i2v_presets_prints_runs_the_preset(tmp_path, capsys):
    """`i2v presets` prints `i2v generate --preset ID`; run as printed (flags added to keep it fast,
    which also shows that flags override the preset) it makes the preset's video from its own picture."""
    import shlex

    from i2v.cli import main
    from i2v.teaching.presets import get_preset

    assert main(["presets", "mitosis"]) == 0
    printed = capsys.readouterr().out.splitlines()[2].split("#")[0]
    words = shlex.split(printed)
    assert words[1:] == ["generate", "--preset", "mitosis"]
    fast = ["--model", "tiny", "--resolution", "256p", "--frames", "8", "--steps", "2", "--seed", "5"]
    result = run_cli(*words[1:], *fast, home=tmp_path / "outputs")
    assert result.returncode == 0, result.stderr
    recipe = json.loads(Path(result.stdout.strip().splitlines()[-1]).with_suffix(".json").read_text())
    preset = get_preset("mitosis")
    assert recipe["prompt"] == preset.prompt and recipe["request"]["negative_prompt"] == preset.negative_prompt
    assert recipe["request"]["fps"] == preset.params.fps and recipe["request"]["guidance"] == preset.params.guidance
    assert recipe["request"]["steps"] == 2 and recipe["frames"] == 8  # the flags won


def test_preset_errors_are_usage_errors(tmp_path):
    unknown = run_cli("generate", "--preset", "no-such-preset", "--model", "tiny", home=tmp_path)
    assert unknown.returncode == 2 and "i2v presets" in unknown.stderr
    both = run_cli("generate", "--preset", "mitosis", "--recipe", str(tmp_path / "r.json"), home=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
