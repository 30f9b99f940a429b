"""The lesson folder's heading cache: the Library's refresh reads each lesson file again only when
it changed, and never shows a stale title, scene count or a deleted lesson."""

import shutil

import pytest

from i2v.archive import Archive
from i2v.lessons import files as files_module
from i2v.lessons.files import LessonFiles, LessonHeading
from i2v.lessons.parse import Limits, parse_text
from i2v.lessons.storyboard import Lesson, Options, build_storyboard


def test_a_heading_is_parsed_once_and_again_after_each_save(tmp_path, monkeypatch):
    files = LessonFiles(Archive(tmp_path / "archive"))
    lesson = build_storyboard(parse_text("Anaphase\nTelophase\nWhy do we have seasons", Limits(24, 2**20, 2**20)),
                              Options("tiny"), "ab" * 8, {})
    files.create(lesson, {})
    parsed = []
    real = Lesson.model_validate_json
    monkeypatch.setattr(files_module.Lesson, "model_validate_json", lambda data: parsed.append(1) or real(data))

    first = files.heading(lesson.id)
    assert first == LessonHeading(lesson.title, 3) and files.heading(lesson.id) is first and len(parsed) == 1

    edited = lesson.model_copy(update={"title": "Cell division", "scenes": lesson.scenes[:2]})
    files.save(edited)
    assert files.heading(lesson.id) == LessonHeading("Cell division", 2) and len(parsed) == 2

    shutil.rmtree(files.folder(lesson.id))
    with pytest.raises(FileNotFoundError):
        files.heading(lesson.id)
