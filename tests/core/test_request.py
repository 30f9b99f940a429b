import pytest

from i2v.request import MAX_SEED, GenerationRequest, RequestError, frame_size


def test_defaults_are_the_original_recipe():
    request = GenerationRequest(prompt="leaf swaying")
    assert (request.resolution, request.frames, request.fps, request.steps, request.guidance, request.scheduler) == (
        "512p", 16, 8, 50, 9.0, "ddim",
    )
    assert "motionless" in request.negative_prompt


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("frames", 40, "frames: must be between 8 and 32 (got 40)"),
        ("frames", 7, "frames: must be between 8 and 32 (got 7)"),
        ("fps", 31, "fps: must be between 4 and 30"),
        ("steps", 0, "steps: must be between 1 and 150"),
        ("guidance", 25.0, "guidance: must be between 1 and 20"),
        ("seed", MAX_SEED + 1, "seed: must be between 0 and 4294967295"),
        ("seed", -1, "seed: must be between 0 and 4294967295"),
        ("resolution", "4k", "resolution: must be one of 256p, 512p, 768p, 1024p (got '4k')"),
        ("scheduler", "euler", "scheduler: must be one of ddim, dpmpp"),
    ],
)
def test_out_of_range_values_name_the_allowed_range(field, value, expected):
    with pytest.raises(RequestError) as info:
        GenerationRequest.parse({"prompt": "cells dividing", field: value})
    assert expected in str(info.value)


def test_every_problem_is_reported_at_once_and_unknown_fields_refused():
    with pytest.raises(RequestError) as info:
        GenerationRequest.parse({"prompt": "   ", "frames": 99, "colour": "red"})
    message = str(info.value)
    assert "prompt: describe the motion" in message
    assert "frames: must be between 8 and 32" in message
    assert "colour: unknown setting" in message


def test_missing_seed_is_drawn_and_then_kept():
    request = GenerationRequest(prompt="orbit")
    seeded = request.with_seed()
    assert seeded.seed is not None and 0 <= seeded.seed <= MAX_SEED
    assert seeded.with_seed().seed == seeded.seed
    assert GenerationRequest(prompt="orbit", seed=5).with_seed().seed == 5


@pytest.mark.parametrize("resolution", ["256p", "512p", "768p", "1024p"])
@pytest.mark.parametrize("size", [(1920, 1080), (400, 300), (500, 500), (300, 900), (4000, 500)])
def test_frame_size_keeps_aspect_with_sides_multiple_of_64(resolution, size):
    width, height = frame_size(resolution, *size)
    assert width % 64 == 0 and height % 64 == 0
    side = int(resolution[:-1])
    assert 0.5 <= width * height / side**2 <= 1.6
    wanted = min(max(size[0] / size[1], 1 / 2.5), 2.5)
    assert abs(width / height - wanted) / wanted < 0.35


def test_square_input_gives_square_output():
    assert frame_size("512p", 800, 800) == (512, 512)
    assert frame_size("256p", 64, 64) == (256, 256)
