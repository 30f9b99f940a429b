"""The studio's status texts: the progress panel of a job and the model's state, in English or Chinese."""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

from i2v.engine.host import ModelState
from i2v.i18n import t
from i2v.jobs.status import JobStatus
from i2v.web.model_state import model_report

if TYPE_CHECKING:
    from i2v.web.services import Services


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_html(job, now: float | None = None, lang: str = "en", wait_s: float | None = None,
                  waiting_reason: str | None = None) -> str:
    """The progress panel: queue position (and `wait_s`, the estimated seconds until a queued job
    is done, when known; `waiting_reason` when no GPU worker can run it) while waiting, then a bar
    with step, elapsed and ETA, and which GPU worker runs it when it runs on another machine."""
    if job is None:
        return f"<div class='i2v-progress'>{t('ui.progress.idle', lang)}</div>"
    now = now or time.time()
    if job.status == JobStatus.QUEUED:
        ahead = (job.position or 1) - 1
        text = (t("ui.progress.next", lang, position=job.position) if ahead == 0
                else t("ui.progress.waiting", lang, ahead=ahead, position=job.position))
        if wait_s is not None:
            text += t("ui.progress.wait", lang, eta=_fmt_seconds(wait_s))
        if waiting_reason:
            text += f"<div class='i2v-note' data-waiting='no-worker'>{html.escape(waiting_reason)}</div>"
        return f"<div class='i2v-progress' data-status='queued'>{text}</div>"
    total = max(job.total, 1)
    percent = 100 * job.step / total
    elapsed = _fmt_seconds((job.finished_at or now) - (job.started_at or now))
    if job.status == JobStatus.RUNNING and job.step == 0:  # encoding the picture and prompt: no step, no rate yet
        return (f"<div class='i2v-progress' data-status='running' data-step='0'>{t('ui.progress.starting', lang)}"
                "<div class='i2v-bar i2v-bar-waiting'><div style='width:100%'></div></div></div>")
    label = {
        JobStatus.RUNNING: lambda: t("ui.progress.running", lang, step=job.step, total=job.total, elapsed=elapsed,
                                     eta=_fmt_seconds(job.eta_s)),
        JobStatus.SUCCEEDED: lambda: t("ui.progress.done", lang, elapsed=elapsed),
        JobStatus.CANCELLED: lambda: t("ui.progress.cancelled", lang),
        JobStatus.FAILED: lambda: t("ui.progress.failed", lang, error=html.escape(job.error or "?")),
    }[job.status]()
    worker = getattr(job, "worker", None)
    where = f"<div class='i2v-note' data-worker>{html.escape(t('ui.progress.worker', lang, worker=worker))}</div>" if worker else ""
    return (
        f"<div class='i2v-progress' data-status='{job.status}'>{label}"
        f"<div class='i2v-bar'><div style='width:{percent:.0f}%'></div></div>{where}</div>"
    )


def model_status_md(services: Services, lang: str = "en") -> str:
    """One line for the header: the model and its state, from the same report `/api/v1/health`
    gives (`model_report`); the first-run panel explains a missing one."""
    report = model_report(services)
    if report.state is ModelState.READY:
        where = (t("ui.model.where.workers", lang, count=len(report.workers)) if report.workers
                 else t("ui.model.where.local", lang, device=(report.device or "cpu").upper()))
        text = t("ui.model.ready", lang, model=report.model, where=where)
    elif report.state is ModelState.NOT_LOADED and services.broker is not None:
        text = t("ui.model.no_worker", lang, model=report.model)
    else:
        key = {
            ModelState.NOT_LOADED: "ui.model.not_loaded", ModelState.LOADING: "ui.model.loading",
            ModelState.MISSING: "ui.model.missing", ModelState.FAILED: "ui.model.failed",
        }[report.state]
        text = t(key, lang, model=report.model, detail=report.detail)  # str.format ignores unused fields
    if report.model.startswith("tiny"):
        text += t("ui.model.tiny", lang)
    return text
