"""Several GPU machines on loopback, through real parts: Redis (redis-server, with a password), the
i2v server in broker mode and `i2v worker` processes on the tiny model, sharing one cluster in this
order: tokens, two workers started alike are two processes, a name already taken, a family nobody
serves, 20 jobs over two workers, a remote cancel, kill -9 of a worker, Redis killed and restarted
empty, and the server restarted while workers run.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from i2v.jobs.store import JobStore
from i2v.media import probe, read_video
from i2v.web.ui_status import progress_html
from tests.conftest import gradient_picture
from tests.distributed.conftest import GONE_S, REDELIVERY_S, REDIS_PASSWORD, TEACHER, WORKER_TOKEN, Cluster, Process
from tests.hardening import same_video
from tests.support.forker import run as run_i2v_process

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


def roster(client: httpx.Client) -> dict[str, dict]:
    listed = client.get("/api/v1/workers").json()
    assert len({w["name"] for w in listed}) == len(listed), listed  # one entry per name
    return {w["name"]: w for w in listed}


def assert_no_secret_in_argv(worker: Process) -> None:
    argv = worker.argv()
    assert "i2v.cli" in argv and " worker " in argv, argv  # the worker's own command line, read while it runs
    assert WORKER_TOKEN not in argv and REDIS_PASSWORD not in argv, argv


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
    intruder = cluster.start_worker("intruder", token="wrong-token", secrets="flags", wait=False)
    assert intruder.process.wait(120) == 1
    assert "refused this worker (401" in intruder.text()
    assert "--token puts the workers' token on the command line" in intruder.text()  # the flag is warned about


def test_two_workers_started_alike_are_two_processes_in_the_roster(cluster: Cluster) -> None:
    """The module's two workers ran the same command (no --name, no --gpu, secrets in the environment)."""
    assert len(cluster.workers) == 2
    host = socket.gethostname()[:64]
    for name, worker in cluster.workers.items():
        assert name == f"{host}-cpu-{worker.pid}", name  # host, device, pid: `ps` and `kill` find it
        assert_no_secret_in_argv(worker)
    with cluster.client() as client:
        listed = roster(client)
        assert set(listed) == set(cluster.workers), listed
        assert len({w["id"] for w in listed.values()}) == 2
        assert all(w["alive"] and w["current_job"] is None for w in listed.values()), listed


def test_a_second_worker_under_a_live_workers_name_is_refused(cluster: Cluster) -> None:
    taken = next(iter(cluster.workers))
    with cluster.client() as client:
        holder = roster(client)[taken]
    # Token and Redis URL from files here (nothing in the environment): the refusal proves the token was read.
    second = cluster.start_worker(taken, secrets="files", wait=False, own_argv=True)
    wrong_redis = cluster.start_worker(secrets="files", wait=False,
                                       broker=cluster.redis.url.replace(REDIS_PASSWORD, "not-the-redis-password"))
    assert_no_secret_in_argv(second)
    assert second.process.wait(120) == 3, second.text()
    assert f"error: the server refused this worker: the name {taken!r} belongs to another worker that is running" \
        in second.text(), second.text()
    assert wrong_redis.process.wait(120) == 1, wrong_redis.text()
    assert "refused this worker" in wrong_redis.text() and "check the password in the broker URL" in wrong_redis.text()
    assert "not-the-redis-password" not in wrong_redis.text()  # the log names Redis without the password
    with cluster.client() as client:
        listed = roster(client)
        assert listed[taken]["id"] == holder["id"] and listed[taken]["alive"]  # the live one keeps its name
        assert set(listed) == set(cluster.workers)  # neither refused worker was ever listed


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
    run = run_i2v_process(["generate", "--recipe", str(remote.with_suffix(".json"))], folder=tmp_path / "output",
                          timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1", "I2V_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"})
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
        assert {job["worker"] for job in jobs} == set(cluster.workers), [job["worker"] for job in jobs]
        made = set(videos(cluster)) - before
        assert sorted(p.relative_to(cluster.home).as_posix() for p in made) == sorted(job["video"] for job in jobs)
        listed = roster(client)
        first, second = sorted(cluster.workers)
        assert listed[first]["alive"] and listed[second]["alive"] and listed[first]["model_loaded"] == "tiny"
        assert time.time() - listed[second]["last_heartbeat"] < 10


def test_cancel_on_a_remote_worker_stops_within_one_step(cluster: Cluster, png: bytes) -> None:
    with cluster.client() as client:
        job_id = submit(client, png, steps="150", seed="7")
        running = wait(client, job_id, lambda j: j["status"] == "running" and j["progress"]["step"] >= 2)
        assert running["worker"] in cluster.workers
        preview = client.get(f"/api/v1/jobs/{job_id}/preview")
        assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")  # stored progress, from the worker
        asked = client.post(f"/api/v1/jobs/{job_id}/cancel").json()
        job = wait(client, job_id, finished, timeout=60)
        assert job["status"] == "cancelled", job
        # The worker reports every step and reads the flag from the answer: the step that was
        # running when cancel was recorded is the last one.
        assert job["progress"]["step"] <= asked["progress"]["step"] + 1, (asked["progress"], job["progress"])
        assert job["video"] is None and not [p for p in videos(cluster) if "cell-dividing" in p.name and job_id in p.name]


def test_a_worker_killed_mid_job_is_gone_and_its_job_makes_exactly_one_video(cluster: Cluster, png: bytes) -> None:
    before = set(videos(cluster))
    with cluster.client() as client:
        job_id = submit(client, png, steps="20", seed="11")
        running = wait(client, job_id, lambda j: j["status"] == "running" and j["progress"]["step"] >= 2)
        victim = running["worker"]
        (survivor,) = set(cluster.workers) - {victim}
        deadline = time.monotonic() + 10
        while roster(client)[victim]["current_job"] != job_id:  # the roster names the job the process runs
            assert time.monotonic() < deadline, roster(client)
            time.sleep(0.1)
        cluster.workers.pop(victim).kill()
        killed = time.monotonic()
        gone_after = claimed_after = None
        while gone_after is None or claimed_after is None:  # one clock for both: neither wait delays the other
            now = time.monotonic() - killed
            assert now < 60, (roster(client), client.get(f"/api/v1/jobs/{job_id}").json())
            listed = roster(client)
            assert listed[survivor]["alive"], listed  # the other worker of this host stays listed as alive
            if gone_after is None and not listed[victim]["alive"]:
                gone_after = now
                assert listed[victim]["current_job"] is None, listed[victim]  # a gone worker holds no job
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            if claimed_after is None and job["attempts"] == 2 and job["status"] in ("running", "succeeded"):
                claimed_after = now
                assert job["worker"] == survivor, job
            time.sleep(0.1)
        assert gone_after <= GONE_S, f"shown alive {gone_after:.1f} s after kill -9"
        assert claimed_after <= REDELIVERY_S + 2, f"claimed again after {claimed_after:.1f} s"
        job = wait(client, job_id, finished, timeout=240)
        assert_one_video(cluster, job)
        assert job["worker"] == survivor and job["attempts"] == 2, job
        assert set(videos(cluster)) - before == {cluster.home / job["video"]}  # the lost attempt left nothing
        listed = roster(client)
        assert not listed[victim]["alive"] and listed[victim]["current_job"] is None and listed[survivor]["alive"]
    store = JobStore(cluster.home / "jobs.sqlite3")  # the studio's status line reads the same record
    try:
        for lang in ("en", "zh"):
            line = progress_html(store.get(job_id), lang=lang)
            assert survivor in line and victim not in line, line
    finally:
        store.close()
    replacement = cluster.start_worker(secrets="files", own_argv=True)  # two workers again for the next tests
    assert_no_secret_in_argv(replacement)  # ready: its token and Redis password came from the files


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
