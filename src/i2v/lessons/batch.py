"""Generating a lesson through the job queue: every scene becomes a job of the lesson's owner,
fed a few at a time, and the lesson is assembled when the last clip is in.

The queue limits a person to `I2V_MAX_QUEUED_PER_CLIENT` waiting jobs (3 by default), fewer than a
lesson's scenes, so the feeder keeps at most one less than that waiting (one slot stays free for
the teacher's own single clips, and other people's jobs interleave in arrival order) and tops up
as earlier scenes start. Its state is in the lesson tables, so it carries on after a restart; the
queue's own restart safety, limits, cancel and progress apply to every scene's job.

A scene's clip is named by its fingerprint (everything that makes the clip: prompt, picture,
model, frames, seed…), so a scene whose clip exists is never made again, and an edit that changes
what a clip shows makes a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from i2v.archive import ArchivePathError
from i2v.image_input import ImageInputError
from i2v.jobs.service import StorageFull
from i2v.jobs.store import Job, JobNotFound, JobStatus, QueueFull, is_storage_failure
from i2v.lessons.files import LessonFiles
from i2v.lessons.store import LessonStore
from i2v.lessons.storyboard import Lesson, Scene, preset_picture, request_fields
from i2v.request import RequestError

log = logging.getLogger(__name__)
POLL_S = 1.0


class JobsPort(Protocol):
    """What lessons need from the job service (JobService has it)."""

    def submit(self, image: bytes, fields: dict[str, Any], client: str,
               keyframes: Sequence[tuple[float, bytes]] = ()) -> Job: ...
    def get(self, job_id: str) -> Job: ...
    def cancel(self, job_id: str, client: str | None = None) -> Job: ...
    def video_file(self, job: Job) -> Path: ...


def end_picture_bytes(files: LessonFiles, lesson: Lesson, scene: Scene) -> list[tuple[float, bytes]]:
    """The scene's end picture as the job service takes keyframes: [(1.0, PNG)], or [] without one."""
    if scene.end_picture is None:
        return []
    return [(1.0, files.picture(lesson.id, scene.end_picture).read_bytes())]


def picture_bytes(files: LessonFiles, lesson: Lesson, scene: Scene) -> bytes:
    """The picture a scene's clip starts from: the teacher's, else its preset's drawing."""
    if scene.picture is not None:
        return files.picture(lesson.id, scene.picture).read_bytes()
    return preset_picture(scene)


def fingerprint(lesson: Lesson, scene: Scene) -> str:
    """12 hex digits naming what the scene's clip is made from; captions and labels are not in it
    (they are drawn at assembly), so editing them never makes a clip again."""
    if scene.picture:
        picture = scene.picture
    elif scene.preset:
        picture = f"preset:{scene.preset}:{_preset_digest(scene.preset)}"
    else:  # waiting for the teacher's picture: nothing to make yet
        picture = "none"
    data = json.dumps({"request": request_fields(lesson, scene), "picture": picture,
                       **({"end_picture": scene.end_picture} if scene.end_picture else {})}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


_digests: dict[str, str] = {}


def _preset_digest(preset_id: str | None) -> str:
    """A preset drawing's content digest (a redrawn template makes new clips)."""
    if preset_id not in _digests:
        from i2v.teaching.presets import get_preset, template_path

        _digests[preset_id] = hashlib.sha256(template_path(get_preset(preset_id)).read_bytes()).hexdigest()[:12]
    return _digests[preset_id]


class LessonBatch:
    """Plans, feeds and follows the scene jobs of lessons being generated; one background thread."""

    def __init__(self, store: LessonStore, files: LessonFiles, jobs: JobsPort, *, share: int,
                 assemble: Callable[[str], str]) -> None:
        self.store = store
        self.files = files
        self.jobs = jobs
        self.share = max(1, share)
        self.assemble = assemble  # lesson id → digest of the storyboard assembled
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time (the thread, or a test calling step())

    # ---- commands ------------------------------------------------------------------------------

    def plan(self, lesson: Lesson) -> None:
        """Prepare every scene for generation: made clips count as done, the rest wait to be queued;
        jobs of scenes deleted or changed since are cancelled."""
        wanted = {scene.id: fingerprint(lesson, scene) for scene in lesson.scenes}
        made = {scene_id for scene_id, fp in wanted.items() if self.files.has_clip(lesson.id, scene_id, fp)}
        for row in self.store.plan(lesson.id, wanted, made):
            if row.job_id:
                self._cancel_job(row.job_id)

    def cancel(self, lesson_id: str, client: str | None) -> None:
        """Cancel every queued or running scene job of the lesson; scenes not yet queued never will be."""
        for row in self.store.scenes(lesson_id).values():
            if row.state in ("pending", "submitting", "submitted"):
                self.store.set_scene(lesson_id, row.scene_id, "cancelled", job_id=row.job_id, error=None)
                if row.job_id:
                    self._cancel_job(row.job_id, client)

    def _cancel_job(self, job_id: str, client: str | None = None) -> None:
        try:
            self.jobs.cancel(job_id, client)
        except (JobNotFound, PermissionError) as exc:
            log.info("lesson job %s not cancelled: %s", job_id, exc)

    # ---- the feeder ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="i2v-lesson-feeder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        waiting_for_disk = False
        while not self._stop.is_set():
            try:
                self.step()
                waiting_for_disk = False
            except sqlite3.Error as exc:
                if not is_storage_failure(exc) and "no such table" not in str(exc):
                    log.exception("lessons: the feeder's pass failed; trying again")
                elif not waiting_for_disk:  # an expected state (a full disk): one line, not one per pass
                    log.warning("lessons: waiting for the database to take writes again (%s)", exc)
                    waiting_for_disk = True
            except Exception:  # the feeder must outlive any one failure
                log.exception("lessons: the feeder's pass failed; trying again")
            self._wake.wait(POLL_S)
            self._wake.clear()

    def step(self) -> None:
        """One pass over every lesson being generated."""
        with self._lock:
            for lesson_id in self.store.active():
                try:
                    self.advance(lesson_id)
                except sqlite3.OperationalError as exc:  # busy or full for now: the next pass tries again
                    log.warning("lesson %s: the database refused a change (%s); trying again", lesson_id, exc)
                except Exception as exc:  # one broken lesson must not stop the others
                    log.exception("lesson %s could not advance", lesson_id)
                    self.store.set_state(lesson_id, "failed", error=f"Unexpected error ({type(exc).__name__}: {exc}). The log has details.")

    def advance(self, lesson_id: str) -> None:
        """Follow the lesson's queued scenes, queue more while there is room, assemble when all are made."""
        lesson = self.files.load(lesson_id)
        row = self.store.get(lesson_id)
        rows = self.store.scenes(lesson_id)
        waiting = 0
        for scene in lesson.scenes:
            scene_row = rows.get(scene.id)
            if scene_row is None or scene_row.state != "submitted":
                continue
            waiting += self._follow(lesson_id, scene.id, scene_row.fingerprint, scene_row.job_id)
        rows = self.store.scenes(lesson_id)
        note = None
        for scene in lesson.scenes:
            scene_row = rows.get(scene.id)
            if scene_row is None or scene_row.state != "pending":
                continue
            if waiting >= self.share:
                break
            outcome = self._submit(lesson, scene, scene_row.fingerprint, row.client)
            if outcome in ("queue_full", "storage_full"):
                note = outcome
                break
            waiting += outcome == "queued"
        if note != row.note:
            self.store.set_note(lesson_id, note)
        states = [row.state for row in self.store.scenes(lesson_id).values()]
        if states and all(state == "done" for state in states):
            self._assemble(lesson_id)
        elif not any(state in ("pending", "submitting", "submitted") for state in states):
            failed = sum(state in ("failed", "cancelled") for state in states)
            self.store.set_state(lesson_id, "failed", only_from=("generating",),
                                 error=f"{failed} of {len(states)} scenes were not made. Retry them, or change them and generate again.")

    def _follow(self, lesson_id: str, scene_id: str, fp: str, job_id: str | None) -> int:
        """Record a queued scene's job outcome; returns 1 while the job is still waiting in the queue."""
        try:
            job = self.jobs.get(job_id or "")
        except JobNotFound:
            self.store.set_scene(lesson_id, scene_id, "pending", fingerprint=fp, only_from=("submitted",))
            return 0
        if job.status == JobStatus.SUCCEEDED:
            try:
                self.files.adopt_clip(lesson_id, scene_id, fp, self.jobs.video_file(job))
            except (ArchivePathError, FileNotFoundError):  # deleted from the history meanwhile: make it again
                self.store.set_scene(lesson_id, scene_id, "pending", fingerprint=fp, only_from=("submitted",))
                return 0
            except OSError as exc:  # the disk is full or not writable: copy it on a later pass
                log.warning("lesson %s: the clip of scene %s could not be copied yet (%s)", lesson_id, scene_id, exc)
                return 0
            self.store.set_scene(lesson_id, scene_id, "done", job_id=job.id, fingerprint=fp, only_from=("submitted",))
        elif job.status == JobStatus.FAILED:
            self.store.set_scene(lesson_id, scene_id, "failed", job_id=job.id, error=job.error, fingerprint=fp,
                                 only_from=("submitted",))
        elif job.status == JobStatus.CANCELLED:
            self.store.set_scene(lesson_id, scene_id, "cancelled", job_id=job.id, fingerprint=fp, only_from=("submitted",))
        return int(job.status == JobStatus.QUEUED)

    def _submit(self, lesson: Lesson, scene: Scene, fp: str, owner: str) -> str:
        """Queue one scene. Returns "queued", "failed", "queue_full" or "storage_full" (or "skipped"
        when an edit or cancel got there first)."""
        if not self.store.set_scene(lesson.id, scene.id, "submitting", fingerprint=fp, only_from=("pending",)):
            return "skipped"
        try:
            job = self.jobs.submit(picture_bytes(self.files, lesson, scene), request_fields(lesson, scene), owner,
                                   end_picture_bytes(self.files, lesson, scene))
        except (QueueFull, StorageFull) as exc:  # the queue is full, or the disk
            self.store.set_scene(lesson.id, scene.id, "pending", only_from=("submitting",))
            return "storage_full" if isinstance(exc, StorageFull) else "queue_full"
        except (RequestError, ImageInputError, OSError, KeyError) as exc:
            self.store.set_scene(lesson.id, scene.id, "failed", error=str(exc), only_from=("submitting",))
            return "failed"
        except BaseException:
            self.store.set_scene(lesson.id, scene.id, "pending", only_from=("submitting",))
            raise
        if not self.store.set_scene(lesson.id, scene.id, "submitted", job_id=job.id, only_from=("submitting",)):
            self._cancel_job(job.id)  # the lesson was cancelled while the job was being queued
        log.info("lesson %s: scene %s queued as job %s", lesson.id, scene.id, job.id)
        return "queued"

    def _assemble(self, lesson_id: str) -> None:
        if not self.store.set_state(lesson_id, "assembling", only_from=("generating", "assembling")):
            return
        try:
            digest = self.assemble(lesson_id)
        except (ValueError, OSError) as exc:
            log.exception("lesson %s could not be assembled", lesson_id)
            self.store.set_state(lesson_id, "failed", only_from=("assembling",),
                                 error=f"The lesson video could not be put together ({exc}).")
            return
        self.store.set_state(lesson_id, "ready", assembled=digest, only_from=("assembling",))
        log.info("lesson %s is ready", lesson_id)
