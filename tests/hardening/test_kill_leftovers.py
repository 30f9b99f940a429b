"""Issue 15, class 3: what kill -9 leaves behind is adopted or removed, so one job has one video.

A server is killed after the MP4 is renamed into place but before the job is marked done: on the
next start the job is adopted (succeeded, with that video and its recipe), not run a second time.
Killed before the rename: what the attempt wrote is removed and the job runs again. Killed while
an upload is written: `uploads/.NAME.part` is swept, as are pictures no job refers to.

The exact instant between the rename and the commit lasts milliseconds and cannot be hit from
outside reliably, so the server test makes that state the way the kill leaves it (a finished job
put back to running, its recipe back to the placeholder) and starts the server on it; the recovery
function is also tested in-process for each state.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from i2v.archive import Archive
from i2v.jobs.recovery import recover_interrupted
from i2v.jobs.store import SCHEMA_VERSION, JobStatus, JobStore
from i2v.media import encode_mp4, read_video
from tests.hardening import images
from tests.hardening.conftest import count, finished, wait_for
from tests.support.servers import start_app_server, submit

PNG = images.encode(images.gradient_picture(200, 160), "PNG")


def as_if_killed(home, job_id: str, *, video_renamed: bool) -> None:
    """Put a finished job's row and files back to what kill -9 at that moment leaves."""
    with sqlite3.connect(home / "jobs.sqlite3") as conn:
        entry = conn.execute("SELECT entry FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        conn.execute("UPDATE jobs SET status = 'running', result = NULL, finished_at = NULL WHERE id = ?", (job_id,))
    stem = home / entry
    stem.with_suffix(".json").write_text("{}")  # the placeholder: the recipe is written after the rename
    if not video_renamed:
        video = stem.with_suffix(".mp4")
        video.rename(stem.parent / f".{stem.name}.a1b2c3.mp4.part")  # still under its temporary name


def test_a_restart_adopts_a_finished_video_and_reruns_an_unfinished_one(tmp_path):
    home = tmp_path / "home"
    first = start_app_server(home)
    try:
        with first.client() as client:
            adopted = wait_for(client, submit(client, PNG, steps="1", seed="7").json()["id"], finished)
            rerun = wait_for(client, submit(client, PNG, steps="1", seed="8", prompt="cells moving apart").json()["id"],
                             finished)
            assert adopted["status"] == rerun["status"] == "succeeded"
            video = client.get(adopted["video_url"]).content
    finally:
        first.stop()
    as_if_killed(home, adopted["id"], video_renamed=True)
    as_if_killed(home, rerun["id"], video_renamed=False)
    uploads = home / "uploads"
    (uploads / ".0123456789abcdef.png.part").write_bytes(b"\x89PNG" + b"\0" * (4 * 2**20))  # killed mid-write
    (uploads / "fedcba9876543210.png").write_bytes(PNG)  # stored, but the job was never recorded
    kept_uploads = {p.name for p in uploads.iterdir() if not p.name.startswith(".") and p.name != "fedcba9876543210.png"}

    second = start_app_server(home)
    try:
        with second.client() as client:
            again = client.get(f"/api/v1/jobs/{adopted['id']}").json()
            assert again["status"] == "succeeded" and again["video"] == adopted["video"], again
            assert client.get(again["video_url"]).content == video  # the same file, not a new video
            assert again["recipe"]["video"] == adopted["video"] and again["recipe"]["seed"] == 7
            recipe_file = json.loads((home / adopted["video"]).with_suffix(".json").read_text())
            assert recipe_file["video"] == adopted["video"] and recipe_file["request"]["seed"] == 7
            redone = wait_for(client, rerun["id"], finished)
            assert redone["status"] == "succeeded" and redone["video"] != rerun["video"], redone
    finally:
        second.stop()
    with sqlite3.connect(home / "jobs.sqlite3") as conn:
        attempts = dict(conn.execute("SELECT id, attempts FROM jobs"))
    assert attempts == {adopted["id"]: 1, rerun["id"]: 2}, attempts  # the adopted job was not run again
    videos = sorted(p.relative_to(home).as_posix() for p in home.glob("*/*.mp4"))
    assert videos == sorted([adopted["video"], redone["video"]]), videos  # one job, one video
    leftovers = [p.name for p in home.glob("*/*") if p.name.startswith(".") or p.stem.startswith(rerun["video"][11:-4])]
    assert not leftovers, leftovers
    assert {p.name for p in uploads.iterdir()} == kept_uploads
    count("kill -9 leftovers: adopted video, re-run attempt, upload .part, orphan upload (server)", 4)


# ---- the recovery function, state by state (in-process) ---------------------------------------


@pytest.fixture
def setup(tmp_path):
    store, archive = JobStore(tmp_path / "jobs.sqlite3"), Archive(tmp_path / "archive")
    (tmp_path / "uploads").mkdir()
    yield store, archive, tmp_path / "uploads"
    store.close()


def running_with_entry(store: JobStore, archive: Archive, *, video: str, cancel: bool = False):
    """A job claimed and given an entry; `video` is complete, missing, corrupt or foreign."""
    job = store.create(request={"prompt": "a cell", "frames": 8}, image="0123456789abcdef.png", client="x",
                       max_queued=10, max_per_client=10)
    store.claim_next()
    entry = archive.allocate("a cell")
    store.set_entry(job.id, entry.name)
    entry.input_image.write_bytes(PNG)
    entry.thumbnail.write_bytes(b"jpeg")
    if video in ("complete", "foreign"):
        recipe = {"video": entry.name + ".mp4" if video == "complete" else "2020-01-01/other.mp4",
                  "frames": 8, "prompt": "a cell", "seed": 3}
        frames = np.zeros((8, 64, 64, 3), np.uint8)
        encode_mp4(frames, 8, entry.video, metadata={"comment": json.dumps(recipe)})
    elif video == "corrupt":
        entry.video.write_bytes(b"not an mp4 at all")
    if cancel:
        store.cancel(job.id)
    return job, entry


def test_recovery_adopts_only_complete_videos_of_the_job_itself(setup):
    store, archive, uploads = setup
    complete, complete_entry = running_with_entry(store, archive, video="complete")
    missing, missing_entry = running_with_entry(store, archive, video="missing")
    corrupt, corrupt_entry = running_with_entry(store, archive, video="corrupt")
    foreign, foreign_entry = running_with_entry(store, archive, video="foreign")
    cancelled, cancelled_entry = running_with_entry(store, archive, video="complete", cancel=True)
    (uploads / "0123456789abcdef.png").write_bytes(PNG)  # referenced by every job above: kept
    (uploads / ".0123456789abcdef.png.part").write_bytes(b"half")
    (uploads / "aaaaaaaaaaaaaaaa.png").write_bytes(PNG)  # no job: removed
    (uploads / "notes.txt").write_text("not ours")  # not an upload name: left alone

    changed = {job.id: job for job in recover_interrupted(store, archive, uploads)}

    adopted = changed[complete.id]
    assert adopted.status is JobStatus.SUCCEEDED and adopted.result["video"] == complete_entry.name + ".mp4"
    assert archive.read_recipe(complete_entry)["seed"] == 3  # rewritten from the MP4's own copy
    assert read_video(complete_entry.video)[0].shape[0] == 8
    for job, entry, status in ((missing, missing_entry, JobStatus.QUEUED), (corrupt, corrupt_entry, JobStatus.QUEUED),
                               (foreign, foreign_entry, JobStatus.QUEUED),
                               (cancelled, cancelled_entry, JobStatus.CANCELLED)):
        assert changed[job.id].status is status, (job.id, changed[job.id])
        assert changed[job.id].entry is None or status is JobStatus.CANCELLED
        assert not list(entry.root.joinpath(entry.stem.parent).glob(entry.stem.name + "*")), entry
    assert sorted(p.name for p in uploads.iterdir()) == ["0123456789abcdef.png", "notes.txt"]
    assert recover_interrupted(store, archive, uploads) == []  # a second start changes nothing
    count("kill -9 leftovers: recovery states (in-process)", 5 + 3)


def test_the_schema_is_migrated_once_from_version_1(tmp_path):
    db = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(db) as conn:  # the version 1 table, as earlier releases wrote it
        conn.execute("""CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL, client TEXT NOT NULL, request TEXT NOT NULL, image TEXT NOT NULL,
            created_at REAL NOT NULL, started_at REAL, finished_at REAL, attempts INTEGER NOT NULL DEFAULT 0,
            step INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, eta_s REAL, error TEXT, result TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0)""")
        conn.execute("INSERT INTO jobs (id, status, client, request, image, created_at, attempts) VALUES "
                     "('abc', 'running', 'x', '{\"prompt\": \"a\"}', 'i.png', 1.0, 1)")
        conn.execute("PRAGMA user_version = 1")
    store = JobStore(db)
    job = store.get("abc")
    assert job.status is JobStatus.RUNNING and job.entry is None and job.request == {"prompt": "a"}
    store.set_entry("abc", "2026-01-01/x")
    assert store.get("abc").entry == "2026-01-01/x"
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert JobStore(db).get("abc").entry == "2026-01-01/x"  # opening again changes nothing
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer i2v"):
        JobStore(db)
    count("kill -9 leftovers: schema migration", 1)
