"""ETA before a job starts: each job's estimate is stored when it is queued, and a queued job's
ETA adds what is left of the running job and the estimates of the jobs ahead of it (real SQLite)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from i2v.archive import Archive
from i2v.engine.host import EngineHost
from i2v.jobs import JobStore
from i2v.web.views import job_view
from i2v.jobs.service import JobService
from i2v.jobs.worker import JobWorker
from i2v.generation import GenerationService
from i2v.settings import Settings
from tests.conftest import gradient_picture


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    gradient_picture(width, height).save(buffer, format="PNG")
    return buffer.getvalue()


def _service(tmp_path: Path, estimate) -> JobService:
    settings = Settings(home=tmp_path / "home", model="tiny")
    archive, store = Archive(settings.home), JobStore(settings.db_path)
    worker = JobWorker(store, GenerationService(EngineHost(settings), archive), settings.home / "uploads")  # never started
    return JobService(store, worker, archive, settings, estimate=estimate)


def test_queued_jobs_add_the_work_ahead_of_them(tmp_path):
    seen = []

    def estimate(request, width, height, *, after=None):
        seen.append((width, height))
        return float(request.steps)

    service = _service(tmp_path, estimate)
    a, b, c = (service.submit(_png(320, 240), {"prompt": "cells dividing", "steps": s}, f"10.0.0.{s}") for s in (10, 20, 30))
    assert seen == [(320, 240)] * 3
    assert [job_view(service, service.get(j.id)).eta_s for j in (a, b, c)] == [10.0, 30.0, 60.0]

    assert service.store.claim_next().id == a.id  # starts: keeps its estimate until it measures one
    assert job_view(service, service.get(a.id)).eta_s == 10.0
    assert job_view(service, service.get(b.id)).eta_s == 30.0
    service.store.update_progress(a.id, 5, 10, eta_s=4.0)  # the engine's own ETA replaces the estimate
    assert job_view(service, service.get(b.id)).eta_s == 24.0
    assert job_view(service, service.get(c.id)).eta_s == 54.0
    service.cancel(b.id)
    assert job_view(service, service.get(c.id)).eta_s == 34.0


@pytest.mark.parametrize("estimate", [None, lambda request, width, height, after=None: None])
def test_unknown_estimates_give_no_eta_rather_than_a_guess(tmp_path, estimate):
    service = _service(tmp_path, estimate)
    job = service.submit(_png(64, 64), {"prompt": "cells dividing"}, "10.0.0.1")
    assert job_view(service, service.get(job.id)).eta_s is None


def test_each_estimate_knows_which_model_runs_before_it(tmp_path):
    """A job for another family pays for the switch: the estimator is told the model resident before it."""
    calls = []

    def estimate(request, width, height, *, after=None):
        calls.append((request.model, after))
        return 1.0

    service = _service(tmp_path, estimate)
    service.submit(_png(64, 64), {"prompt": "cells dividing"}, "10.0.0.1")
    service.submit(_png(64, 64), {"prompt": "cells dividing", "model": "tiny-wan"}, "10.0.0.2")
    service.submit(_png(64, 64), {"prompt": "cells dividing", "model": "tiny-wan"}, "10.0.0.3")
    assert calls == [("tiny", None), ("tiny-wan", "tiny"), ("tiny-wan", "tiny-wan")]


def test_the_test_model_and_an_unloaded_model_give_no_estimate(tmp_path):
    from i2v.request import GenerationRequest

    host = EngineHost(Settings(home=tmp_path, model="tiny"))
    request = GenerationRequest(prompt="cells dividing")
    assert host.estimate_seconds(request, 320, 240) is None  # nothing loaded yet
    engine = host.get()
    assert host.estimate_seconds(request, 320, 240) is None  # full-size figures would be 100× too long
    assert engine.estimate_seconds(request, 320, 240) > 0  # the engine itself does estimate on CPU fp32
