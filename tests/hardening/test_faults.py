"""Faults injected while jobs run, in-process through the same services the API and the UI call
(`services.jobs.submit`): disk full while the MP4 is written, archive not writable, the disk below
I2V_MIN_FREE_MB, out-of-memory in a denoising step, a poison job. After each: the job fails with a
reason a teacher understands, earlier videos and the job table are intact, and the next job runs.
"""

from __future__ import annotations

import errno
import hashlib
import sqlite3
import threading
import time

import pytest
import torch

import i2v.media
from i2v.archive import Archive
from i2v.jobs.service import StorageFull
from i2v.jobs.store import FINISHED, JobStatus, QueueFull
from i2v.jobs.worker import TABLE_RETRY_S
from i2v.settings import Settings
from i2v.web.services import Services
from i2v.web.views import job_view
from tests.hardening import images
from tests.hardening.conftest import count

PNG = images.encode(images.gradient_picture(160, 128), "PNG")
FIELDS = {"prompt": "a cell dividing", "resolution": "256p", "frames": 8, "steps": 1, "fps": 8}


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    settings = Settings(model="tiny", home=tmp_path_factory.mktemp("home"), device="cpu", min_free_mb=1,
                        max_queued=20, max_queued_per_client=20)
    built = Services.build(settings)
    built.start()
    built.host.get()  # wait for the tiny model
    yield built
    built.stop()


def run(services: Services, **fields) -> dict:
    return run_existing(services, services.jobs.submit(PNG, {**FIELDS, **fields}, "127.0.0.1").id)


def run_existing(services: Services, job_id: str) -> dict:
    """Wait until the job is finished as clients see it (`services.jobs.get`), then return its view."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = services.jobs.get(job_id)
        if job.status in FINISHED:
            return job_view(services.jobs, job).model_dump()
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job.status}")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_archive_clean(services: Services, succeeded: list[dict]) -> None:
    """Exactly the succeeded jobs' videos are listed; no half-written or orphaned files anywhere."""
    archive: Archive = services.archive
    listed = {entry.name + ".mp4" for entry in archive.entries()}
    assert listed == {job["video"] for job in succeeded}, (listed, [j["video"] for j in succeeded])
    leftovers = [p for p in archive.root.rglob("*") if p.is_file() and (p.name.startswith(".") or p.suffix == ".part")]
    assert not leftovers, leftovers
    for recipe in archive.root.glob("*/*.json"):
        assert recipe.with_suffix(".mp4").is_file(), f"recipe without a video: {recipe}"
    with sqlite3.connect(services.settings.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class FailingContainer:
    """An av output container whose disk fills up after a few packets (ENOSPC from the OS)."""

    def __init__(self, real, error: int) -> None:
        self._real, self._error, self._packets = real, error, 0

    def __enter__(self):
        self._real.__enter__()
        return self

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def mux(self, packet):
        self._packets += 1
        if self._packets > 2:
            raise OSError(self._error, "No space left on device" if self._error == errno.ENOSPC else "Read-only file system")
        return self._real.mux(packet)


def test_disk_full_or_read_only_during_a_job_fails_cleanly_and_later_jobs_run(services, monkeypatch):
    first = run(services, seed=1)
    assert first["status"] == "succeeded", first
    first_video = services.archive.resolve(first["video"])
    before = digest(first_video)

    real_open = i2v.media.av.open
    for error, phrase in ((errno.ENOSPC, "disk is full"), (errno.EROFS, "not writable")):
        def failing_open(path, mode="r", *args, _error=error, **kwargs):
            container = real_open(path, mode, *args, **kwargs)
            return FailingContainer(container, _error) if mode == "w" else container

        monkeypatch.setattr(i2v.media.av, "open", failing_open)
        broken = run(services, seed=2)
        monkeypatch.setattr(i2v.media.av, "open", real_open)
        assert broken["status"] == "failed" and phrase in broken["error"], broken
        assert "Earlier videos are safe" in broken["error"]
        count("faults: disk full / read-only while writing the MP4")

    # The archive folder itself refuses the new entry (permission denied).
    def no_write(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Archive, "allocate", no_write)
    denied = run(services, seed=3)
    monkeypatch.undo()
    assert denied["status"] == "failed" and "not writable" in denied["error"], denied
    count("faults: archive not writable")

    later = run(services, seed=4)  # space is back
    assert later["status"] == "succeeded", later
    assert digest(first_video) == before
    assert_archive_clean(services, [first, later])


def test_new_jobs_are_refused_while_the_disk_is_nearly_full(services, monkeypatch):
    monkeypatch.setattr(services.settings, "min_free_mb", 10**9)
    total = services.store.count()
    with pytest.raises(StorageFull, match="disk is almost full") as refused:
        services.jobs.submit(PNG, FIELDS, "127.0.0.1")
    assert refused.value.http_status == 507 and refused.value.exit_code == 1  # one error base: every front end maps it
    assert services.store.count() == total and not list(services.jobs.uploads.glob("*.part"))
    count("faults: disk below I2V_MIN_FREE_MB")


def test_out_of_memory_in_a_step_fails_cleanly_and_the_next_job_runs(services, monkeypatch):
    engine = services.host.get()
    real_sample = engine.sample
    calls = {"n": 0}

    def oom_always(*args, **kwargs):
        calls["n"] += 1
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(engine, "sample", oom_always)
    failed = run(services, seed=5)
    assert failed["status"] == "failed" and "ran out of memory" in failed["error"], failed
    assert "smaller resolution" in failed["error"] and "Traceback" not in failed["error"]

    # On the CPU there is no cheaper memory plan, so the engine gives up after one retry (on a GPU
    # it first switches to a cheaper plan, tests/core covers that); the worker survives either way.
    assert calls["n"] >= 1, calls
    monkeypatch.setattr(engine, "sample", real_sample)
    nxt = run(services, seed=7)
    assert nxt["status"] == "succeeded", nxt
    count("faults: out-of-memory injected")


def test_a_poison_job_fails_once_with_its_reason_and_is_not_retried(services, monkeypatch):
    def poison(*_args, **_kwargs):
        raise RuntimeError("boom: this picture always crashes the model")

    monkeypatch.setattr(services.dispatcher.generator, "generate", poison)
    job = run(services, seed=8)
    monkeypatch.undo()
    stored = services.store.get(job["id"])
    assert job["status"] == "failed" and "boom" in job["error"] and stored.attempts == 1
    time.sleep(0.5)
    assert services.store.get(job["id"]).status is JobStatus.FAILED  # never re-queued
    # A job that kills the whole process each time is re-queued once, then failed with the reason
    # (JobStore.recover caps attempts at 2; tests/web/test_restart.py does it with real kill -9).
    count("faults: poison job")


def test_the_ui_code_path_refuses_bad_input_with_user_errors(services):
    """The studio calls `services.jobs.submit` with typed values (floats from number boxes, None,
    empty strings); every bad one must raise an error the UI shows as a message, never crash."""
    from i2v.image_input import ImageInputError
    from i2v.request import RequestError

    bad_fields = [
        {"prompt": ""}, {"prompt": None}, {"prompt": "   "}, {"prompt": "x" * 10_000}, {"prompt": "a\x00b"},
        {"frames": float("nan")}, {"frames": 7.0}, {"frames": 8.5}, {"fps": float("inf")}, {"steps": -1.0},
        {"guidance": float("nan")}, {"guidance": float("-inf")}, {"seed": -1}, {"seed": 2**32},
        {"seed": float("nan")}, {"resolution": "2048p"}, {"scheduler": "euler"},
        {"image_url": "http://169.254.169.254/"}, {"negative_prompt": "x" * 5000}, {"model": "/etc"},
        {"model": "tiny-wan", "frames": 16.0},
    ]
    # A left-out setting (None, or an empty choice) means "the chosen family's default", never an error.
    defaults = services.jobs.complete({**FIELDS, "guidance": None, "resolution": None, "scheduler": ""})
    assert (defaults.guidance, defaults.resolution, defaults.scheduler) == (9.0, "512p", "ddim")
    total = services.store.count()
    for change in bad_fields:
        fields = {**FIELDS, **change}
        try:
            services.jobs.submit(PNG, fields, "127.0.0.1")
        except (RequestError, ImageInputError, QueueFull) as exc:
            assert str(exc) and len(str(exc)) < 2000 and "Traceback" not in str(exc)
        else:
            raise AssertionError(f"accepted {change}")
    for name, (data, _phrase) in images.bad().items():
        try:
            services.jobs.submit(data, FIELDS, "127.0.0.1")
        except ImageInputError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"accepted picture {name}")
    assert services.store.count() == total
    count("ui-path bad inputs", len(bad_fields) + len(images.bad()))


def test_a_full_disk_while_storing_the_upload_is_a_clear_refusal(services, monkeypatch):
    import pathlib

    real_write = pathlib.Path.write_bytes

    def full(self, data):
        if self.parent == services.jobs.uploads:
            real_write(self, data[: len(data) // 2])  # part written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    total = services.store.count()
    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    with pytest.raises(StorageFull, match="could not store the picture"):
        services.jobs.submit(PNG, FIELDS, "127.0.0.1")
    monkeypatch.undo()
    assert services.store.count() == total
    assert not [p for p in services.jobs.uploads.iterdir() if p.name.startswith(".")]
    count("faults: disk full while storing an upload")


def test_a_full_disk_under_the_job_table_is_a_clear_refusal(services, monkeypatch):
    def full(**_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    uploads = set(services.jobs.uploads.iterdir())
    monkeypatch.setattr(services.store, "create", full)
    with pytest.raises(StorageFull, match="could not record the job"):
        services.jobs.submit(PNG, FIELDS, "127.0.0.1")
    monkeypatch.undo()
    assert set(services.jobs.uploads.iterdir()) == uploads  # the stored picture was removed again
    with sqlite3.connect(services.settings.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count("faults: disk full under the job table")


def test_an_outcome_the_job_table_cannot_take_is_shown_at_once_and_recorded_when_it_can(services, monkeypatch):
    """The disk fills after the video is written: the job is shown as finished meanwhile, cancel
    changes nothing, health says the disk is full, no new job starts; once the table takes writes
    again the outcome is recorded and work goes on."""
    real_succeed = services.store.succeed
    writable, calls = threading.Event(), {"n": 0}

    def full_until_freed(job_id, result):
        calls["n"] += 1
        if not writable.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        return real_succeed(job_id, result)

    monkeypatch.setattr(services.store, "succeed", full_until_freed)
    shown = run(services, seed=11)
    assert shown["status"] == "succeeded" and shown["video"] and services.archive.resolve(shown["video"]).is_file()
    assert services.store.get(shown["id"]).status is JobStatus.RUNNING  # the table does not know yet
    assert services.jobs.cancel(shown["id"], "127.0.0.1").status is JobStatus.SUCCEEDED
    assert services.jobs.storage().state == "full"
    waiting = services.jobs.submit(PNG, {**FIELDS, "seed": 12}, "127.0.0.1")
    time.sleep(TABLE_RETRY_S * 1.5)
    assert services.store.get(waiting.id).status is JobStatus.QUEUED  # nothing is claimed meanwhile
    writable.set()
    deadline = time.monotonic() + 30
    while services.store.get(shown["id"]).status is JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
    recorded = services.store.get(shown["id"])
    assert recorded.status is JobStatus.SUCCEEDED and recorded.result["video"] == shown["video"], recorded
    assert calls["n"] >= 2 and services.dispatcher._thread.is_alive()
    assert services.jobs.storage().state == "ok"
    monkeypatch.undo()
    nxt = run_existing(services, waiting.id)
    assert nxt["status"] == "succeeded", nxt  # the queued job runs once the table is writable
    count("faults: job table full while recording a result")


def test_a_result_that_cannot_be_recorded_for_another_reason_fails_the_job(services, monkeypatch):
    def broken(job_id, result):
        raise TypeError("result is not JSON")

    monkeypatch.setattr(services.store, "succeed", broken)
    failed = run(services, seed=13)
    monkeypatch.undo()
    assert failed["status"] == "failed" and "could not record" in failed["error"], failed
    assert services.store.get(failed["id"]).status is JobStatus.FAILED
    assert run(services, seed=14)["status"] == "succeeded"
    count("faults: job result not recordable")


def test_a_job_table_that_fills_mid_job_ends_the_job_with_the_reason_and_reads_keep_working(services, monkeypatch):
    """Without root (no small filesystem): every write of the job table fails as SQLite fails on a
    full disk ("database or disk is full"), from the store's one write path, while a job runs.
    test_full_disk.py does the same with a real full filesystem where the machine allows it."""
    real_writing = services.store._writing
    full = threading.Event()

    def writing():
        if full.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        return real_writing()

    monkeypatch.setattr(services.store, "_writing", writing)
    job = services.jobs.submit(PNG, {**FIELDS, "steps": 150, "seed": 21}, "127.0.0.1")
    deadline = time.monotonic() + 120
    while services.jobs.get(job.id).step < 1:
        assert time.monotonic() < deadline, services.jobs.get(job.id)
        time.sleep(0.1)
    full.set()
    shown = run_existing(services, job.id)  # ends at its next progress write, shown failed at once
    assert shown["status"] == "failed" and "disk is full" in shown["error"], shown
    assert services.store.get(job.id).status is JobStatus.RUNNING  # the table could not take it yet
    assert services.jobs.storage().state == "full"
    assert services.jobs.cancel(job.id, "127.0.0.1").status is JobStatus.FAILED  # nothing to cancel
    assert services.jobs.history(limit=5)[0].id == job.id  # reads work
    with pytest.raises(StorageFull, match="could not record"):
        services.jobs.submit(PNG, FIELDS, "127.0.0.1")
    full.clear()  # space is freed
    deadline = time.monotonic() + 30
    while services.store.get(job.id).status is JobStatus.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    recorded = services.store.get(job.id)
    assert recorded.status is JobStatus.FAILED and recorded.error == shown["error"]
    assert services.jobs.storage().state == "ok"
    monkeypatch.undo()
    assert run(services, seed=22)["status"] == "succeeded"
    assert_archive_clean_of_partials(services)
    count("faults: job table full mid-job (injected)")


def assert_archive_clean_of_partials(services: Services) -> None:
    leftovers = [p for p in services.archive.root.rglob("*") if p.is_file() and p.name.startswith(".")]
    assert not leftovers, leftovers
    for recipe in services.archive.root.glob("*/*.json"):
        assert recipe.with_suffix(".mp4").is_file(), f"recipe without a video: {recipe}"
