"""The handout a teacher hands out (issue 25): a first page with objectives, key words and each
misconception once; colour where colour carries meaning, and a black-and-white print that keeps
red and blue apart by pattern. Rendered with poppler and read back."""

from __future__ import annotations

import numpy as np
import pytest

from i2v.lessons.handout import FirstPage, HandoutScene, HandoutTexts, patterned_grey, render_handout
from i2v.lessons.service import handout_first_page
from i2v.teaching.presets import get_preset
from tests.lessons.conftest import make_clips, pdf_text, render_pdf


def chromosome_frame(width: int = 256, height: int = 192) -> np.ndarray:
    """A pale cell with a red and a blue bar of the same brightness (grey would make them one)."""
    frame = np.full((height, width, 3), (250, 222, 210), np.uint8)
    frame[40:150, 60:100] = (200, 60, 60)
    frame[40:150, 156:196] = (60, 92, 230)
    return frame


def test_black_and_white_keeps_red_and_blue_apart_by_pattern():
    frame = chromosome_frame()
    grey = np.asarray(frame.mean(axis=-1))
    assert abs(grey[90, 80] - grey[90, 176]) < 30  # alike in plain grey
    picture, used = patterned_grey(frame)
    pixels = np.asarray(picture).astype(int)
    assert used == {"red", "blue"}
    red, blue = pixels[40:150, 60:100], pixels[40:150, 156:196]
    assert red.std() > 40 and blue.std() > 40  # both patterned …
    red_rows = (red < 60).mean(axis=1)
    blue_rows = (blue < 60).mean(axis=1)
    assert red_rows.std() < 0.1 and blue_rows.std() > 0.2  # … differently: stripes run across rows, dots skip rows
    assert pixels[5:30, 5:50].std() < 3  # the pale background stays plain


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mitosis_handout_first_page_and_each_misconception_once(lesson_service, tmp_path, lang):
    lesson = lesson_service.create_from_example("mitosis", lang, lesson_service.options("tiny", "draft"), None)
    first = handout_first_page(lesson)
    assert first.objectives == [s.point for s in lesson.scenes]
    presets = [s.preset for s in lesson.scenes]
    assert [text for _, text in first.misconceptions] == [get_preset(p).misconception.get(lang) for p in presets]
    assert "Telophase" in first.keywords or "末期" in first.keywords
    make_clips(lesson_service, lesson.id, [(8, 8, 256, 192)] * 5)
    lesson_service.assemble(lesson.id)
    for kind in ("handout", "handout-bw"):
        text = pdf_text(lesson_service.files.output(lesson.id, kind)).replace("\n", "")
        flat = "".join(text.split())
        for preset in set(presets):  # printed once each, not under every scene
            misconception = "".join(get_preset(preset).misconception.get(lang).split())
            assert flat.count(misconception[:40]) == 1, (kind, preset)
        heading = {"en": "By the end of this lesson pupils can explain:", "zh": "学完本课，学生能够说明："}[lang]
        assert "".join(heading.split()) in flat
        pages = text.split("\f")
        assert "".join(heading.split()) in "".join(pages[0].split())  # on the first page


def test_a_preset_used_by_two_scenes_prints_its_misconception_once(lesson_service, tmp_path):
    lesson = lesson_service.create_from_text("Anaphase: sister chromatids separate\nAnaphase again: chromosomes pulled to the poles\n"
                                             "Rusting of iron", lesson_service.options("tiny", "draft"), None)
    assert [s.preset for s in lesson.scenes] == ["mitosis", "mitosis", None]
    first = handout_first_page(lesson)
    assert len(first.misconceptions) == 1  # and nothing from an unrelated preset for the rust scene


def test_colour_and_black_and_white_prints(tmp_path):
    frames = [chromosome_frame() for _ in range(4)]
    scenes = [HandoutScene(1, "", "Anaphase", "", "Sister chromatids separate.", frames)]
    texts = HandoutTexts(subtitle="Handout · 1 scene", caption="Caption: {text}", about="About", note="Illustrative.",
                         sources="Pictures: i2v.", page="Page {page} of {nb}")
    first = FirstPage(objectives=["Anaphase"], keywords=["sister chromatids"], misconceptions=[("Mitosis", "Not meiosis.")],
                      checks=[("What separates in anaphase?", "The sister chromatids.")])
    (tmp_path / "colour.pdf").write_bytes(render_handout("Mitosis", "en", scenes, texts, first, colour=True))
    (tmp_path / "bw.pdf").write_bytes(render_handout("Mitosis", "en", scenes, texts, first, colour=False))
    colour = [np.asarray(p).astype(int) for p in render_pdf(tmp_path / "colour.pdf", tmp_path / "c", dpi=50)]
    bw = [np.asarray(p).astype(int) for p in render_pdf(tmp_path / "bw.pdf", tmp_path / "b", dpi=50)]
    assert len(colour) == len(bw) == 3  # first page, the scene, the teacher's answers
    saturation = [(p.max(axis=-1) - p.min(axis=-1) > 60).mean() for p in colour]
    assert saturation[0] == 0 and saturation[1] > 0.01  # colour only in the frames
    for page in bw:
        assert (page.max(axis=-1) - page.min(axis=-1)).max() <= 2  # grey everywhere
    text_bw = pdf_text(tmp_path / "bw.pdf")
    assert "Pattern key" in text_bw and "diagonal stripes = red" in text_bw and "dots = blue" in text_bw
    assert "Pattern key" not in pdf_text(tmp_path / "colour.pdf")
    pages = text_bw.split("\f")
    assert "What separates in anaphase?" in pages[0] and "The sister chromatids." not in pages[0]
    assert "The sister chromatids." in pages[2]  # the answers on the teacher's last page
