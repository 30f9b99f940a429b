"""The Library tab: every finished video, searchable by prompt and filterable by date and model;
open one to play it, reuse its settings on Create, export it, or delete it (after a confirmation).

The view functions (`matches`, `library_view`, `model_choices`, `details_md`) are pure; the
handlers take the services first (bound with `functools.partial`) and return values or updates.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path, PurePath
from typing import Any

import gradio as gr

from i2v.archive import ArchivePathError
from i2v.jobs.ownership import NotYourJob
from i2v.jobs.records import IllegalTransition, Job, JobNotFound
from i2v.jobs.status import JobStatus
from i2v.lessons.service import LessonSummary
from i2v.errors import NotFound
from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui_export import EXTEND_SECONDS, build_export, queue_extension
from i2v.web.ui_handlers import CreateActions, client_of
from i2v.web.ui_studio import CREATE, LIBRARY, Studio, select_tab, user_error

LIBRARY_SCAN = 1000  # newest jobs searched
SPEAKER = "♪"  # marks the cards of videos with sound (a glyph every default font has; the emoji speaker was a blank box in Debian's Chromium)
LIBRARY_SHOWN = 60  # thumbnails shown at once (the count says how many matched)
LESSON_PREFIX = "lesson:"
PERIODS = ("any", "today", "week", "month")
PERIOD_DAYS = {"week": 7, "month": 30}
ALL_MODELS = ""


@dataclass(frozen=True)
class LibraryFilter:
    query: str = ""
    period: str = "any"
    model: str = ALL_MODELS


def period_start(period: str, now: float) -> float | None:
    """The earliest creation time `period` admits (local midnight for "today"); None for "any"."""
    if period == "today":
        return datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    if period in PERIOD_DAYS:
        return (datetime.fromtimestamp(now) - timedelta(days=PERIOD_DAYS[period])).timestamp()
    return None


def job_model(job: Job) -> str:
    """The model that made the job's video, as its recipe records it ("" when unknown)."""
    recipe = (job.result or {}).get("recipe") or {}
    return str((recipe.get("model") or {}).get("id", ""))


def matches(job: Job, flt: LibraryFilter, now: float, lesson: LessonSummary | None = None) -> bool:
    """A finished video whose prompt (or lesson title) holds every word of the query (any case), made
    in the period, by the model."""
    if job.status != JobStatus.SUCCEEDED:
        return False
    text = f"{job.request.get('prompt', '')} {lesson.title if lesson else ''}".casefold()
    if any(word not in text for word in flt.query.casefold().split()):
        return False
    start = period_start(flt.period, now)
    if start is not None and job.created_at < start:
        return False
    return not flt.model or job_model(job) == flt.model


def _when(job: Job) -> str:
    return _date(job.created_at)


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def lesson_key(lesson_id: str) -> str:
    """The library's id for a whole lesson's entry (a job id is hex, so the two never collide)."""
    return LESSON_PREFIX + lesson_id


def library_view(jobs: list[Job], flt: LibraryFilter, lang: str, now: float, thumbnail: Callable[[Job], Path],
                 lessons: Mapping[str, LessonSummary] | None = None) -> tuple[list[tuple[str, str]], list[str], str]:
    """(gallery items, their ids, the note above them) for the jobs that match `flt`, newest first.

    A lesson's scenes (`lessons`: job id → its lesson) are one entry, the lesson's, with the newest
    matching scene's picture (none given: every scene its own entry); a teacher's own clips are not buried under a lesson's
    dozen scenes. Jobs whose thumbnail is gone from the archive are left out."""
    lessons = lessons or {}
    finished = [job for job in jobs if job.status == JobStatus.SUCCEEDED]
    items, ids = [], []
    found, seen = 0, set()
    for job in finished:
        lesson = lessons.get(job.id)
        if not matches(job, flt, now, lesson) or (lesson is not None and lesson.id in seen):
            continue
        picture = None
        if len(items) < LIBRARY_SHOWN:
            try:
                picture = str(thumbnail(job))
            except ArchivePathError:
                continue  # files gone: not shown (another scene of its lesson may stand for it)
        found += 1
        if lesson is not None:
            seen.add(lesson.id)
        if picture is None:
            continue
        if lesson is None:
            speaker = f"{SPEAKER} " if has_sound(job) else ""
            items.append((picture, f"{speaker}{str(job.request.get('prompt', ''))[:60]} · {_when(job)}"))
            ids.append(job.id)
        else:
            items.append((picture, t("ui.library.lesson_card", lang, title=lesson.title[:50], scenes=lesson.scenes,
                                     when=_date(lesson.created_at))))
            ids.append(lesson_key(lesson.id))
    if not finished:
        note = t("ui.library.empty", lang)
    elif not found:
        note = t("ui.library.none_match", lang)
    else:
        note = t("ui.library.count", lang, shown=len(items), total=found)
    return items, ids, note


def _model_label(model: str) -> str:
    return PurePath(model).name if model.startswith(("/", ".", "~")) else model


def model_choices(jobs: list[Job], lang: str) -> list[tuple[str, str]]:
    """"All models" and each model that made a video in the library."""
    models = sorted({job_model(job) for job in jobs if job.status == JobStatus.SUCCEEDED} - {""})
    return [(t("ui.library.model.any", lang), ALL_MODELS), *((_model_label(m), m) for m in models)]


def period_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"ui.library.period.{name}", lang), name) for name in PERIODS]


def has_sound(job: Job) -> bool:
    """Whether the job's video has a sound track (its recipe records the audio's rate only then)."""
    recipe = (job.result or {}).get("recipe") or {}
    return bool(recipe.get("audio_rate"))


def details_md(job: Job, lang: str) -> str:
    """What the video is: prompt, when, model and the settings that made it (and its sound, if any)."""
    req = job.request
    text = t("ui.library.details", lang, prompt=html.escape(str(req.get("prompt", ""))), when=_when(job),
             model=html.escape(_model_label(job_model(job)) or "?"), resolution=req.get("resolution"),
             frames=req.get("frames"), fps=req.get("fps"), steps=req.get("steps"), guidance=req.get("guidance"),
             seed=req.get("seed"))
    if has_sound(job):
        text += "\n\n" + t("ui.library.sound", lang, speaker=SPEAKER, rate=job.result["recipe"]["audio_rate"])
    return text


# ---- handlers ---------------------------------------------------------------------------------


class LibraryActions:
    """What the Library tab's controls do, over one set of services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.create_actions = CreateActions(services)

    def refresh(self, query: str | None, period: str | None, model: str | None, lang: str,
                apart: bool = False, now: float | None = None) -> tuple[Any, ...]:
        """The gallery, its ids, the note, and the model filter's choices for the current filter;
        a lesson's scenes as one entry unless `apart` ("scenes one by one")."""
        jobs = self.services.jobs.history(limit=LIBRARY_SCAN)
        choices = model_choices(jobs, lang)
        model = model if model in {value for _, value in choices} else ALL_MODELS
        flt = LibraryFilter(query or "", period or "any", model or ALL_MODELS)
        lessons = {} if apart else self.services.lessons.scene_jobs()
        items, ids, note = library_view(jobs, flt, lang, now if now is not None else datetime.now().timestamp(),
                                        self.services.jobs.thumbnail_file, lessons)
        return items, ids, note, gr.update(choices=choices, value=model)

    def open_video(self, ids: list[str], lang: str, evt: gr.SelectData) -> tuple[Any, ...]:
        """A clicked thumbnail: (selected id, video, details, download button, actions row, confirmation
        row, reuse, delete and extend buttons). A lesson's entry plays the lesson video (or, before it is
        assembled, its newest scene) and offers only the download: the lesson is edited, remade and
        deleted on the Lesson tab, which the details say."""
        chosen = ids[evt.index]
        if chosen.startswith(LESSON_PREFIX):
            return self._open_lesson(chosen.removeprefix(LESSON_PREFIX), lang)
        job = self.services.jobs.get(chosen)
        video = str(self.services.jobs.video_file(job))
        return (job.id, video, details_md(job, lang), gr.DownloadButton(value=video, visible=True), gr.update(visible=True),
                gr.update(visible=False), gr.update(visible=True), gr.update(visible=True), gr.update(visible=True))

    def _open_lesson(self, lesson_id: str, lang: str) -> tuple[Any, ...]:
        lessons = self.services.lessons
        try:
            status = lessons.status(lesson_id, lang)
        except NotFound:  # deleted on the Lesson tab since the list was drawn
            raise user_error(t("ui.pick_first", lang)) from None
        try:
            video = str(lessons.output(lesson_id, "video"))
            made = t("ui.library.lesson.assembled", lang)
        except ArchivePathError:
            newest = max((job for job in (self._job(s.job_id) for s in status.scenes) if job is not None),
                         key=lambda job: job.created_at, default=None)
            if newest is None:
                raise user_error(t("ui.pick_first", lang)) from None
            video = str(self.services.jobs.video_file(newest))
            made = t("ui.library.lesson.scene_only", lang)
        done = sum(scene.state == "done" for scene in status.scenes)
        details = t("ui.library.lesson_details", lang, title=html.escape(status.lesson.get("title", "")),
                    when=_date(status.created_at), done=done, scenes=len(status.scenes), made=made)
        return (None, video, details, gr.DownloadButton(value=video, visible=True), gr.update(visible=True),
                gr.update(visible=False), gr.update(visible=False), gr.update(visible=False), gr.update(visible=False))

    def _job(self, job_id: str | None) -> Job | None:
        try:
            job = self.services.jobs.get(job_id) if job_id else None
        except JobNotFound:
            return None
        return job if job is not None and job.status == JobStatus.SUCCEEDED else None

    def delete_selected(self, selected: str | None, query: str | None, period: str | None, model: str | None,
                        lang: str, apart: bool, request: gr.Request) -> tuple[Any, ...]:
        """"Yes, delete it": remove the video and its files, then show the library without it.
        Returns the refresh outputs, then (selected id, video, details, actions row, confirmation row)."""
        if not selected:
            raise user_error(t("ui.pick_first", lang))
        try:
            self.services.jobs.delete(selected, client_of(request))
        except JobNotFound:
            pass
        except (NotYourJob, IllegalTransition) as exc:
            raise user_error(str(exc)) from None
        return (*self.refresh(query, period, model, lang, apart), None, None, t("ui.library.deleted", lang),
                gr.update(visible=False), gr.update(visible=False))

    def reuse_selected(self, selected: str | None, lang: str) -> tuple[Any, ...]:
        """Fill the Create tab with the selected video's picture, prompts and settings, and go there."""
        try:
            job = self.services.jobs.get(selected) if selected else None
        except JobNotFound:
            job = None
        if job is None or not job.result:
            raise user_error(t("ui.pick_first", lang))
        return (*self.create_actions.recipe_controls(job.result["recipe"], lang), select_tab(CREATE))

    def extend_selected(self, selected: str | None, lang: str, request: gr.Request) -> str:
        """Queue a continuation of the open video; the details say so."""
        note = queue_extension(self.services.jobs, selected, lang, request)
        return details_md(self.services.jobs.get(selected), lang) + "\n\n" + note

    def details_in_language(self, selected: str | None, lang: str) -> str:
        """The details panel redrawn after a language switch: the open video's details, or the hint."""
        try:
            return details_md(self.services.jobs.get(selected), lang) if selected else pick_hint(lang)
        except JobNotFound:
            return pick_hint(lang)


def pick_hint(lang: str) -> str:
    return t("ui.library.pick", lang)


def show(visible: bool) -> dict[str, Any]:
    """Show or hide a part (the delete confirmation)."""
    return gr.update(visible=visible)


def build_library_tab(studio: Studio) -> None:
    tx, lang, services, en = studio.tx, studio.lang, studio.services, "en"
    with studio.tab(LIBRARY, "ui.tab.library") as tab:
        with gr.Row(equal_height=True):
            search = tx.add(gr.Textbox(label=t("ui.library.search", en), placeholder=t("ui.library.search.hint", en),
                                       max_lines=1, scale=3, elem_id="i2v-lib-search"),
                            label="ui.library.search", placeholder="ui.library.search.hint")
            period = tx.add(gr.Dropdown(period_choices(en), value="any", label=t("ui.library.period", en), scale=1,
                                        elem_id="i2v-lib-period"), label="ui.library.period", choices=period_choices)
            model = tx.add(gr.Dropdown([(t("ui.library.model.any", en), ALL_MODELS)], value=ALL_MODELS,
                                       label=t("ui.library.model", en), scale=1, elem_id="i2v-lib-model"),
                           label="ui.library.model")
            refresh_btn = tx.add(gr.Button(t("ui.library.refresh", en), scale=0, min_width=110, elem_id="i2v-lib-refresh"),
                                 value="ui.library.refresh")
            apart = tx.add(gr.Checkbox(False, label=t("ui.library.apart", en), scale=0, min_width=170, elem_id="i2v-lib-apart"),
                           label="ui.library.apart")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                note = gr.Markdown(elem_id="i2v-lib-note")
                # fit_columns=False: a short library keeps small thumbnails with captions
                gallery = tx.add(gr.Gallery(label=t("ui.library.gallery", en), columns=4, fit_columns=False, height=520,
                                            object_fit="contain", allow_preview=False, preview=False, elem_id="i2v-history"),
                                 label="ui.library.gallery")
            with gr.Column(scale=2, min_width=320):
                video = tx.add(gr.Video(label=t("ui.library.video", en), interactive=False, autoplay=True, loop=True,
                                        elem_id="i2v-lib-video"), label="ui.library.video")
                details = gr.Markdown(pick_hint(en), elem_id="i2v-lib-details")
                with gr.Row(visible=False, elem_id="i2v-lib-actions") as buttons:
                    reuse = tx.add(gr.Button(t("ui.library.reuse", en), variant="primary", elem_id="i2v-lib-reuse"),
                                   value="ui.library.reuse")
                    download = tx.add(gr.DownloadButton(t("ui.download", en), elem_id="i2v-lib-download"), value="ui.download")
                    extend = tx.add(gr.Button(t("ui.library.extend", en, seconds=EXTEND_SECONDS), elem_id="i2v-lib-extend"),
                                    value=lambda code: t("ui.library.extend", code, seconds=EXTEND_SECONDS))
                    delete = tx.add(gr.Button(t("ui.library.delete", en), variant="stop", elem_id="i2v-lib-delete"),
                                    value="ui.library.delete")
                with gr.Group(visible=False, elem_id="i2v-lib-confirm", elem_classes=["i2v-confirm"]) as confirm:
                    tx.add(gr.Markdown(t("ui.library.confirm", en)), value="ui.library.confirm")
                    with gr.Row():
                        yes = tx.add(gr.Button(t("ui.library.confirm.yes", en), variant="stop", elem_id="i2v-lib-confirm-yes"),
                                     value="ui.library.confirm.yes")
                        no = tx.add(gr.Button(t("ui.library.confirm.no", en), elem_id="i2v-lib-confirm-no"),
                                    value="ui.library.confirm.no")
                selected = gr.State(None)
                ids = gr.State([])
                build_export(tx, lang, services.jobs, selected, video, prefix="i2v-lib")

    actions = LibraryActions(services)
    filters = [search, period, model, lang, apart]
    listing = [gallery, ids, note, model]
    # always_last: the last of a burst of keystrokes always runs, so the list answers the search as it
    # stands (the default drops a keystroke that arrives while the previous one is being answered).
    live = {"api_name": False, "show_progress": "hidden", "trigger_mode": "always_last"}
    for trigger in (tab.select, search.change, period.input, model.input, refresh_btn.click, lang.change, apart.input):
        trigger(actions.refresh, filters, listing, **live)
    if studio.create is not None:
        studio.create.generated.then(actions.refresh, filters, listing, api_name=False, show_progress="hidden")
    gallery.select(actions.open_video, [ids, lang], [selected, video, details, download, buttons, confirm, reuse, delete, extend],
                   api_name=False)
    extend.click(actions.extend_selected, [selected, lang], details, api_name=False)
    delete.click(partial(show, True), None, confirm, api_name=False, show_progress="hidden")
    no.click(partial(show, False), None, confirm, api_name=False, show_progress="hidden")
    yes.click(actions.delete_selected, [selected, search, period, model, lang, apart],
              [*listing, selected, video, details, buttons, confirm], api_name=False)
    if studio.create is not None:
        reuse.click(actions.reuse_selected, [selected, lang], [*studio.create.reuse_targets(), studio.tabs], api_name=False)
    lang.change(actions.details_in_language, [selected, lang], details, api_name=False, show_progress="hidden")
