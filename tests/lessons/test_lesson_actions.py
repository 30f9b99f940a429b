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
