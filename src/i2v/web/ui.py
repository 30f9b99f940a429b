"""The Gradio studio. As thin as the HTTP routes: every action calls the job service or `i2v.teaching`.

Gradio's own queue is not used to order work (events run with no concurrency limit); the
SQLite job table is the only queue, so the UI, the API and the CLI agree on who is next.
The studio speaks English and Simplified Chinese: the browser's Accept-Language picks one on load,
the switch at the top changes it, and every visible text comes from `strings.json` via `UiText`.
"""

from __future__ import annotations

import math
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from i2v.archive import ArchivePathError
from i2v.image_input import ImageInputError
from i2v.jobs.service import NotYourJob
from i2v.jobs.store import FINISHED, JobNotFound, JobStatus, QueueFull
from i2v.engine.registry import DEFAULT_SPEC
from i2v.request import MAX_SEED, RequestError
from i2v.teaching.i18n import pick_language, t
from i2v.teaching.labels import FONT_PATH
from i2v.web.services import Services
from i2v.web.ui_export import build_export
from i2v.web.ui_guide import SYMPTOM_PARAMS, build_picture_check, build_symptom_guide
from i2v.web.ui_presets import Controls, build_presets_panel, build_prompt_check, build_prompt_helper
from i2v.web.ui_status import model_status_md, progress_html
from i2v.web.ui_text import UiText

POLL_S = 0.5
HISTORY_SIZE = 48
# The bundled Noto Sans SC subset (the one labels are drawn with) is the last fallback for CJK text,
# so Chinese shows on machines without a CJK system font; browsers that have one never fetch it.
CJK_FONT_FACE = f"""
@font-face {{font-family: "i2v Noto Sans SC"; src: url("/gradio_api/file={FONT_PATH.as_posix()}") format("opentype");
  unicode-range: U+2E80-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF; font-display: swap}}
.gradio-container {{--font: "IBM Plex Sans", "i2v Noto Sans SC", ui-sans-serif, system-ui, sans-serif}}
"""
CSS = CJK_FONT_FACE + """
.i2v-progress {font-size: 1.05rem; line-height: 1.5}
.i2v-bar {height: 14px; background: #e5e7eb; border-radius: 7px; overflow: hidden; margin: 6px 0}
.i2v-bar > div {height: 100%; background: #2563eb; transition: width .3s}
.i2v-status {padding: 8px 12px; border-radius: 8px; background: #f1f5f9}
.i2v-warning {background: #fef3c7}
.i2v-check {font-size: .92rem; padding: 4px 8px}
.i2v-warnings {margin: 4px 0; padding: 6px 8px 6px 24px; background: #fef3c7; border-radius: 6px; color: #78350f}
.i2v-ok {color: #166534}
.i2v-cut {background: #fecaca; text-decoration: line-through}
.i2v-cut-view {color: #475569; font-size: .85rem}
@media (min-width: 1800px) { .gradio-container {font-size: 1.2rem} }
"""
SPEC = DEFAULT_SPEC
STEP_SLIDER_MIN = 10  # the API accepts 1–150; below 10 the model gives unusable results
LANGUAGE_CHOICES = [("EN", "en"), ("中文", "zh")]


def _client(request: gr.Request | None) -> str:
    """Who is asking, as the job service records it: the browser's address (as the API uses)."""
    return request.client.host if request is not None and request.client is not None else "ui"


def build_ui(services: Services) -> gr.Blocks:
    return build_studio(services)[0]


def build_studio(services: Services) -> tuple[gr.Blocks, UiText]:
    """The studio and its text registry (the registry is what the language switch relabels)."""
    jobs = services.jobs
    tx = UiText()
    gr.set_static_paths([FONT_PATH.parent])  # read-only; serves CJK_FONT_FACE
    en = "en"

    def submit_and_follow(image_path, prompt, negative_prompt, resolution, frames, fps, steps, guidance, seed,
                          scheduler, quality, lang, request: gr.Request):
        """Queue a job, then stream its progress until it ends. Output order matches `outputs=` below."""
        if not image_path:
            raise gr.Error(t("ui.need_picture", lang))
        fields: dict[str, Any] = {
            "prompt": prompt or "", "negative_prompt": negative_prompt or "", "resolution": resolution,
            "frames": frames, "fps": fps, "steps": steps, "guidance": guidance, "scheduler": scheduler,
            "quality": quality,
        }
        if seed not in (None, "") and math.isfinite(float(seed)) and float(seed) >= 0:
            fields["seed"] = int(seed)
        client = _client(request)
        try:
            job = jobs.submit(Path(image_path).read_bytes(), fields, client)
        except (RequestError, ImageInputError, QueueFull) as exc:
            raise gr.Error(str(exc)) from None
        last_step = -1
        while True:
            job = jobs.get(job.id)
            live = services.worker.live(job.id)
            preview = live.preview if live is not None and live.preview_step != last_step else gr.skip()
            if live is not None:
                last_step = live.preview_step
            if job.status in FINISHED:
                break
            wait = jobs.wait_seconds(job) if job.status == JobStatus.QUEUED else None
            yield job.id, progress_html(job, lang=lang, wait_s=wait), preview, gr.skip(), gr.skip(), gr.skip()
            time.sleep(POLL_S)
        if job.status != JobStatus.SUCCEEDED:
            yield job.id, progress_html(job, lang=lang), gr.skip(), None, None, None
            return
        video = str(jobs.video_file(job))
        yield job.id, progress_html(job, lang=lang), gr.skip(), video, gr.DownloadButton(value=video, visible=True), job.result["recipe"]

    def cancel(job_id, request: gr.Request):
        if job_id:
            try:
                jobs.cancel(job_id, _client(request))
            except JobNotFound:
                pass
            except NotYourJob as exc:
                raise gr.Error(str(exc)) from None
        return gr.skip()

    def dice():
        return random.randint(0, MAX_SEED)

    def history():
        finished = [j for j in jobs.history(limit=HISTORY_SIZE) if j.status == JobStatus.SUCCEEDED]
        items = []
        for job in finished:
            try:
                thumb = str(jobs.thumbnail_file(job))
            except ArchivePathError:
                continue
            when = datetime.fromtimestamp(job.created_at).strftime("%Y-%m-%d %H:%M")
            items.append((thumb, f"{job.request['prompt'][:60]} · {when}"))
        return items, [j.id for j in finished]

    def pick(ids, lang, evt: gr.SelectData):
        job = jobs.get(ids[evt.index])
        video = str(jobs.video_file(job))
        return job.id, video, gr.DownloadButton(value=video, visible=True), job.result["recipe"], progress_html(job, lang=lang)

    def reuse(recipe, lang):
        if not recipe:
            raise gr.Error(t("ui.pick_first", lang))
        req = recipe["request"]
        try:
            entry = services.archive.entry_for(recipe["video"])
            picture = str(entry.input_image) if entry.input_image.exists() else None
        except (ArchivePathError, KeyError):
            picture = None
        return (
            picture if picture else gr.skip(), req["prompt"], req["negative_prompt"], req["resolution"], req["frames"],
            req["fps"], max(req["steps"], STEP_SLIDER_MIN), req["guidance"], req["seed"], req["scheduler"],
            req.get("quality", "standard"),
        )

    def delete(job_id, lang, request: gr.Request):
        if not job_id:
            raise gr.Error(t("ui.pick_first", lang))
        try:
            jobs.delete(job_id, _client(request))
        except Exception as exc:  # noqa: BLE001 - shown to the teacher as is
            raise gr.Error(str(exc)) from None
        items, ids = history()
        return items, ids, None, None, gr.DownloadButton(visible=False), None, progress_html(None, lang=lang)

    with gr.Blocks(title="i2v — picture to video", fill_width=True) as ui:
        lang = gr.State(en)
        job_id = gr.State(None)
        history_ids = gr.State([])
        with gr.Row(equal_height=True):
            tx.add(gr.Markdown(t("ui.title", en), elem_id="i2v-title"), value="ui.title")
            switch = tx.add(gr.Radio(LANGUAGE_CHOICES, value=en, label=t("ui.language", en), scale=0, min_width=180,
                                     elem_id="i2v-lang"), label="ui.language")
        status = gr.Markdown(model_status_md(services, en), elem_classes=["i2v-status"])
        presets_slot = gr.Column()
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                image = tx.add(gr.Image(label=t("ui.image", en), type="filepath", sources=["upload", "clipboard"],
                                        elem_id="i2v-image", height=320), label="ui.image")
                build_picture_check(tx, lang, image)
                prompt = tx.add(gr.Textbox(label=t("ui.prompt", en), lines=2, elem_id="i2v-prompt",
                                           placeholder="chromosomes separating and moving to opposite poles, slow motion"),
                                label="ui.prompt")
                build_prompt_check(lang, prompt)
                tx.add(gr.Markdown(t("prompt.english_only", en), elem_id="i2v-english-only"), value="prompt.english_only")
                helper = build_prompt_helper(tx, lang, prompt)
                with gr.Row():
                    resolution = tx.add(gr.Dropdown(list(SPEC.resolution_names), value=SPEC.default_resolution, label=t("ui.resolution", en),
                                                    min_width=120, elem_id="i2v-resolution"), label="ui.resolution")
                    frames = tx.add(gr.Slider(SPEC.frames.low, SPEC.frames.high, value=SPEC.frames.default, step=SPEC.frames.step, label=t("ui.frames", en),
                                              elem_id="i2v-frames"), label="ui.frames")
                    fps = tx.add(gr.Slider(SPEC.fps.low, SPEC.fps.high, value=SPEC.fps.default, step=1, label=t("ui.fps", en), elem_id="i2v-fps"),
                                 label="ui.fps")
                with tx.add(gr.Accordion(t("ui.advanced", en), open=False, elem_id="i2v-advanced"), label="ui.advanced"):
                    negative = tx.add(gr.Textbox(label=t("ui.negative", en), value=SPEC.negative_prompt, lines=2,
                                                 elem_id="i2v-negative"), label="ui.negative")
                    steps = tx.add(gr.Slider(STEP_SLIDER_MIN, SPEC.steps.high, value=SPEC.steps.default, step=1, label=t("ui.steps", en),
                                             elem_id="i2v-steps"), label="ui.steps")
                    guidance = tx.add(gr.Slider(SPEC.guidance.low, SPEC.guidance.high, value=SPEC.guidance.default, step=0.5, label=t("ui.guidance", en),
                                                elem_id="i2v-guidance"), label="ui.guidance")
                    with gr.Row():
                        seed = tx.add(gr.Number(value=-1, precision=0, label=t("ui.seed", en), minimum=-1, maximum=MAX_SEED),
                                      label="ui.seed")
                        dice_btn = tx.add(gr.Button(t("ui.dice", en), scale=0, min_width=120, elem_id="i2v-dice"),
                                          value="ui.dice")
                    scheduler = tx.add(gr.Radio(list(SPEC.schedulers), value=SPEC.schedulers[0], label=t("ui.scheduler", en)),
                                       label="ui.scheduler")
                    quality_choices = [(lambda lang_code: t("ui.quality.standard", lang_code), "standard"),
                                       (lambda lang_code: t("ui.quality.fast", lang_code, speedup=f"{SPEC.fast.speedup:g}"), "fast")]
                    quality = tx.add(gr.Radio([(text(en), v) for text, v in quality_choices], value="standard",
                                              label=t("ui.quality", en), elem_id="i2v-quality"),
                                     label="ui.quality",
                                     choices=lambda lang_code: [(text(lang_code), v) for text, v in quality_choices])
                with gr.Row():
                    generate_btn = tx.add(gr.Button(t("ui.generate", en), variant="primary", elem_id="i2v-generate"),
                                          value="ui.generate")
                    cancel_btn = tx.add(gr.Button(t("ui.cancel", en), variant="stop", elem_id="i2v-cancel"), value="ui.cancel")
            with gr.Column(scale=6, min_width=360):
                progress = gr.HTML(progress_html(None), elem_id="i2v-progress")
                preview = tx.add(gr.Image(label=t("ui.live_preview", en), interactive=False, height=200, elem_id="i2v-preview"),
                                 label="ui.live_preview")
                video = tx.add(gr.Video(label=t("ui.result", en), interactive=False, elem_id="i2v-video", autoplay=True,
                                        loop=True), label="ui.result")
                with gr.Row():
                    download = tx.add(gr.DownloadButton(t("ui.download", en), visible=False), value="ui.download")
                    reuse_btn = tx.add(gr.Button(t("ui.reuse", en)), value="ui.reuse")
                post = build_export(tx, lang, jobs, job_id, video)
                params = {"resolution": resolution, "frames": frames, "fps": fps, "steps": steps, "guidance": guidance,
                          "smooth": post["smooth"]}
                build_symptom_guide(tx, lang, [params[name] for name in SYMPTOM_PARAMS], helper)
                recipe = tx.add(gr.JSON(label=t("ui.recipe", en), open=False), label="ui.recipe")
        with presets_slot:
            build_presets_panel(tx, lang, Controls(image, prompt, negative, resolution, frames, fps, steps, guidance))
        with tx.add(gr.Accordion(t("ui.history", en), open=True), label="ui.history"):
            # fit_columns=False: a short history keeps small thumbnails instead of one stretched across the page
            gallery = tx.add(gr.Gallery(label=t("ui.history.gallery", en), columns=6, fit_columns=False, height=260,
                                        object_fit="cover", allow_preview=False, preview=False, elem_id="i2v-history"),
                             label="ui.history.gallery")
            with gr.Row():
                refresh_btn = tx.add(gr.Button(t("ui.history.refresh", en)), value="ui.history.refresh")
                delete_btn = tx.add(gr.Button(t("ui.history.delete", en), variant="stop"), value="ui.history.delete")
        with tx.add(gr.Tab(t("lesson.tab", en), elem_id="i2v-lesson-tab"), label="lesson.tab"): __import__("i2v.web.ui_lessons", fromlist=["build_lessons_tab"]).build_lessons_tab(services, tx, lang)  # Lesson tab (issue 12): the lead moves it among the new tabs

        inputs = [image, prompt, negative, resolution, frames, fps, steps, guidance, seed, scheduler, quality]
        run = generate_btn.click(
            submit_and_follow, [*inputs, lang], [job_id, progress, preview, video, download, recipe],
            api_name="generate", concurrency_limit=None,
        )
        run.then(history, None, [gallery, history_ids])
        cancel_btn.click(cancel, job_id, None, api_name="cancel", concurrency_limit=None)
        dice_btn.click(dice, None, seed, api_name=False)
        reuse_btn.click(reuse, [recipe, lang], inputs, api_name=False)
        refresh_btn.click(history, None, [gallery, history_ids], api_name=False)
        gallery.select(pick, [history_ids, lang], [job_id, video, download, recipe, progress], api_name=False)
        delete_btn.click(delete, [job_id, lang], [gallery, history_ids, job_id, video, download, recipe, progress],
                         api_name=False)
        timer = gr.Timer(2.0)
        timer.tick(lambda lang_code: model_status_md(services, lang_code), lang, status, api_name=False,
                   show_progress="hidden")

        relabelled = tx.components()

        def relabel(lang_code):
            return [lang_code, *tx.updates(lang_code)]

        def on_load(request: gr.Request):
            lang_code = pick_language(request.headers.get("accept-language") if request else None)
            items, ids = history()
            updates = tx.updates(lang_code)
            updates[relabelled.index(switch)]["value"] = lang_code
            return [lang_code, items, ids, model_status_md(services, lang_code), *updates]

        def progress_in(job, lang_code):
            return progress_html(jobs.get(job) if job else None, lang=lang_code)

        switch.input(relabel, switch, [lang, *relabelled], api_name=False, show_progress="hidden")
        lang.change(progress_in, [job_id, lang], progress, api_name=False, show_progress="hidden")
        ui.load(on_load, None, [lang, gallery, history_ids, status, *relabelled], api_name=False)
    return ui, tx
