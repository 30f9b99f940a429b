"""Leases: how a GPU worker on another machine holds the job it runs.

A remote worker's claim gives it a token and an expiry; its heartbeats and progress reports push
the expiry forward, and every write it makes names the token (`JobStore`'s writes take `lease=`),
so a worker that lost its job (lease ran out, the job was re-queued and claimed by another) can no
longer touch it. `expire` puts right the jobs whose lease ran out; `extend_all` gives workers that
kept running while the server was down time to reconnect. The in-process worker takes no lease.
"""

from __future__ import annotations

import secrets
import time

from i2v.db import Database
from i2v.jobs.records import IllegalTransition, Job
from i2v.jobs.status import JobStatus
from i2v.jobs.transitions import RELEASED, fetch, times, transition, update


class JobLeases:
    """The lease columns of the jobs table (see `i2v.jobs.store.JOB_TABLES`), on the job store's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, job_id: str, *, worker: str, lease_s: float) -> Job:
        """A remote worker's claim of one job: queued → running (attempts + 1) under a new lease
        token that runs out `lease_s` seconds from now unless renewed; returns the job, whose
        `lease` every later write of that worker must name.

        Raises `JobNotFound`, or `IllegalTransition` when the job is not queued (already running,
        finished or cancelled): a redelivered message is then acknowledged and skipped, so one job
        never makes two videos."""
        if not lease_s > 0:
            raise ValueError(f"lease_s must be > 0, got {lease_s}")
        now = time.time()
        with self.db.writing() as conn:
            job = fetch(conn, job_id)
            if job.status is not JobStatus.QUEUED:
                where = f" on worker {job.worker}" if job.status is JobStatus.RUNNING and job.worker else ""
                raise IllegalTransition(f"Job {job_id} is {job.status}{where}; it cannot be claimed.")
            return transition(
                conn, job_id, {JobStatus.QUEUED}, JobStatus.RUNNING,
                attempts=job.attempts + 1, started_at=now, step=0, total=0, entry=None, worker=worker,
                lease=secrets.token_hex(12), lease_expires=now + lease_s, preview=None, preview_step=0,
            )

    def renew(self, job_id: str, lease: str, lease_s: float) -> Job:
        """Push a held job's lease `lease_s` seconds from now (a worker's heartbeat). Returns the job
        (its `cancel_requested` tells the worker to stop). Raises `LeaseLost`, `IllegalTransition`
        (the job is no longer running), `JobNotFound`."""
        with self.db.writing() as conn:
            update(conn, job_id, {JobStatus.RUNNING}, "renew its lease (only a running job can)", holder=lease,
                         lease_expires=time.time() + lease_s)
            return fetch(conn, job_id)

    def extend_all(self, lease_s: float) -> int:
        """Give every held lease at least `lease_s` seconds from now: called when a server starts, so
        workers that kept running while it was down have time to reconnect. Returns how many."""
        with self.db.writing() as conn:
            return conn.execute(
                "UPDATE jobs SET lease_expires = MAX(lease_expires, ?) WHERE status = 'running' AND lease_expires IS NOT NULL",
                (time.time() + lease_s,),
            ).rowcount

    def expire(self, *, max_attempts: int = 2, now: float | None = None) -> list[tuple[Job, str | None]]:
        """Put right the running jobs whose lease ran out (their worker died, hung or lost the
        network): cancelled if cancel was asked for, re-queued (attempt counted, in its old place)
        while fewer than `max_attempts` attempts were made, else failed with the reason. Returns
        (job as changed, the archive entry its lost attempt had reserved) pairs; removing that
        entry's files is the caller's. The lost worker can no longer write: its token is gone."""
        now = time.time() if now is None else now
        changed: list[tuple[Job, str | None]] = []
        with self.db.writing() as conn:
            rows = conn.execute(
                "SELECT id, attempts, cancel_requested, entry, worker FROM jobs "
                "WHERE status = 'running' AND lease_expires IS NOT NULL AND lease_expires < ? ORDER BY seq",
                (now,),
            ).fetchall()
            running = {JobStatus.RUNNING}
            for row in rows:
                released = {**RELEASED, "lease": None, "entry": None}
                if row["cancel_requested"]:
                    job = transition(conn, row["id"], running, JobStatus.CANCELLED, finished_at=now, eta_s=None,
                                           **released)
                elif row["attempts"] < max_attempts:
                    job = transition(conn, row["id"], running, JobStatus.QUEUED, started_at=None, step=0,
                                           total=0, eta_s=None, worker=None, preview_step=0, **released)
                else:
                    error = (f"The worker making this video stopped answering {times(row['attempts'])} (last: "
                             f"{row['worker'] or 'unknown'}); it was not retried again.")
                    job = transition(conn, row["id"], running, JobStatus.FAILED, error=error, finished_at=now,
                                           eta_s=None, **released)
                changed.append((job, row["entry"]))
        return changed
