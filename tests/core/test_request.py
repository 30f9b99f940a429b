"""The family-neutral request and each family's rules (its `ModelSpec.complete`)."""

import pytest

from i2v.engine.registry import SPECS, UnknownModel, complete_request, family_spec, spec_for
from i2v.request import MAX_SEED, GenerationRequest, RequestError

I2VGENXL, WAN, LTX = (family_spec(name) for name in ("i2vgenxl", "wan", "ltx"))


def test_left_out_fields_become_the_familys_defaults():
    request = complete_request(GenerationRequest(prompt="leaf swaying"), "tiny")
    assert (request.model, request.resolution, request.frames, request.fps, request.steps, request.guidance,
            request.scheduler) == ("tiny", "512p", 16, 8, 50, 9.0, "ddim")
    assert "motionless" in request.negative_prompt and request.is_complete
    wan = complete_request(GenerationRequest(prompt="leaf swaying", model="tiny-wan"), "tiny")
    assert (wan.model, wan.resolution, wan.frames, wan.fps, wan.guidance, wan.scheduler) == (
        "tiny-wan", "720p", 121, 24, 5.0, "unipc")
    ltx = complete_request(GenerationRequest(prompt="leaf swaying"), "tiny-ltx")
    assert (ltx.model, ltx.resolution, ltx.frames, ltx.fps, ltx.guidance) == ("tiny-ltx", "512p", 121, 24, 3.0)


@pytest.mark.parametrize(
    ("model", "field", "value", "expected"),
    [
        ("tiny", "frames", 40, "frames: must be between 8 and 32 for I2VGen-XL (got 40)"),
        ("tiny", "frames", 7, "frames: must be between 8 and 32 for I2VGen-XL (got 7)"),
        ("tiny", "fps", 31, "fps: must be between 4 and 30 for I2VGen-XL"),
        ("tiny", "steps", 0, "steps: must be between 1 and 150 for I2VGen-XL"),
        ("tiny", "guidance", 25.0, "guidance: must be between 1 and 20 for I2VGen-XL"),
        ("tiny", "resolution", "4k", "resolution: must be one of 256p, 512p, 768p, 1024p for I2VGen-XL (got '4k')"),
        ("tiny", "scheduler", "euler", "scheduler: must be one of ddim, dpmpp for I2VGen-XL"),
        ("tiny-wan", "frames", 80, "frames: must be 4k+1 between 5 and 121, e.g. 81 or 121 for Wan 2.2 TI2V-5B (got 80)"),
        ("tiny-wan", "resolution", "512p", "resolution: must be one of 480p, 720p for Wan 2.2 TI2V-5B"),
        ("tiny-wan", "scheduler", "ddim", "scheduler: must be one of unipc for Wan 2.2 TI2V-5B"),
        ("tiny-ltx", "frames", 120, "frames: must be 8k+1 between 9 and 257"),
        ("tiny-ltx", "guidance", 12.0, "guidance: must be between 1 and 10 for LTX-Video 2B"),
    ],
)
def test_a_value_outside_the_family_names_its_rule(model, field, value, expected):
    with pytest.raises(RequestError) as info:
        complete_request(GenerationRequest.parse({"prompt": "cells dividing", "model": model, field: value}), "tiny")
    assert expected in str(info.value)


def test_every_problem_is_reported_at_once_and_unknown_fields_refused():
    with pytest.raises(RequestError) as info:
        GenerationRequest.parse({"prompt": "   ", "seed": -1, "colour": "red"})
    message = str(info.value)
    assert "prompt: describe the motion" in message
    assert "seed: must be between 0 and 4294967295" in message
    assert "colour: unknown setting" in message
    with pytest.raises(RequestError) as info:
        complete_request(GenerationRequest.parse({"prompt": "cells", "frames": 99, "fps": 100}), "tiny")
    assert "frames: must be between 8 and 32" in str(info.value) and "fps: must be between 4 and 30" in str(info.value)


def test_an_unknown_model_is_a_request_error_naming_the_families():
    with pytest.raises(UnknownModel, match="does not know the model 'sora'.*tiny-wan"):
        complete_request(GenerationRequest(prompt="cells", model="sora"), "tiny")


def test_a_huge_number_is_shown_short_in_the_message():
    with pytest.raises(RequestError) as info:
        complete_request(GenerationRequest.parse({"prompt": "cells", "frames": 10**400}), "tiny")
    assert "digits" in str(info.value) and len(str(info.value)) < 200


def test_missing_seed_is_drawn_and_then_kept():
    request = GenerationRequest(prompt="orbit")
    seeded = request.with_seed()
    assert seeded.seed is not None and 0 <= seeded.seed <= MAX_SEED
    assert seeded.with_seed().seed == seeded.seed
    assert GenerationRequest(prompt="orbit", seed=5).with_seed().seed == 5


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.family)
@pytest.mark.parametrize("size", [(1920, 1080), (400, 300), (500, 500), (300, 900), (4000, 500)])
def test_frame_size_keeps_aspect_with_the_familys_side_multiple(spec, size):
    for preset in spec.resolutions:
        width, height = spec.frame_size(preset.name, *size)
        assert width % spec.side_multiple == 0 and height % spec.side_multiple == 0
        assert 0.5 <= width * height / preset.pixels <= 1.6
        wanted = min(max(size[0] / size[1], 1 / spec.max_aspect), spec.max_aspect)
        assert abs(width / height - wanted) / wanted < 0.35


def test_square_input_gives_square_output_and_the_named_shapes_come_back():
    assert I2VGENXL.frame_size("512p", 800, 800) == (512, 512)
    assert I2VGENXL.frame_size("256p", 64, 64) == (256, 256)
    assert WAN.frame_size("720p", 1280, 704) == (1280, 704)  # the model card's 720p
    assert LTX.frame_size("512p", 1536, 1024) == (768, 512)


def test_frame_rules_and_clip_lengths():
    assert WAN.frames.valid(121) and not WAN.frames.valid(120) and WAN.frames.nearest(50) == 49
    assert LTX.frames.valid(121) and not LTX.frames.valid(125) and LTX.frames.nearest(48) == 49
    # What a clip should be → each family's own numbers: I2VGen-XL keeps its trained 16 frames.
    assert I2VGENXL.clip_params(2.0) == {"frames": 16, "fps": 8, "resolution": "512p"}
    assert WAN.clip_params(2.0, "draft") == {"frames": 49, "fps": 24, "resolution": "480p"}
    assert LTX.clip_params(5.0, "high") == {"frames": 121, "fps": 24, "resolution": "720p"}


def test_family_of_a_folder_comes_from_its_model_index(tmp_path):
    (tmp_path / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    assert spec_for(str(tmp_path)) is WAN
    (tmp_path / "model_index.json").write_text('{"_class_name": "HunyuanVideoImageToVideoPipeline"}')
    with pytest.raises(UnknownModel, match="HunyuanVideoImageToVideoPipeline"):
        spec_for(str(tmp_path))
