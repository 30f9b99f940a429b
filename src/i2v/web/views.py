"""The API's views of jobs and workers: one JSON shape for every client, built from the job table,
the job service's waiting estimate and, with remote GPU workers, the roster.

Kept with the web layer (the queue knows no screen): `jobs/` holds jobs, this module says how they look.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from i2v.jobs.store import Job, JobStatus, WorkerRow

if TYPE_CHECKING:
    from i2v.jobs.broker import BrokerDispatcher
    from i2v.jobs.service import JobService
    from i2v.web.services import Services

API_PREFIX = "/api/v1"


class JobProgress(BaseModel):
    step: int
    total: int


class JobView(BaseModel):
    """A job as every client sees it (the HTTP API's JSON)."""

    id: str
    status: JobStatus
    position: int | None
    progress: JobProgress
    eta_s: float | None
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    request: dict[str, Any]
    recipe: dict[str, Any] | None
    video: str | None
    video_url: str | None
    thumbnail_url: str | None
    exports: dict[str, str] = {}  # export name ("gif", "sheet", …, "video") → download URL
    worker: str | None = None  # the GPU worker (another machine) that runs or ran the job; None on this server
    attempts: int = 0
    status_text: str | None = None  # why a queued job waits, e.g. "No worker for model tiny-wan is connected …"


class WorkerView(BaseModel):
    """One GPU worker process as `GET /api/v1/workers` shows it. `name` is unique among live workers
    (the server refuses a second live one), so it names one process; `id` is that process's own
    random id, never reused."""

    id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]
    model_loaded: str | None
    current_job: str | None  # None once the worker is gone: its job is re-queued, not held by it
    last_heartbeat: float  # unix time
    alive: bool  # heard from within I2V_LEASE_S; False: gone
    started_at: float


def job_view(jobs: JobService, job: Job, broker: BrokerDispatcher | None = None,
             workers: list[WorkerRow] | None = None) -> JobView:
    """`job` as JSON. With remote GPU workers (`broker`), a queued job says why it waits when no
    worker can run it; `workers` (the live roster, read once for a page of jobs) may be passed in."""
    done = job.status == JobStatus.SUCCEEDED and bool(job.result)
    exports = (job.result or {}).get("exports") if done else None
    exports = exports if isinstance(exports, dict) else {}
    return JobView(
        id=job.id, status=job.status, position=job.position,
        progress=JobProgress(step=job.step, total=job.total or job.request.get("steps", 0)),
        eta_s=jobs.wait_seconds(job) if job.status == JobStatus.QUEUED else job.eta_s,
        error=job.error, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, request=job.request,
        recipe=job.result.get("recipe") if job.result else None,
        video=job.result.get("video") if job.result else None,
        video_url=f"{API_PREFIX}/jobs/{job.id}/video" if done else None,
        thumbnail_url=f"{API_PREFIX}/jobs/{job.id}/thumbnail" if done else None,
        exports={name: f"{API_PREFIX}/jobs/{job.id}/exports/{name}" for name in exports},
        worker=job.worker, attempts=job.attempts,
        status_text=broker.waiting_reason(job, workers) if broker is not None else None,
    )


def job_views(services: Services, jobs: list[Job]) -> list[JobView]:
    workers = services.broker.live_workers() if services.broker is not None else None
    return [job_view(services.jobs, job, services.broker, workers) for job in jobs]


def worker_views(services: Services) -> list[WorkerView]:
    if services.broker is None:
        return []
    alive_since = time.time() - services.settings.lease_s
    return [WorkerView(id=w.id, name=w.name, gpu=w.gpu, family=w.family, models=w.models, model_loaded=w.loaded_model,
                       current_job=w.job_id if w.last_seen >= alive_since else None, last_heartbeat=w.last_seen,
                       alive=w.last_seen >= alive_since, started_at=w.started_at)
            for w in services.store.workers()]
