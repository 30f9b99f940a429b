"""Issue 15, class 4: no expensive work before a cheap refusal, proportionate storage, and no
starvation: progress streams answer while submissions are stuck, slow clients are cut off.

One server for the module, with a 2-second slow-client timeout so the timeouts are quick to see.
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import sqlite3
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from i2v.archive import Archive
from i2v.image_input import MAX_SHORT_SIDE, ImageInputError, load_image
from i2v.jobs.service import JobService, StorageFull
from i2v.jobs.store import JobStore, QueueFull
from i2v.engine.registry import SPECS
from i2v.settings import Settings
from i2v.samples import big_photo_jpeg
from tests.hardening import images
from tests.hardening.conftest import (
    FAST,
    assert_healthy,
    assert_refused,
    count,
    finished,
    wait_for,
)
from tests.support.servers import start_app_server, submit

PNG = images.encode(images.gradient_picture(200, 160), "PNG")
BROKEN = PNG[: len(PNG) // 2]  # would be a 422 if it were ever decoded
TIMEOUT_S = 2
STUCK = 16  # submissions held on the job table's lock: more than asyncio's default pool has threads (≤ 6 here)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_app_server(tmp_path_factory.mktemp("home"), I2V_MAX_QUEUED="24", I2V_MAX_QUEUED_PER_CLIENT=str(STUCK),
                       I2V_CLIENT_TIMEOUT_S=str(TIMEOUT_S))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def done_job(client) -> str:
    job = wait_for(client, submit(client, PNG, steps="1", seed="1").json()["id"], finished, timeout=300)
    assert job["status"] == "succeeded", job
    return job["id"]


# ---- cheap checks first -----------------------------------------------------------------------


def test_limits_are_checked_before_the_picture_is_decoded(tmp_path):
    """A broken picture is refused for the limit (429/507), not for being broken: it was never decoded."""
    settings = Settings(home=tmp_path, model="tiny", max_queued=1, max_queued_per_client=1, min_free_mb=1)
    store = JobStore(settings.db_path)
    jobs = JobService(store, None, Archive(settings.home), settings)
    store.create(request={"prompt": "a"}, image="x.png", client="teacher", max_queued=5, max_per_client=5)
    with pytest.raises(QueueFull, match="queue is full"):
        jobs.submit(BROKEN, FAST, "someone else")
    with pytest.raises(QueueFull, match="already have 1"):
        JobService(store, None, Archive(settings.home), settings.model_copy(update={"max_queued": 9})).submit(
            BROKEN, FAST, "teacher")
    starved = JobService(store, None, Archive(settings.home),
                         settings.model_copy(update={"max_queued": 9, "min_free_mb": 10**9}))
    with pytest.raises(StorageFull, match="almost full"):
        starved.submit(BROKEN, FAST, "newcomer")
    with pytest.raises(ImageInputError):  # with room, the same bytes are refused for what they are
        JobService(store, None, Archive(settings.home), settings.model_copy(update={"max_queued": 9})).submit(
            BROKEN, FAST, "newcomer")
    assert not list((tmp_path / "uploads").iterdir())
    store.close()
    count("refusal before work: limits before decoding (in-process)", 4)


def test_over_the_limit_is_429_before_decoding_over_http(client):
    blocker = submit(client, PNG, steps="150", prompt="blocker").json()["id"]
    wait_for(client, blocker, lambda j: j["status"] == "running")
    queued = [submit(client, PNG, seed=str(i)).json()["id"] for i in range(STUCK)]
    try:
        assert_refused(submit(client, BROKEN), 429, contains=f"already have {STUCK}")
    finally:
        for job_id in [*queued, blocker]:
            client.post(f"/api/v1/jobs/{job_id}/cancel")
        wait_for(client, blocker, finished)
    count("refusal before work: 429 before decoding (HTTP)", 1)


def test_a_big_photo_is_stored_reduced_and_proportionate(client, server):
    data = big_photo_jpeg()
    uploads = server.home / "uploads"
    before = set(uploads.iterdir())
    response = client.post("/api/v1/jobs", files={"image": ("photo.jpg", data, "image/jpeg")}, data=FAST)
    assert response.status_code == 202, response.text
    client.post(f"/api/v1/jobs/{response.json()['id']}/cancel")
    (stored,) = set(uploads.iterdir()) - before
    with Image.open(stored) as kept:
        assert kept.size == (MAX_SHORT_SIDE, MAX_SHORT_SIDE), kept.size
    ratio = stored.stat().st_size / len(data)
    assert ratio < 1.5, f"stored {stored.stat().st_size} bytes for a {len(data)}-byte upload"
    print(f"\n6000×6000 JPEG {len(data) / 2**20:.1f} MB → stored PNG {stored.stat().st_size / 2**20:.1f} MB")
    count("refusal before work: big photo stored reduced", 1)


def test_the_reduction_never_goes_below_what_a_preset_needs():
    """Every frame of every preset of every model family, and the engine's square crop (as wide as the
    frame), fit inside the reduced short side, so no later step enlarges the picture."""
    for spec in SPECS:
        for resolution in spec.resolution_names:
            for aspect in np.linspace(1 / 3, 3, 61):
                width, height = spec.frame_size(resolution, round(1000 * aspect), 1000)
                assert max(width, height) <= MAX_SHORT_SIDE, (spec.family, resolution, aspect, width, height)
    wide = images.encode(Image.new("RGB", (9000, 600), (10, 200, 30)), "PNG")
    assert load_image(wide).size == (9000, 600)  # short side already below the cap: untouched
    count("refusal before work: reduction bound", 1)


# ---- starvation -------------------------------------------------------------------------------


def test_progress_streams_answer_while_submissions_are_stuck(client, server, done_job):
    """Submissions stuck on the job table's write lock (held here) fill every thread that pictures
    get (and, before the fix, every thread of asyncio's default pool, which progress streams shared:
    their first event then came only when the submissions gave up, 10 s later). A new progress
    stream must get its first event while the lock is still held."""
    holder = sqlite3.connect(server.home / "jobs.sqlite3", isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()
    try:
        def one(i: int) -> httpx.Response:
            with server.client() as own:
                return submit(own, PNG, seed=str(100 + i))

        with concurrent.futures.ThreadPoolExecutor(STUCK) as pool:
            futures = [pool.submit(one, i) for i in range(STUCK)]
            time.sleep(4.0)  # they are inside the server by now, waiting for the lock (it waits up to 10 s)
            assert not any(f.done() for f in futures)
            with client.stream("GET", f"/api/v1/jobs/{done_job}/events", timeout=8) as stream:
                first = next(stream.iter_lines())
            assert not released.is_set() and not any(f.done() for f in futures)
            assert first == "event: succeeded", first
            holder.execute("ROLLBACK")
            released.set()
            responses = [f.result() for f in futures]
    finally:
        if not released.is_set():
            holder.execute("ROLLBACK")
        holder.close()
    ids = [r.json()["id"] for r in responses if r.status_code == 202]
    assert len(ids) == STUCK, [r.status_code for r in responses]
    for job_id in ids:
        client.post(f"/api/v1/jobs/{job_id}/cancel")
    for job_id in ids:
        wait_for(client, job_id, finished)
    count("starvation: progress stream under stuck submissions", 1)
    assert_healthy(client)


# ---- slow clients -------------------------------------------------------------------------------


def slow_answer(port: int, data: bytes, wait_s: float = 30) -> tuple[bytes, float]:
    """Send `data`, then nothing; return what the server answered and how long until it closed."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data)
        sock.settimeout(wait_s)
        started, answer = time.monotonic(), b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except TimeoutError:
            raise AssertionError(f"still open after {wait_s} s; got {answer[:200]!r}") from None
        except ConnectionResetError:
            pass
        return answer, time.monotonic() - started


SLOW = {
    "nothing at all": b"",
    "half-sent headers": b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1",
    "short JSON body": b"POST /api/v1/prompt/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 100\r\n\r\n{\"prompt\": \"a",
    "short upload": b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                    b"Content-Length: 9000000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; "
                    b"filename=\"p.png\"\r\n\r\n\x89PNG" + b"\0" * 50_000,
}


def test_slow_clients_are_answered_408_and_disconnected(server, client):
    for name, data in SLOW.items():
        answer, _ = slow_answer(server.port, data)
        assert answer.startswith(b"HTTP/1.1 408"), (name, answer[:200])
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"], name
    # A crowd of them at once cannot hold the server: all are closed, and it answers meanwhile.
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        crowd = [pool.submit(slow_answer, server.port, data) for data in list(SLOW.values()) * 10]
        time.sleep(0.5)
        assert client.get("/api/v1/health").status_code == 200
        assert all(f.result()[0].startswith(b"HTTP/1.1 408") for f in crowd)
    count("slow clients: cut off", len(SLOW) + 40)
    assert_healthy(client)


def test_slow_but_steady_clients_and_long_streams_are_not_cut(server, client):
    body = json.dumps({"prompt": "chromosomes separating to opposite poles", "lang": "en"}).encode()
    head = (f"POST /api/v1/prompt/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)
        for start in range(0, len(body), 10):  # 10 bytes every half timeout: slower in total than the timeout
            time.sleep(TIMEOUT_S / 2)
            sock.sendall(body[start:start + 10])
        sock.settimeout(30)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    # A progress stream outlives the timeout many times over.
    job = submit(client, PNG, steps="150", seed="9").json()["id"]
    try:
        started, seen = time.monotonic(), []
        with client.stream("GET", f"/api/v1/jobs/{job}/events", timeout=30) as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    seen.append(line)
                if time.monotonic() - started > 3 * TIMEOUT_S and len(seen) >= 3:
                    break
        assert time.monotonic() - started > 3 * TIMEOUT_S and len(seen) >= 3, seen
    finally:
        client.post(f"/api/v1/jobs/{job}/cancel")
        wait_for(client, job, finished)
    count("slow clients: steady ones kept", 2)
