"""Keyframes in the request and the specs: positions, what each family can take, the message naming
the families that can, the frame each picture lands on, and the aspect warning."""

from __future__ import annotations

import pytest
from PIL import Image

from i2v.engine.registry import SPECS, complete_request, family_spec, keyframe_families
from i2v.image_input import aspect_warning, fit_image
from i2v.request import GenerationRequest, RequestError


def test_each_family_says_which_pictures_it_takes():
    assert {s.family: s.keyframes for s in SPECS} == {"i2vgenxl": "none", "wan": "none", "ltx": "any", "wan_a14b": "last",
                                                   "ltx2": "any"}
    assert [s.family for s in keyframe_families((1.0,))] == ["ltx", "wan_a14b", "ltx2"]
    assert [s.family for s in keyframe_families((0.5, 1.0))] == ["ltx", "ltx2"]
    described = family_spec("wan_a14b").describe()
    assert described["keyframes"] == "last" and described["keyframes_text"] == "an end picture"
    assert "0.9.5" in family_spec("ltx").describe()["keyframes_text"]


@pytest.mark.parametrize("positions, problem", [
    ((0.0,), "above 0"), ((1.5,), "at most 1"), ((1.0, 0.5), "increase"), ((0.1, 0.2, 0.3, 0.4, 0.5), "at most 4"),
])
def test_bad_positions_are_refused_with_what_to_change(positions, problem):
    with pytest.raises(RequestError, match=problem):
        GenerationRequest.parse({"prompt": "x", "keyframes": list(positions)})


@pytest.mark.parametrize("model, family", [("tiny", "I2VGen-XL"), ("tiny-wan", "Wan 2.2 TI2V-5B")])
def test_a_family_without_keyframes_names_the_families_that_can(model, family):
    with pytest.raises(RequestError) as caught:
        complete_request(GenerationRequest(prompt="x", model=model, keyframes=(1.0,)), model)
    message = str(caught.value)
    assert message.startswith(f"end_image: {family} takes no end picture")
    assert "Wan 2.2 I2V-A14B" in message and "LTX-Video 2B" in message and "tiny-wan-a14b" in message
    assert "\n" not in message


def test_the_end_picture_is_the_last_frame_and_middle_ones_snap_to_latent_frames():
    wan, ltx = family_spec("wan_a14b"), family_spec("ltx")
    assert wan.keyframe_frames((1.0,), 81) == [80]
    assert ltx.keyframe_frames((0.5, 1.0), 121) == [64, 120]  # LTX packs 8 frames a latent: 60 → 64


def test_pictures_of_very_different_shape_get_a_warning_and_close_ones_none():
    start = Image.new("RGB", (640, 480))
    assert aspect_warning(start, [("the end picture", Image.new("RGB", (600, 480)))]) is None
    warning = aspect_warning(start, [("the end picture", Image.new("RGB", (480, 640)))])
    assert warning and "640×480" in warning and "the end picture is 480×640" in warning


def test_both_pictures_are_fitted_by_the_same_rule():
    start, end = Image.new("RGB", (640, 480), (10, 20, 30)), Image.new("RGB", (1000, 750), (40, 50, 60))
    spec = family_spec("wan_a14b")
    size = spec.frame_size("480p", start.width, start.height)
    assert fit_image(start, *size).size == fit_image(end, *size).size == size
