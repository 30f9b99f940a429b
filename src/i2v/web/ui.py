"""The Gradio studio. As thin as the HTTP routes: every action calls the job service.

Gradio's own queue is not used to order work (events run with no concurrency limit); the
SQLite job table is the only queue, so the UI, the API and the CLI agree on who is next.
"""

from __future__ import annotations

import html
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from i2v.archive import ArchivePathError
from i2v.engine.host import ModelState
from i2v.image_input import ImageInputError
from i2v.jobs.store import FINISHED, JobNotFound, JobStatus, QueueFull
from i2v.request import DEFAULT_NEGATIVE_PROMPT, MAX_SEED, RESOLUTIONS, GenerationRequest, RequestError
from i2v.web.services import Services

POLL_S = 0.5
HISTORY_SIZE = 48
CSS = """
.i2v-progress {font-size: 1.05rem; line-height: 1.5}
.i2v-bar {height: 14px; background: #e5e7eb; border-radius: 7px; overflow: hidden; margin: 6px 0}
.i2v-bar > div {height: 100%; background: #2563eb; transition: width .3s}
.i2v-status {padding: 8px 12px; border-radius: 8px; background: #f1f5f9}
.i2v-warning {background: #fef3c7}
@media (min-width: 1800px) { .gradio-container {font-size: 1.2rem} }
"""
DEFAULTS = GenerationRequest(prompt="-")
STEP_SLIDER_MIN = 10  # the API accepts 1–150; below 10 the model gives unusable results


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_html(job, now: float | None = None) -> str:
    """The progress panel: queue position while waiting, then a bar with step, elapsed and ETA."""
    if job is None:
        return "<div class='i2v-progress'>Upload a picture, describe the motion, press Generate.</div>"
    now = now or time.time()
    if job.status == JobStatus.QUEUED:
        ahead = (job.position or 1) - 1
        text = "Next in line" if ahead == 0 else f"Waiting: {ahead} video{'s' if ahead != 1 else ''} ahead of yours"
        return f"<div class='i2v-progress' data-status='queued'>{text} (position {job.position}).</div>"
    total = max(job.total, 1)
    percent = 100 * job.step / total
    elapsed = (job.finished_at or now) - (job.started_at or now)
    label = {
        JobStatus.RUNNING: f"Step {job.step} of {job.total} · elapsed {_fmt_seconds(elapsed)} · about {_fmt_seconds(job.eta_s)} left",
        JobStatus.SUCCEEDED: f"Done in {_fmt_seconds(elapsed)}.",
        JobStatus.CANCELLED: "Cancelled.",
        JobStatus.FAILED: f"Failed: {html.escape(job.error or 'unknown error')}",
    }[job.status]
    return (
        f"<div class='i2v-progress' data-status='{job.status}'>{label}"
        f"<div class='i2v-bar'><div style='width:{percent:.0f}%'></div></div></div>"
    )


def model_status_md(services: Services) -> str:
    status = services.host.status
    notes = {
        ModelState.NOT_LOADED: "Model: not loaded yet.",
        ModelState.LOADING: f"Model **{status.model}** is loading… you can already queue videos.",
        ModelState.READY: f"Model **{status.model}** is ready ({status.detail}).",
        ModelState.MISSING: f"Model weights are missing. {status.detail}",
        ModelState.FAILED: f"Model failed to load: {status.detail}. Check the log in logs/ and run `i2v doctor`.",
    }
    text = notes[status.state]
    if status.model == "tiny":
        text += " **TEST MODEL: random weights — videos are noise.**"
    return text


def build_ui(services: Services) -> gr.Blocks:
    jobs = services.jobs

    def submit_and_follow(image_path, prompt, negative_prompt, resolution, frames, fps, steps, guidance, seed, scheduler, request: gr.Request):
        """Queue a job, then stream its progress until it ends. Output order matches `outputs=` below."""
        if not image_path:
            raise gr.Error("Add a picture first (drag it onto the picture box).")
        fields: dict[str, Any] = {
            "prompt": prompt or "", "negative_prompt": negative_prompt or "", "resolution": resolution,
            "frames": frames, "fps": fps, "steps": steps, "guidance": guidance, "scheduler": scheduler,
        }
        if seed not in (None, "") and int(seed) >= 0:
            fields["seed"] = int(seed)
        client = request.client.host if request and request.client else "ui"
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
            yield job.id, progress_html(job), preview, gr.skip(), gr.skip(), gr.skip()
            time.sleep(POLL_S)
        if job.status != JobStatus.SUCCEEDED:
            yield job.id, progress_html(job), gr.skip(), None, None, None
            return
        video = str(jobs.video_file(job))
        yield job.id, progress_html(job), gr.skip(), video, gr.DownloadButton(value=video, visible=True), job.result["recipe"]

    def cancel(job_id):
        if job_id:
            try:
                jobs.cancel(job_id)
            except JobNotFound:
                pass
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

    def refresh_history():
        items, ids = history()
        return items, ids

    def pick(ids, evt: gr.SelectData):
        job = jobs.get(ids[evt.index])
        video = str(jobs.video_file(job))
        return job.id, video, gr.DownloadButton(value=video, visible=True), job.result["recipe"], progress_html(job)

    def reuse(recipe):
        if not recipe:
            raise gr.Error("Pick a finished video first.")
        req = recipe["request"]
        try:
            entry = services.archive.entry_for(recipe["video"])
            picture = str(entry.input_image) if entry.input_image.exists() else None
        except (ArchivePathError, KeyError):
            picture = None
        return (
            picture if picture else gr.skip(), req["prompt"], req["negative_prompt"], req["resolution"], req["frames"],
            req["fps"], max(req["steps"], STEP_SLIDER_MIN), req["guidance"], req["seed"], req["scheduler"],
        )

    def delete(job_id):
        if not job_id:
            raise gr.Error("Pick a video in the history first.")
        try:
            jobs.delete(job_id)
        except Exception as exc:  # noqa: BLE001 - shown to the teacher as is
            raise gr.Error(str(exc)) from None
        items, ids = history()
        return items, ids, None, None, gr.DownloadButton(visible=False), None, progress_html(None)

    with gr.Blocks(title="i2v — picture to video", fill_width=True) as ui:
        job_id = gr.State(None)
        history_ids = gr.State([])
        gr.Markdown("# i2v · picture → short video")
        status = gr.Markdown(model_status_md(services), elem_classes=["i2v-status"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                image = gr.Image(label="Picture (drag and drop)", type="filepath", sources=["upload", "clipboard"], elem_id="i2v-image", height=320)
                prompt = gr.Textbox(label="What should move, how, and in which direction? (English)", lines=2, elem_id="i2v-prompt",
                                    placeholder="chromosomes separating and moving to opposite poles, slow motion")
                with gr.Row():
                    resolution = gr.Dropdown(list(RESOLUTIONS), value=DEFAULTS.resolution, label="Resolution", min_width=120, elem_id="i2v-resolution")
                    frames = gr.Slider(8, 32, value=DEFAULTS.frames, step=1, label="Frames", elem_id="i2v-frames")
                    fps = gr.Slider(4, 30, value=DEFAULTS.fps, step=1, label="Frames per second")
                with gr.Accordion("Advanced", open=False, elem_id="i2v-advanced"):
                    negative = gr.Textbox(label="Avoid (negative prompt)", value=DEFAULT_NEGATIVE_PROMPT, lines=2)
                    steps = gr.Slider(STEP_SLIDER_MIN, 150, value=DEFAULTS.steps, step=1, label="Denoising steps (more = slower, cleaner)", elem_id="i2v-steps")
                    guidance = gr.Slider(1, 20, value=DEFAULTS.guidance, step=0.5, label="Guidance (higher follows the prompt more)")
                    with gr.Row():
                        seed = gr.Number(value=-1, precision=0, label="Seed (-1 = random)", minimum=-1, maximum=MAX_SEED)
                        dice_btn = gr.Button("Random seed", scale=0, min_width=120, elem_id="i2v-dice")
                    scheduler = gr.Radio(["ddim", "dpmpp"], value=DEFAULTS.scheduler, label="Sampler")
                with gr.Row():
                    generate_btn = gr.Button("Generate", variant="primary", elem_id="i2v-generate")
                    cancel_btn = gr.Button("Cancel", variant="stop", elem_id="i2v-cancel")
            with gr.Column(scale=6, min_width=360):
                progress = gr.HTML(progress_html(None), elem_id="i2v-progress")
                preview = gr.Image(label="Live preview", interactive=False, height=200, elem_id="i2v-preview")
                video = gr.Video(label="Result", interactive=False, elem_id="i2v-video", autoplay=True, loop=True)
                with gr.Row():
                    download = gr.DownloadButton("Download MP4", visible=False)
                    reuse_btn = gr.Button("Reuse these settings")
                recipe = gr.JSON(label="Recipe", open=False)
        with gr.Accordion("History", open=True):
            gallery = gr.Gallery(label="Past videos", columns=6, height=260, object_fit="cover", allow_preview=False, preview=False, elem_id="i2v-history")
            with gr.Row():
                refresh_btn = gr.Button("Refresh history")
                delete_btn = gr.Button("Delete selected video", variant="stop")

        inputs = [image, prompt, negative, resolution, frames, fps, steps, guidance, seed, scheduler]
        run = generate_btn.click(
            submit_and_follow, inputs, [job_id, progress, preview, video, download, recipe],
            api_name="generate", concurrency_limit=None,
        )
        run.then(refresh_history, None, [gallery, history_ids])
        cancel_btn.click(cancel, job_id, None, api_name="cancel", concurrency_limit=None)
        dice_btn.click(dice, None, seed, api_name=False)
        reuse_btn.click(reuse, recipe, [image, prompt, negative, resolution, frames, fps, steps, guidance, seed, scheduler], api_name=False)
        refresh_btn.click(refresh_history, None, [gallery, history_ids], api_name=False)
        gallery.select(pick, history_ids, [job_id, video, download, recipe, progress], api_name=False)
        delete_btn.click(delete, job_id, [gallery, history_ids, job_id, video, download, recipe, progress], api_name=False)
        timer = gr.Timer(2.0)
        timer.tick(lambda: model_status_md(services), None, status, api_name=False, show_progress="hidden")
        ui.load(refresh_history, None, [gallery, history_ids], api_name=False)
    return ui
