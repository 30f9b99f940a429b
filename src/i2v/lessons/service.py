"""The lesson service: what the HTTP API, the studio's Lesson tab and the CLI all call.

Create (parse → storyboard, saved as the lesson file), read, edit, generate (through the job
queue, `batch`), retry, cancel, delete, and assemble the outputs. Input a teacher can fix raises
`LessonInputError`; a lesson being generated cannot be edited or deleted (`LessonBusy`); only the
computer that made a lesson, or the operator, may change it (`NotYourLesson`).
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from i2v.archive import Archive, ArchivePathError
from i2v.errors import Conflict
from i2v.files import write_bytes_atomic
from i2v.i18n import t
from i2v.image_input import ImageInputError, load_image
from i2v.jobs.ownership import NotYours, may_change
from i2v.jobs.store import JobNotFound, JobStatus, is_storage_failure
from i2v.lessons import assemble as assembly
from i2v.lessons.batch import (
    JobsPort,
    LessonBatch,
    end_picture_bytes,
    fingerprint,
    picture_bytes,
)
from i2v.lessons.captions import Cue, render_srt, render_vtt
from i2v.lessons.checks import handout_lines
from i2v.lessons.examples import example_outline, match_topic
from i2v.lessons.narration import check_voices, narrate, recorded_scenes
from i2v.lessons.files import LessonFiles, picture_name, png_bytes
from i2v.lessons.handout import (
    PATTERNS,
    FirstPage,
    HandoutScene,
    HandoutTexts,
    render_handout,
)
from i2v.lessons.outline import LessonInputError, Outline
from i2v.lessons.pack import render_pack
from i2v.lessons.parse import Limits, parse_graph, parse_path, parse_text, parse_upload
from i2v.lessons.store import ACTIVE, LessonNotFound, LessonRow, LessonStore, SceneRow
from i2v.lessons.storyboard import (
    NARRATION_CHARS,
    Lesson,
    Options,
    Scene,
    build_storyboard,
    check_lesson,
    clip_numbers,
    parse_lesson,
    request_fields,
    scene_warnings,
)
from i2v.request import GenerationRequest
from i2v.settings import Settings
from i2v.teaching.presets import get_preset
from i2v.loudness import normalise
from i2v.voice import RATE_RANGE, close_voice, synthetic_voice
from i2v.voice.recording import check_recording, read_wav, recording_name, wav_bytes

log = logging.getLogger(__name__)
LOCAL = "local"  # the client recorded for in-process callers (the CLI)
RECORDED_CUES_NOTE = ("The cues of scenes spoken in the teacher's own recording are spread over the recording by "
                      "characters (a recording carries no word timings); the other cues follow where the voice says them.")


class LessonBusy(Conflict):
    """The lesson is being generated; the message says to wait or cancel first."""


class NotYourLesson(NotYours):
    """Someone other than the lesson's maker or the operator tried to change it."""


class SceneStatus(BaseModel):
    id: str
    number: int
    point: str
    section: str
    state: str  # not_started, waiting, queued, running, done, failed, cancelled
    job_id: str | None
    position: int | None
    step: int
    total: int
    error: str | None
    frames: int
    fps: int
    resolution: str
    warnings: list[dict[str, Any]]
    needs_picture: bool = False  # no preset fits and no picture yet: not generated until one is added


class LessonStatus(BaseModel):
    """A lesson as every client sees it (the API adds download URLs)."""

    id: str
    state: str
    error: str | None
    note: str | None
    progress: float
    scenes: list[SceneStatus]
    outputs: list[str]
    outputs_current: bool
    lesson: dict[str, Any]
    timeline: dict[str, Any] | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class LessonSummary:
    id: str
    title: str
    state: str
    scenes: int
    created_at: float


class LessonService:
    def __init__(self, settings: Settings, archive: Archive, jobs: JobsPort | None, offered: Callable[[], list[str]]) -> None:
        self.settings = settings
        self.archive = archive
        self.limits = Limits.of(settings)
        self.offered = offered
        self.store = LessonStore(settings.db_path)
        self.files = LessonFiles(archive)
        self.jobs = jobs
        share = settings.max_queued_per_client - 1
        self.batch = LessonBatch(self.store, self.files, jobs, share=share, assemble=self.assemble) if jobs else None

    # ---- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Put right what a dead process left (half-made folders, a scene caught being queued), then
        feed. On a disk too full to write (the server then starts read-only) the repair waits for the
        next start; lessons are still listed and served."""
        try:
            self._recover()
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            log.warning("lesson recovery postponed until the database can be written: %s", exc)
        if self.batch is not None:
            self.batch.start()

    def _recover(self) -> None:
        for row in self.store.recover():
            log.warning("lesson %s: scene %s was being queued when the server stopped; it waits again", row.lesson_id, row.scene_id)
        known = self.store.ids()
        for path in self.files.sweep(known):
            log.warning("removed %s, left half-made by an interrupted lesson", path)
        for lesson_id in known:
            if not self.files.exists(lesson_id):
                log.warning("lesson %s has no lesson file; forgetting it", lesson_id)
                self.store.delete(lesson_id)

    def stop(self) -> None:
        if self.batch is not None:
            self.batch.stop()

    # ---- create ----------------------------------------------------------------------------------

    def create_from_text(self, text: str, options: Options, client: str | None, *, title: str = "") -> Lesson:
        """Typed text: a topic, points one per line, a Markdown outline or a JSON graph. A one-line
        topic naming a shipped example ("有丝分裂的四个时期") opens that example."""
        outline = parse_text(text, self.limits, title=title)
        if outline.source == "text" and len(outline.points) == 1 and "\n" not in text.strip():
            found = match_topic(text)
            if found is not None:
                outline = example_outline(found[0].id, found[1], self.limits)
        return self.create(outline, options, client)

    def create_from_upload(self, name: str, data: bytes, options: Options, client: str | None, *, title: str = "") -> Lesson:
        return self.create(parse_upload(name, data, self.limits, title=title), options, client)

    def create_from_graph(self, graph: Any, options: Options, client: str | None, *, title: str = "") -> Lesson:
        return self.create(parse_graph(graph, max_scenes=self.limits.max_scenes, title=title), options, client)

    def create_from_example(self, example_id: str, lang: str, options: Options, client: str | None) -> Lesson:
        return self.create(example_outline(example_id, lang, self.limits), options, client)

    def create_from_path(self, path: Path, options: Options, client: str | None, *, title: str = "") -> Lesson:
        return self.create(parse_path(path, self.limits, title=title), options, client)

    def options(self, model: str | None = None, resolution_class: str | None = None, quality: str | None = None,
                steps: int | None = None) -> Options:
        """The lesson-wide choices, checked: a model this server offers (its default when None)."""
        model = model or self.settings.model
        offered = self.offered()
        if model not in offered:
            raise LessonInputError(f"model: this server does not offer {model[:80]!r}; choose one of {', '.join(offered)}.")
        if resolution_class not in (None, "draft", "standard", "high"):
            raise LessonInputError(f"resolution_class must be draft, standard or high (got {str(resolution_class)[:20]!r}).")
        if quality not in (None, "standard", "fast"):
            raise LessonInputError(f"quality must be standard or fast (got {str(quality)[:20]!r}).")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)):
            raise LessonInputError("steps must be a whole number.")
        return Options(model, resolution_class or "standard", quality or "standard", steps)

    def create(self, outline: Outline, options: Options, client: str | None) -> Lesson:
        """Make and save the storyboard of `outline`. Teacher pictures are checked (decoders,
        size, pixels) and stored re-encoded. Nothing is saved unless everything is valid."""
        pictures: dict[str, bytes] = {}
        names: dict[str, str] = {}
        for picture in (p for point in outline.points for p in (point.picture, point.end_picture)):
            if picture is None or picture.name in names:
                continue
            try:
                image = load_image(picture.data, max_pixels=self.settings.max_image_pixels,
                                   max_bytes=self.settings.max_upload_mb * 2**20)
            except ImageInputError as exc:
                raise LessonInputError(f"{picture.name}: {exc}") from None
            png = png_bytes(image)
            names[picture.name] = picture_name(png)
            pictures[names[picture.name]] = png
        try:
            self.apply_retention()
        except (OSError, sqlite3.Error):  # retention must never stop a teacher's new lesson
            log.exception("lesson retention failed")
        lesson_id = secrets.token_hex(8)
        lesson = build_storyboard(outline, options, lesson_id, names)
        self._check(lesson, set(pictures))
        self.store.create(lesson_id, client or LOCAL)
        try:
            self.files.create(lesson, pictures)
        except BaseException:
            self.store.delete(lesson_id)
            raise
        log.info("lesson %s made from a %s with %d scenes", lesson_id, outline.source, len(lesson.scenes))
        return lesson

    def apply_retention(self, now: float | None = None) -> list[str]:
        """Lessons untouched for longer than `keep_days` go, as single videos do (`i2v.jobs.retention`):
        their row and their folder (storyboard, pictures, clips, lesson video, handout, pack). A
        lesson being generated or assembled never does. Runs before each new lesson is made;
        `max_archive_gb` counts single videos only. Returns the lesson ids deleted."""
        keep_days = self.settings.keep_days
        if keep_days is None:
            return []
        now = time.time() if now is None else now
        deleted = []
        for row in self.store.list(limit=1_000_000):
            folder = self.files.folder(row.id)
            touched = max(row.updated_at, folder.stat().st_mtime if folder.is_dir() else 0.0)
            if row.state in ACTIVE or now - touched <= keep_days * 86_400:
                continue
            self.store.delete(row.id)
            self.files.delete(row.id)
            deleted.append(row.id)
            log.info("retention: deleted lesson %s (untouched for %.0f days)", row.id, (now - touched) / 86_400)
        return deleted

    def _check(self, lesson: Lesson, pictures: set[str], *, complete: bool = False) -> None:
        check_lesson(lesson, max_scenes=self.limits.max_scenes, max_frames=self.settings.lesson_max_frames,
                     offered=self.offered(), pictures=pictures, complete=complete,
                     recordings=self.files.recordings(lesson.id))
        if complete:  # about to generate: a missing voice is said now, not after every scene is made
            check_voices(lesson)

    # ---- read --------------------------------------------------------------------------------------

    def get(self, lesson_id: str) -> Lesson:
        """Raises LessonNotFound."""
        self._row(lesson_id)
        return self.files.load(lesson_id)

    def _row(self, lesson_id: str) -> LessonRow:
        if not isinstance(lesson_id, str) or len(lesson_id) != 16 or not self.files.exists(lesson_id):
            raise LessonNotFound(f"No lesson with id {str(lesson_id)[:40]!r}.")
        return self.store.get(lesson_id)

    def list(self, limit: int = 100) -> list[LessonSummary]:
        summaries = []
        for row in self.store.list(limit=limit):
            try:
                heading = self.files.heading(row.id)
            except (OSError, ValueError):
                continue
            summaries.append(LessonSummary(row.id, heading.title, row.state, heading.scenes, row.created_at))
        return summaries

    def scene_jobs(self) -> dict[str, LessonSummary]:
        """Which lesson each scene's job belongs to (job id → the lesson), for a library that shows a
        lesson as one entry instead of its scenes one by one. A lesson whose files are gone is left out."""
        by_lesson: dict[str, LessonSummary | None] = {}
        found: dict[str, LessonSummary] = {}
        for job_id, lesson_id in self.store.scene_jobs().items():
            if lesson_id not in by_lesson:
                by_lesson[lesson_id] = self._summary(lesson_id)
            if by_lesson[lesson_id] is not None:
                found[job_id] = by_lesson[lesson_id]
        return found

    def _summary(self, lesson_id: str) -> LessonSummary | None:
        try:
            row, heading = self.store.get(lesson_id), self.files.heading(lesson_id)
        except (LessonNotFound, OSError, ValueError):
            return None
        return LessonSummary(row.id, heading.title, row.state, heading.scenes, row.created_at)

    def status(self, lesson_id: str, lang: str = "en") -> LessonStatus:
        """The lesson, its state and every scene's progress (read live from its job)."""
        row = self._row(lesson_id)
        lesson = self.files.load(lesson_id)
        rows = self.store.scenes(lesson_id)
        scenes = [self._scene_status(lesson, number, scene, rows.get(scene.id), lang)
                  for number, scene in enumerate(lesson.scenes, start=1)]
        done = sum(s.state == "done" for s in scenes)
        running = sum(s.step / s.total for s in scenes if s.state == "running" and s.total)
        progress = 1.0 if row.state == "ready" else min(0.99, (done + running) / len(scenes))
        outputs = [kind for kind in ("video", "captions", "captions-srt", "handout", "handout-bw", "pack") if self.files.output(lesson_id, kind).is_file()]
        return LessonStatus(
            id=lesson_id, state=row.state, error=row.error,
            note=t(f"lesson.note.{row.note}", lang) if row.note else None,
            progress=round(progress, 3), scenes=scenes, outputs=outputs,
            outputs_current=bool(outputs) and row.assembled == lesson.digest(),
            lesson=lesson.model_dump(mode="json"), timeline=self.files.timeline(lesson_id),
            created_at=row.created_at, updated_at=row.updated_at,
        )

    def _scene_status(self, lesson: Lesson, number: int, scene, row: SceneRow | None, lang: str) -> SceneStatus:
        numbers = clip_numbers(lesson, scene)
        fp = fingerprint(lesson, scene)
        state, job_id, position, step, total, error = "not_started", None, None, 0, 0, None
        current = row is not None and row.fingerprint == fp
        if current:
            job_id, error = row.job_id, row.error
        if self.files.has_clip(lesson.id, scene.id, fp):
            state, error = "done", None
        elif current:
            state = {"pending": "waiting", "submitting": "waiting"}.get(row.state, row.state)
            if row.state == "submitted" and self.jobs is not None and row.job_id:
                try:
                    job = self.jobs.get(row.job_id)
                except JobNotFound:
                    state = "waiting"
                else:  # a finished job counts at once, before the feeder has copied its clip
                    state = {JobStatus.QUEUED: "queued", JobStatus.RUNNING: "running", JobStatus.SUCCEEDED: "done",
                             JobStatus.FAILED: "failed", JobStatus.CANCELLED: "cancelled"}[job.status]
                    position, step, total = job.position, job.step, job.total
        warnings = [w.model_dump() for w in scene_warnings(lesson, scene, lang)]
        return SceneStatus(id=scene.id, number=number, point=scene.point, section=scene.section, state=state,
                           job_id=job_id, position=position, step=step, total=total, error=error,
                           frames=numbers["frames"], fps=numbers["fps"], resolution=numbers["resolution"], warnings=warnings,
                           needs_picture=scene.picture is None and scene.preset is None)

    # ---- edit ----------------------------------------------------------------------------------------

    def check_owner(self, row: LessonRow, client: str | None) -> None:
        if not may_change(row.client, client):
            raise NotYourLesson("This lesson was made on another computer; only that computer, or the operator at "
                                "the server itself, can change it.")

    def update(self, lesson_id: str, data: Any, client: str | None) -> Lesson:
        """Replace the storyboard with an edited one (reordered, scenes deleted, prompts, labels,
        captions, pictures or the model changed), checked in full before it is saved."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        if row.state in ACTIVE:
            raise LessonBusy("The lesson is being generated; wait until it is ready, or cancel it, then edit it.")
        if isinstance(data, dict) and data.get("id", lesson_id) != lesson_id:
            raise LessonInputError("The lesson's id cannot change; edit the lesson it belongs to.")
        lesson = parse_lesson({**data, "id": lesson_id} if isinstance(data, dict) else data)
        self._check(lesson, self.files.pictures(lesson_id))
        self.files.save(lesson)
        return lesson

    def add_picture(self, lesson_id: str, data: bytes, client: str | None) -> str:
        """Store a picture for the lesson's scenes (checked like any upload); returns its name for
        a scene's `picture`."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        try:
            image = load_image(data, max_pixels=self.settings.max_image_pixels, max_bytes=self.settings.max_upload_mb * 2**20)
        except ImageInputError as exc:
            raise LessonInputError(str(exc)) from None
        return self.files.add_picture(lesson_id, png_bytes(image))

    def add_recording(self, lesson_id: str, scene_ref: str, data: bytes, client: str | None) -> Lesson:
        """The teacher's recording of a scene's narration (`scene_ref`: the scene's id or its number from 1),
        checked, trimmed and levelled before anything is stored; the lesson's voice becomes 'own'.
        Raises RecordingError / RecordingTooLarge for bad audio, which leaves nothing behind."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        if row.state in ACTIVE:
            raise LessonBusy("The lesson is being generated; wait until it is ready, or cancel it, then record.")
        lesson = self.files.load(lesson_id)
        scene = scene_by_ref(lesson, scene_ref)
        audio = check_recording(data, max_bytes=self.settings.max_upload_mb * 2**20,
                                max_seconds=self.settings.lesson_max_recording_s)
        wav = wav_bytes(audio)
        name = self.files.add_recording(lesson_id, wav, recording_name(wav))
        return self._with_recording(lesson, scene.id, name, client, voice="own")

    def preview_narration(self, lesson_id: str, text: str, lang: str, rate: float) -> Path:
        """`text` spoken by the offline voice of `lang`, levelled as the lesson will be, as
        `preview.wav` in the lesson's folder (replaced by the next preview)."""
        self._row(lesson_id)
        voice = synthetic_voice(lang)
        try:
            audio, _ = voice.speak(text[:NARRATION_CHARS], lang, min(max(rate, RATE_RANGE[0]), RATE_RANGE[1]))
        finally:
            close_voice(voice)
        target = self.files.folder(lesson_id) / "preview.wav"
        write_bytes_atomic(target, wav_bytes(normalise(audio)))
        return target

    def remove_recording(self, lesson_id: str, scene_ref: str, client: str | None) -> Lesson:
        """Forget a scene's recording (the synthetic voice speaks it again); the file goes with the lesson."""
        self.check_owner(self._row(lesson_id), client)
        lesson = self.files.load(lesson_id)
        return self._with_recording(lesson, scene_by_ref(lesson, scene_ref).id, None, client)

    def _with_recording(self, lesson: Lesson, scene_id: str, name: str | None, client: str | None, *,
                        voice: str | None = None) -> Lesson:
        data = lesson.model_dump(mode="json") | ({"voice": voice} if voice else {})
        for item in data["scenes"]:
            if item["id"] == scene_id:
                item["recording"] = name
        return self.update(lesson.id, data, client)

    # ---- generate ----------------------------------------------------------------------------------

    def generate(self, lesson_id: str, client: str | None) -> None:
        """Queue every scene whose clip is not made yet (through the job queue, a few at a time, as
        jobs of the lesson's maker, whose queue limits apply), then assemble. Asking again while it
        runs changes nothing."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        if self.batch is None:
            raise RuntimeError("this lesson service has no job queue")
        if row.state in ACTIVE:
            return
        lesson = self.files.load(lesson_id)
        self._check(lesson, self.files.pictures(lesson_id), complete=True)
        made = all(self.files.has_clip(lesson_id, scene.id, fingerprint(lesson, scene)) for scene in lesson.scenes)
        if made and row.state == "ready" and row.assembled == lesson.digest():
            return  # every clip and output is current: nothing to make
        self.batch.plan(lesson)
        self.store.set_state(lesson_id, "generating")
        self.batch.wake()

    def retry(self, lesson_id: str, scene_id: str, client: str | None) -> None:
        """Make one failed or cancelled scene again (the others are left as they are)."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        lesson = self.files.load(lesson_id)
        scene = scene_by_ref(lesson, scene_id)
        scene_row = self.store.scenes(lesson_id).get(scene_id)
        if scene_row is None or scene_row.state not in ("failed", "cancelled"):
            raise LessonBusy("Only a failed or cancelled scene can be retried; this one is not.")
        self.store.set_scene(lesson_id, scene_id, "pending", fingerprint=fingerprint(lesson, scene))
        if row.state not in ACTIVE:
            self.store.set_state(lesson_id, "generating")
        if self.batch is not None:
            self.batch.wake()

    def cancel(self, lesson_id: str, client: str | None) -> None:
        """Stop the lesson: its queued scene jobs are cancelled, the running one within a step."""
        row = self._row(lesson_id)
        self.check_owner(row, client)
        if row.state in ACTIVE:
            self.store.set_state(lesson_id, "cancelled")
        if self.batch is not None:
            self.batch.cancel(lesson_id, client)

    def delete(self, lesson_id: str, client: str | None) -> None:
        row = self._row(lesson_id)
        self.check_owner(row, client)
        if row.state in ACTIVE:
            raise LessonBusy("The lesson is being generated; cancel it before deleting it.")
        self.store.delete(lesson_id)
        self.files.delete(lesson_id)

    def output(self, lesson_id: str, kind: str) -> Path:
        """An output file (video, captions, handout, pack, lesson), resolved inside the archive.
        Raises LessonNotFound, or ArchivePathError when it has not been made yet."""
        self._row(lesson_id)
        try:
            return self.files.resolve_output(lesson_id, kind)
        except KeyError:
            raise ArchivePathError(f"a lesson has no {kind[:20]!r} file; ask for video, captions, handout, pack or lesson") from None

    def generate_here(self, lesson_id: str, generator: Any, *, on_progress: Callable[[int, Any], None] | None = None) -> Path:
        """Generate the lesson in this process, without the queue (the CLI): every scene not made yet
        through `generator` (a `GenerationService`), one after another, then assemble. Returns the
        lesson video. `on_progress(scene_number, progress)` follows each scene's denoising steps.

        The lesson stays a draft while this runs, so a server sharing the archive never feeds it too."""
        lesson = self.files.load(lesson_id)
        self._check(lesson, self.files.pictures(lesson_id), complete=True)
        wanted = {scene.id: fingerprint(lesson, scene) for scene in lesson.scenes}
        made = {scene_id for scene_id, fp in wanted.items() if self.files.has_clip(lesson_id, scene_id, fp)}
        self.store.plan(lesson_id, wanted, made)
        for number, scene in enumerate(lesson.scenes, start=1):
            if scene.id in made:
                continue
            image = load_image(picture_bytes(self.files, lesson, scene), max_pixels=self.settings.max_image_pixels,
                               max_bytes=self.settings.max_upload_mb * 2**20)
            request = GenerationRequest.parse(request_fields(lesson, scene))
            ends = [load_image(data, max_pixels=self.settings.max_image_pixels, max_bytes=self.settings.max_upload_mb * 2**20)
                    for _, data in end_picture_bytes(self.files, lesson, scene)]
            callback = (lambda progress, n=number: on_progress(n, progress)) if on_progress else None
            try:
                result = generator.generate(request, image, on_progress=callback, keyframes=ends)
            except BaseException as exc:
                self.store.set_scene(lesson_id, scene.id, "failed", error=str(exc) or type(exc).__name__)
                raise
            self.files.adopt_clip(lesson_id, scene.id, wanted[scene.id], result.video)
            self.store.set_scene(lesson_id, scene.id, "done")
        digest = self.assemble(lesson_id)
        self.store.set_state(lesson_id, "ready", assembled=digest)
        return self.files.output(lesson_id, "video")

    # ---- assemble --------------------------------------------------------------------------------

    def assemble(self, lesson_id: str) -> str:
        """Make the lesson video, captions, handout, timeline and pack from the scenes' clips; returns
        the digest of the storyboard they show. Raises ValueError when a clip is missing or unreadable."""
        lesson = self.files.load(lesson_id)
        clips = {scene.id: self.files.clip(lesson_id, scene.id, fingerprint(lesson, scene)) for scene in lesson.scenes}
        missing = [scene.point for scene in lesson.scenes if not clips[scene.id].is_file()]
        if missing:
            raise ValueError(f"the clips of {', '.join(missing[:3])} are missing")
        lang = lesson.lang
        sources = self._sources(lesson)
        texts = assembly.CardTexts(
            subtitle=t("lesson.card.subtitle", lang, scenes=len(lesson.scenes)),
            section_heading=lambda number, total: t("lesson.card.section", lang, number=number, total=total),
            end_note=t("lesson.card.illustrative", lang), sources=sources,
        )
        recorded = {scene.id: read_wav(self.files.recording(lesson_id, scene.recording).read_bytes())
                    for scene in lesson.scenes if scene.id in recorded_scenes(lesson)}
        made = assembly.assemble_video(lesson, clips, self.files.output(lesson_id, "video"), texts, narrate(lesson, recorded))
        cues = lesson_cues(made.timeline)
        note = RECORDED_CUES_NOTE if recorded else ""
        write_bytes_atomic(self.files.output(lesson_id, "captions"), render_vtt(cues, note).encode("utf-8"))
        write_bytes_atomic(self.files.output(lesson_id, "captions-srt"), render_srt(cues).encode("utf-8"))
        handout_scenes = [
            HandoutScene(number, scene.section, scene.point, scene.description, scene.caption, made.strips[scene.id],
                         narration=scene.narration if lesson.voice != "none" else "")
            for number, scene in enumerate(lesson.scenes, start=1)
        ]
        handout_texts = HandoutTexts(
            subtitle=t("lesson.handout.subtitle", lang, scenes=len(lesson.scenes)), caption=t("lesson.handout.caption", lang, text="{text}"),
            narration=t("lesson.handout.narration", lang, text="{text}"),
            about=t("lesson.handout.about", lang), note=t("lesson.card.illustrative", lang), sources=sources,
            page=t("lesson.handout.page", lang, page="{page}", pages="{nb}"),
            objectives=t("lesson.handout.objectives", lang), keywords=t("lesson.handout.keywords", lang),
            misconceptions=t("lesson.handout.misconceptions", lang), checks=t("lesson.handout.checks", lang),
            answers=t("lesson.handout.answers", lang), pattern_key=t("lesson.handout.pattern_key", lang, patterns="{patterns}"),
            pattern_names={name: t(f"lesson.handout.pattern.{name}", lang) for name in PATTERNS},
        )
        first = handout_first_page(lesson)
        for kind, colour in (("handout", True), ("handout-bw", False)):
            write_bytes_atomic(self.files.output(lesson_id, kind),
                               render_handout(lesson.title, lang, handout_scenes, handout_texts, first, colour=colour))
        write_bytes_atomic(self.files.output(lesson_id, "timeline"), made.timeline_json())
        durations = {s.scene_id: s.end_s - s.start_s for s in made.timeline if s.kind == "scene"}
        alt = [t("lesson.alt", lang, number=n, total=len(lesson.scenes), point=scene.point,
                 seconds=f"{durations[scene.id]:.1f}", caption=scene.caption)
               for n, scene in enumerate(lesson.scenes, start=1)]
        pictures = [self.files.picture(lesson_id, p) for p in sorted({s.picture for s in lesson.scenes if s.picture})]
        pack = render_pack(video=made.video, captions=self.files.output(lesson_id, "captions"),
                           handout=self.files.output(lesson_id, "handout"), lesson_file=self.files.output(lesson_id, "lesson"),
                           handout_bw=self.files.output(lesson_id, "handout-bw"),
                           clips=[(s.point, clips[s.id]) for s in lesson.scenes], alt_texts=alt, pictures=pictures)
        write_bytes_atomic(self.files.output(lesson_id, "pack"), pack)
        self.files.prune_clips(lesson_id, set(clips.values()))
        log.info("lesson %s assembled: %d frames at %g fps, %dx%d", lesson_id, made.frames, made.fps, made.width, made.height)
        return lesson.digest()

    @staticmethod
    def _sources(lesson: Lesson) -> str:
        lang = lesson.lang
        parts = []
        presets = [get_preset(s.preset).title.get(lang) for s in lesson.scenes if s.picture is None and s.preset]
        if presets:
            parts.append(t("lesson.sources.presets", lang, names=", ".join(dict.fromkeys(presets))))
        own = [s.picture_name or s.picture for s in lesson.scenes if s.picture]
        if own:
            parts.append(t("lesson.sources.teacher", lang, names=", ".join(dict.fromkeys(own))))
        return t("lesson.card.sources", lang, sources="; ".join(parts))



def scene_by_ref(lesson: Lesson, ref: str) -> Scene:
    """A scene by its id, or by its number from 1 (how the CLI's recording files and a person name it)."""
    if ref.isdigit() and len(ref) < 4 and 1 <= int(ref) <= len(lesson.scenes):
        return lesson.scenes[int(ref) - 1]
    try:
        return lesson.scene(ref)
    except KeyError:
        raise LessonNotFound(f"The lesson has no scene {ref[:20]!r}.") from None


def lesson_cues(timeline: list[assembly.Segment]) -> list[Cue]:
    """One cue per narrated sentence where it is spoken; a scene nobody speaks over gets its caption."""
    cues = []
    for segment in timeline:
        if segment.spoken:
            cues += [Cue(s.start, s.end, s.text) for s in segment.spoken]
        elif segment.kind == "scene" and segment.text:
            cues.append(Cue(segment.start_s, segment.end_s, segment.text))
    return cues


def handout_first_page(lesson: Lesson) -> FirstPage:
    """What the handout's first page says: one objective per scene (its point), the key words (the
    scenes' labels, each once), the misconception of each preset the lesson uses, each once (a
    scene no preset fits brings none), and the lesson's checks for understanding when it has them."""
    lang = lesson.lang
    keywords: dict[str, str] = {}
    for scene in lesson.scenes:
        for label in scene.labels:
            keywords.setdefault(label.lower(), label)
    misconceptions: dict[str, tuple[str, str]] = {}
    for scene in lesson.scenes:
        if scene.preset:
            preset = get_preset(scene.preset)
            text = preset.misconception.get(lang)
            misconceptions.setdefault(text, (preset.title.get(lang), text))
    return FirstPage(objectives=[scene.point for scene in lesson.scenes], keywords=list(keywords.values()),
                     misconceptions=list(misconceptions.values()), checks=lesson_checks(lesson))


def lesson_checks(lesson: Lesson) -> list[tuple[str, str]]:
    """(question, answer) pairs of the scenes' checks for understanding, in scene order
    (`checks.handout_lines` words them)."""
    return [handout_lines(scene.check) for scene in lesson.scenes if scene.check is not None]
