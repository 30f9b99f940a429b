"""The handout prints the scenes' checks on its first page and their answers on a last page."""

from __future__ import annotations

import pytest

from tests.lessons.conftest import make_clips, pdf_text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_handout_prints_the_checks_and_answers_last(lesson_service, lang):
    lesson = lesson_service.create_from_example("mitosis", lang, lesson_service.options("tiny", "draft"), None)
    checks = [scene.check for scene in lesson.scenes if scene.check is not None]
    assert len(checks) == len(lesson.scenes)  # every mitosis scene has a preset, so a drafted check
    make_clips(lesson_service, lesson.id, [(8, 8, 256, 192)] * len(lesson.scenes))
    lesson_service.assemble(lesson.id)
    pages = pdf_text(lesson_service.files.output(lesson.id, "handout")).split("\f")
    pages = ["".join(page.split()) for page in pages if page.strip()]
    first_question = "".join(checks[0].question.split())[:25]
    assert first_question in pages[0]
    heading = {"en": "Answers(fortheteacher)", "zh": "答案"}[lang]
    assert heading in pages[-1] or "".join(heading.split()) in pages[-1]
    answer = {"en": "False.", "zh": "错误。"}[lang]
    assert answer in pages[-1] and answer not in pages[0]


def test_a_lesson_without_checks_prints_no_answer_page(lesson_service):
    lesson = lesson_service.create_from_example("mitosis", "en", lesson_service.options("tiny", "draft"), None)
    data = lesson.model_dump(mode="json")
    for scene in data["scenes"]:
        scene["check"] = None
    lesson_service.update(lesson.id, data, None)
    make_clips(lesson_service, lesson.id, [(8, 8, 256, 192)] * len(lesson.scenes))
    lesson_service.assemble(lesson.id)
    text = pdf_text(lesson_service.files.output(lesson.id, "handout"))
    assert "Answers (for the teacher)" not in text and "(True or false?)" not in text
