"""The input check on generated pictures: dark backgrounds, line art, small subjects, and the fixes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from i2v.teaching.input_check import (
    apply_fix,
    check_image,
    pad_subject,
    preview_fix,
    recolour_background,
    thicken_lines,
)


def cell(background: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A filled 'cell' with a dark nucleus, like a textbook diagram."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse([w * 0.22, h * 0.19, w * 0.78, h * 0.81], fill=(220, 120, 150), outline=(250, 200, 210), width=6)
    draw.ellipse([w * 0.44, h * 0.42, w * 0.56, h * 0.58], fill=(20, 20, 60))
    return image


def line_drawing(ink: str = "black", paper: str = "white") -> Image.Image:
    image = Image.new("RGB", (640, 480), paper)
    draw = ImageDraw.Draw(image)
    draw.ellipse([140, 90, 500, 390], outline=ink, width=2)
    draw.ellipse([280, 200, 360, 280], outline=ink, width=2)
    for i in range(8):
        draw.line([(150 + i * 40, 120), (170 + i * 40, 360)], fill=ink, width=2)
    return image


def small_subject() -> Image.Image:
    image = Image.new("RGB", (640, 480), (245, 245, 240))
    ImageDraw.Draw(image).ellipse([40, 40, 120, 110], fill=(60, 140, 200))
    return image


def codes(image: Image.Image) -> list[str]:
    return [issue.code for issue in check_image(image)]


@pytest.mark.parametrize("background", [(0, 0, 0), (12, 14, 20), (30, 25, 40), (5, 30, 10)])
def test_dark_backgrounds_are_detected(background: tuple[int, int, int]) -> None:
    issues = check_image(cell(background))
    assert [i.code for i in issues] == ["dark_background"]
    assert issues[0].fix == "recolour_background"
    assert "black" in issues[0].message_en and "背景" in issues[0].message_zh


@pytest.mark.parametrize("background", [(255, 255, 255), (240, 236, 228), (200, 220, 240), (150, 150, 150)])
def test_light_and_mid_backgrounds_pass(background: tuple[int, int, int]) -> None:
    assert codes(cell(background)) == []


def test_dark_photo_without_plain_background_is_still_dark() -> None:
    rng = np.random.default_rng(1)
    night = rng.integers(0, 40, (360, 480, 3), dtype=np.uint8)
    assert codes(Image.fromarray(night))[0] == "dark_background"


def test_busy_photo_has_no_issues() -> None:
    rng = np.random.default_rng(0)
    assert codes(Image.fromarray(rng.integers(0, 256, (360, 480, 3), dtype=np.uint8))) == []


def test_line_art_and_small_subject() -> None:
    assert codes(line_drawing()) == ["line_art"]
    assert codes(line_drawing(ink="white", paper="black")) == ["dark_background", "line_art"]
    issues = check_image(small_subject())
    assert [i.code for i in issues] == ["small_subject"] and issues[0].fix == "pad_subject"
    assert "%" in issues[0].message_en


def test_recolour_keeps_the_subject_and_its_dark_details() -> None:
    before = cell((0, 0, 0))
    after = recolour_background(before)
    assert after.size == before.size
    a = np.asarray(after)
    assert a[5, 5].min() > 200  # background now light
    assert tuple(a[240, 320]) == (20, 20, 60)  # dark nucleus inside the subject untouched
    assert tuple(a[240, 200]) == (220, 120, 150)  # cell body untouched
    assert "dark_background" not in codes(after)


def test_recolour_inverts_light_drawings_so_they_stay_visible() -> None:
    after = np.asarray(recolour_background(line_drawing(ink="white", paper="black")), dtype=np.int16)
    assert after[5, 5].min() > 200
    assert after[240, 141].max() < 120  # the white ring became dark, still visible on light


def test_thicken_lines_makes_strokes_bolder() -> None:
    before = line_drawing()
    after = thicken_lines(before)
    ink_before = (np.asarray(before.convert("L")) < 128).sum()
    ink_after = (np.asarray(after.convert("L")) < 128).sum()
    assert ink_after > 1.8 * ink_before


def test_pad_subject_enlarges_a_small_subject() -> None:
    before = small_subject()
    after = pad_subject(before)
    assert after.size == before.size
    blue = lambda im: (np.abs(np.asarray(im, dtype=np.int16) - (60, 140, 200)).max(axis=-1) < 30).mean()  # noqa: E731
    assert blue(after) > 5 * blue(before)
    assert "small_subject" not in codes(after)
    assert np.array_equal(np.asarray(pad_subject(cell((255, 255, 255)))), np.asarray(cell((255, 255, 255))))


def test_preview_gives_before_and_after_thumbnails() -> None:
    before, after = preview_fix(cell((0, 0, 0)), "recolour_background", max_side=200)
    assert before.size == after.size and max(before.size) == 200
    assert np.asarray(before)[2, 2].max() < 10 and np.asarray(after)[2, 2].min() > 200
    with pytest.raises(ValueError, match="pad_subject"):
        apply_fix(before, "sharpen")
