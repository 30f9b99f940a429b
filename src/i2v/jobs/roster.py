"""The roster of GPU workers on other machines: who is alive, on which GPU, with which model, on
which job. One row per worker process (`workers` table, in the job table's database and schema),
written by each heartbeat through the worker gateway, read by the broker (which families can run)
and by `GET /api/v1/workers`."""

from __future__ import annotations

import json
import sqlite3
import time

from i2v.db import Database
from i2v.jobs.records import WorkerNameTaken, WorkerRow


class WorkerRoster:
    """The workers table, on the job store's database (see `i2v.jobs.store.JOB_TABLES`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_worker(self, *, worker_id: str, name: str, gpu: str | None, family: str, models: list[str],
                      loaded_model: str | None, job_id: str | None, live_since: float | None = None) -> None:
        """A worker's heartbeat: insert or refresh its row (last seen now).

        With `live_since` (unix time), a name is one live process's: when another worker id with
        this name was seen at or after `live_since`, nothing is recorded and `WorkerNameTaken` is
        raised; rows of that name not seen since then (dead processes) are removed, so the name
        means the new process from now on. Check and write are one transaction, so of two workers
        that start together under one name exactly one gets it."""
        now = time.time()
        with self.db.writing() as conn:
            if live_since is not None:
                holder = conn.execute("SELECT * FROM workers WHERE name = ? AND id != ? AND last_seen >= ? "
                                      "ORDER BY last_seen DESC LIMIT 1", (name, worker_id, live_since)).fetchone()
                if holder is not None:
                    row = _worker_row(holder)
                    raise WorkerNameTaken(
                        f"the name {name!r} belongs to another worker that is running (id {row.id}, last heartbeat "
                        f"{max(0.0, now - row.last_seen):.0f} s ago). Give this worker another --name, or stop that one "
                        f"(if it has stopped already, the name is free in {max(0.0, row.last_seen - live_since):.0f} s)",
                        row)
                conn.execute("DELETE FROM workers WHERE name = ? AND id != ?", (name, worker_id))
            conn.execute(
                "INSERT INTO workers (id, name, gpu, family, models, loaded_model, job_id, started_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "gpu = excluded.gpu, family = excluded.family, models = excluded.models, "
                "loaded_model = excluded.loaded_model, job_id = excluded.job_id, last_seen = excluded.last_seen",
                (worker_id, name, gpu, family, json.dumps(models), loaded_model, job_id, now, now),
            )

    def workers(self, *, seen_since: float = 0.0) -> list[WorkerRow]:
        """Workers last seen at or after `seen_since` (unix time), most recently seen first."""
        with self.db.reading() as conn:
            rows = conn.execute("SELECT * FROM workers WHERE last_seen >= ? ORDER BY last_seen DESC", (seen_since,))
            return [_worker_row(r) for r in rows]

    def forget_workers(self, *, seen_before: float) -> int:
        """Remove workers not seen since `seen_before` (unix time); returns how many."""
        with self.db.writing() as conn:
            return conn.execute("DELETE FROM workers WHERE last_seen < ?", (seen_before,)).rowcount


def _worker_row(r: sqlite3.Row) -> WorkerRow:
    return WorkerRow(id=r["id"], name=r["name"], gpu=r["gpu"], family=r["family"], models=json.loads(r["models"]),
                     loaded_model=r["loaded_model"], job_id=r["job_id"], started_at=r["started_at"],
                     last_seen=r["last_seen"])
