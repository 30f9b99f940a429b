"""The Lesson tab's actions (`LessonActions`) on a real lesson service, without a browser: saved lessons
read apart (title, date, scene count, state) in both languages, and edits go through the service."""

from __future__ import annotations

import re

from i2v.lessons.examples import examples
from i2v.web.ui_lesson_actions import SHOWN, LessonActions


def test_saved_lessons_read_apart_with_title_date_and_scene_count(lesson_service):
    actions = LessonActions(lesson_service)
    example = examples()[0].id
    first = actions.make_example(example, "tiny", "draft", None, "en", None)
    second = actions.make_example(example, "tiny", "draft", None, "zh", None)
    assert len(first) == len(second) == SHOWN
    rows = {value: label for label, value in actions.saved_choices("en").constructor_args["choices"]}
    assert set(rows) == {first[0], second[0]}
    for lesson_id, label in rows.items():
        lesson = lesson_service.get(lesson_id)
        assert label.startswith(lesson.title + " · ")
        assert re.search(r"· \d{4}-\d\d-\d\d \d\d:\d\d ·", label), label
        assert f"· {len(lesson.scenes)} scenes ·" in label
    zh = [label for label, _ in actions.saved_choices("zh").constructor_args["choices"]]
    assert all("个场景" in label and "scenes" not in label for label in zh), zh


def test_moving_and_deleting_a_scene_saves_through_the_service(lesson_service):
    actions = LessonActions(lesson_service)
    lesson_id = actions.make_example(examples()[0].id, "tiny", "draft", None, "en", None)[0]
    ids = [s.id for s in lesson_service.get(lesson_id).scenes]
    actions.move_down(lesson_id, ids[0], "en", None)
    assert [s.id for s in lesson_service.get(lesson_id).scenes][:2] == [ids[1], ids[0]]
    actions.delete_scene(lesson_id, ids[0], "en", None)
    assert ids[0] not in [s.id for s in lesson_service.get(lesson_id).scenes]


def test_the_scene_editor_shows_edits_replaces_and_removes_a_check(lesson_service):
    import gradio as gr
    import pytest

    from i2v.lessons.checks import check_line, parse_check_line

    actions = LessonActions(lesson_service)
    shown = actions.make_example(examples()[0].id, "tiny", "draft", None, "en", None)
    lesson_id, lesson = shown[0], lesson_service.get(shown[0])
    scene = next(s for s in lesson.scenes if s.check is not None)  # drafted from its preset's misconception
    fields = actions.pick_scene(lesson_id, scene.id, "en")
    line, right, wrong = fields[7:10]
    assert line == check_line(scene.check) and line.endswith("[false]") and right == scene.check.right and wrong
    assert parse_check_line(line, "en").question == scene.check.question  # the line reads back as the same check

    def save(check_text, right_text="", wrong_text=""):
        return actions.save_scene(lesson_id, scene.id, scene.prompt, ", ".join(scene.labels), scene.caption, scene.narration,
                                  check_text, right_text, wrong_text, scene.seconds, "en", None)

    save("Which phase separates the chromatids? [x] anaphase [ ] prophase [ ] interphase", "Yes: anaphase.", "Look again.")
    check = lesson_service.get(lesson_id).scene(scene.id).check
    assert (check.kind, check.correct, check.right, check.wrong) == ("choice", [0], "Yes: anaphase.", "Look again.")
    with pytest.raises(gr.Error, match="no answer"):
        save("Which phase separates the chromatids?")  # no options, no [true]/[false]: refused, nothing saved
    assert lesson_service.get(lesson_id).scene(scene.id).check == check
    with pytest.raises(gr.Error, match="no option is marked correct"):
        save("Which phase? [ ] anaphase [ ] prophase")
    save("")
    assert lesson_service.get(lesson_id).scene(scene.id).check is None
