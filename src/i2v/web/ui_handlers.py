"""What the Create tab's buttons (and the page's model line) do, as named functions.

`CreateActions` holds the services; its methods are what the events call (bound methods, so
Gradio still sees the `gr.Request` parameter that tells whose job it is). Each returns plain values
or `gr.update`s, so it can be called and checked without a browser.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from i2v.archive import ArchivePathError
from i2v.errors import I2VError, user_message
from i2v.jobs.ownership import NotYourJob
from i2v.jobs.records import JobNotFound
from i2v.jobs.status import FINISHED, JobStatus
from i2v.request import MAX_SEED
from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui_firstrun import BLOCKING, first_run_html, generate_allowed
from i2v.engine.registry import spec_or_default
from i2v.web.ui_models import model_info_md
from i2v.web.ui_settings import STEP_SLIDER_MIN, limits_updates, settings_limits
from i2v.web.model_state import model_report
from i2v.web.ui_draft import device_of
from i2v.web.ui_status import model_status_md, progress_html
from i2v.web.ui_studio import user_error

POLL_S = 0.5
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


def client_of(request: gr.Request | None) -> str:
    """Who is asking, as the job service records it: the browser's address (as the API uses)."""
    return request.client.host if request is not None and request.client is not None else "ui"


def job_fields(prompt: str | None, negative_prompt: str | None, resolution: str, frames: float, fps: float, steps: float,
               guidance: float, seed: float | None, scheduler: str, quality: str) -> dict[str, Any]:
    """The request fields from the controls. A seed that is blank, negative or not a finite number means random."""
    fields: dict[str, Any] = {
        "prompt": prompt or "", "negative_prompt": negative_prompt or "", "resolution": resolution,
        "frames": frames, "fps": fps, "steps": steps, "guidance": guidance, "scheduler": scheduler, "quality": quality,
    }
    if seed not in (None, "") and math.isfinite(float(seed)) and float(seed) >= 0:
        fields["seed"] = int(seed)
    return fields


def hidden() -> dict[str, Any]:
    return gr.update(visible=False)


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


class CreateActions:
    """The Create tab's and the page's actions, over one set of services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def submit_and_follow(self, image_path: str | None, prompt: str | None, negative_prompt: str | None,
                          resolution: str, frames: float, fps: float, steps: float, guidance: float, seed: float | None,
                          scheduler: str, quality: str, lang: str = "en", model: str | None = None,
                          end_image_path: str | None = None,
                          request: gr.Request = None) -> Iterator[tuple[Any, ...]]:
        """Queue a job with the picked `model` (the server's default when None) and, when given, an
        end picture, then stream its state until it ends (the `generate` API endpoint).

        Yields (job id, progress HTML, live preview, video, download button, recipe). The preview shows
        only while a job runs. Raises `gr.Error` with the reason when the job cannot be queued.
        """
        if not image_path:
            raise user_error(t("ui.need_picture", lang))
        chosen = model or self.services.settings.model
        if not generate_allowed(self.services.host.status_of(chosen) if model else self.services.host.status):
            raise user_error(t("ui.generate.off", lang))
        fields = job_fields(prompt, negative_prompt, resolution, frames, fps, steps, guidance, seed, scheduler, quality)
        if model and model != self.services.settings.model:
            fields["model"] = model
        jobs = self.services.jobs
        try:
            keyframes = [(1.0, Path(end_image_path).read_bytes())] if end_image_path else []
            warnings: list[str] = []
            job = jobs.submit(Path(image_path).read_bytes(), fields, client_of(request), keyframes, warnings)
        except I2VError as exc:  # bad input, a full queue or disk: one sentence, whatever the kind
            raise user_error(user_message(exc)) from None
        for warning in warnings:
            gr.Warning(warning)
        last_step = -1
        while True:
            job = jobs.get(job.id)
            if job.status in FINISHED:
                break
            live = self.services.dispatcher.live(job.id)
            preview: Any = gr.skip()
            if live is not None and live.preview is not None and live.preview_step != last_step:
                preview, last_step = gr.update(value=live.preview, visible=True), live.preview_step
            wait = jobs.wait_seconds(job) if job.status == JobStatus.QUEUED else None
            broker = self.services.broker
            reason = broker.waiting_reason(job) if broker is not None else None
            yield job.id, progress_html(job, lang=lang, wait_s=wait, waiting_reason=reason), preview, gr.skip(), gr.skip(), gr.skip()
            time.sleep(POLL_S)
        if job.status != JobStatus.SUCCEEDED:
            yield job.id, progress_html(job, lang=lang), hidden(), None, gr.DownloadButton(visible=False), None
            return
        video = str(jobs.video_file(job))
        yield job.id, progress_html(job, lang=lang), hidden(), video, gr.DownloadButton(value=video, visible=True), job.result["recipe"]

    def cancel_job(self, job_id: str | None, request: gr.Request) -> None:
        """Cancel the job this page queued (only its computer or the operator may). Raises gr.Error otherwise."""
        if not job_id:
            return
        try:
            self.services.jobs.cancel(job_id, client_of(request))
        except JobNotFound:
            pass
        except NotYourJob as exc:
            raise user_error(str(exc)) from None

    def cancel_button(self, job_id: str | None) -> dict[str, Any]:
        """Cancel is shown only while this page's job is queued or running."""
        try:
            active = bool(job_id) and self.services.jobs.get(job_id).status in ACTIVE
        except JobNotFound:
            active = False
        return gr.update(visible=active)

    def progress_in_language(self, job_id: str | None, lang: str) -> str:
        """The status panel redrawn after a language switch."""
        return progress_html(self.services.jobs.get(job_id) if job_id else None, lang=lang)

    def recipe_controls(self, recipe: dict[str, Any], lang: str = "en") -> tuple[Any, ...]:
        """A recipe's picture (if still in the archive), prompts, settings and model, in the order of
        `CreateTab.reuse_targets()`: picture, prompt, negative, resolution, frames, fps, steps,
        guidance, seed, scheduler, quality, model, model info. The settings come with the ranges of
        the recipe's model family (when this server still offers that model; else the default's).
        A missing picture leaves the current one (gr.skip)."""
        req = recipe["request"]
        try:
            entry = self.services.archive.entry_for(recipe["video"])
            picture: Any = str(entry.input_image) if entry.input_image.exists() else gr.skip()
        except (ArchivePathError, KeyError):
            picture = gr.skip()
        offered = {choice.id for choice in self.services.jobs.models()}
        recorded = req.get("model") or (recipe.get("model") or {}).get("id")
        model = recorded if recorded in offered else self.services.settings.model
        resolution, frames, fps, steps, guidance, scheduler, quality = limits_updates(
            settings_limits(spec_or_default(model)), lang)
        values = (req["resolution"], req["frames"], req["fps"], max(req["steps"], STEP_SLIDER_MIN), req["guidance"],
                  req["scheduler"], req.get("quality", "standard"))
        ranged = [{**update, "value": value} for update, value in
                  zip((resolution, frames, fps, steps, guidance, scheduler, quality), values, strict=True)]
        return (picture, req["prompt"], req["negative_prompt"], ranged[0], ranged[1], ranged[2], ranged[3], ranged[4],
                req["seed"], ranged[5], ranged[6], model, model_info_md(self.services, model, lang))

    def model_state(self, lang: str, shown: tuple[str, ...] | None = None) -> list[Any]:
        """The header's model line, the first-run panel, its "Check again" button, Generate and the
        reason it is off, plus the state now shown. Every output is skipped when nothing changed, so
        the 2-second timer costs the page nothing."""
        status = self.services.host.status
        report = model_report(self.services)  # the header's state, the one /api/v1/health reports
        key = (str(status.state), status.detail, str(report.state), report.model, report.detail, lang)
        if key == shown:
            return [gr.skip()] * 6
        panel = first_run_html(status, self.services.settings, lang, device=device_of(self.services, None))
        allowed = generate_allowed(status)
        return [
            model_status_md(self.services, lang),
            gr.update(value=panel, visible=bool(panel)),
            gr.update(visible=bool(panel)),
            gr.update(interactive=allowed),
            gr.update(value=t("ui.generate.off", lang), visible=not allowed),
            key,
        ]

    def check_model_again(self) -> None:
        """Retry loading the model in the background (after a download or a copy); the timer shows the outcome."""
        if self.services.host.status.state in BLOCKING:
            self.services.host.start_background_load()
