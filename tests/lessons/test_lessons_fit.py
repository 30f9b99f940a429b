"""The storyboard says when no preset fits (issue 25): a point the presets do not cover gets no
preset, no misconception from an unrelated one and waits for the teacher's picture; it is saved, not
generated, until the teacher adds a picture or picks a preset. A point a preset does cover keeps it,
in English and in Chinese."""

from __future__ import annotations

import pytest

from i2v.lessons.outline import LessonInputError, Outline, Point
from i2v.lessons.parse import Limits, parse_text
from i2v.lessons.storyboard import FIT_CONFIDENCE, Options, build_storyboard, check_lesson, waiting_scenes
from i2v.teaching.search import match_confidence, search_presets
from tests.lessons.test_lessons_parse import png

LIMITS = Limits(24, 2**20, 2**20)

# Points the presets do not show, each once matched to a wrong preset (in brackets) by words alone.
NO_FIT = [
    "Rusting: iron reacts with oxygen and water to form rust",  # [magnetic-field: "iron filings"]
    "铁生锈：铁与氧气和水反应生成铁锈",
    "Sodium reacts with water",  # [neutralisation: "sodium hydroxide", "salt and water"]
    "钠与水反应",
    "Evaporation causes cooling",  # [water-cycle: "evaporation"]
    "蒸发吸热",  # [water-cycle 蒸发 / ice-melting 吸热]
    "Digestion of food in the stomach",  # [photosynthesis: "food"]
    "食物在胃里被消化",
    "Friction slows a sliding block",  # [solar-eclipse]
    "摩擦力使滑动的木块减速",
]

# Points that a preset (some of them new in issue 25) does show.
FITS = [
    ("Liquid pressure increases with depth", "liquid-pressure"),
    ("液体压强随深度的增加而增大", "liquid-pressure"),
    ("Lunar eclipse", "lunar-eclipse"),
    ("月食", "lunar-eclipse"),
    ("Meiosis", "meiosis"),
    ("减数分裂", "meiosis"),
    ("Solar eclipse", "solar-eclipse"),
    ("日食", "solar-eclipse"),
    ("Anaphase: sister chromatids separate", "mitosis"),
    ("Prophase: the chromosomes become visible", "mitosis-prophase"),
    ("有丝分裂中期", "mitosis-metaphase"),
    ("Condensation: water vapour cooling high up and gathering into clouds", "water-cycle"),
    ("光合作用：叶片在光照下释放氧气", "photosynthesis"),
]


def scene_for(text: str):
    lesson = build_storyboard(parse_text(text, LIMITS), Options("tiny"), "0" * 16, {})
    return lesson, lesson.scenes[0]


@pytest.mark.parametrize("text", NO_FIT)
def test_no_preset_fits_a_point_the_presets_do_not_show(text):
    lesson, scene = scene_for(text)
    assert scene.preset is None and scene.picture is None and scene.match is None, (text, scene.preset, scene.match)
    assert scene.negative_prompt is None  # nothing of an unrelated preset
    assert waiting_scenes(lesson) == [1]
    best = search_presets(text, limit=1)
    if best:  # the search still ranks something, but not with confidence
        assert match_confidence(best[0][0].id, text) < FIT_CONFIDENCE, best


@pytest.mark.parametrize(("text", "expected"), FITS)
def test_a_covered_point_keeps_its_preset_with_confidence(text, expected):
    _, scene = scene_for(text)
    assert scene.preset == expected, (text, scene.preset)
    assert scene.match is not None and scene.match >= FIT_CONFIDENCE


def test_a_waiting_scene_is_saved_but_not_generated_until_it_has_a_picture(lesson_service):
    """Issue 28 item 7: the outline is not refused; the lesson is made with the scene waiting."""
    lesson = lesson_service.create_from_text("Rusting of iron\nAnaphase: sister chromatids separate",
                                             lesson_service.options("tiny", "draft"), None)
    assert [s.preset for s in lesson.scenes] == [None, "mitosis"]
    status = lesson_service.status(lesson.id)
    assert [s.needs_picture for s in status.scenes] == [True, False]
    with pytest.raises(LessonInputError, match=r"scene 1 \(Rusting of iron\): no preset fits; add a picture"):
        check_lesson(lesson, max_scenes=24, max_frames=1000, offered=["tiny"], pictures=set(), complete=True)
    with pytest.raises(LessonInputError, match="no preset fits"):
        lesson_service.generate_here(lesson.id, generator=None)
    name = lesson_service.add_picture(lesson.id, png(3), None)
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["picture"] = name
    edited = lesson_service.update(lesson.id, data, None)
    assert waiting_scenes(edited) == [] and not lesson_service.status(lesson.id).scenes[0].needs_picture
    check_lesson(edited, max_scenes=24, max_frames=1000, offered=["tiny"], pictures={name}, complete=True)
    # picking a preset is the other way out
    data["scenes"][0].update(picture=None, preset="metal-acid")
    assert waiting_scenes(lesson_service.update(lesson.id, data, None)) == []


def test_the_lessons_title_helps_only_a_preset_the_point_already_touches():
    outline = Outline("Mitosis", (Point("Telophase", "two nuclei form"), Point("Dogs barking"),
                                  Point("减数分裂")), "text")
    lesson = build_storyboard(outline, Options("tiny"), "0" * 16, {})
    assert [s.preset for s in lesson.scenes] == ["mitosis-telophase", None, "meiosis"]
    autumn = Outline("为什么会有四季？", (Point("十二月冬至前后，北半球背向太阳"),), "text")
    assert build_storyboard(autumn, Options("tiny"), "0" * 16, {}).scenes[0].preset == "earth-orbit"
    alone = Outline("", (Point("十二月冬至前后，北半球背向太阳"),), "text")
    assert build_storyboard(alone, Options("tiny"), "0" * 16, {}).scenes[0].preset is None  # the context decided


def test_the_studio_board_marks_a_waiting_scene_and_offers_the_presets(lesson_service):
    from i2v.web.ui_lessons import board_html, preset_choices

    lesson = lesson_service.create_from_text("Rusting of iron\nAnaphase: sister chromatids separate",
                                             lesson_service.options("tiny", "draft"), None)
    for lang, words in (("en", "no preset fits: add a picture"), ("zh", "没有合适的预设：请添加图片")):
        board = board_html(lesson_service.status(lesson.id, lang), lang)
        assert board.count("data-needs-picture='1'") == 1 and board.count("data-needs-picture='0'") == 1
        assert words in board
    choices = preset_choices("zh")
    assert choices[0][1] == "" and {"meiosis", "lunar-eclipse", "mitosis-prophase"} <= {value for _, value in choices}
