"""The studio's handlers and views without a browser: the first-run panel and the Generate gate,
the progress line, Cancel's visibility, the Library's search and filters, the labels table's
headers, the settings built from one set of limits, and the tab layout. Real services on a real
SQLite job table (the worker is not started, so queued jobs stay queued)."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from i2v.archive import ArchivePathError
from i2v.engine.host import ModelState, ModelStatus
from i2v.jobs.store import Job, JobStatus
from i2v.request import GenerationRequest
from i2v.settings import DEFAULT_MODEL, Settings
from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui import TABS, build_studio
from i2v.web.ui_export import LABEL_HEADERS, export_ready, label_headers, relabel_table
from i2v.web.ui_firstrun import TINY_START, first_run_html, generate_allowed
from i2v.web.ui_guide import SYMPTOM_PARAMS, symptom_fix
from i2v.web.ui_handlers import CreateActions, job_fields
from i2v.lessons.service import LessonSummary
from i2v.web.ui_library import (
    ALL_MODELS,
    LibraryActions,
    LibraryFilter,
    details_md,
    lesson_key,
    library_view,
    matches,
    model_choices,
    period_start,
)
from i2v.web.ui_settings import STEP_SLIDER_MIN, limits_updates, settings_limits
from i2v.web.ui_status import progress_html
from tests.conftest import gradient_picture

CJK = re.compile(r"[\u4e00-\u9fff]")


def _png() -> bytes:
    buffer = io.BytesIO()
    gradient_picture(96, 64).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def services(tmp_path) -> Services:
    return Services.build(Settings(home=tmp_path / "home", model="tiny"))


# ---- progress ---------------------------------------------------------------------------------


def test_a_running_job_says_starting_until_its_first_step():
    running = SimpleNamespace(status=JobStatus.RUNNING, step=0, total=0, eta_s=None, started_at=time.time(),
                              finished_at=None, error=None, position=None)
    for lang in ("en", "zh"):
        text = progress_html(running, lang=lang)
        assert t("ui.progress.starting", lang) in text and "data-step='0'" in text
        assert "0 of 0" not in text and "0 / 0" not in text and "—" not in text
    stepping = SimpleNamespace(**{**vars(running), "step": 2, "total": 10, "eta_s": 65.0})
    assert "Step 2 of 10" in progress_html(stepping, lang="en") and "1:05" in progress_html(stepping, lang="en")


# ---- first run ------------------------------------------------------------------------------


def test_first_run_panel_for_missing_weights_gives_commands_that_run_from_the_app_folder(tmp_path):
    status = ModelStatus(ModelState.MISSING, DEFAULT_MODEL, "The weights for x are not here. Fetch them with: i2v download")
    settings = Settings(home=tmp_path, model=DEFAULT_MODEL)
    for lang in ("en", "zh"):
        panel = first_run_html(status, settings, lang, cwd=tmp_path)
        assert t("ui.firstrun.title", lang) in panel and DEFAULT_MODEL in panel
        commands = re.findall(r"<code>(.*?)</code>", panel)
        assert commands[0].endswith("i2v download") and TINY_START in commands and len(commands) == 3
        assert str(tmp_path) in panel  # where to run it
    assert CJK.search(first_run_html(status, settings, "zh", cwd=tmp_path))
    assert not generate_allowed(status)


def test_first_run_panel_for_a_bad_folder_and_for_broken_files(tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    settings = Settings(home=tmp_path, model=str(folder))
    missing = ModelStatus(ModelState.MISSING, str(folder), f"{folder} is not an I2VGen-XL folder (no unet/ inside). Point…")
    panel = first_run_html(missing, settings, "en", cwd=tmp_path)
    assert "i2v download" not in panel and "model_index.json" in panel and "no unet/ inside" in panel
    failed = ModelStatus(ModelState.FAILED, DEFAULT_MODEL, "OSError: <bad> header")
    panel = first_run_html(failed, Settings(home=tmp_path), "en", cwd=tmp_path)
    assert "data-state='failed'" in panel and "i2v doctor" in panel and "&lt;bad&gt;" in panel and TINY_START in panel
    for state in (ModelState.READY, ModelState.LOADING, ModelState.NOT_LOADED):
        assert first_run_html(ModelStatus(state, "tiny"), settings, "en") == ""
        assert generate_allowed(ModelStatus(state, "tiny"))


def test_the_page_follows_the_real_host_state_and_skips_unchanged_ticks(tmp_path):
    missing = Services.build(Settings(home=tmp_path / "home", model="nobody-here/no-such-model"))
    missing.host.start_background_load().join(60)
    actions = CreateActions(missing)
    _line, panel, check, generate, reason, shown = actions.model_state("zh", None)
    assert panel["visible"] and "nobody-here/no-such-model" in panel["value"] and check["visible"]
    assert generate["interactive"] is False and reason["visible"] and reason["value"] == t("ui.generate.off", "zh")
    assert actions.model_state("zh", shown) == [gr.skip()] * 6  # nothing changed: the timer sends nothing
    assert actions.model_state("en", shown)[0] != gr.skip()  # another language redraws
    with pytest.raises(gr.Error, match=re.escape(t("ui.generate.off", "en"))):
        next(actions.submit_and_follow(str(tmp_path), "cells", "", "256p", 8, 8, 10, 9, -1, "ddim", "standard", "en",
                                       None))


# ---- Create tab ---------------------------------------------------------------------------------


def test_cancel_shows_only_while_the_job_is_queued_or_running(services):
    actions = CreateActions(services)
    job = services.jobs.submit(_png(), {"prompt": "a cell dividing", "steps": 3}, "ui")  # the client of a request-less call
    assert actions.cancel_button(job.id)["visible"] is True
    actions.cancel_job(job.id, None)
    assert services.jobs.get(job.id).status == JobStatus.CANCELLED
    assert actions.cancel_button(job.id)["visible"] is False
    assert actions.cancel_button(None)["visible"] is False
    assert actions.cancel_button("no-such-job")["visible"] is False
    # "Make" (post-processing) acts only on a finished video: not on a cancelled one, nor on none.
    assert export_ready(services.jobs, job.id)["interactive"] is False
    assert export_ready(services.jobs, None)["interactive"] is False


def test_controls_become_request_fields_and_a_recipe_fills_them_back(services):
    fields = job_fields("cells", "", "256p", 8, 8, 10, 9.0, float("nan"), "ddim", "fast")
    assert "seed" not in fields and GenerationRequest.parse(fields).quality == "fast"
    assert job_fields("cells", "", "256p", 8, 8, 10, 9.0, 42.0, "ddim", "standard")["seed"] == 42
    recipe = {"video": "2026-01-01/x.mp4", "request": {"prompt": "p", "negative_prompt": "n", "resolution": "768p",
                                                       "frames": 24, "fps": 10, "steps": 3, "guidance": 7.5, "seed": 9,
                                                       "scheduler": "dpmpp"}}
    picture, prompt, negative, *ranged_and_more = CreateActions(services).recipe_controls(recipe)
    assert picture == gr.skip()  # the picture is gone: keep the one on the page
    resolution, frames, fps, steps, guidance, seed, scheduler, quality, model, info = ranged_and_more
    # the values, with the ranges of the recipe's family (an old recipe names none: the default, here "tiny")
    values = [u["value"] for u in (resolution, frames, fps, steps, guidance)] + [seed] + [scheduler["value"], quality["value"]]
    assert (prompt, negative) == ("p", "n") and values == ["768p", 24, 10, STEP_SLIDER_MIN, 7.5, 9, "dpmpp", "standard"]
    assert frames["maximum"] == 32 and model == "tiny" and "Licence" in info
    wan = {**recipe, "request": {**recipe["request"], "model": "tiny-wan", "resolution": "480p", "frames": 49}}
    _, _, _, resolution, frames, *_, model, _ = CreateActions(services).recipe_controls(wan)
    assert model == "tiny-wan" and frames["maximum"] == 121 and frames["value"] == 49 and resolution["choices"] == ["480p", "720p"]


def test_a_symptom_fix_changes_the_settings_and_says_what_changed_beside_the_button_and_on_create():
    before = ("512p", 24, 8, 50, 9.0, 0.0)
    *after, helper, note, beside = symptom_fix("jittery", *before, "zh")
    assert dict(zip(SYMPTOM_PARAMS, after, strict=True))["frames"] == 16
    assert note["visible"] and "24 → 16" in note["value"] and CJK.search(note["value"])
    assert beside == note and helper == gr.skip()  # no tab switch: the page stays where the teacher clicked
    *_, helper, _, _ = symptom_fix("ignores_prompt", *before, "en")
    assert helper["open"] is True


def test_settings_are_built_from_the_model_familys_spec():
    from i2v.engine.registry import family_spec

    spec = family_spec("i2vgenxl")
    limits = settings_limits(spec)
    assert (limits.frames.low, limits.frames.high, limits.frames.default) == (spec.frames.low, spec.frames.high, spec.frames.default)
    assert limits.steps.low == STEP_SLIDER_MIN and limits.negative_prompt == spec.negative_prompt
    wan = settings_limits(family_spec("wan"))
    updates = limits_updates(wan)
    assert updates[1]["maximum"] == 121 and updates[1]["value"] == 121 and updates[1]["step"] == 4  # 4k+1 frames
    assert updates[0]["choices"] == list(family_spec("wan").resolution_names)
    assert len(updates) == 7  # one per SettingsControls.ranged()


# ---- labels table -----------------------------------------------------------------------------


def test_labels_table_headers_follow_the_language_and_keep_the_rows():
    assert label_headers("en")[0] == "text" and all(CJK.search(h) for h in label_headers("zh"))
    assert len(label_headers("zh")) == len(LABEL_HEADERS)
    rows = [["细胞核", 0.3, 0.2, 0.07, 0, None]]
    update = relabel_table(rows, "zh")
    assert update["value"] == {"headers": label_headers("zh"), "data": rows}


# ---- Library ----------------------------------------------------------------------------------


def _job(job_id: str, prompt: str, created: float, model: str = "tiny", status: JobStatus = JobStatus.SUCCEEDED) -> Job:
    return Job(id=job_id, status=status, client="c", request={"prompt": prompt, "resolution": "256p", "frames": 8,
                                                                 "fps": 8, "steps": 3, "guidance": 9.0, "seed": 1},
               image="x.png", created_at=created, started_at=created, finished_at=created, attempts=1, step=3, total=3,
               eta_s=None, error=None, result={"video": f"{job_id}.mp4", "recipe": {"model": {"id": model}}},
               cancel_requested=False, position=None)


NOW = time.mktime((2026, 11, 25, 15, 0, 0, 0, 0, -1))
DAY = 86_400
LIBRARY = [
    _job("a", "Chromosomes separating slowly", NOW - 600),
    _job("b", "water molecules vibrating", NOW - 3 * DAY, model="/models/i2vgen-xl"),
    _job("c", "chromosomes condensing", NOW - 40 * DAY),
    _job("d", "chromosomes failing", NOW, status=JobStatus.FAILED),
]


def test_library_search_is_by_prompt_words_in_any_case_and_finished_videos_only():
    assert [j.id for j in LIBRARY if matches(j, LibraryFilter(query="CHROMOSOMES"), NOW)] == ["a", "c"]
    assert [j.id for j in LIBRARY if matches(j, LibraryFilter(query="chromosomes slowly"), NOW)] == ["a"]


def test_library_filters_by_date_and_model():
    assert period_start("any", NOW) is None
    assert period_start("today", NOW) == time.mktime((2026, 11, 25, 0, 0, 0, 0, 0, -1))
    assert [j.id for j in LIBRARY if matches(j, LibraryFilter(period="week"), NOW)] == ["a", "b"]
    assert [j.id for j in LIBRARY if matches(j, LibraryFilter(period="today"), NOW)] == ["a"]
    assert [j.id for j in LIBRARY if matches(j, LibraryFilter(model="/models/i2vgen-xl"), NOW)] == ["b"]
    choices = model_choices(LIBRARY, "zh")
    assert choices[0] == (t("ui.library.model.any", "zh"), ALL_MODELS)
    assert ("i2vgen-xl", "/models/i2vgen-xl") in choices and ("tiny", "tiny") in choices  # a folder shows its name


def test_library_view_counts_matches_and_skips_videos_gone_from_the_archive():
    def thumbnail(job):
        if job.id == "c":
            raise ArchivePathError("gone")
        return Path(f"/archive/{job.id}.jpg")

    items, ids, note = library_view(LIBRARY, LibraryFilter(query="chromosomes"), "en", NOW, thumbnail)
    assert ids == ["a"] and items[0][0] == "/archive/a.jpg" and items[0][1].startswith("Chromosomes separating")
    assert note == t("ui.library.count", "en", shown=1, total=1)
    assert library_view(LIBRARY, LibraryFilter(query="zebra"), "en", NOW, thumbnail)[2] == t("ui.library.none_match", "en")
    assert library_view([], LibraryFilter(), "zh", NOW, thumbnail)[2] == t("ui.library.empty", "zh")


def test_a_lessons_scenes_are_one_library_entry_unless_shown_one_by_one():
    mitosis = LessonSummary("0123456789abcdef", "Mitosis", "ready", 3, NOW - 900)
    scenes = [_job(f"s{n}", f"chromosomes scene {n}", NOW - 300 + n) for n in range(3)]
    jobs = sorted([*LIBRARY, *scenes], key=lambda job: -job.created_at)
    lessons = {job.id: mitosis for job in scenes}
    thumbnail = lambda job: Path(f"/archive/{job.id}.jpg")  # noqa: E731
    items, ids, note = library_view(jobs, LibraryFilter(), "en", NOW, thumbnail, lessons)
    assert ids == [lesson_key(mitosis.id), "a", "b", "c"]  # the newest scene stands for the lesson, in its place
    assert items[0] == ("/archive/s2.jpg", t("ui.library.lesson_card", "en", title="Mitosis", scenes=3, when="2026-11-25 14:45"))
    assert note == t("ui.library.count", "en", shown=4, total=4)
    # the lesson's title is searchable, and one by one every scene is its own entry again
    assert library_view(jobs, LibraryFilter(query="mitosis"), "zh", NOW, thumbnail, lessons)[1] == [lesson_key(mitosis.id)]
    assert library_view(jobs, LibraryFilter(query="mitosis"), "en", NOW, thumbnail)[1] == []
    assert library_view(jobs, LibraryFilter(), "en", NOW, thumbnail)[1] == ["s2", "s1", "s0", "a", "b", "c"]
    assert "课程" in library_view(jobs, LibraryFilter(), "zh", NOW, thumbnail, lessons)[0][0][1]


def test_library_details_escape_the_prompt():
    job = _job("e", "<script>alert(1)</script> cells", NOW)
    text = details_md(job, "en")
    assert "<script>" not in text and "&lt;script&gt;" in text and "256p" in text


def test_library_actions_on_real_services(services):
    actions = LibraryActions(services)
    items, ids, note, models = actions.refresh("", "any", ALL_MODELS, "en")
    assert (items, ids, note) == ([], [], t("ui.library.empty", "en")) and models["value"] == ALL_MODELS
    with pytest.raises(gr.Error):
        actions.delete_selected(None, "", "any", ALL_MODELS, "en", False, None)
    with pytest.raises(gr.Error):
        actions.reuse_selected("no-such-job", "en")
    with pytest.raises(gr.Error):  # a lesson deleted since the list was drawn: a message, not a crash
        actions.open_video([lesson_key("0123456789abcdef")], "en", SimpleNamespace(index=0))
    assert actions.details_in_language(None, "zh") == t("ui.library.pick", "zh")


# ---- layout -----------------------------------------------------------------------------------


def test_tabs_are_create_library_help_and_the_preset_gallery_keeps_small_cards(tmp_path):
    ui, tx = build_studio(Services.build(Settings(home=tmp_path, model="tiny")))
    tabs = [block for block in ui.blocks.values() if isinstance(block, gr.Tab)]
    assert [tab.id for tab in tabs] == ["create", "lessons", "library", "help"]
    assert len(TABS) == len(tabs)
    registered = {id(c) for c in tx.components()}
    assert all(id(tab) in registered for tab in tabs)  # their labels follow the language
    galleries = {block.elem_id: block for block in ui.blocks.values() if isinstance(block, gr.Gallery)}
    assert galleries["i2v-preset-gallery"].fit_columns is False and galleries["i2v-history"].fit_columns is False
    buttons = {block.elem_id: block for block in ui.blocks.values() if isinstance(block, gr.Button)}
    assert buttons["i2v-cancel"].visible is False  # nothing to cancel on a fresh page
    assert buttons["i2v-lib-delete"].visible is True  # …inside the actions row, which is hidden until a pick
    rows = {block.elem_id: block for block in ui.blocks.values() if isinstance(block, gr.Row) and block.elem_id}
    assert rows["i2v-lib-actions"].visible is False


def test_the_status_says_which_gpu_worker_runs_a_job_and_why_a_job_waits():
    from dataclasses import replace as changed

    base = Job(id="j1", status=JobStatus.RUNNING, client="c", request={"prompt": "x"}, image="p.png", created_at=1.0,
               started_at=1.0, finished_at=None, attempts=1, step=2, total=10, eta_s=8.0, error=None, result=None,
               cancel_requested=False, position=None)
    running = progress_html(changed(base, worker="gpu-room-2"), now=5.0, lang="en")
    assert "gpu-room-2" in running and "data-worker" in running
    assert "data-worker" not in progress_html(base, now=5.0, lang="en")  # this server's own worker: nothing to say
    assert "GPU 工作机" in progress_html(changed(base, worker="w1"), now=5.0, lang="zh")
    queued = progress_html(changed(base, status=JobStatus.QUEUED, position=1), lang="en",
                           waiting_reason="No worker for model tiny-wan is connected")
    assert "No worker for model tiny-wan" in queued and "data-waiting" in queued


def test_the_model_line_speaks_the_studio_language_for_every_family(tmp_path):
    """The Chinese studio shows each family's licence and frame rule in Chinese, not the API's English words."""
    from i2v.web.ui_models import model_info_md

    services = Services.build(Settings(home=tmp_path / "home", model="tiny", models="tiny-wan,tiny-ltx"))
    for model in ("tiny", "tiny-wan", "tiny-ltx"):
        english, chinese = model_info_md(services, model, "en"), model_info_md(services, model, "zh")
        assert "Licence:" in english and "许可" in chinese
        assert not re.search(r"\b(between|e\.g\.|model card|by version|earliest)\b", chinese), chinese
    assert "between 8 and 32" in model_info_md(services, "tiny", "en")
    assert "8–32 帧" in model_info_md(services, "tiny", "zh")
    assert "81 或 121 帧" in model_info_md(services, "tiny-wan", "zh") and "k+1" not in model_info_md(services, "tiny-wan", "zh")
    assert "81 or 121 frames" in model_info_md(services, "tiny-wan", "en")


def test_a_video_with_sound_shows_the_speaker_on_its_card_and_says_so_in_its_details():
    loud = _job("s", "a bell ringing once", NOW - 60)
    loud.result["recipe"].update(sound="on", audio_rate=48_000, audio_channels=1)
    items, ids, _ = library_view([loud, LIBRARY[0]], LibraryFilter(), "en", NOW, lambda job: Path(f"/archive/{job.id}.jpg"))
    assert ids == ["s", "a"] and items[0][1].startswith("♪ a bell ringing once") and not items[1][1].startswith("♪")
    assert "With sound made by the model (48000 Hz)" in details_md(loud, "en") and "♪" not in details_md(LIBRARY[0], "en")
    assert "带有模型生成的声音" in details_md(loud, "zh")
