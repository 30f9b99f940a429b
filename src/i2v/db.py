"""The server's one SQLite file: connections, write transactions, read-only mode and schema versions.

Every store (jobs, lessons, …) keeps its tables in the same file and reaches it only through a
`Database`, so the file is opened one way (WAL, a busy timeout, `synchronous=FULL`), written one way
(`BEGIN IMMEDIATE`), survives a full disk one way (the anchor connection and the read-only snapshot,
see `Database`), and each set of tables carries its own schema version in `schema_versions`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from i2v.errors import Unavailable

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 10_000
REOPEN_EVERY_S = 2.0  # while read-only, how often a read tries the normal (writable) connection again

# A migration brings one table set from the version it has (0: none of its tables yet) to `version`.
Migrate = Callable[[sqlite3.Connection, int], None]


class StoreUnavailable(Unavailable, RuntimeError):
    """The database can be neither opened nor read (e.g. a full disk at start-up). The message is
    one sentence for the operator."""


class SchemaTooNew(Unavailable, RuntimeError):
    """The file was written by a newer i2v: its tables have a schema this code does not know."""


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A `BEGIN IMMEDIATE` transaction on `conn`: SQLite's write lock from the first read, committed
    when the block ends, rolled back when it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def is_storage_failure(exc: BaseException) -> bool:
    """Whether a SQLite error means the disk under the file is full, failing or read-only (as
    opposed to busy): writing will not work until the operator acts."""
    if not isinstance(exc, sqlite3.Error):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    return name.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")) or any(
        phrase in text for phrase in ("disk is full", "disk i/o error", "readonly database", "unable to open")
    )


@dataclass(frozen=True)
class TableSet:
    """One store's tables: its name in `schema_versions`, the version this code writes, and the
    migration that brings an older file (or none) to it. `legacy_version`, if given, reads the
    version a file made before `schema_versions` existed (e.g. the job table's `PRAGMA user_version`)."""

    name: str
    version: int
    migrate: Migrate
    legacy_version: Callable[[sqlite3.Connection], int] | None = None


_VERSIONS = "CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def stored_version(conn: sqlite3.Connection, tables: TableSet) -> int:
    """The version of `tables` in the file on `conn` (0: not there yet). With a legacy version the
    higher of the two counts, so a file an older or newer i2v wrote only the legacy way is read right."""
    recorded = 0
    if "schema_versions" in _tables(conn):
        row = conn.execute("SELECT version FROM schema_versions WHERE name = ?", (tables.name,)).fetchone()
        if row is not None:
            recorded = int(row[0])
    legacy = tables.legacy_version(conn) if tables.legacy_version is not None else 0
    return max(recorded, legacy)


class Database:
    """One SQLite file shared by every store, safe between threads and between processes.

    Each read or write opens its own short-lived connection and closes it before returning: the
    guarantees (atomic claims, checks made with the insert) then come from SQLite's own locking
    (`BEGIN IMMEDIATE` takes the write lock before anything is read), so they hold for every thread
    *and* every process, and no connection object is ever shared between threads. Writers wait up to
    `BUSY_TIMEOUT_MS` for each other; `synchronous=FULL` keeps an acknowledged write through a power cut.

    A full disk. Reads in WAL mode need the WAL index (`-shm`), which SQLite deletes when the last
    connection closes and must re-create, at full size, on the next open: on a full disk that fails
    ("disk I/O error") and with it every read. So the database keeps one idle connection open for its
    whole life (the anchor, never used for queries): the index then always exists, and reads keep
    working while writes fail with "database or disk is full". Started on a disk already full (after
    a clean stop nothing is left but the file, whose content is then complete), it comes up read-only:
    reads use an `immutable` snapshot of the file, `read_only` says why, writes fail, and each read
    tries the normal connection again (every `REOPEN_EVERY_S`) so it leaves read-only mode by itself
    once space is freed.

    Stores `register` their `TableSet`; the database brings it to its version (one transaction per
    set, recorded in `schema_versions`) now if it can write, else when it can write again.
    """

    def __init__(self, path: Path, *, what: str = "the database") -> None:
        self.path = Path(path)
        self.what = what  # how messages name the file ("the job table"), for the operator
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._anchor: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._next_reopen = 0.0
        self._sets: dict[str, TableSet] = {}
        self.read_only: str | None = None  # why the file is read-only; None while it can write
        self.open_error: sqlite3.Error | None = None
        try:
            self._open()
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            self._close_anchor()
            self._start_read_only(exc)

    # ---- opening -----------------------------------------------------------------------------

    def _open(self) -> None:
        """Open the anchor connection (WAL mode), then bring every registered table set up to date."""
        anchor = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            anchor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = anchor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                # journal_mode is stored in the file; it cannot change inside a transaction.
                mode = anchor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise RuntimeError(f"{self.path}: SQLite refused WAL mode (got {mode!r})")
            anchor.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # a read: the WAL index exists now
        except BaseException:
            anchor.close()
            raise
        self._anchor = anchor
        for tables in list(self._sets.values()):
            self._migrate(tables)

    def _start_read_only(self, exc: sqlite3.Error) -> None:
        """Come up reading an immutable snapshot, if the file on disk is complete; else StoreUnavailable."""
        wal = self.path.with_name(self.path.name + "-wal")
        if not self.path.is_file() or (wal.exists() and wal.stat().st_size > 0):
            # No database yet, or recent changes live only in the WAL: a snapshot would show old data.
            raise StoreUnavailable(f"{self.what} {self.path} cannot be opened ({exc}). Free disk space or check "
                                   "I2V_HOME (it must be a writable folder), then start again.") from None
        try:
            with closing(self.connect_snapshot()) as conn:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as again:
            raise StoreUnavailable(f"{self.what} {self.path} cannot be read ({again}). Free disk space, then "
                                   "start again.") from None
        self.open_error = exc
        self.read_only = (f"The disk holding {self.what} {self.path} is full or failing ({exc}): jobs and videos "
                          "can be viewed, but nothing can be queued or recorded until space is freed.")
        log.warning("%s read-only: %s", self.what, self.read_only)

    def register(self, tables: TableSet, *, required: bool = True) -> int:
        """Bring `tables` to its version (now, or once the file can be written) and return the version
        the file holds afterwards. Read-only: a `required` set that is missing or old raises
        `StoreUnavailable` (reads would find the wrong columns); others wait for space quietly."""
        with self._lock:
            self._sets[tables.name] = tables
        if self.read_only is None:
            return self._migrate(tables)
        with closing(self.connect_snapshot()) as conn:
            version = self._check(conn, tables)
        if version < tables.version and required:
            raise StoreUnavailable(f"{self.what} {self.path} must be updated, and the disk is full "
                                   f"({self.open_error}). Free disk space, then start again.")
        return version

    def _check(self, conn: sqlite3.Connection, tables: TableSet) -> int:
        version = stored_version(conn, tables)
        if version > tables.version:
            raise SchemaTooNew(f"{self.path} was written by a newer i2v ({tables.name} schema {version}, "
                               f"this one knows {tables.version})")
        return version

    def _migrate(self, tables: TableSet) -> int:
        """One transaction under the write lock (another process may have migrated meanwhile)."""
        with closing(self.connect()) as conn:
            if self._check(conn, tables) >= tables.version:
                return tables.version
        with self.writing() as conn:
            version = self._check(conn, tables)
            if version >= tables.version:
                return version
            tables.migrate(conn, version)
            conn.execute(_VERSIONS)
            conn.execute("INSERT INTO schema_versions (name, version) VALUES (?, ?) "
                         "ON CONFLICT (name) DO UPDATE SET version = excluded.version", (tables.name, tables.version))
        log.info("%s %s: %s schema %d → %d", self.what, self.path, tables.name, version, tables.version)
        return tables.version

    def version(self, name: str) -> int:
        """The version the file holds for the table set `name` (0: none)."""
        tables = self._sets.get(name) or TableSet(name, 0, lambda conn, v: None)
        with self.reading() as conn:
            return stored_version(conn, tables)

    def close(self) -> None:
        """Release the anchor connection (SQLite then checkpoints and removes the WAL files)."""
        self._close_anchor()

    def _close_anchor(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is not None:
            anchor.close()

    # ---- connections -------------------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """A fresh connection to the file; the caller closes it."""
        # isolation_level=None: the module never opens transactions behind our back; we say BEGIN.
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def connect_snapshot(self) -> sqlite3.Connection:
        """A read-only view of the file that needs no WAL index (see the class doc)."""
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def _leave_read_only(self) -> bool:
        """While read-only, try the normal connection again (at most every REOPEN_EVERY_S); True once writable."""
        if self.read_only is None:
            return True
        with self._lock:
            if self.read_only is None:
                return True
            if time.monotonic() < self._next_reopen:
                return False
            self._next_reopen = time.monotonic() + REOPEN_EVERY_S
        try:
            self._open()
        except sqlite3.Error:
            self._close_anchor()
            return False
        self.read_only = None
        self.open_error = None
        log.warning("%s %s is writable again", self.what, self.path)
        return True

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding SQLite's write lock from its first read to its commit;
        rolled back if the block raises."""
        if self._anchor is None and self.read_only is not None and not self._leave_read_only():
            raise sqlite3.OperationalError(f"database or disk is full ({self.what} is read-only: {self.read_only})")
        with closing(self.connect()) as conn, immediate(conn):
            yield conn

    def reading(self) -> closing[sqlite3.Connection]:
        """A connection for reads: the live file, or the snapshot while read-only."""
        if self.read_only is not None and not self._leave_read_only():
            return closing(self.connect_snapshot())
        return closing(self.connect())
