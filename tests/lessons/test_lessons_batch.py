"""The lesson feeder against the real job table (SQLite) and job service, with the GPU worker's
part played by the test: claim the oldest job, finish it with a real clip in the archive.

Covers: feeding a few scenes at a time within the per-person limit, topping up as scenes start,
a full queue, a failed scene retried alone, no clip made twice, cancel, and restart recovery.
"""

from __future__ import annotations

import pytest

from i2v.archive import Archive
from i2v.jobs.service import JobService
from i2v.jobs.store import JobStatus, JobStore
from i2v.jobs.worker import JobWorker
from i2v.lessons.service import LessonService
from i2v.settings import Settings
from tests.lessons.conftest import write_clip

OUTLINE = "Mitosis:\nProphase: chromosomes condensing\nMetaphase: chromosomes lining up\nAnaphase: chromatids pulled apart\nTelophase: two nuclei forming"


class Rig:
    """Settings, a real job store and service, a lesson service on them, and the worker's hands."""

    def __init__(self, home, **limits) -> None:
        self.settings = Settings(home=home, model="tiny", **limits)
        self.archive = Archive(home)
        self.store = JobStore(self.settings.db_path)
        self.jobs = JobService(self.store, JobWorker(self.store, None, home / "uploads"), self.archive, self.settings)
        self.lessons = self.service()

    def service(self) -> LessonService:
        return LessonService(self.settings, self.archive, self.jobs, lambda: ["tiny"])

    def run_next(self, fail: str | None = None):
        """What the GPU worker does with the oldest queued job: make a clip, or fail."""
        job = self.store.claim_next()
        if fail:
            return self.store.fail(job.id, fail)
        entry = self.archive.allocate(job.request["prompt"])
        write_clip(entry.video, job.request["frames"], job.request["fps"], 320, 192, seed=len(job.id))
        self.archive.write_recipe(entry, {"prompt": job.request["prompt"]})
        return self.store.succeed(job.id, {"video": entry.name + ".mp4", "recipe": {}})

    def states(self, lesson_id: str) -> list[str]:
        return [s.state for s in self.lessons.status(lesson_id).scenes]


@pytest.fixture
def rig(tmp_path) -> Rig:
    return Rig(tmp_path / "home", max_queued_per_client=3)


def new_lesson(rig: Rig, text: str = OUTLINE):
    lesson = rig.lessons.create_from_text(text, rig.lessons.options("tiny", "draft", steps=2), "10.0.0.5")
    data = lesson.model_dump(mode="json")
    for scene in data["scenes"]:
        scene["frames"], scene["fps"] = 8, 8
    return rig.lessons.update(lesson.id, data, "10.0.0.5")


def test_scenes_are_fed_within_the_per_person_limit_and_topped_up_as_they_start(rig):
    from i2v.jobs.store import QueueFull
    from tests.lessons.test_lessons_parse import png

    clip = {"prompt": "a cell dividing", "resolution": "256p", "frames": 8, "steps": 2}
    lesson = new_lesson(rig)
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["queued", "queued", "waiting", "waiting"]  # 2 of the 3 slots: one stays free
    rig.jobs.submit(png(), clip, "10.0.0.5")  # so the teacher's own clip still fits
    rig.store.claim_next()  # scene 1 starts
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["running", "queued", "queued", "waiting"]  # topped up to 2 waiting
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["running", "queued", "queued", "waiting"]  # and no more
    assert all(job.client == "10.0.0.5" for job in rig.store.list(limit=10))  # the queue's limits apply as to any job
    with pytest.raises(QueueFull):
        rig.jobs.submit(png(), clip, "10.0.0.5")


def test_a_lesson_is_made_scene_by_scene_then_assembled_and_nothing_is_made_twice(rig):
    lesson = new_lesson(rig)
    rig.lessons.generate(lesson.id, "10.0.0.5")
    for _ in range(4):
        rig.lessons.batch.step()
        rig.run_next()
    rig.lessons.batch.step()
    status = rig.lessons.status(lesson.id)
    assert status.state == "ready" and status.outputs == ["video", "captions", "captions-srt", "handout", "handout-bw", "pack"] and status.outputs_current
    assert rig.store.count() == 4
    # Generate again: every clip exists, so no job is queued; the outputs are made again.
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    assert rig.lessons.status(lesson.id).state == "ready" and rig.store.count() == 4
    # A new caption needs no new clip; a new prompt needs exactly one.
    data = rig.lessons.get(lesson.id).model_dump(mode="json")
    data["scenes"][1]["caption"] = "Chromosomes meet at the middle."
    data["scenes"][2]["prompt"] = "sister chromatids moving apart to the poles"
    rig.lessons.update(lesson.id, data, "10.0.0.5")
    assert not rig.lessons.status(lesson.id).outputs_current
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    assert rig.store.count() == 5 and rig.states(lesson.id) == ["done", "done", "queued", "done"]
    rig.run_next()
    rig.lessons.batch.step()
    assert rig.lessons.status(lesson.id).state == "ready" and rig.lessons.status(lesson.id).outputs_current


def test_a_failed_scene_fails_the_lesson_and_is_retried_alone(rig):
    lesson = new_lesson(rig, "Anaphase\nPhotosynthesis")
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    rig.run_next(fail="out of memory")
    rig.run_next()
    rig.lessons.batch.step()
    status = rig.lessons.status(lesson.id)
    assert status.state == "failed" and "1 of 2 scenes" in status.error
    assert [(s.state, s.error) for s in status.scenes] == [("failed", "out of memory"), ("done", None)]
    rig.lessons.retry(lesson.id, lesson.scenes[0].id, "10.0.0.5")
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["queued", "done"] and rig.store.count() == 3
    rig.run_next()
    rig.lessons.batch.step()
    assert rig.lessons.status(lesson.id).state == "ready"


def test_a_full_queue_makes_the_lesson_wait_with_a_note(tmp_path):
    rig = Rig(tmp_path / "home", max_queued=2, max_queued_per_client=3)
    from tests.lessons.test_lessons_parse import png

    for _ in range(2):
        rig.jobs.submit(png(), {"prompt": "a leaf moving", "resolution": "256p", "frames": 8, "steps": 2}, "10.0.0.9")
    lesson = new_lesson(rig, "Anaphase\nPhotosynthesis")
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    status = rig.lessons.status(lesson.id)
    assert status.state == "generating" and "room in the queue" in status.note
    assert rig.states(lesson.id) == ["waiting", "waiting"]
    rig.run_next()
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["queued", "waiting"]  # one place freed, one scene in; still full
    assert "room in the queue" in rig.lessons.status(lesson.id).note
    rig.run_next()
    rig.lessons.batch.step()
    assert rig.states(lesson.id) == ["queued", "queued"] and rig.lessons.status(lesson.id).note is None


def test_cancel_cancels_the_scene_jobs_and_only_the_owner_or_operator_may(rig):
    from i2v.lessons.service import NotYourLesson

    lesson = new_lesson(rig)
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.batch.step()
    with pytest.raises(NotYourLesson):
        rig.lessons.cancel(lesson.id, "10.0.0.77")
    rig.lessons.cancel(lesson.id, "10.0.0.5")
    assert rig.lessons.status(lesson.id).state == "cancelled"
    assert {job.status for job in rig.store.list(limit=10)} == {JobStatus.CANCELLED}
    rig.lessons.batch.step()
    assert rig.store.count() == 2  # nothing more was queued
    rig.lessons.generate(lesson.id, "127.0.0.1")  # the operator starts it again
    rig.lessons.batch.step()
    assert rig.states(lesson.id)[:2] == ["queued", "queued"]


def test_restart_puts_a_scene_caught_being_queued_back_and_carries_on(rig):
    lesson = new_lesson(rig, "Anaphase\nPhotosynthesis")
    rig.lessons.generate(lesson.id, "10.0.0.5")
    rig.lessons.store.set_scene(lesson.id, lesson.scenes[0].id, "submitting")  # the process died right here
    rig.lessons.store.set_state(lesson.id, "assembling")
    fresh = rig.service()  # a new process on the same files
    fresh.start()
    try:
        fresh.batch.stop()  # drive it by hand
        assert fresh.store.get(lesson.id).state == "generating"
        fresh.batch.step()
        assert [s.state for s in fresh.status(lesson.id).scenes] == ["queued", "queued"]
    finally:
        fresh.stop()


def test_start_sweeps_half_made_lessons(rig):
    lesson = new_lesson(rig, "Anaphase")
    orphan = rig.lessons.files.root / "0123456789abcdef"
    (orphan / "pictures").mkdir(parents=True)
    (rig.lessons.files.root / ".fedcba9876543210.part").mkdir()
    rig.lessons.store.create("aaaaaaaaaaaaaaaa", "x")  # a row whose folder never appeared
    fresh = rig.service()
    fresh.start()
    fresh.stop()
    assert sorted(p.name for p in fresh.files.root.iterdir()) == [lesson.id]
    assert fresh.store.ids() == {lesson.id}


def test_lessons_untouched_past_keep_days_go_but_never_one_being_made(tmp_path):
    """Retention covers lessons too: an old finished lesson's row and folder go when a new lesson is
    made; an old lesson that is being generated, and a recent one, stay."""
    import os
    import sqlite3
    import time

    rig = Rig(tmp_path / "home", max_queued_per_client=3, keep_days=3)
    old, busy, recent = (new_lesson(rig) for _ in range(3))
    rig.lessons.store.set_state(busy.id, "generating")
    stamp = time.time() - 10 * 86_400
    with sqlite3.connect(rig.settings.db_path) as conn:
        conn.execute("UPDATE lessons SET updated_at = ? WHERE id IN (?, ?)", (stamp, old.id, busy.id))
    for lesson in (old, busy):
        os.utime(rig.lessons.files.folder(lesson.id), (stamp, stamp))
    fresh = new_lesson(rig)  # making a lesson applies retention first
    assert {row.id for row in rig.lessons.store.list()} == {busy.id, recent.id, fresh.id}
    assert not rig.lessons.files.folder(old.id).exists() and rig.lessons.files.folder(busy.id).is_dir()
    assert Rig(tmp_path / "other").lessons.apply_retention() == []  # keep_days unset: nothing goes
