"""Checks for understanding: the model's validation, the `?` Markdown line, a graph node's check,
and the check drafted from every preset's misconception."""

from __future__ import annotations

import re

import pytest

from i2v.errors import InvalidInput
from i2v.lessons.checks import (
    CheckError,
    draft_check,
    escaped,
    make_check,
    parse_check_line,
)
from i2v.lessons.outline import LessonInputError
from i2v.lessons.parse_graph import parse_graph
from i2v.lessons.parse_text import parse_markdown
from i2v.teaching.presets import load_presets

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_check_errors_are_invalid_input():
    assert issubclass(CheckError, InvalidInput)


@pytest.mark.parametrize("data, words", [
    ({"kind": "choice", "question": "Which?", "options": [{"text": "a"}, {"text": "b"}]}, "no option is marked correct"),
    ({"kind": "choice", "question": "Which?", "options": [{"text": f"o{i}", "correct": True} for i in range(50)]},
     "2 to 5 options"),
    ({"kind": "choice", "question": "Which?", "options": [{"text": "a", "correct": True}]}, "2 to 5 options"),
    ({"kind": "truefalse", "question": "   ", "answer": True}, "question is empty"),
    ({"kind": "choice", "question": "Which?", "options": [{"text": " ", "correct": True}, {"text": "b"}]}, "option is empty"),
    ({"kind": "truefalse", "question": "Cells divide."}, "needs its answer"),
])
def test_bad_checks_are_refused_with_a_clear_message(data, words):
    with pytest.raises(CheckError) as raised:
        make_check(data)
    assert words in str(raised.value)


def test_markup_is_kept_as_text_and_escaped():
    check = make_check({"kind": "choice", "question": "<script>alert(1)</script> Which?",
                        "options": [{"text": "<b>a</b>", "correct": True}, {"text": "b & c"}]})
    assert check.question.startswith("<script>")  # kept as the teacher wrote it
    assert escaped(check.question) == "&lt;script&gt;alert(1)&lt;/script&gt; Which?"
    assert check.correct == [0]


def test_question_lines():
    tf = parse_check_line("? The chromatids separate in anaphase. [true]", "en")
    assert (tf.kind, tf.answer, tf.question) == ("truefalse", True, "The chromatids separate in anaphase.")
    mc = parse_check_line("? Which phase separates the chromatids? [x] anaphase [ ] prophase [ ] telophase", "en")
    assert mc.kind == "choice" and mc.choices() == ["anaphase", "prophase", "telophase"] and mc.correct == [0]
    zh = parse_check_line("？ 后期姐妹染色单体分开。[对]", "en")
    assert zh.lang == "zh" and zh.answer is True and zh.choices() == ["正确", "错误"]
    with pytest.raises(CheckError, match=r"\[true\] or \[false\]"):
        parse_check_line("? Cells divide.", "en")


def test_markdown_question_lines_attach_to_their_bullet():
    outline = parse_markdown(
        "# Mitosis\n- Anaphase: chromatids separate\n  ? The chromatids separate in anaphase. [true]\n"
        "- Telophase: two nuclei form\n- Prophase\n  - ? Which comes first? [x] prophase [ ] anaphase\n",
        max_scenes=10)
    checks = [point.check for point in outline.points]
    assert checks[0].answer is True and checks[1] is None and checks[2].correct == [0]
    assert "chromatids separate in anaphase" not in outline.points[0].description  # a check is no description
    with pytest.raises(LessonInputError, match="Line 3"):
        parse_markdown("# T\n- Anaphase\n  ? Which? [ ] a [ ] b\n", max_scenes=10)
    with pytest.raises(LessonInputError, match="not under a bullet"):
        parse_markdown("? Alone. [true]\n- Anaphase\n", max_scenes=10)


def test_graph_node_check():
    graph = {"nodes": [{"id": "a", "label": "Anaphase", "check": {"kind": "truefalse", "question": "Chromatids separate.",
                                                                   "answer": True}},
                       {"id": "b", "label": "Telophase"}], "edges": [{"from": "a", "to": "b", "relation": "then"}]}
    outline = parse_graph(graph, max_scenes=10)
    assert outline.points[0].check.answer is True and outline.points[1].check is None
    graph["nodes"][0]["check"] = {"kind": "choice", "question": "Which?", "options": [{"text": "a"}, {"text": "b"}]}
    with pytest.raises(LessonInputError, match="no option is marked correct"):
        parse_graph(graph, max_scenes=10)


@pytest.mark.parametrize("preset", load_presets(), ids=lambda p: p.id)
def test_every_preset_drafts_a_real_question(preset):
    en, zh = draft_check(preset, "en"), draft_check(preset, "zh")
    assert en is not None and zh is not None
    for check, lang in ((en, "en"), (zh, "zh")):
        assert check.kind == "truefalse" and check.answer is False  # the misconception stated as a claim is false
        assert check.lang == lang and len(check.question) >= (5 if lang == "zh" else 12)
        assert bool(HAN.search(check.question)) == (lang == "zh")
        assert check.right and check.wrong and check.right != check.wrong
    # the claim is the misconception's own wrong idea, and the feedback carries the preset's correction
    misconception_en = " ".join(preset.misconception.en.split()).lower()
    if misconception_en.startswith("that "):
        assert en.question.rstrip(".").lower() in misconception_en.replace(", or that ", ", or ")
        assert ", or that " not in en.question
        assert re.split(r"(?<!\s):\s", misconception_en, maxsplit=1)[-1][:30] in en.wrong.lower()
    misconception_zh = " ".join(preset.misconception.zh.split())
    if misconception_zh.startswith("误认为"):
        assert zh.question.rstrip("。") in misconception_zh.replace("或认为", "或")
        assert "认为" not in zh.question
    assert not en.question.lower().startswith("that ")


def test_the_storyboard_drafts_checks_in_the_scene_language_and_keeps_the_teachers():
    from i2v.lessons.parse import Limits, parse_text
    from i2v.lessons.storyboard import Options, build_storyboard, parse_lesson
    outline = parse_text("Anaphase: chromosomes pulled to opposite poles by spindle fibres\n光合作用：叶片在光照下释放氧气",
                         Limits(24, 2**20, 2**20))
    lesson = build_storyboard(outline, Options("tiny"), "0" * 16, {})
    en, zh = (scene.check for scene in lesson.scenes)
    assert en.lang == "en" and en.answer is False and "mitosis" in en.question.lower()
    assert zh.lang == "zh" and HAN.search(zh.question)
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["check"] = {"kind": "choice", "question": "Which?", "options": [{"text": "a"}, {"text": "b"}]}
    with pytest.raises(LessonInputError, match="no option is marked correct"):
        parse_lesson(data)
    data["scenes"][0]["check"] = None  # the teacher removes it
    assert parse_lesson(data).scenes[0].check is None
    markdown = parse_markdown("- Anaphase: chromosomes pulled to opposite poles\n  ? Chromatids separate. [true]\n",
                              max_scenes=5)
    own = build_storyboard(markdown, Options("tiny"), "0" * 16, {}).scenes[0].check
    assert own.answer is True and own.question == "Chromatids separate."


def test_every_drafted_check_reads_back_from_its_editor_line():
    """The studio edits a check as its `?` line: for every preset, in both languages, the line the
    editor shows parses back to the same question and answer."""
    from i2v.lessons.checks import check_line, draft_check, parse_check_line
    from i2v.teaching.presets import load_presets

    for preset in load_presets():
        for lang in ("en", "zh"):
            check = draft_check(preset, lang)
            if check is None:
                continue
            back = parse_check_line(check_line(check), lang)
            assert (back.kind, back.question, back.answer, back.lang) == (check.kind, check.question, check.answer, check.lang), preset.id
