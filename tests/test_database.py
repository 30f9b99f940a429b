"""The shared SQLite file itself: schema versions per table set, rollback on failure, the read-only snapshot."""

from __future__ import annotations

import sqlite3

import pytest

from i2v.db import Database, SchemaTooNew, StoreUnavailable, TableSet
from i2v.jobs.store import SCHEMA_VERSION, JobStore


def _notes(version: int) -> TableSet:
    def migrate(conn: sqlite3.Connection, old: int) -> None:
        if old < 1:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        if old < 2 <= version:
            conn.execute("ALTER TABLE notes ADD COLUMN author TEXT")
    return TableSet("notes", version, migrate)


def test_each_table_set_keeps_its_own_version(tmp_path):
    db = Database(tmp_path / "i2v.sqlite3")
    assert db.register(_notes(1)) == 1
    JobStore(db)
    assert db.version("notes") == 1 and db.version("jobs") == SCHEMA_VERSION
    db.close()
    again = Database(tmp_path / "i2v.sqlite3")
    assert again.register(_notes(2)) == 2  # 1 → 2 adds the column, the jobs set is untouched
    with again.reading() as conn:
        assert "author" in {r["name"] for r in conn.execute("PRAGMA table_info(notes)")}
        assert dict(conn.execute("SELECT name, version FROM schema_versions").fetchall()) == {
            "notes": 2, "jobs": SCHEMA_VERSION}
    with pytest.raises(SchemaTooNew, match="newer i2v"):
        again.register(_notes(1))
    again.close()


def test_a_failed_write_transaction_rolls_back(tmp_path):
    db = Database(tmp_path / "i2v.sqlite3")
    db.register(_notes(1))
    with pytest.raises(ValueError), db.writing() as conn:
        conn.execute("INSERT INTO notes (text) VALUES ('kept?')")
        raise ValueError("boom")
    with db.writing() as conn:
        conn.execute("INSERT INTO notes (text) VALUES ('kept')")
    with db.reading() as conn:
        assert [r["text"] for r in conn.execute("SELECT text FROM notes")] == ["kept"]
    db.close()


def test_a_file_that_cannot_be_opened_is_one_sentence_for_the_operator(tmp_path):
    # The read-only snapshot on a full disk is checked through a real full disk in
    # tests/hardening/test_full_disk.py; here the other branch: no complete file to read at all.
    (tmp_path / "i2v.sqlite3").mkdir()
    with pytest.raises(StoreUnavailable, match="cannot be opened .*Free disk space or check I2V_HOME"):
        Database(tmp_path / "i2v.sqlite3", what="the job table")
