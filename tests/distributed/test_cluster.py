"""Several GPU machines on loopback, through real parts: Redis (redis-server), the i2v server in
broker mode and `i2v worker` processes on the tiny model, sharing one cluster in this order:
tokens, a family nobody serves, 20 jobs over two workers, a remote cancel, kill -9 of a worker,
Redis killed and restarted empty, and the server restarted while workers run.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from i2v.media import probe, read_video
from tests.conftest import gradient_picture
from tests.distributed.conftest import REDELIVERY_S, TEACHER, WORKER_TOKEN, Cluster
from tests.hardening import same_video

pytestmark = pytest.mark.distributed
FAST = {"prompt": "a cell dividing slowly", "resolution": "256p", "frames": "8", "steps": "2", "fps": "8"}
DONE = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def png() -> bytes:
    buffer = io.BytesIO()
    gradient_picture(320, 240).save(buffer, format="PNG")
    return buffer.getvalue()


def submit(client: httpx.Client, png: bytes, **fields: str) -> str:
    response = client.post("/api/v1/jobs", files={"image": ("p.png", png, "image/png")}, data={**FAST, **fields})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def wait(client: httpx.Client, job_id: str, condition, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if condition(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the condition; last {job}")


def finished(job: dict) -> bool:
    return job["status"] in DONE


def videos(cluster: Cluster) -> list:
    return sorted(p for p in cluster.home.glob("*/*.mp4") if not p.name.startswith("."))


def assert_one_video(cluster: Cluster, job: dict) -> None:
    """The job's MP4 exists, decodes to its frames, embeds and sits beside its recipe, and is the only
    entry of the archive that names this job's recipe."""
    assert job["status"] == "succeeded", job
    path = cluster.home / job["video"]
    frames, _fps = read_video(path)
    assert frames.shape[0] == int(job["request"]["frames"]) and frames.shape[-1] == 3
    recipe = json.loads(path.with_suffix(".json").read_text())
    embedded = json.loads(probe(path).metadata["comment"])
    assert recipe["video"] == embedded["video"] == job["video"] == job["recipe"]["video"]
    assert path.with_suffix(".jpg").is_file() and path.with_name(path.stem + "-input.png").is_file()


def test_worker_endpoints_take_only_the_worker_token(cluster: Cluster, png: bytes) -> None:
    body = {"worker_id": "0123456789abcdef", "name": "intruder", "family": "i2vgenxl", "models": ["tiny"]}
    with cluster.client(TEACHER) as teacher, cluster.client("wrong-token") as wrong, cluster.client(WORKER_TOKEN) as worker:
        assert teacher.post("/api/v1/worker/heartbeat", json=body).status_code == 401
        assert wrong.post("/api/v1/worker/heartbeat", json=body).status_code == 401
        refused = worker.get("/api/v1/jobs")
        assert refused.status_code == 403 and "worker" in refused.json()["detail"]
        assert worker.post("/api/v1/jobs", files={"image": ("p.png", png, "image/png")}, data=FAST).status_code == 403
        assert teacher.get("/api/v1/jobs").status_code == 200
        assert "intruder" not in {w["name"] for w in teacher.get("/api/v1/workers").json()}
    intruder = cluster.start_worker("intruder", token="wrong-token", wait=False)
    assert intruder.process.wait(120) == 1
    assert "refused this worker (401" in intruder.text()


def test_a_job_made_by_a_worker_is_the_video_the_cli_makes_from_its_recipe(cluster: Cluster, tmp_path) -> None:
    """Issue 26: same recipe, same video, whichever machine makes it. The CLI replays the worker's
    recipe (with the picture archived beside it) under the workers' thread count (OMP_NUM_THREADS=1
    here): CPU reductions split over a different number of threads round differently."""
    picture = io.BytesIO()
    same_video.picture(300, 200).save(picture, format="PNG")
    with cluster.client() as client:
        job = wait(client, submit(client, picture.getvalue(), seed="7"), finished)
    assert_one_video(cluster, job)
    remote = cluster.home / job["video"]
    run = subprocess.run([sys.executable, "-m", "i2v.cli", "generate", "--recipe", str(remote.with_suffix(".json"))],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "I2V_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr
    local = Path(run.stdout.strip().splitlines()[-1])
    assert local.is_relative_to(tmp_path) and json.loads(local.with_suffix(".json").read_text())["seed"] == 7
    assert same_video.frames_hash(local) == same_video.frames_hash(remote)


def test_a_job_for_a_family_no_worker_runs_waits_with_the_reason(cluster: Cluster, png: bytes) -> None:
    with cluster.client() as client:
        job_id = submit(client, png, model="tiny-wan", resolution="480p", frames="9")
        time.sleep(2 * 0.5 + 1)  # a few sweeps: it is neither run nor dropped
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        assert job["status"] == "queued" and job["worker"] is None, job
        assert "no worker for model tiny-wan" in job["status_text"].lower(), job
        listed = {j["id"]: j for j in client.get("/api/v1/jobs").json()["jobs"]}
        assert "tiny-wan" in listed[job_id]["status_text"]
        health = client.get("/api/v1/health").json()
        assert health["broker"]["state"] == "ok" and health["workers"] == 2 and health["model"]["state"] == "ready"
        assert client.post(f"/api/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"


def test_twenty_jobs_finish_once_each_spread_over_both_workers(cluster: Cluster, png: bytes) -> None:
    before = set(videos(cluster))
    with cluster.client() as client:
        ids = [submit(client, png, seed=str(seed)) for seed in range(20)]
        jobs = [wait(client, job_id, finished, timeout=400) for job_id in ids]
        for job in jobs:
            assert_one_video(cluster, job)
            assert job["attempts"] == 1, job
        assert {job["worker"] for job in jobs} == {"w1", "w2"}, [job["worker"] for job in jobs]
        made = set(videos(cluster)) - before
        assert sorted(p.relative_to(cluster.home).as_posix() for p in made) == sorted(job["video"] for job in jobs)
        roster = {w["name"]: w for w in client.get("/api/v1/workers").json()}
        assert roster["w1"]["alive"] and roster["w2"]["alive"] and roster["w1"]["model_loaded"] == "tiny"
        assert time.time() - roster["w2"]["last_heartbeat"] < 10


def test_cancel_on_a_remote_worker_stops_within_one_step(cluster: Cluster, png: bytes) -> None:
    with cluster.client() as client:
        job_id = submit(client, png, steps="150", seed="7")
        running = wait(client, job_id, lambda j: j["status"] == "running" and j["progress"]["step"] >= 2)
        assert running["worker"] in ("w1", "w2")
        preview = client.get(f"/api/v1/jobs/{job_id}/preview")
        assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")  # stored progress, from the worker
        asked = client.post(f"/api/v1/jobs/{job_id}/cancel").json()
        job = wait(client, job_id, finished, timeout=60)
        assert job["status"] == "cancelled", job
        # The worker reports every step and reads the flag from the answer: the step that was
        # running when cancel was recorded is the last one.
        assert job["progress"]["step"] <= asked["progress"]["step"] + 1, (asked["progress"], job["progress"])
        assert job["video"] is None and not [p for p in videos(cluster) if "cell-dividing" in p.name and job_id in p.name]


def test_a_worker_killed_mid_job_is_replaced_and_makes_exactly_one_video(cluster: Cluster, png: bytes) -> None:
    before = set(videos(cluster))
    with cluster.client() as client:
        job_id = submit(client, png, steps="20", seed="11")
        running = wait(client, job_id, lambda j: j["status"] == "running" and j["progress"]["step"] >= 2)
        victim = running["worker"]
        cluster.workers.pop(victim).kill()
        killed = time.monotonic()
        again = wait(client, job_id, lambda j: j["attempts"] == 2 and j["status"] in ("running", "succeeded"), timeout=60)
        took = time.monotonic() - killed
        assert took <= REDELIVERY_S + 2, f"claimed again after {took:.1f} s"
        job = wait(client, job_id, finished, timeout=240)
        assert_one_video(cluster, job)
        assert job["worker"] != victim and job["attempts"] == 2, job
        assert set(videos(cluster)) - before == {cluster.home / job["video"]}  # the lost attempt left nothing
        assert again["worker"] != victim
    cluster.start_worker(victim)  # two workers again for the next tests


def test_redis_killed_with_jobs_queued_and_restarted_empty_loses_no_job(cluster: Cluster, png: bytes) -> None:
    with cluster.client() as client:
        ids = [submit(client, png, seed=str(100 + n)) for n in range(6)]
        wait(client, ids[0], lambda j: j["status"] != "queued")
        queued = [j for j in (client.get(f"/api/v1/jobs/{i}").json() for i in ids) if j["status"] == "queued"]
        assert queued, "no job was waiting when Redis died"
        cluster.redis.kill()
        assert client.get("/api/v1/health").json()["status"] == "broker_unreachable"
        late = submit(client, png, seed="199")  # queued while Redis is down: recorded all the same
        time.sleep(2)
        cluster.redis.start()  # empty: every message is gone
        jobs = [wait(client, job_id, finished, timeout=300) for job_id in [*ids, late]]
        for job in jobs:
            assert_one_video(cluster, job)
        assert client.get("/api/v1/health").json()["broker"]["state"] == "ok"


def test_server_restarted_while_workers_run_loses_no_finished_video(cluster: Cluster, png: bytes) -> None:
    with cluster.client() as client:
        done_before = submit(client, png, seed="300")
        wait(client, done_before, finished)
        ids = [submit(client, png, steps="8", seed=str(301 + n)) for n in range(4)]
        wait(client, ids[0], lambda j: j["status"] == "running" and j["progress"]["step"] >= 1)
    cluster.server.kill()  # kill -9 while workers run, deliver and send heartbeats
    time.sleep(3)
    cluster.start_server()
    with cluster.client() as client:
        before = client.get(f"/api/v1/jobs/{done_before}").json()
        assert_one_video(cluster, before)
        jobs = [wait(client, job_id, finished, timeout=300) for job_id in ids]
        for job in jobs:
            assert_one_video(cluster, job)
            assert job["attempts"] <= 2, job
        deadline = time.monotonic() + 30
        while {w["name"] for w in client.get("/api/v1/workers").json() if w["alive"]} < set(cluster.workers):
            assert time.monotonic() < deadline, client.get("/api/v1/workers").json()
            time.sleep(0.5)
    with sqlite3.connect(cluster.home / "jobs.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT result FROM jobs WHERE status = 'succeeded'").fetchall()
    named = [json.loads(r[0])["video"] for r in rows]
    assert len(named) == len(set(named))  # no two jobs share a video
    stored = {p.relative_to(cluster.home).as_posix() for p in videos(cluster)}
    assert set(named) == stored, (set(named) ^ stored)  # and every video belongs to exactly one job
