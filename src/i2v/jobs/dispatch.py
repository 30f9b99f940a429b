"""How queued jobs reach a GPU: the dispatcher interface, and the routing rules both sides share.

The job table is the queue; a dispatcher only hands its jobs out. Two implementations:

* `i2v.jobs.worker.JobWorker` — one machine (I2V_BROKER unset): the server's own worker thread
  claims the oldest queued job from the table. No broker, no extra process.
* `i2v.jobs.broker.BrokerDispatcher` — several machines: each committed job's id is sent on a
  Dramatiq queue in Redis (one queue per model family), GPU worker processes
  (`i2v.jobs.remote_worker`) claim it through the server's worker API, and the dispatcher's sweep
  re-queues jobs whose lease ran out and re-sends jobs that sit queued without a message.

Both run the same worker step (`i2v.jobs.worker.JobRunner` around `GenerationService`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from i2v.engine.registry import spec_for
from i2v.jobs.previews import LivePreview
from i2v.jobs.store import Job

QUEUE_PREFIX = "i2v."


class Dispatcher(Protocol):
    """What the job service and the web layer need from whoever runs the jobs."""

    def start(self, recover: Callable[[], object] | None = None) -> None:
        """Begin handing out jobs. `recover`, when given, is start-up recovery that could not run
        yet (the job table was not writable): it is retried before any job is handed out."""

    def stop(self) -> None: ...

    def dispatch(self, job: Job) -> None:
        """`job` was just committed as queued: hand it out (never raises for a broker that is down;
        the job stays queued and is handed out later)."""

    def cancel(self, job_id: str) -> None:
        """Cancel was recorded for the running `job_id`: stop it within one denoising step."""

    def live(self, job_id: str) -> LivePreview | None:
        """The running job's latest preview (stored progress), or None."""

    def as_recorded(self, job: Job) -> Job:
        """`job` as it will be once an outcome still waiting to be written (full disk) is recorded."""

    @property
    def unrecorded(self) -> int:
        """How many finished jobs wait for the job table to take their outcome."""


def family_of(model: str) -> str:
    """The model family (`spec.family`) that runs `model`: "i2vgenxl", "wan", "ltx"."""
    return spec_for(model).family


def queue_name(family: str) -> str:
    """The broker queue a family's jobs are sent on, e.g. "i2v.wan": only workers of that family listen."""
    return QUEUE_PREFIX + family


def job_family(job: Job, default_model: str) -> str:
    return family_of(job.request.get("model") or default_model)


def time_limit_s(estimate_s: float | None, *, floor_s: float, ceiling_s: float, factor: float = 3.0) -> float:
    """How long a worker may spend on one job before it is stopped: `factor` × the job's own
    estimate (loading, a slow GPU and decoding vary), never less than `floor_s`; `ceiling_s` when
    the estimate is unknown or larger."""
    if estimate_s is None or not estimate_s > 0:
        return ceiling_s
    return min(ceiling_s, max(floor_s, factor * estimate_s))
