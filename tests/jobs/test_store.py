"""JobStore against real SQLite files: ordering, limits, guarded transitions, concurrency, crash recovery."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import i2v
from i2v.jobs import FINISHED, IllegalTransition, Job, JobNotFound, JobStatus, JobStore, QueueFull
from i2v.jobs import store as store_module
from i2v.jobs.transitions import transition

NO_LIMIT = 10_000
STOPPED_TWICE = "The server stopped twice while making this video; it was not retried again."


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "home" / "jobs.sqlite3"


@pytest.fixture
def store(db: Path) -> JobStore:
    return JobStore(db)


def add(store: JobStore, client: str = "10.0.0.1", prompt: str = "a cat", **limits: int) -> Job:
    limits = {"max_queued": NO_LIMIT, "max_per_client": NO_LIMIT, **limits}
    return store.create(request={"prompt": prompt, "seed": 7}, image="in/cat.png", client=client, **limits)


def run_threads(n: int, target) -> list[BaseException]:
    """Start `n` threads on `target(i)` together; return the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


# ---- create, read, order ----------------------------------------------------------------------


def test_create_then_get_round_trips(store: JobStore, db: Path) -> None:
    job = add(store, client="teacher-1")
    assert db.is_file()  # parent directory created
    assert len(job.id) == 16 and int(job.id, 16) >= 0
    assert job.status is JobStatus.QUEUED
    assert job.client == "teacher-1"
    assert job.request == {"prompt": "a cat", "seed": 7}
    assert job.image == "in/cat.png"
    assert job.created_at > 0 and job.started_at is None and job.finished_at is None
    assert (job.attempts, job.step, job.total, job.eta_s) == (0, 0, 0, None)
    assert job.error is None and job.result is None and job.cancel_requested is False
    assert job.position == 1
    assert store.get(job.id) == job
    assert JobStore(db).get(job.id) == job  # a fresh instance (a restart) reads the same row


def test_ids_are_random_not_sequential(store: JobStore) -> None:
    ids = [add(store).id for _ in range(30)]
    assert len(set(ids)) == 30
    assert ids != sorted(ids)  # a timestamp or counter would sort; 30 random ids virtually never do


def test_wal_mode_is_on(store: JobStore, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_get_unknown_id_raises_job_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound, match="nope"):
        store.get("nope")
    assert issubclass(JobNotFound, KeyError)


def test_list_is_newest_first_with_paging_filter_and_count(store: JobStore) -> None:
    jobs = [add(store, prompt=f"p{i}") for i in range(5)]
    newest_first = [j.id for j in reversed(jobs)]
    assert [j.id for j in store.list()] == newest_first
    assert [j.id for j in store.list(limit=2)] == newest_first[:2]
    assert [j.id for j in store.list(limit=2, offset=2)] == newest_first[2:4]
    assert store.list(limit=0) == []

    running = store.claim_next()
    assert running.id == jobs[0].id
    store.succeed(running.id, {"video": "v.mp4"})
    store.claim_next()
    assert [j.id for j in store.list(statuses=[JobStatus.RUNNING])] == [jobs[1].id]
    assert [j.id for j in store.list(statuses=FINISHED)] == [jobs[0].id]
    assert store.list(statuses=[]) == []
    assert store.count() == 5
    assert store.count([JobStatus.QUEUED]) == 3
    assert store.count(FINISHED) == 1
    assert store.count({"running"}) == 1
    with pytest.raises(ValueError):
        store.count(["paused"])
    with pytest.raises(ValueError):
        store.list(limit=-1)


def test_positions_count_only_queued_jobs_oldest_first(store: JobStore) -> None:
    a, b, c = add(store), add(store), add(store)
    assert [store.get(j.id).position for j in (a, b, c)] == [1, 2, 3]
    assert c.position == 3  # also right on the job create() returns

    store.claim_next()
    assert [store.get(j.id).position for j in (a, b, c)] == [None, 1, 2]
    store.succeed(a.id, {"video": "a.mp4"})
    store.cancel(c.id)
    assert [store.get(j.id).position for j in (a, b, c)] == [None, 1, None]
    assert {j.id: j.position for j in store.list()} == {a.id: None, b.id: 1, c.id: None}


def test_order_is_stable_when_created_at_ties(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module.time, "time", lambda: 1_000.0)
    jobs = [add(store, prompt=f"p{i}") for i in range(6)]
    assert {j.created_at for j in jobs} == {1_000.0}
    assert [j.position for j in jobs] == [1, 2, 3, 4, 5, 6]
    assert [j.id for j in store.list()] == [j.id for j in reversed(jobs)]
    assert [store.claim_next().id for _ in jobs] == [j.id for j in jobs]


def test_create_refuses_requests_that_are_not_json(store: JobStore) -> None:
    with pytest.raises(ValueError):
        store.create(request={"cfg": float("nan")}, image="x.png", client="c", max_queued=5, max_per_client=5)
    with pytest.raises(TypeError):
        store.create(request=["not", "a", "dict"], image="x.png", client="c", max_queued=5, max_per_client=5)
    assert store.count() == 0


# ---- claiming -----------------------------------------------------------------------------------


def test_claim_next_is_fifo_and_none_when_empty(store: JobStore) -> None:
    assert store.claim_next() is None
    jobs = [add(store, prompt=f"p{i}") for i in range(3)]
    first = store.claim_next()
    assert first.id == jobs[0].id
    assert first.status is JobStatus.RUNNING
    assert first.attempts == 1 and first.started_at is not None and first.position is None
    assert [store.claim_next().id for _ in range(2)] == [jobs[1].id, jobs[2].id]
    assert store.claim_next() is None


def test_concurrent_claims_take_each_job_exactly_once(db: Path) -> None:
    shared = JobStore(db)
    created = {add(shared, prompt=f"p{i}").id for i in range(20)}
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        # Half the threads share one instance, half have their own (as separate processes would).
        store = shared if i % 2 else JobStore(db)
        while (job := store.claim_next()) is not None:
            with lock:
                claimed.append(job.id)

    assert run_threads(8, worker) == []
    assert sorted(claimed) == sorted(created)  # every job once, none twice
    assert all(j.status is JobStatus.RUNNING and j.attempts == 1 for j in shared.list(limit=100))


# ---- limits -------------------------------------------------------------------------------------


def test_total_limit_raises_queue_full_with_message(store: JobStore) -> None:
    for i in range(3):
        add(store, client=f"c{i}", max_queued=3)
    with pytest.raises(QueueFull) as exc:
        add(store, client="c9", max_queued=3)
    assert str(exc.value) == "The queue is full (3 jobs waiting). Try again when a job finishes."
    assert store.count() == 3

    store.claim_next()  # a running job is no longer waiting, so it frees a place
    add(store, client="c9", max_queued=3)
    assert store.count([JobStatus.QUEUED]) == 3


def test_per_client_limit_raises_queue_full_with_message(store: JobStore) -> None:
    for _ in range(3):
        add(store, client="teacher-1", max_per_client=3)
    with pytest.raises(QueueFull, match=r"^You already have 3 videos waiting") as exc:
        add(store, client="teacher-1", max_per_client=3)
    assert "cancel" in str(exc.value)
    add(store, client="teacher-2", max_per_client=3)  # another client is not affected

    store.cancel(store.list(statuses=[JobStatus.QUEUED], limit=100)[-1].id)  # teacher-1's oldest
    add(store, client="teacher-1", max_per_client=3)
    assert store.count() == 5


def test_concurrent_creates_never_exceed_the_limits(db: Path) -> None:
    shared = JobStore(db)
    refused: list[str] = []

    def total(i: int) -> None:
        store = shared if i % 2 else JobStore(db)
        for _ in range(4):
            try:
                add(store, client=f"c{i}", max_queued=10)
            except QueueFull as exc:
                refused.append(str(exc))

    assert run_threads(12, total) == []
    assert shared.count([JobStatus.QUEUED]) == 10
    assert len(refused) == 12 * 4 - 10

    def one_client(i: int) -> None:
        store = shared if i % 2 else JobStore(db)
        for _ in range(3):
            try:
                add(store, client="busy", max_per_client=3)
            except QueueFull:
                pass

    assert run_threads(8, one_client) == []
    assert len([j for j in shared.list(limit=100) if j.client == "busy"]) == 3


# ---- guarded transitions ------------------------------------------------------------------------


def test_progress_is_recorded_only_while_running(store: JobStore) -> None:
    job = add(store)
    with pytest.raises(IllegalTransition) as exc:
        store.update_progress(job.id, 1, 10, 3.0)
    assert job.id in str(exc.value) and "queued" in str(exc.value) and "progress" in str(exc.value)

    store.claim_next()
    store.update_progress(job.id, 4, 25, 12.5)
    got = store.get(job.id)
    assert (got.step, got.total, got.eta_s) == (4, 25, 12.5)
    for bad in [(-1, 25, None), (26, 25, None), (1, 25, -2.0), (1, 25, float("nan"))]:
        with pytest.raises(ValueError):
            store.update_progress(job.id, *bad)

    store.succeed(job.id, {"video": "v.mp4"})
    with pytest.raises(IllegalTransition, match="succeeded"):
        store.update_progress(job.id, 5, 25, 1.0)
    with pytest.raises(JobNotFound):
        store.update_progress("nope", 1, 2, None)


def test_succeed_and_fail_store_outcome(store: JobStore) -> None:
    a, b = add(store), add(store)
    store.claim_next()
    done = store.succeed(a.id, {"video": "2026-11-25/101500-cell-ab12cd34.mp4", "recipe": {"steps": 25}})
    assert done.status is JobStatus.SUCCEEDED and done.finished_at is not None
    assert done.result == {"video": "2026-11-25/101500-cell-ab12cd34.mp4", "recipe": {"steps": 25}}
    store.claim_next()
    failed = store.fail(b.id, "The GPU ran out of memory. Try fewer frames.")
    assert failed.status is JobStatus.FAILED and failed.error == "The GPU ran out of memory. Try fewer frames."
    assert failed.result is None and failed.finished_at is not None


def test_finished_jobs_cannot_change_state(store: JobStore) -> None:
    job = add(store)
    store.claim_next()
    store.succeed(job.id, {"video": "v.mp4"})
    for action in (lambda: store.succeed(job.id, {}), lambda: store.fail(job.id, "x"),
                   lambda: store.mark_cancelled(job.id)):  # fmt: skip
        with pytest.raises(IllegalTransition, match=f"^Job {job.id} is succeeded; it cannot become "):
            action()
    assert store.claim_next() is None  # a finished job is never claimed again
    assert store.get(job.id).status is JobStatus.SUCCEEDED


def test_cancelled_job_cannot_succeed(store: JobStore) -> None:
    job = add(store)
    store.cancel(job.id)
    with pytest.raises(IllegalTransition) as exc:
        store.succeed(job.id, {"video": "v.mp4"})
    assert str(exc.value) == f"Job {job.id} is cancelled; it cannot become succeeded."
    assert store.get(job.id).status is JobStatus.CANCELLED and store.get(job.id).result is None


def test_transition_guard_refuses_succeeded_to_running(store: JobStore) -> None:
    """The one guarded function itself: a row in the wrong state is never touched."""
    job = add(store)
    store.claim_next()
    store.succeed(job.id, {"video": "v.mp4"})
    with pytest.raises(IllegalTransition) as exc, store.db.writing() as conn:
        transition(conn, job.id, {JobStatus.QUEUED}, JobStatus.RUNNING)
    assert str(exc.value) == f"Job {job.id} is succeeded; it cannot become running."
    with pytest.raises(JobNotFound), store.db.writing() as conn:
        transition(conn, "nope", {JobStatus.QUEUED}, JobStatus.RUNNING)
    # Asking for a move that is not in the table at all is a programming error, refused before SQL.
    for source in FINISHED:
        with pytest.raises(ValueError, match="not a legal move"), store.db.writing() as conn:
            transition(conn, job.id, {source}, JobStatus.RUNNING)
    assert store.get(job.id).status is JobStatus.SUCCEEDED


def test_unknown_ids_raise_job_not_found(store: JobStore) -> None:
    for action in (store.get, store.cancel, store.mark_cancelled, store.delete, store.is_cancel_requested,
                   lambda i: store.succeed(i, {}), lambda i: store.fail(i, "x")):  # fmt: skip
        with pytest.raises(JobNotFound):
            action("0123456789abcdef")


# ---- cancel -------------------------------------------------------------------------------------


def test_cancel_queued_job_is_immediate(store: JobStore) -> None:
    a, b = add(store), add(store)
    cancelled = store.cancel(a.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.finished_at is not None
    assert store.get(b.id).status is JobStatus.QUEUED  # another job is never touched
    assert store.get(b.id).position == 1
    assert store.claim_next().id == b.id


def test_cancel_running_job_asks_the_worker(store: JobStore) -> None:
    job, other = add(store), add(store)
    store.claim_next()
    assert store.is_cancel_requested(job.id) is False
    asked = store.cancel(job.id)
    assert asked.status is JobStatus.RUNNING and asked.cancel_requested is True
    assert store.is_cancel_requested(job.id) is True
    assert store.is_cancel_requested(other.id) is False
    assert store.cancel(job.id).status is JobStatus.RUNNING  # asking twice is harmless
    done = store.mark_cancelled(job.id)
    assert done.status is JobStatus.CANCELLED and done.finished_at is not None and done.eta_s is None


def test_cancel_finished_job_is_idempotent(store: JobStore) -> None:
    job = add(store)
    store.claim_next()
    done = store.succeed(job.id, {"video": "v.mp4"})
    assert store.cancel(job.id) == done
    cancelled = store.cancel(add(store).id)
    assert store.cancel(cancelled.id) == cancelled


def test_mark_cancelled_refuses_a_queued_job(store: JobStore) -> None:
    job = add(store)
    with pytest.raises(IllegalTransition, match="is queued; it cannot become cancelled"):
        store.mark_cancelled(job.id)


# ---- recovery after a dead process --------------------------------------------------------------


def test_recover_requeues_once_then_fails(db: Path) -> None:
    first = JobStore(db)
    done = add(first, prompt="done")
    first.claim_next()
    first.succeed(done.id, {"video": "d.mp4"})
    crashed, waiting = add(first, prompt="crashed"), add(first, prompt="waiting")
    assert first.claim_next().id == crashed.id
    first.update_progress(crashed.id, 10, 25, 30.0)
    before = first.count()
    # The first process dies here. A new one opens the same file:
    second = JobStore(db)
    touched = second.recover()
    assert [j.id for j in touched] == [crashed.id]
    back = second.get(crashed.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 1
    assert back.position == 1  # back at the front, ahead of the job that was waiting behind it
    assert (back.started_at, back.step, back.total, back.eta_s) == (None, 0, 0, None)
    assert second.get(waiting.id).status is JobStatus.QUEUED and second.get(waiting.id).position == 2
    assert second.get(done.id).status is JobStatus.SUCCEEDED
    assert second.recover() == []  # nothing left running: a second call changes nothing

    assert second.claim_next().id == crashed.id  # attempt 2 ... and the process dies again
    third = JobStore(db)
    touched = third.recover()
    assert [j.id for j in touched] == [crashed.id]
    failed = third.get(crashed.id)
    assert failed.status is JobStatus.FAILED and failed.attempts == 2
    assert failed.error == STOPPED_TWICE and failed.finished_at is not None
    assert third.get(waiting.id).status is JobStatus.QUEUED
    assert third.count() == before  # no job disappeared
    assert third.claim_next().id == waiting.id  # the failed job is never claimed again


def test_recover_honours_a_cancel_asked_before_the_crash(db: Path) -> None:
    first = JobStore(db)
    job = add(first)
    first.claim_next()
    first.cancel(job.id)
    (recovered,) = JobStore(db).recover()
    assert recovered.id == job.id and recovered.status is JobStatus.CANCELLED
    assert JobStore(db).claim_next() is None


def test_recover_max_attempts_one_fails_at_once(db: Path) -> None:
    first = JobStore(db)
    job = add(first)
    first.claim_next()
    (failed,) = JobStore(db).recover(max_attempts=1)
    assert failed.id == job.id and failed.status is JobStatus.FAILED
    assert "stopped once" in failed.error


_DIE_WHILE_RUNNING = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from i2v.jobs import JobStatus, JobStore

    store = JobStore(Path(sys.argv[1]))
    job = store.claim_next()
    store.update_progress(job.id, 3, 25, 40.0)
    print(job.id, flush=True)
    # Die like kill -9 in the middle of the store's own write transaction, before it commits.
    with store.db.writing() as conn:
        transition(conn, job.id, {JobStatus.RUNNING}, JobStatus.SUCCEEDED, result='{"video": "x.mp4"}')
        os._exit(1)
    """
)


def _die_while_running(db: Path) -> str:
    src = str(Path(i2v.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-c", _DIE_WHILE_RUNNING, str(db)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 1, proc.stderr
    return proc.stdout.strip()


def test_killed_process_loses_no_job_and_recover_requeues_then_fails(db: Path) -> None:
    store = JobStore(db)
    victim, waiting = add(store, prompt="victim"), add(store, prompt="waiting")

    assert _die_while_running(db) == victim.id
    restarted = JobStore(db)
    seen = restarted.get(victim.id)
    assert seen.status is JobStatus.RUNNING and seen.result is None  # the uncommitted change is gone
    assert seen.step == 3  # what was committed before the kill is kept
    assert [j.id for j in restarted.recover()] == [victim.id]
    assert restarted.get(victim.id).status is JobStatus.QUEUED and restarted.get(victim.id).attempts == 1

    assert _die_while_running(db) == victim.id  # second attempt, killed again
    restarted = JobStore(db)
    (failed,) = restarted.recover()
    assert failed.id == victim.id and failed.status is JobStatus.FAILED and failed.error == STOPPED_TWICE
    assert restarted.get(waiting.id).status is JobStatus.QUEUED
    assert restarted.count() == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ---- delete -------------------------------------------------------------------------------------


def test_delete_only_finished_jobs(store: JobStore) -> None:
    first, second = add(store), add(store)
    store.claim_next()
    store.claim_next()
    cancelled = store.cancel(add(store).id)
    queued = add(store)
    for job, status in ((queued, "queued"), (first, "running")):
        with pytest.raises(IllegalTransition, match=f"^Job {job.id} is {status}; .*Cancel it first"):
            store.delete(job.id)
    assert store.count() == 4

    store.succeed(first.id, {"video": "v.mp4"})
    deleted = store.delete(first.id)
    assert deleted.id == first.id and deleted.status is JobStatus.SUCCEEDED
    assert store.delete(cancelled.id).status is JobStatus.CANCELLED
    with pytest.raises(JobNotFound):
        store.get(first.id)
    with pytest.raises(JobNotFound):
        store.delete(first.id)
    assert {j.id for j in store.list()} == {second.id, queued.id}


def test_new_jobs_queue_behind_old_ones_after_a_delete(store: JobStore) -> None:
    a = add(store)
    store.cancel(a.id)
    store.delete(a.id)
    b, c = add(store), add(store)
    assert (b.position, c.position) == (1, 2)
    assert store.claim_next().id == b.id
