"""Leases, stored previews, delivery checks and the v2 → v3 migration, on a real SQLite file and a
real archive (no broker, no processes): the rules the cluster tests rely on, one at a time."""

from __future__ import annotations

import io
import json
import sqlite3
import time

import numpy as np
import pytest
from PIL import Image

from i2v.archive import Archive
from i2v.jobs.worker_gateway import BadDelivery, Delivery, WorkerGateway, stage
from i2v.jobs.dispatch import time_limit_s
from i2v.jobs.previews import BadPreview, check_preview, encode_preview
from i2v.jobs.store import (
    SCHEMA_VERSION,
    IllegalTransition,
    JobStatus,
    JobStore,
    LeaseLost,
)
from i2v.media import encode_mp4


@pytest.fixture
def store(tmp_path):
    built = JobStore(tmp_path / "jobs.sqlite3")
    yield built
    built.close()


def queued(store: JobStore, prompt: str = "a cell") -> str:
    return store.create(request={"prompt": prompt, "frames": 8}, image="0123456789abcdef.png", client="c",
                        max_queued=99, max_per_client=99).id


def test_a_claim_is_a_lease_and_only_its_holder_may_write(store):
    job_id = queued(store)
    job = store.leases.claim(job_id, worker="w1", lease_s=30)
    assert job.status is JobStatus.RUNNING and job.attempts == 1 and job.worker == "w1" and job.lease
    with pytest.raises(IllegalTransition, match="on worker w1"):
        store.leases.claim(job_id, worker="w2", lease_s=30)  # a redelivered message is skipped
    for write in (lambda lease: store.update_progress(job_id, 1, 3, None, lease=lease, lease_s=30),
                  lambda lease: store.set_entry(job_id, "2026-01-01/x", lease=lease),
                  lambda lease: store.succeed(job_id, {"video": "x.mp4"}, lease=lease),
                  lambda lease: store.leases.renew(job_id, lease, 30)):
        with pytest.raises(LeaseLost):
            write("not-the-lease")
    assert store.get(job_id).status is JobStatus.RUNNING and store.get(job_id).step == 0
    renewed = store.leases.renew(job_id, job.lease, 100)
    assert renewed.lease_expires > job.lease_expires
    store.update_progress(job_id, 2, 3, 1.5, preview=encode_preview(Image.new("RGB", (640, 360), "red")),
                          lease=job.lease, lease_s=30)
    data, step = store.preview(job_id)
    assert step == 2 and Image.open(io.BytesIO(data)).size == (256, 144)
    done = store.succeed(job_id, {"video": "x.mp4"}, lease=job.lease)
    assert done.status is JobStatus.SUCCEEDED and done.lease == job.lease and done.lease_expires is None
    assert store.preview(job_id) == (None, 0)  # the preview goes with the run


def test_an_expired_lease_requeues_once_then_fails_with_the_reason(store):
    job_id = queued(store)
    first = store.leases.claim(job_id, worker="w1", lease_s=5)
    store.set_entry(job_id, "2026-01-01/lost", lease=first.lease)
    assert store.leases.expire(now=time.time()) == []  # not yet
    [(job, entry)] = store.leases.expire(now=time.time() + 6)
    assert job.status is JobStatus.QUEUED and job.attempts == 1 and job.worker is None and entry == "2026-01-01/lost"
    with pytest.raises(IllegalTransition):
        store.succeed(job_id, {"video": "late.mp4"}, lease=first.lease)  # the lost worker cannot finish it
    second = store.leases.claim(job_id, worker="w2", lease_s=5)
    assert second.attempts == 2 and second.lease != first.lease
    [(job, _)] = store.leases.expire(now=time.time() + 6)
    assert job.status is JobStatus.FAILED and "stopped answering twice" in job.error and "w2" in job.error

    cancelled = queued(store)
    held = store.leases.claim(cancelled, worker="w1", lease_s=5)
    store.cancel(cancelled)
    [(job, _)] = store.leases.expire(now=time.time() + 6)
    assert job.status is JobStatus.CANCELLED and held.lease


def test_start_up_recovery_leaves_remote_jobs_to_their_leases(store):
    remote, local = queued(store, "remote"), queued(store, "local")
    store.leases.claim(remote, worker="w1", lease_s=30)
    assert store.claim_next().id == local  # the in-process worker: no lease
    changed = store.recover(include_leased=False)
    assert [job.id for job in changed] == [local] and store.get(remote).status is JobStatus.RUNNING
    assert store.leases.extend_all(300) == 1 and store.get(remote).lease_expires > time.time() + 290
    assert [job.id for job in store.recover()] == [remote]  # one machine again: everything running is dead


def test_the_job_table_is_migrated_from_version_2(tmp_path):
    db = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("""CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL, client TEXT NOT NULL, request TEXT NOT NULL, image TEXT NOT NULL,
            created_at REAL NOT NULL, started_at REAL, finished_at REAL, attempts INTEGER NOT NULL DEFAULT 0,
            step INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, eta_s REAL, error TEXT, result TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0, entry TEXT)""")
        conn.execute("INSERT INTO jobs (id, status, client, request, image, created_at) VALUES "
                     "('old', 'queued', 'x', '{\"prompt\": \"a\"}', 'i.png', 1.0)")
        conn.execute("PRAGMA user_version = 2")
    store = JobStore(db)
    job = store.leases.claim("old", worker="w1", lease_s=10)
    assert job.lease and job.worker == "w1" and store.roster.workers() == []
    store.roster.record_worker(worker_id="abc", name="w1", gpu="RTX 4090", family="i2vgenxl", models=["tiny"],
                        loaded_model="tiny", job_id="old")
    assert [w.gpu for w in store.roster.workers()] == ["RTX 4090"]
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_time_limits_come_from_the_estimate_within_floor_and_ceiling():
    assert time_limit_s(None, floor_s=900, ceiling_s=3600) == 3600
    assert time_limit_s(60, floor_s=900, ceiling_s=3600) == 900
    assert time_limit_s(600, floor_s=900, ceiling_s=3600) == 1800
    assert time_limit_s(5000, floor_s=900, ceiling_s=3600) == 3600


def test_a_preview_from_a_worker_must_be_a_small_png():
    good = encode_preview(Image.new("RGB", (1280, 704), "blue"))
    assert check_preview(good) == good
    big = io.BytesIO()
    Image.new("RGB", (2000, 2000)).save(big, format="PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64)).save(jpeg, format="JPEG")
    for bad in (big.getvalue(), jpeg.getvalue(), good[:40], b"<svg onload=alert(1)>"):
        with pytest.raises(BadPreview):
            check_preview(bad)


def test_a_delivery_is_archived_into_the_reserved_entry_once(store, tmp_path):
    archive = Archive(tmp_path / "archive")
    gateway = WorkerGateway(store, archive, tmp_path / "uploads", lease_s=30, heartbeat_s=5, broker_heartbeat_timeout_s=60)
    job_id = queued(store, "a red star")
    lease = store.leases.claim(job_id, worker="w1", lease_s=30).lease
    name = gateway.reserve_entry(job_id, lease)
    assert gateway.reserve_entry(job_id, lease) == name  # asking again (a lost answer) changes nothing
    work = tmp_path / "worker"
    work.mkdir()

    def picture(kind: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), "red").save(buffer, format=kind)
        return buffer.getvalue()

    def delivery(video_name: str, thumbnail: bytes | None = None, input_image: bytes | None = None) -> Delivery:
        recipe = {"video": video_name, "frames": 8, "prompt": "a red star"}
        path = work / "v.mp4"
        encode_mp4(np.zeros((8, 64, 64, 3), np.uint8), 8, path, metadata={"comment": json.dumps(recipe)})
        files = [stage(gateway.staging, [data]) for data in (path.read_bytes(), thumbnail or picture("JPEG"),
                                                          input_image or picture("PNG"))]
        return Delivery(video=files[0], thumbnail=files[1], input_image=files[2], recipe=json.dumps(recipe).encode())

    with pytest.raises(BadDelivery, match="reserved video"):
        gateway.deliver(job_id, lease, delivery("2026-01-01/someone-else.mp4"))
    not_video = delivery(name + ".mp4")
    not_video.video.write_bytes(b"not a video")
    with pytest.raises(BadDelivery, match="cannot be read"):
        gateway.deliver(job_id, lease, not_video)
    # The thumbnail and input picture are served to browsers: HTML, SVG, a video or the wrong format is refused.
    html, svg = b"<html><script>alert(1)</script></html>", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    for thumbnail, input_image, what in ((html, None, "thumbnail"), (svg, None, "thumbnail"), (None, svg, "input picture"),
                                         (None, html, "input picture"), (picture("PNG"), None, "thumbnail"),
                                         (None, (work / "v.mp4").read_bytes(), "input picture")):
        with pytest.raises(BadDelivery, match=f"delivered {what} is not a"):
            gateway.deliver(job_id, lease, delivery(name + ".mp4", thumbnail, input_image))
    assert store.get(job_id).status is JobStatus.RUNNING
    assert not archive.entry_named(name).thumbnail.exists() and not archive.entry_named(name).input_image.exists()
    job = gateway.deliver(job_id, lease, delivery(name + ".mp4"))
    assert job.status is JobStatus.SUCCEEDED and job.result["video"] == name + ".mp4"
    assert archive.resolve(name + ".mp4").is_file() and json.loads(archive.entry_named(name).recipe.read_text())["video"]
    assert gateway.deliver(job_id, lease, delivery(name + ".mp4")).id == job_id  # a retried delivery is answered the same
    assert [e.name for e in archive.entries()] == [name]
    with pytest.raises(IllegalTransition):
        gateway.deliver(job_id, "another-lease", delivery(name + ".mp4"))
