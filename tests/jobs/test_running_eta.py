"""The ETA of a running job: measured from its own latest steps, plus an allowance for what follows
the last step (decode, encode, write) that the worker learns from each finished job.

The worker runs for real on a real SQLite table; only the clock and the generator are scripted, so
the numbers are exact and no test depends on how fast this machine is."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from i2v.engine.base import Progress
from i2v.jobs import JobStore
from i2v.jobs import worker as worker_module
from i2v.jobs.worker import DEFAULT_TAIL_STEPS, RECENT_STEPS, TAIL_MARGIN, JobWorker, StepClock
from i2v.request import GenerationRequest
from tests.conftest import gradient_picture


def test_no_eta_before_a_step_has_been_timed():
    clock = StepClock()
    assert clock.eta(0, 10) is None
    clock.mark(1, now=100.0)  # no loop start known: one mark is not a duration
    assert clock.eta(1, 10) is None


def test_the_first_step_is_timed_from_the_loop_start():
    clock = StepClock(tail_steps=2.0)
    clock.mark(1, now=104.0, elapsed_s=4.0)
    assert clock.step_seconds() == 4.0
    assert clock.eta(1, 10) == 4.0 * (9 + 2.0)


def test_the_rate_follows_the_latest_steps_not_the_average():
    clock = StepClock(tail_steps=1.0)
    now = 0.0
    for step, seconds in enumerate([1, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5], start=1):
        now += seconds
        clock.mark(step, now, elapsed_s=now)
    assert clock.step_seconds() == 5.0  # the last RECENT_STEPS steps all took 5 s
    assert RECENT_STEPS == 5
    assert clock.eta(11, 20) == 5.0 * (9 + 1.0)
    assert clock.eta(20, 20) == 5.0  # at the last step: only the allowance for decoding is left


class ScriptedGenerator:
    """Calls back once per step at scripted times, then spends `tail_s` "decoding"."""

    def __init__(self, clock: SimpleNamespace, steps: list[float], tail_s: float) -> None:
        self.clock, self.steps, self.tail_s = clock, steps, tail_s

    def generate(self, request, image, *, on_progress, cancel, on_entry=None, keyframes=()):
        start = self.clock.now
        for number, seconds in enumerate(self.steps, start=1):
            self.clock.now += seconds
            on_progress(Progress(number, len(self.steps), self.clock.now - start, None))
        self.clock.now += self.tail_s
        return SimpleNamespace(entry=SimpleNamespace(name="2026-01-01/clip"), recipe={"seed": 1})


@pytest.fixture
def fake_time(monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(worker_module, "time", SimpleNamespace(monotonic=lambda: clock.now, time=lambda: clock.now))
    return clock


def _run_one(tmp_path: Path, worker: JobWorker, store: JobStore) -> list[tuple[int, int, float | None]]:
    uploads = tmp_path / "uploads"
    uploads.mkdir(exist_ok=True)
    gradient_picture(64, 48).save(uploads / "p.png")
    request = GenerationRequest.parse({"prompt": "a cell dividing", "steps": 6}).model_dump()
    store.create(request=request, image="p.png", client="t", max_queued=5, max_per_client=5, eta_s=99.0)
    written: list[tuple[int, int, float | None]] = []
    real_update = store.update_progress

    def spy(job_id, step, total, eta_s, **stored):
        written.append((step, total, eta_s))
        real_update(job_id, step, total, eta_s, **stored)

    store.update_progress = spy  # records what the worker writes, then writes it
    job = store.claim_next()
    worker._run(job)
    assert store.get(job.id).status == "succeeded"
    return written


def test_the_worker_writes_its_own_eta_and_learns_the_tail(tmp_path, fake_time):
    store = JobStore(tmp_path / "jobs.sqlite3")
    steps = [2.0, 2.0, 2.0, 4.0, 4.0, 4.0]
    worker = JobWorker(store, ScriptedGenerator(fake_time, steps, tail_s=12.0), tmp_path / "uploads")
    written = _run_one(tmp_path, worker, store)
    assert [w[:2] for w in written] == [(n, 6) for n in range(1, 7)]  # steps 2 s apart: every one is written
    eta_after_3 = written[2][2]
    assert eta_after_3 == pytest.approx(2.0 * (3 + DEFAULT_TAIL_STEPS))
    # After step 6 the latest five steps took 2, 2, 4, 4, 4 s: 3.2 s each, and only the tail is left.
    assert written[5][2] == pytest.approx(3.2 * DEFAULT_TAIL_STEPS, abs=0.05)
    assert worker.tail_steps == pytest.approx(12.0 / 3.2 * TAIL_MARGIN, abs=0.01)

    # The next job's ETA includes the learned allowance: at its last step, no less than the real 12 s.
    worker.generator = ScriptedGenerator(fake_time, steps, tail_s=12.0)
    written = _run_one(tmp_path, worker, store)
    assert written[-1][2] >= 12.0
