"""Retention: I2V_KEEP_DAYS and I2V_MAX_ARCHIVE_GB delete the oldest finished videos first and never
a queued or running job, nor a video whose job is about to record it."""

from __future__ import annotations

import os
import time

from i2v.archive import Archive
from i2v.jobs.service import JobService
from i2v.jobs.store import JobStatus, JobStore
from i2v.settings import Settings
from tests.hardening.conftest import count

DAY = 86_400


def make(tmp_path, **limits):
    settings = Settings(model="tiny", home=tmp_path / "home", **limits)
    settings.home.mkdir(parents=True)
    archive, store = Archive(settings.home), JobStore(settings.db_path)
    return JobService(store, dispatcher=None, archive=archive, settings=settings), archive, store


def finished_video(service: JobService, archive: Archive, store: JobStore, age_days: float, size: int = 2**20) -> str:
    """A succeeded job whose 1 MB video is `age_days` old; returns the job id."""
    job = store.create(request={"prompt": "x"}, image="none.png", client="127.0.0.1", max_queued=99, max_per_client=99)
    assert store.claim_next().id == job.id
    entry = archive.allocate(f"video {age_days}")
    entry.video.write_bytes(os.urandom(size))
    archive.write_recipe(entry, {"video": entry.name + ".mp4"})
    stamp = time.time() - age_days * DAY
    for path in (entry.video, entry.recipe):
        os.utime(path, (stamp, stamp))
    store.succeed(job.id, {"video": entry.name + ".mp4"})
    return job.id


def test_keep_days_deletes_only_old_finished_videos(tmp_path):
    service, archive, store = make(tmp_path, keep_days=3)
    old = [finished_video(service, archive, store, age) for age in (10, 5)]
    young = finished_video(service, archive, store, 1)
    waiting = store.create(request={"prompt": "q"}, image="q.png", client="c", max_queued=99, max_per_client=99)
    deleted = service.retention.apply()
    assert len(deleted) == 2
    remaining = {j.id for j in store.list(limit=100)}
    assert remaining == {young, waiting.id} and not set(old) & remaining
    assert store.get(waiting.id).status is JobStatus.QUEUED
    assert len(archive.entries()) == 1
    count("retention cases", 1)


def test_max_archive_size_deletes_oldest_first_and_spares_in_flight_videos(tmp_path):
    service, archive, store = make(tmp_path, max_archive_gb=2.5 / 1024)  # 2.5 MB
    ids = [finished_video(service, archive, store, age) for age in (4, 3, 2, 1)]  # 4 MB of videos
    in_flight = archive.allocate("being recorded")  # video written, job not yet marked succeeded
    in_flight.video.write_bytes(os.urandom(2**20))
    archive.write_recipe(in_flight, {})
    running = store.create(request={"prompt": "r"}, image="r.png", client="c", max_queued=99, max_per_client=99)
    store.claim_next()
    deleted = service.retention.apply()
    left = {j.id for j in store.list(limit=100)}
    assert ids[0] not in left and ids[1] not in left and ids[2] not in left  # oldest first, down to the limit
    assert ids[3] in left and running.id in left and store.get(running.id).status is JobStatus.RUNNING
    assert in_flight.video.exists()
    assert len(deleted) == 3
    # Nothing configured: nothing deleted.
    plain, archive2, store2 = make(tmp_path / "other")
    finished_video(plain, archive2, store2, 400)
    assert plain.retention.apply() == []
    count("retention cases", 2)
