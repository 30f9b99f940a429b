"""What the job table holds, as plain values (`Job`, `WorkerRow`), and the errors its writes raise.

Kept apart from the store so that front ends can show a job and catch a refusal without reaching
the database: the web layer imports this module, never `i2v.jobs.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from i2v.errors import Busy, Conflict, NotFound
from i2v.jobs.status import JobStatus


@dataclass(frozen=True)
class Job:
    """One generation job as stored. Times are unix seconds; `position` is None unless queued."""

    id: str
    status: JobStatus
    client: str
    request: dict
    image: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    attempts: int
    step: int
    total: int
    eta_s: float | None
    error: str | None
    result: dict | None
    cancel_requested: bool
    position: int | None
    entry: str | None = None  # archive stem the running (or last) attempt writes to
    worker: str | None = None  # the remote worker that runs (or ran) it; None in-process
    lease: str | None = None  # that worker's lease token (kept after the job ends: a retried report is recognised)
    lease_expires: float | None = None  # unix time the lease runs out; None when no lease is held
    preview_step: int = 0  # the step the stored preview shows


@dataclass(frozen=True)
class WorkerRow:
    """One GPU worker process as the roster knows it. Times are unix seconds."""

    id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]
    loaded_model: str | None
    job_id: str | None
    started_at: float
    last_seen: float


class QueueFull(Busy):
    """The queue (or this client's share of it) is full. The message is written for the user."""


class IllegalTransition(Conflict):
    """The job is not in a state that allows the requested change. The message names both states."""


class LeaseLost(IllegalTransition):
    """A remote worker wrote to a job it no longer holds (its lease ran out and the job moved on)."""


class WorkerNameTaken(Conflict):
    """Another live worker process already goes by this name. The message is one line for the
    operator; `holder` is that worker's row."""

    def __init__(self, message: str, holder: WorkerRow) -> None:
        super().__init__(message)
        self.holder = holder


class JobNotFound(NotFound):
    """No job has this id (it never existed, or it was deleted)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "job not found"
