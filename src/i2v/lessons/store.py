"""Lesson generation state in SQLite: which lessons are being made, and each scene's job.

The storyboard itself is the lesson file (JSON, in the archive); this table records only what
the batch needs to survive a restart: a lesson's state and who asked for it, and per scene the
fingerprint of what is being made, its job id and its outcome. Tables of their own (`lessons`,
`lesson_scenes`) in the server's database file, written only by this module; the job table is
read only through the job service.

Every change is one short `BEGIN IMMEDIATE` transaction on a fresh connection, as `JobStore`
does, so the feeder thread, HTTP handlers and the CLI can share the file.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from i2v.errors import NotFound
from i2v.jobs.store import immediate, is_storage_failure

log = logging.getLogger(__name__)
LessonState = Literal["draft", "generating", "assembling", "ready", "failed", "cancelled"]
SceneState = Literal["pending", "submitting", "submitted", "done", "failed", "cancelled"]
ACTIVE: tuple[LessonState, ...] = ("generating", "assembling")
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS lessons (
    id          TEXT PRIMARY KEY,
    client      TEXT NOT NULL,                 -- who made it (its scene jobs are queued as theirs)
    state       TEXT NOT NULL CHECK (state IN ('draft', 'generating', 'assembling', 'ready', 'failed', 'cancelled')),
    error       TEXT,
    note        TEXT,                          -- why it waits (e.g. the queue is full), for the teacher
    assembled   TEXT,                          -- digest of the storyboard the outputs were made from
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
)""",
    """
CREATE TABLE IF NOT EXISTS lesson_scenes (
    lesson_id    TEXT NOT NULL,
    scene_id     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,                -- what the clip is made from; a new one means a new clip
    state        TEXT NOT NULL CHECK (state IN ('pending', 'submitting', 'submitted', 'done', 'failed', 'cancelled')),
    job_id       TEXT,
    error        TEXT,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (lesson_id, scene_id)
)""",
    "CREATE INDEX IF NOT EXISTS lessons_state ON lessons (state)",
)


@dataclass(frozen=True)
class LessonRow:
    id: str
    client: str
    state: LessonState
    error: str | None
    note: str | None
    assembled: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class SceneRow:
    lesson_id: str
    scene_id: str
    fingerprint: str
    state: SceneState
    job_id: str | None
    error: str | None


class LessonNotFound(NotFound):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "lesson not found"


class LessonStore:
    def __init__(self, db_path: Path) -> None:
        self._path = Path(db_path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._schema_ready = False
        try:
            self._ensure_schema()
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            # A start on a full disk: the job store comes up read-only; lessons wait for space too.
            log.warning("lesson tables not ready yet (%s); they are made when the disk takes writes again", exc)

    def _ensure_schema(self) -> None:
        """Create the tables once (WAL, as the job store uses on this file); nothing when they exist."""
        if self._schema_ready:
            return
        with closing(self._connect()) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"lessons", "lesson_scenes"} <= names:
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode = WAL")
            with self._writing(ensure=False) as conn:
                for statement in _SCHEMA:
                    conn.execute(statement)
        self._schema_ready = True

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextmanager
    def _writing(self, ensure: bool = True) -> Iterator[sqlite3.Connection]:
        if ensure:
            self._ensure_schema()
        with closing(self._connect()) as conn, immediate(conn):
            yield conn

    # ---- lessons ----------------------------------------------------------------------------

    def create(self, lesson_id: str, client: str) -> LessonRow:
        now = time.time()
        with self._writing() as conn:
            conn.execute("INSERT INTO lessons (id, client, state, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?)",
                         (lesson_id, client, now, now))
            return self._lesson(conn, lesson_id)

    @staticmethod
    def _lesson(conn: sqlite3.Connection, lesson_id: str) -> LessonRow:
        row = conn.execute("SELECT * FROM lessons WHERE id = ?", (lesson_id,)).fetchone()
        if row is None:
            raise LessonNotFound(f"No lesson with id {lesson_id!r}.")
        return LessonRow(**dict(row))

    def get(self, lesson_id: str) -> LessonRow:
        with closing(self._connect()) as conn:
            return self._lesson(conn, lesson_id)

    def list(self, *, limit: int = 100) -> list[LessonRow]:
        """Newest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM lessons ORDER BY created_at DESC LIMIT ?", (limit,)).fetchall()
        return [LessonRow(**dict(row)) for row in rows]

    def ids(self) -> set[str]:
        with closing(self._connect()) as conn:
            return {row[0] for row in conn.execute("SELECT id FROM lessons")}

    def active(self) -> list[str]:
        """Lessons being generated or assembled, oldest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT id FROM lessons WHERE state IN ('generating', 'assembling') ORDER BY updated_at").fetchall()
        return [row[0] for row in rows]

    def set_state(self, lesson_id: str, state: LessonState, *, error: str | None = None,
                  assembled: str | None = None, only_from: tuple[LessonState, ...] | None = None) -> bool:
        """Move a lesson to `state` (clearing its note); with `only_from`, only from those states.
        Returns whether it moved. Raises LessonNotFound."""
        with self._writing() as conn:
            current = self._lesson(conn, lesson_id)
            if only_from is not None and current.state not in only_from:
                return False
            conn.execute(
                "UPDATE lessons SET state = ?, error = ?, note = NULL, assembled = COALESCE(?, assembled), "
                "updated_at = ? WHERE id = ?",
                (state, error, assembled, time.time(), lesson_id),
            )
            return True

    def set_note(self, lesson_id: str, note: str | None) -> None:
        with self._writing() as conn:
            conn.execute("UPDATE lessons SET note = ? WHERE id = ?", (note, lesson_id))

    def delete(self, lesson_id: str) -> None:
        with self._writing() as conn:
            conn.execute("DELETE FROM lesson_scenes WHERE lesson_id = ?", (lesson_id,))
            conn.execute("DELETE FROM lessons WHERE id = ?", (lesson_id,))

    # ---- scenes -----------------------------------------------------------------------------

    def scenes(self, lesson_id: str) -> dict[str, SceneRow]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT lesson_id, scene_id, fingerprint, state, job_id, error FROM lesson_scenes "
                                "WHERE lesson_id = ?", (lesson_id,)).fetchall()
        return {row["scene_id"]: SceneRow(**dict(row)) for row in rows}

    def scene_jobs(self) -> dict[str, str]:
        """Every job a lesson's scene is made by now, with the lesson's id: job id → lesson id."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT job_id, lesson_id FROM lesson_scenes WHERE job_id IS NOT NULL").fetchall()
        return {row[0]: row[1] for row in rows}

    def plan(self, lesson_id: str, wanted: dict[str, str], made: set[str]) -> list[SceneRow]:
        """Make the scene rows match a storyboard about to be generated: `wanted` maps each scene to
        the fingerprint of its clip, `made` are the scenes whose clip for that fingerprint exists.

        A scene already made is done; one still queued or running for the same fingerprint keeps
        its job; every other scene (new, changed, failed, cancelled) waits to be queued. Rows of
        scenes no longer in the storyboard are dropped and returned, so the caller can cancel
        their jobs. One transaction."""
        now = time.time()
        with self._writing() as conn:
            existing = {row["scene_id"]: SceneRow(**dict(row)) for row in conn.execute(
                "SELECT lesson_id, scene_id, fingerprint, state, job_id, error FROM lesson_scenes WHERE lesson_id = ?",
                (lesson_id,))}
            dropped = [row for scene_id, row in existing.items() if scene_id not in wanted]
            for row in dropped:
                conn.execute("DELETE FROM lesson_scenes WHERE lesson_id = ? AND scene_id = ?", (lesson_id, row.scene_id))
            for scene_id, fingerprint in wanted.items():
                row = existing.get(scene_id)
                if scene_id in made:
                    state, job_id = "done", row.job_id if row and row.fingerprint == fingerprint else None
                elif row and row.fingerprint == fingerprint and row.state in ("submitting", "submitted"):
                    continue
                else:
                    if row and row.state in ("submitting", "submitted"):
                        dropped.append(row)  # its job makes an old version: cancel it
                    state, job_id = "pending", None
                conn.execute(
                    "INSERT INTO lesson_scenes (lesson_id, scene_id, fingerprint, state, job_id, error, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (lesson_id, scene_id) DO UPDATE SET "
                    "fingerprint = excluded.fingerprint, state = excluded.state, job_id = excluded.job_id, "
                    "error = NULL, updated_at = excluded.updated_at",
                    (lesson_id, scene_id, fingerprint, state, job_id, now),
                )
        return dropped

    def set_scene(self, lesson_id: str, scene_id: str, state: SceneState, *, job_id: str | None = None,
                  error: str | None = None, fingerprint: str | None = None, only_from: tuple[SceneState, ...] | None = None) -> bool:
        """Move one scene to `state`. With `fingerprint`, only while the row still makes that clip
        (an edit in between wins); with `only_from`, only from those states. Returns whether it moved."""
        sql = "UPDATE lesson_scenes SET state = ?, job_id = ?, error = ?, updated_at = ? WHERE lesson_id = ? AND scene_id = ?"
        params: list[object] = [state, job_id, error, time.time(), lesson_id, scene_id]
        if fingerprint is not None:
            sql += " AND fingerprint = ?"
            params.append(fingerprint)
        if only_from is not None:
            sql += f" AND state IN ({', '.join('?' * len(only_from))})"
            params += list(only_from)
        with self._writing() as conn:
            return conn.execute(sql, params).rowcount == 1

    def recover(self) -> list[SceneRow]:
        """At start-up, before the feeder runs: a scene caught between "about to queue" and "queued"
        by a dead process goes back to waiting (its job, if the queue took it, is left to finish
        unused), and a lesson caught assembling goes back to generating, which assembles again."""
        with self._writing() as conn:
            rows = [SceneRow(**dict(r)) for r in conn.execute(
                "SELECT lesson_id, scene_id, fingerprint, state, job_id, error FROM lesson_scenes WHERE state = 'submitting'")]
            conn.execute("UPDATE lesson_scenes SET state = 'pending', job_id = NULL WHERE state = 'submitting'")
            conn.execute("UPDATE lessons SET state = 'generating' WHERE state = 'assembling'")
        return rows
