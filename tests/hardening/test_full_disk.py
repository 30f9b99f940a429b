"""Issue 15, class 2: a disk with 0 bytes free, for real.

I2V_HOME on a small tmpfs (mounting needs root; skipped where the machine does not allow it): the
disk is filled while a job runs. Reads and health keep working and say the disk is full; the job
ends failed with that reason, shown at once and recorded once space is back; cancel and progress
streams behave. Then a stop and a start on the still-full disk: the server comes up read-only and
leaves that state by itself when space is freed. Without root, test_faults.py injects the same
failure at the job table's write path; the start-up refusal is tested here with a home that cannot
hold a database at all.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Self

import httpx
import pytest

from tests.hardening import images
from tests.support.forker import run as run_i2v_process
from tests.hardening.conftest import assert_refused, count, finished, wait_for
from tests.support.servers import Server, free_port, start_server, submit

PNG = images.encode(images.gradient_picture(200, 160), "PNG")


def start(home: Path, log_dir: Path, **env: str) -> Server:
    """A tiny-model server whose log lives outside `home` (the full disk)."""
    return start_server(home, log_dir=log_dir, **env)


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MB tmpfs; skipped where mounting is not permitted (not root, or in a container without it)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has no byte left; returns it (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as handle:
        for size in (2**20, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    assert os.statvfs(disk).f_bavail == 0
    return filler


class KeepFull:
    """Keeps the disk full while active: whatever space appears (a failed job removing its partial
    files) is taken again within milliseconds, as by another program writing to the same disk."""

    def __init__(self, filler: Path) -> None:
        self.filler, self.stop = filler, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with open(self.filler, "ab", buffering=0) as handle:
            while not self.stop.is_set():
                try:
                    handle.write(b"\0" * 4096)
                except OSError:
                    self.stop.wait(0.002)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)


def stored_status(home: Path, job_id: str) -> tuple[str, str | None]:
    """The job's row as the database file holds it (not as the server shows it)."""
    with sqlite3.connect(f"file:{home / 'jobs.sqlite3'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT status, error FROM jobs WHERE id = ?", (job_id,)).fetchone()


def events(client: httpx.Client, job_id: str) -> list[str]:
    """Every event line of the job's progress stream; returns when the server ends the stream."""
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=60) as stream:
        return [line for line in stream.iter_lines() if line.startswith("event:")]


def test_a_full_disk_during_a_job_and_at_start(small_disk, tmp_path):
    home = small_disk / "home"
    server = start(home, tmp_path, I2V_MIN_FREE_MB="1")
    try:
        with server.client() as client:
            earlier = wait_for(client, submit(client, PNG, steps="1", seed="1").json()["id"], finished)
            assert earlier["status"] == "succeeded", earlier
            video = client.get(earlier["video_url"]).content
            running = submit(client, PNG, steps="40", seed="2").json()["id"]
            wait_for(client, running, lambda j: j["status"] == "running" and j["progress"]["step"] >= 1, timeout=120)

            filler = fill(small_disk)
            with KeepFull(filler):  # full until the end of this block, whatever the server deletes
                ended = wait_for(client, running, finished, timeout=300)
                assert ended["status"] == "failed" and "disk is full" in ended["error"], ended
                health = client.get("/api/v1/health")
                assert health.status_code == 200 and health.json()["status"] == "disk_full", health.text
                assert "full" in health.json()["disk"]["detail"]
                assert client.get("/api/v1/jobs").status_code == 200
                assert client.get(earlier["video_url"]).content == video  # earlier videos are safe and served
                assert events(client, running)[-1] == "event: failed"  # the stream ends
                cancelled = client.post(f"/api/v1/jobs/{running}/cancel")
                assert cancelled.status_code == 200 and cancelled.json()["status"] == "failed"
                assert_refused(submit(client, PNG), 507)
                # Usually "running": the failure waits in memory until the table can be written.
                print(f"\nwhile full, the database file says the job is {stored_status(home, running)[0]}")
                count("full disk: reads, health, events, cancel, refusal while full", 6)

            filler.unlink()  # space is back: the failure is recorded, work goes on
            deadline = time.monotonic() + 60
            while stored_status(home, running)[0] == "running":
                assert time.monotonic() < deadline, "the failure was never recorded"
                time.sleep(0.5)
            assert stored_status(home, running) == ("failed", ended["error"])
            assert client.get("/api/v1/health").json()["status"] == "ok"
            after = wait_for(client, submit(client, PNG, steps="1", seed="3").json()["id"], finished)
            assert after["status"] == "succeeded", after
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()

    # A start on a disk that is already full: read-only, with the reason; writable again by itself.
    filler = fill(small_disk)
    again = start(home, tmp_path, I2V_MIN_FREE_MB="1")
    try:
        with again.client() as client:
            health = client.get("/api/v1/health").json()
            assert health["status"] == "disk_full" and health["disk"]["state"] == "full", health
            listed = {j["id"]: j["status"] for j in client.get("/api/v1/jobs").json()["jobs"]}
            assert listed == {earlier["id"]: "succeeded", running: "failed", after["id"]: "succeeded"}, listed
            assert client.get(earlier["video_url"]).content == video
            assert_refused(submit(client, PNG), 507)
            assert_refused(client.delete(f"/api/v1/jobs/{after['id']}"), 507, contains="disk")
            filler.unlink()
            deadline = time.monotonic() + 60
            while client.get("/api/v1/health").json()["status"] != "ok":
                assert time.monotonic() < deadline
                time.sleep(0.5)
            last = wait_for(client, submit(client, PNG, steps="1", seed="4").json()["id"], finished)
            assert last["status"] == "succeeded", last
    finally:
        again.stop()
    log = again.log.read_text()
    # Read-only when the job table itself cannot be written at start; when SQLite can still reuse
    # free pages in its own file, a writable start that says the disk is full.
    assert "Traceback" not in log and ("read-only" in log or "The disk is full" in log), log[-3000:]
    count("full disk: start read-only, recover when freed", 2)


def test_a_home_that_cannot_hold_the_job_table_is_one_clear_line(tmp_path):
    home = tmp_path / "home"
    (home / "jobs.sqlite3").mkdir(parents=True)  # the database path is taken by a folder
    result = run_i2v_process(["serve", "--port", str(free_port())], folder=tmp_path / "output", timeout=120,
                             env={**os.environ, "HF_HUB_OFFLINE": "1", "I2V_MODEL": "tiny", "I2V_HOME": str(home)})
    assert result.returncode == 1, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    assert "jobs.sqlite3" in lines[0]
    count("full disk: unusable job table at start", 1)


def test_lesson_edits_and_pictures_on_a_full_disk_are_507(small_disk, tmp_path):
    """Issue 28, item 6: PUT /lessons/ID and POST /lessons/ID/pictures were 500 on a full disk."""
    from tests.lessons.conftest import THREE_POINTS

    server = start(small_disk / "home", tmp_path, I2V_MIN_FREE_MB="1")
    other = images.encode(images.gradient_picture(120, 90), "PNG")
    try:
        with server.client() as client:
            made = client.post("/api/v1/lessons", json={"outline": THREE_POINTS})
            assert made.status_code == 201, made.text
            lesson = made.json()["lesson"]
            edited = {**lesson, "scenes": [{**lesson["scenes"][0], "caption": "Chromatids move apart."}, *lesson["scenes"][1:]]}
            filler = fill(small_disk)
            with KeepFull(filler):
                assert_refused(client.put(f"/api/v1/lessons/{lesson['id']}", json=edited), 507, contains="disk")
                assert_refused(client.post(f"/api/v1/lessons/{lesson['id']}/pictures",
                                           files={"file": ("cell.png", other, "image/png")}), 507, contains="disk")
                assert client.get(f"/api/v1/lessons/{lesson['id']}").json()["lesson"] == lesson  # nothing half-saved
            filler.unlink()
            assert client.put(f"/api/v1/lessons/{lesson['id']}", json=edited).status_code == 200
            assert client.post(f"/api/v1/lessons/{lesson['id']}/pictures",
                               files={"file": ("cell.png", other, "image/png")}).status_code == 201
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
    count("full disk: lesson edit and picture refused 507", 2)
