"""Outline → storyboard: presets matched in both languages, prompts by the four-element rule and the
family's prompt check, labels and captions from the point, durations in each family's own numbers."""

import pytest

from i2v.engine.registry import family_spec
from i2v.lessons.outline import LessonInputError, Outline, Point
from i2v.lessons.parse import Limits, parse_text
from i2v.lessons.storyboard import (
    Options,
    build_storyboard,
    check_lesson,
    clip_numbers,
    parse_lesson,
    request_fields,
)
from i2v.teaching.presets import get_preset
from i2v.teaching.prompt_check import check_prompt

LIMITS = Limits(24, 2**20, 2**20)
THREE = "Anaphase: chromosomes pulled to opposite poles by spindle fibres\n光合作用：叶片在光照下释放氧气\nWhy do we have seasons"


def board(text: str, model: str = "tiny", **options):
    return build_storyboard(parse_text(text, LIMITS), Options(model, **options), "0" * 16, {})


def test_three_points_one_in_chinese_pick_the_expected_presets():
    lesson = board(THREE, resolution_class="draft")
    assert [s.preset for s in lesson.scenes] == ["mitosis", "photosynthesis", "earth-orbit"]
    assert [s.lang for s in lesson.scenes] == ["en", "zh", "en"]
    chinese = lesson.scenes[1]
    assert chinese.prompt == get_preset("photosynthesis").prompt  # English, though the point is Chinese
    assert chinese.labels[0] == "光合作用" and chinese.caption == "叶片在光照下释放氧气。"
    assert lesson.scenes[0].labels == ["Anaphase", "chromosomes", "spindle"]  # the point, then preset key terms it uses
    assert lesson.scenes[2].caption == "Why do we have seasons?"
    for scene in lesson.scenes:  # every prompt passes the family's prompt check
        assert check_prompt(scene.prompt, "en", lesson.spec).warnings == [], scene.prompt


def test_the_teachers_own_motion_words_become_the_prompt_with_the_preset_environment():
    lesson = board("Evaporation: water vapour rising from the warm sea into the air")
    scene = lesson.scenes[0]
    assert scene.preset == "water-cycle"
    environment = get_preset("water-cycle").prompt_parts.environment
    assert scene.prompt == f"water vapour rising from the warm sea into the air, {environment}"


def test_lesson_context_breaks_a_weak_match_and_no_match_means_no_picture():
    outline = Outline("Mitosis", (Point("Telophase", "two nuclei form"), Point("Dogs barking")), "text")
    lesson = build_storyboard(outline, Options("tiny"), "0" * 16, {})
    assert lesson.scenes[0].preset == "mitosis-telophase"  # its own start picture (issue 25)
    assert lesson.scenes[1].preset is None and lesson.scenes[1].picture is None
    check_lesson(lesson, max_scenes=24, max_frames=1000, offered=["tiny"], pictures=set())  # saved, waiting (issue 28)
    with pytest.raises(LessonInputError, match="scene 2 .*no preset fits; add a picture"):
        check_lesson(lesson, max_scenes=24, max_frames=1000, offered=["tiny"], pictures=set(), complete=True)


@pytest.mark.parametrize(("family", "seconds"), [("i2vgenxl", 2.0), ("wan", 2.0), ("ltx", 2.0)])
def test_scene_duration_becomes_each_familys_own_numbers(family, seconds):
    spec = family_spec(family)
    lesson = board("Anaphase", model=spec.test_model, resolution_class="draft")
    lesson = lesson.model_copy(update={"scenes": [lesson.scenes[0].model_copy(update={"seconds": seconds})]})
    numbers = clip_numbers(lesson, lesson.scenes[0])
    assert numbers == spec.clip_params(seconds, "draft")
    assert spec.frames.valid(numbers["frames"])  # e.g. 4k+1 for Wan, 8k+1 for LTX
    request = spec.complete(__import__("i2v.request", fromlist=["GenerationRequest"]).GenerationRequest.parse(
        request_fields(lesson, lesson.scenes[0])))
    assert request.seed == lesson.scenes[0].seed and request.resolution == spec.resolution_classes["draft"]


def test_check_lesson_names_every_problem():
    lesson = board(THREE)
    data = lesson.model_dump()
    data["scenes"][0]["labels"] = ["\U0001F600 smile"]  # an emoji: not in the bundled font
    data["scenes"][1]["frames"] = 99
    data["scenes"][2]["picture"] = "0123456789abcdef.png"
    edited = parse_lesson(data)
    with pytest.raises(LessonInputError) as caught:
        check_lesson(edited, max_scenes=2, max_frames=20, offered=["tiny"], pictures=set())
    message = str(caught.value)
    for expected in ("at most 2", "cannot draw \U0001F600", "frames: must be between 8 and 32", "not in this lesson", "I2V_LESSON_MAX_FRAMES"):
        assert expected in message, message
    with pytest.raises(LessonInputError, match="does not offer 'ali-vilab/i2vgen-xl'"):
        check_lesson(lesson.model_copy(update={"model": "ali-vilab/i2vgen-xl"}), max_scenes=9, max_frames=999, offered=["tiny"], pictures=set())


def test_edited_storyboard_with_bad_fields_is_refused_in_plain_words():
    data = board(THREE).model_dump()
    data["scenes"][0]["seconds"] = 99
    data["scenes"][1]["unknown"] = 1
    with pytest.raises(LessonInputError, match=r"scenes → 1 → seconds: .*less than or equal to 10.*scenes → 2 → unknown"):
        parse_lesson(data)
