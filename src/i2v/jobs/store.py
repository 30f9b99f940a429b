"""The job table: the single source of truth about generation jobs, kept in one SQLite file.

HTTP handlers and the UI create, read and cancel jobs from many threads while a worker claims and
finishes them: the server's own worker thread, or GPU workers on other machines (through the
server's worker API). The process may be killed at any moment, so every change is one committed
transaction and `recover()` puts jobs left running by a dead process back in order at start-up.

A remote worker holds its job by a lease (`i2v.jobs.leases.JobLeases`, the store's `leases`): every
write it makes here names the lease's token, so a worker that lost its job can no longer touch it.
The state machine those writes go through is `i2v.jobs.transitions`, shared by both. The same file
also holds the roster of workers (`workers` table, `i2v.jobs.roster.WorkerRoster`, the store's
`roster`) and each running job's latest preview picture (stored progress, so any server process
can show it).

A full disk must not take reading down with writing: see `JobStore` on the connection it keeps open
and on starting read-only.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager, closing
from pathlib import Path
from typing import Any

from i2v.db import (  # noqa: F401  (StoreUnavailable, immediate, is_storage_failure: re-exported for callers)
    BUSY_TIMEOUT_MS,
    REOPEN_EVERY_S,
    Database,
    StoreUnavailable,
    TableSet,
    immediate,
    is_storage_failure,
)
from i2v.jobs.records import (  # noqa: F401  (the records and errors: re-exported for callers)
    IllegalTransition,
    Job,
    JobNotFound,
    LeaseLost,
    QueueFull,
    WorkerNameTaken,
    WorkerRow,
)
from i2v.jobs.leases import JobLeases
from i2v.jobs.roster import WorkerRoster
from i2v.jobs.status import FINISHED, JobStatus
from i2v.jobs.transitions import RELEASED, SELECT_JOB, fetch, row_to_job, times, transition, update

log = logging.getLogger(__name__)
# 1: the first table. 2: `entry`, the archive entry (stem) the running attempt writes its video to,
#    so recovery after a crash can adopt or remove exactly what that attempt left.
# 3: leases (`worker`, `lease`, `lease_expires`), the stored preview (`preview`, `preview_step`) and
#    the `workers` roster, for GPU workers on other machines.
SCHEMA_VERSION = 3

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order, never reused (even after delete)
    id               TEXT    NOT NULL UNIQUE,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    client           TEXT    NOT NULL,
    request          TEXT    NOT NULL,                   -- JSON object
    image            TEXT    NOT NULL,
    created_at       REAL    NOT NULL,
    started_at       REAL,
    finished_at      REAL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    step             INTEGER NOT NULL DEFAULT 0,
    total            INTEGER NOT NULL DEFAULT 0,
    eta_s            REAL,
    error            TEXT,
    result           TEXT,                               -- JSON object or NULL
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    entry            TEXT,                               -- archive stem of the running attempt (v2)
    worker           TEXT,                               -- name of the remote worker that runs (ran) it (v3)
    lease            TEXT,                               -- that worker's lease token; NULL in-process (v3)
    lease_expires    REAL,                               -- unix time the lease runs out unless renewed (v3)
    preview          BLOB,                               -- latest live preview (small PNG) while running (v3)
    preview_step     INTEGER NOT NULL DEFAULT 0          -- the step that preview shows (v3)
)""",
    "CREATE INDEX IF NOT EXISTS jobs_status_seq ON jobs (status, seq)",
    "CREATE INDEX IF NOT EXISTS jobs_client_status ON jobs (client, status)",
    """
CREATE TABLE IF NOT EXISTS workers (
    id           TEXT PRIMARY KEY,                       -- random, one per worker process
    name         TEXT NOT NULL,
    gpu          TEXT,
    family       TEXT NOT NULL,                          -- the model family (queue) it serves
    models       TEXT NOT NULL,                          -- JSON list of the models it may load
    loaded_model TEXT,
    job_id       TEXT,                                   -- the job it runs now
    started_at   REAL NOT NULL,
    last_seen    REAL NOT NULL
)""",
)
# Columns added after version 1, with their types: the migration adds whichever a file lacks.
_ADDED_COLUMNS = {"entry": "TEXT", "worker": "TEXT", "lease": "TEXT", "lease_expires": "REAL", "preview": "BLOB",
                  "preview_step": "INTEGER NOT NULL DEFAULT 0"}


def _json(value: dict, what: str) -> str:
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, got {type(value).__name__}")
    # allow_nan=False: NaN/Infinity are not JSON, and browsers reading the API would choke on them.
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def _status_filter(statuses: Collection[JobStatus | str] | None) -> tuple[str, list[str]] | None:
    """SQL condition and parameters for a status filter; None means "no filter"."""
    if statuses is None:
        return None
    values = sorted({JobStatus(s).value for s in statuses})  # JobStatus() refuses unknown names
    if not values:
        return "0", []
    return f"j.status IN ({', '.join('?' * len(values))})", values


def _migrate_jobs(conn: sqlite3.Connection, version: int) -> None:
    """Bring the job tables from `version` to SCHEMA_VERSION (inside the database's write transaction)."""
    for statement in _SCHEMA:
        conn.execute(statement)
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(jobs)")}
    for name, kind in _ADDED_COLUMNS.items():  # 1 → 2: entry; 2 → 3: leases and the preview
        if name not in columns:
            conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
    # Files made before `schema_versions` kept the job schema in user_version; keep writing it, so an
    # older i2v opening this file still sees a job table it knows.
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _legacy_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


JOB_TABLES = TableSet("jobs", SCHEMA_VERSION, _migrate_jobs, legacy_version=_legacy_version)


class JobStore:
    """Jobs in one SQLite file, safe to share between threads and between processes.

    Each call opens its own short-lived connection and closes it before returning. Why not one
    locked connection: the guarantees (atomic claim, limits checked with the insert, guarded
    transitions) then come from SQLite's own locking (`BEGIN IMMEDIATE` takes the write lock before
    anything is read), so they hold for every thread *and* every process using the file, not just
    for callers that share a Python lock; readers in WAL mode never wait for the worker's writes;
    and no connection object is ever shared between threads. The cost, about a millisecond per
    write, is nothing next to making a video.

    Queue order is arrival order, the `seq` autoincrement column, rather than `created_at`: the
    same order when clocks behave, and still first-come-first-served when the wall clock steps back.

    Writers wait up to `BUSY_TIMEOUT_MS` for each other, then `sqlite3.OperationalError` is raised.
    `synchronous=FULL`: a job acknowledged to the user survives even a power cut, not just kill -9.

    A full disk. Reads in WAL mode need the WAL index (`-shm`), which SQLite deletes when the last
    connection closes and must re-create, at full size, on the next open: on a full disk that fails
    ("disk I/O error") and with it every read, health included. So the store keeps one idle
    connection open for its whole life (`_anchor`, never used for queries): the index then always
    exists, and reads keep working while writes fail with "database or disk is full". Started on a
    disk already full (after a clean stop nothing is left but the database file, whose content is
    then complete), the store comes up read-only: reads use an `immutable` snapshot of the file,
    `read_only` says why, writes fail, and each read tries the normal connection again (every
    `REOPEN_EVERY_S`) so the store leaves read-only mode by itself once space is freed.
    """

    def __init__(self, db_path: Path | Database) -> None:
        self.db = db_path if isinstance(db_path, Database) else Database(Path(db_path), what="the job table")
        self._path = self.db.path
        self.db.register(JOB_TABLES)
        self.roster = WorkerRoster(self.db)  # the workers table, in the same database and schema
        self.leases = JobLeases(self.db)  # remote workers' holds on their jobs

    @property
    def read_only(self) -> str | None:
        """Why the store is read-only (the disk is full or failing); None while it can write."""
        return self.db.read_only

    def close(self) -> None:
        """Release the database's anchor connection (SQLite then checkpoints and removes the WAL files)."""
        self.db.close()

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.db.writing()

    def _reading(self) -> closing[sqlite3.Connection]:
        return self.db.reading()

    # ---- reads -------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job with this id. Raises `JobNotFound`."""
        with self._reading() as conn:
            return fetch(conn, job_id)

    def list(
        self, *, limit: int = 20, offset: int = 0, statuses: Collection[JobStatus] | None = None
    ) -> list[Job]:
        """Jobs newest first (by arrival), optionally only those in `statuses`."""
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be >= 0, got limit={limit}, offset={offset}")
        where = _status_filter(statuses)
        sql, params = SELECT_JOB, []
        if where is not None:
            sql += f" WHERE {where[0]}"
            params += where[1]
        sql += " ORDER BY j.seq DESC LIMIT ? OFFSET ?"
        with self._reading() as conn:
            return [row_to_job(row) for row in conn.execute(sql, [*params, limit, offset])]

    def count(self, statuses: Collection[JobStatus] | None = None) -> int:
        """Number of jobs, optionally only those in `statuses`."""
        where = _status_filter(statuses)
        sql, params = "SELECT COUNT(*) FROM jobs j", []
        if where is not None:
            sql += f" WHERE {where[0]}"
            params = where[1]
        with self._reading() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def referenced_images(self) -> set[str]:
        """The stored upload names that some job (any status) still refers to."""
        with self._reading() as conn:
            return {row[0] for row in conn.execute("SELECT image FROM jobs")}

    def check_room(self, *, client: str, max_queued: int, max_per_client: int) -> None:
        """Raise `QueueFull` (user-facing message) if a new job from `client` would be refused now.

        A cheap read to run before any expensive work for a submission; `create` checks again,
        atomically with the insert, so this can only refuse early, never admit past a limit."""
        with self._reading() as conn:
            self._check_room(conn, client, max_queued, max_per_client)

    @staticmethod
    def _check_room(conn: sqlite3.Connection, client: str, max_queued: int, max_per_client: int) -> None:
        queued = conn.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
        if queued >= max_queued:
            raise QueueFull(f"The queue is full ({queued} jobs waiting). Try again when a job finishes.")
        mine = conn.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND client = ?", (client,)).fetchone()[0]
        if mine >= max_per_client:
            videos = "video" if mine == 1 else "videos"
            raise QueueFull(
                f"You already have {mine} {videos} waiting, the most one person may queue. "
                "Wait until one of them starts, or cancel one, then try again."
            )

    def is_cancel_requested(self, job_id: str) -> bool:
        """Whether someone asked to cancel this running job. Raises `JobNotFound`."""
        with self._reading() as conn:
            row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"No job with id {job_id!r}.")
        return bool(row[0])

    # ---- commands ----------------------------------------------------------------------------

    def create(
        self, *, request: dict, image: str, client: str, max_queued: int, max_per_client: int,
        eta_s: float | None = None,
    ) -> Job:
        """Queue a new job, or raise `QueueFull` (user-facing message) if either limit is reached.

        `eta_s` is the estimated run time before it starts (None: unknown); it stays until the
        running job reports a measured ETA.

        Both limits count *queued* jobs only (the running one is not waiting). They are checked
        and the row inserted in one `BEGIN IMMEDIATE` transaction, so concurrent creates, from
        any thread or process, can never together exceed a limit.
        """
        if max_queued < 1 or max_per_client < 1:
            raise ValueError(f"limits must be >= 1, got max_queued={max_queued}, max_per_client={max_per_client}")
        request_json = _json(request, "request")
        if eta_s is not None and not eta_s >= 0:  # also refuses NaN
            raise ValueError(f"eta_s must be None or >= 0 seconds, got {eta_s}")
        with self._writing() as conn:
            self._check_room(conn, client, max_queued, max_per_client)
            job_id = secrets.token_hex(8)
            conn.execute(
                "INSERT INTO jobs (id, status, client, request, image, created_at, eta_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, JobStatus.QUEUED.value, client, request_json, image, time.time(), eta_s),
            )
            return fetch(conn, job_id)

    def claim_next(self) -> Job | None:
        """Atomically move the oldest queued job to running (attempts + 1) and return it; None if none.

        Two workers (threads or processes) can never claim the same job.
        """
        with self._writing() as conn:
            row = conn.execute(
                "SELECT id, attempts FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            return transition(
                conn,
                row["id"],
                {JobStatus.QUEUED},
                JobStatus.RUNNING,
                attempts=row["attempts"] + 1,
                started_at=time.time(),
                step=0,
                total=0,
                entry=None,
                worker=None,
                lease=None,
                preview_step=0,
                **RELEASED,
            )

    def set_entry(self, job_id: str, entry: str, *, lease: str | None = None) -> None:
        """Record the archive entry (stem) the running attempt writes its video to, before it writes
        anything there, so `recover` can later tell whose files they are. Running jobs only (held
        with `lease`, when given)."""
        if not entry or entry != entry.strip():
            raise ValueError(f"bad archive entry {entry!r}")
        with self._writing() as conn:
            update(conn, job_id, {JobStatus.RUNNING}, "record its archive entry (only a running job can)",
                         holder=lease, entry=entry)

    def update_progress(self, job_id: str, step: int, total: int, eta_s: float | None, *, preview: bytes | None = None,
                        lease: str | None = None, lease_s: float | None = None) -> Job | None:
        """Record denoising progress (`0 <= step <= total`, `eta_s` seconds or None) of a running job,
        with its live `preview` (a small PNG, see `i2v.jobs.previews`) when given. A remote worker
        names its `lease`, which this also renews for `lease_s` seconds, and gets the job back (its
        `cancel_requested` is the stop signal).

        Raises `IllegalTransition` if the job is not running, `LeaseLost`, `ValueError` for impossible numbers.
        """
        if not 0 <= step <= total:
            raise ValueError(f"progress must satisfy 0 <= step <= total, got step={step}, total={total}")
        if eta_s is not None and not eta_s >= 0:  # also refuses NaN
            raise ValueError(f"eta_s must be None or >= 0 seconds, got {eta_s}")
        fields: dict[str, Any] = {"step": step, "total": total, "eta_s": eta_s}
        if preview is not None:
            fields.update(preview=preview, preview_step=step)
        if lease is not None and lease_s is not None:
            fields["lease_expires"] = time.time() + lease_s
        with self._writing() as conn:
            update(conn, job_id, {JobStatus.RUNNING}, "record progress (only a running job can)", holder=lease,
                         **fields)
            return fetch(conn, job_id) if lease is not None else None

    def preview(self, job_id: str) -> tuple[bytes | None, int]:
        """The running job's latest stored preview (PNG bytes, or None) and the step it shows."""
        with self._reading() as conn:
            row = conn.execute("SELECT preview, preview_step FROM jobs WHERE id = ? AND status = 'running'",
                               (job_id,)).fetchone()
        return (None, 0) if row is None else (row[0], row[1])

    def succeed(self, job_id: str, result: dict, *, lease: str | None = None) -> Job:
        """Running → succeeded, storing `result` (a JSON-able dict, e.g. the video's archive name)."""
        result_json = _json(result, "result")
        with self._writing() as conn:
            return transition(
                conn, job_id, {JobStatus.RUNNING}, JobStatus.SUCCEEDED, holder=lease,
                result=result_json, finished_at=time.time(), eta_s=None, error=None, **RELEASED,
            )

    def update_result(self, job_id: str, changes: dict) -> Job:
        """Merge `changes` (JSON-able) into a succeeded job's result, key by key, in one transaction,
        so two concurrent updates never lose each other's keys. Raises `IllegalTransition` for a job
        that has not succeeded, `JobNotFound`."""
        _json(changes, "changes")
        with self._writing() as conn:
            job = fetch(conn, job_id)
            result = _json({**(job.result or {}), **changes}, "result")
            update(conn, job_id, {JobStatus.SUCCEEDED}, "have its result changed (only a succeeded job can)",
                         result=result)
            return fetch(conn, job_id)

    def fail(self, job_id: str, error: str, *, lease: str | None = None) -> Job:
        """Running → failed. `error` is shown to the user: plain language, no traceback."""
        with self._writing() as conn:
            return transition(
                conn, job_id, {JobStatus.RUNNING}, JobStatus.FAILED, holder=lease,
                error=error, finished_at=time.time(), eta_s=None, **RELEASED,
            )

    def cancel(self, job_id: str) -> Job:
        """A user's cancel: queued → cancelled at once; running → `cancel_requested` is set and the
        worker ends the job with `mark_cancelled`; finished → returned unchanged (idempotent).

        Raises `JobNotFound`. Checking an owner is the caller's job: this cancels exactly `job_id`.
        """
        with self._writing() as conn:
            job = fetch(conn, job_id)
            if job.status is JobStatus.QUEUED:
                return transition(
                    conn, job_id, {JobStatus.QUEUED}, JobStatus.CANCELLED, finished_at=time.time()
                )
            if job.status is JobStatus.RUNNING:
                update(conn, job_id, {JobStatus.RUNNING}, "be asked to cancel", cancel_requested=1)
                return fetch(conn, job_id)
            return job

    def mark_cancelled(self, job_id: str, *, lease: str | None = None) -> Job:
        """Running → cancelled; the worker calls this once it has stopped the job."""
        with self._writing() as conn:
            return transition(
                conn, job_id, {JobStatus.RUNNING}, JobStatus.CANCELLED, holder=lease, finished_at=time.time(),
                eta_s=None, **RELEASED,
            )

    def recover(self, *, max_attempts: int = 2, finished: Mapping[str, dict] | None = None,
                include_leased: bool = True) -> list[Job]:
        """Put right the jobs a dead process left running. Call once at start-up, before the worker
        starts and while no other process uses this file (it cannot tell a dead worker from a live one).
        With `include_leased` False, jobs held by remote workers (a lease) are left alone: they may
        still be running elsewhere, and `JobLeases.expire` deals with them if not (those in `finished`
        are adopted all the same).

        A job in `finished` (id → result) had made its video before the process died: it becomes
        succeeded with that result. Otherwise a job whose cancel had been asked for becomes
        cancelled; one with fewer than `max_attempts` attempts goes back to queued, in its old place
        (the front), its `entry` cleared; the rest become failed with a message for the user.
        Deciding which videos are finished, and removing what the others left, is the caller's
        (it knows the archive; see `i2v.jobs.recovery`). Queued and finished jobs are untouched;
        nothing is deleted. Returns the jobs it changed, oldest first.
        """
        finished = dict(finished or {})
        results = {job_id: _json(result, "result") for job_id, result in finished.items()}
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        now = time.time()
        touched: list[Job] = []
        with self._writing() as conn:
            rows = [row for row in conn.execute(
                "SELECT id, attempts, cancel_requested, lease_expires FROM jobs WHERE status = 'running' ORDER BY seq")
                if include_leased or row["lease_expires"] is None or row["id"] in results]
            running = {JobStatus.RUNNING}
            for row in rows:
                if row["id"] in results:
                    job = transition(conn, row["id"], running, JobStatus.SUCCEEDED, result=results[row["id"]],
                                           finished_at=now, eta_s=None, error=None, **RELEASED)
                elif row["cancel_requested"]:
                    job = transition(conn, row["id"], running, JobStatus.CANCELLED, finished_at=now, eta_s=None,
                                           **RELEASED)
                elif row["attempts"] < max_attempts:
                    job = transition(
                        conn, row["id"], running, JobStatus.QUEUED,
                        started_at=None, step=0, total=0, eta_s=None, entry=None, worker=None, lease=None,
                        preview_step=0, **RELEASED,
                    )
                else:
                    error = (
                        f"The server stopped {times(row['attempts'])} while making this video; "
                        "it was not retried again."
                    )
                    job = transition(
                        conn, row["id"], running, JobStatus.FAILED, error=error, finished_at=now, eta_s=None, **RELEASED
                    )
                touched.append(job)
        return touched

    def delete(self, job_id: str) -> Job:
        """Remove a finished job's row and return it (the caller removes its files).

        Raises `IllegalTransition` for a queued or running job (cancel it first), `JobNotFound`.
        """
        with self._writing() as conn:
            job = fetch(conn, job_id)
            if job.status not in FINISHED:
                raise IllegalTransition(
                    f"Job {job_id} is {job.status}; it cannot be deleted until it has finished. Cancel it first."
                )
            conn.execute("DELETE FROM jobs WHERE id = ? AND status IN ('succeeded', 'failed', 'cancelled')", (job_id,))
            return job
