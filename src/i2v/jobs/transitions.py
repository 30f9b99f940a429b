"""The job state machine, applied inside a caller's open write transaction.

Every change of a job's row goes through `update` (a guarded `UPDATE`: only from the statuses
named, only by the lease holder when one is named) and every change of its status through
`transition` (which also refuses a move `LEGAL_MOVES` does not allow). The job store and the lease
book both write jobs, on one database; sharing these functions, rather than each writing its own
`UPDATE`, keeps one set of guards for both.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from typing import Any

from i2v.jobs.records import IllegalTransition, Job, JobNotFound, LeaseLost
from i2v.jobs.status import LEGAL_MOVES, JobStatus

# Columns `update` may set; keeps keyword names from ever reaching SQL unchecked.
UPDATABLE = frozenset(
    {"status", "started_at", "finished_at", "attempts", "step", "total", "eta_s", "error", "result", "cancel_requested",
     "entry", "worker", "lease", "lease_expires", "preview", "preview_step"}
)
# What a finished or re-queued job no longer needs: its lease and its preview.
RELEASED = {"lease_expires": None, "preview": None}

# `position` is computed on read: the job's 1-based place among queued jobs, oldest (lowest seq) first.
# Every column but the preview picture, which only `JobStore.preview()` reads.
SELECT_JOB = """
SELECT j.seq, j.id, j.status, j.client, j.request, j.image, j.created_at, j.started_at, j.finished_at, j.attempts,
       j.step, j.total, j.eta_s, j.error, j.result, j.cancel_requested, j.entry, j.worker, j.lease, j.lease_expires,
       j.preview_step,
       CASE WHEN j.status = 'queued'
            THEN (SELECT COUNT(*) FROM jobs q WHERE q.status = 'queued' AND q.seq <= j.seq)
       END AS position
FROM jobs j
"""


def times(n: int) -> str:
    """'once', 'twice', 'N times': for messages about attempts."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def row_to_job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        status=JobStatus(row["status"]),
        client=row["client"],
        request=json.loads(row["request"]),
        image=row["image"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempts=row["attempts"],
        step=row["step"],
        total=row["total"],
        eta_s=row["eta_s"],
        error=row["error"],
        result=None if row["result"] is None else json.loads(row["result"]),
        cancel_requested=bool(row["cancel_requested"]),
        position=row["position"],
        entry=row["entry"],
        worker=row["worker"],
        lease=row["lease"],
        lease_expires=row["lease_expires"],
        preview_step=row["preview_step"],
    )


def fetch(conn: sqlite3.Connection, job_id: str) -> Job:
    """The job with this id, as the connection sees it now. Raises `JobNotFound`."""
    row = conn.execute(SELECT_JOB + " WHERE j.id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"No job with id {job_id!r}.")
    return row_to_job(row)


def update(
    conn: sqlite3.Connection, job_id: str, allowed_from: Collection[JobStatus], refused: str, *,
    holder: str | None = None, **fields: Any,
) -> None:
    """`UPDATE … WHERE id = ? AND status IN allowed_from [AND lease = holder]`, inside the caller's
    write transaction.

    Raises `JobNotFound` if no such id, `IllegalTransition` (naming the job, its status and
    `refused`, the change that was asked for) if the job is in any other status, `LeaseLost` if
    `holder` (a lease token) is given and the job is no longer held with it.
    """
    unknown = fields.keys() - UPDATABLE
    if unknown or not fields or not allowed_from:
        raise ValueError(f"bad update of job {job_id}: fields {sorted(fields)}, from {sorted(allowed_from)}")
    sources = sorted(JobStatus(s).value for s in allowed_from)
    assignments = ", ".join(f"{name} = ?" for name in fields)
    held = " AND lease = ?" if holder is not None else ""
    cursor = conn.execute(
        f"UPDATE jobs SET {assignments} WHERE id = ? AND status IN ({', '.join('?' * len(sources))}){held}",
        [*fields.values(), job_id, *sources, *([holder] if holder is not None else [])],
    )
    if cursor.rowcount == 1:
        return
    row = conn.execute("SELECT status, lease FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"No job with id {job_id!r}.")
    if holder is not None and row[0] in sources and row[1] != holder:
        raise LeaseLost(f"Job {job_id} is no longer held by this worker (its lease ran out); it cannot {refused}.")
    raise IllegalTransition(f"Job {job_id} is {row[0]}; it cannot {refused}.")


def transition(
    conn: sqlite3.Connection, job_id: str, allowed_from: Collection[JobStatus], to: JobStatus, *,
    holder: str | None = None, **fields: Any,
) -> Job:
    """The only way a job's status changes (guarded by the lease `holder` names, when given).
    Returns the job as it is after the change."""
    for source in allowed_from:
        if to not in LEGAL_MOVES[JobStatus(source)]:
            raise ValueError(f"{source} -> {to} is not a legal move")  # a bug in the caller
    update(conn, job_id, allowed_from, f"become {to}", holder=holder, status=to.value, **fields)
    return fetch(conn, job_id)
