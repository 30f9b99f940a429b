"""The API's views of jobs and workers: one JSON shape for every client, built from the job table,
the job service's waiting estimate and, with remote GPU workers, the roster.

Kept with the web layer (the queue knows no screen): `jobs/` holds jobs, this module says how they look.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING


from i2v.jobs.records import Job, WorkerRow
from i2v.jobs.status import JobStatus
from i2v.web.schemas import JobProgress, JobView, WorkerView

if TYPE_CHECKING:
    from i2v.jobs.broker import BrokerDispatcher
    from i2v.jobs.service import JobService
    from i2v.web.services import Services

API_PREFIX = "/api/v1"


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
            for w in services.store.roster.workers()]
