"""Faults done for real to a server: kill -9 mid-job and clients vanishing mid-upload and mid-stream
(a server process: its open descriptors are counted), model files missing or corrupt and the disk
below I2V_MIN_FREE_MB (the app served from this process)."""

from __future__ import annotations

import hashlib
import socket
import time

import psutil

from tests.hardening import images
from tests.hardening.conftest import assert_refused, count
from tests.support.servers import SLOW, AppServer, Server, finished, free_port, start_app_server, start_server, submit, wait_for

PNG = images.encode(images.gradient_picture(200, 160), "PNG")


def start_unready(home, **env) -> AppServer:
    """A server that answers health but whose model will never be ready (missing or corrupt), served
    from this process: what is tested is the API's answers, not the process."""
    return start_app_server(home, until=frozenset({"missing", "failed", "ready"}), **env)


def open_fds(server: Server) -> int:
    return psutil.Process(server.process.pid).num_fds()


def test_missing_model_is_reported_and_jobs_are_refused_with_the_fix(tmp_path):
    server = start_unready(tmp_path / "home", I2V_MODEL=str(tmp_path / "no-such-model"))
    try:
        with server.client() as client:
            model = client.get("/api/v1/health").json()["model"]
            assert model["state"] in ("missing", "failed"), model
            assert "i2v download" in model["detail"] or "not found" in model["detail"].lower(), model
            # With no model at that path there is not even a family to check the settings against:
            # a job is refused at once with the same reason (nothing is queued that could only fail).
            refused = submit(client, PNG)
            assert refused.status_code == 422 and "no model folder" in refused.json()["detail"], refused.text
            assert client.get("/api/v1/jobs").json()["total"] == 0
            assert client.get("/api/v1/health").status_code == 200
    finally:
        server.stop()
    count("faults: model missing")


def test_corrupt_model_is_reported_and_low_disk_refuses_jobs(tmp_path):
    model = tmp_path / "broken-model"
    for part in ("unet", "vae", "text_encoder", "image_encoder", "tokenizer", "feature_extractor", "scheduler"):
        (model / part).mkdir(parents=True)
        (model / part / "config.json").write_text("{ this is not json")
        (model / part / "diffusion_pytorch_model.safetensors").write_bytes(b"\x00garbage" * 100)
    (model / "model_index.json").write_text('{"_class_name": "I2VGenXLPipeline"}')
    server = start_unready(tmp_path / "home", I2V_MODEL=str(model), I2V_MIN_FREE_MB=str(10**9))
    try:
        with server.client() as client:
            health = client.get("/api/v1/health").json()["model"]
            assert health["state"] == "failed" and health["detail"], health
            assert_refused(submit(client, PNG), 507, contains="disk is almost full")
            assert client.get("/api/v1/jobs").json()["total"] == 0
    finally:
        server.stop()
    count("faults: model corrupt")
    count("faults: disk below I2V_MIN_FREE_MB (HTTP)")


def _abort_upload(port: int, sent: int) -> None:
    body_start = (b"--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na cell\r\n"
                  b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.png\"\r\n"
                  b"Content-Type: image/png\r\n\r\n")
    head = (f"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {10 * 2**20}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(head + body_start + b"\x89PNG" + b"\x00" * sent)
    # closed with most of the promised 10 MB never sent


def test_kill_9_mid_job_and_vanishing_clients_lose_nothing(tmp_path):
    home, port = tmp_path / "home", free_port()
    first = start_server(home, port, I2V_MAX_QUEUED_PER_CLIENT="6")
    try:
        with first.client() as client:
            done = wait_for(client, submit(client, PNG, steps="1", seed="1").json()["id"], finished)
            assert done["status"] == "succeeded"
            video = client.get(done["video_url"]).content
            slow = submit(client, PNG, **SLOW, seed="2").json()["id"]
            queued = submit(client, PNG, steps="1", seed="3").json()["id"]
            wait_for(client, slow, lambda j: j["status"] == "running" and j["progress"]["step"] >= 1)

            # Clients that vanish mid-upload and mid-stream: no job, no file, no leaked descriptor.
            baseline = open_fds(first)
            uploads_before = sorted((home / "uploads").iterdir())
            for sent in (0, 1000, 500_000) * 4:
                _abort_upload(port, sent)
            for _ in range(10):
                with client.stream("GET", f"/api/v1/jobs/{slow}/events") as stream:
                    assert next(stream.iter_lines()).startswith("event: running")
            time.sleep(2.0)
            assert client.get("/api/v1/health").status_code == 200
            assert open_fds(first) <= baseline + 5, (baseline, open_fds(first))
            assert sorted((home / "uploads").iterdir()) == uploads_before
            assert client.get("/api/v1/jobs").json()["total"] == 3
            count("faults: client vanished mid-upload", 12)
            count("faults: client vanished mid-SSE", 10)
    finally:
        first.kill()  # SIGKILL while `slow` runs and `queued` waits
    count("faults: kill -9 mid-job")

    second = start_server(home, port)
    try:
        with second.client() as client:
            wait_for(client, slow, lambda j: j["status"] == "running")  # retried once, from the start
            client.post(f"/api/v1/jobs/{slow}/cancel")
            assert wait_for(client, slow, finished)["status"] == "cancelled"
            after = wait_for(client, queued, finished)
            assert after["status"] == "succeeded", after
            history = client.get("/api/v1/jobs", params={"limit": 100}).json()
            assert {j["id"]: j["status"] for j in history["jobs"]} == {
                done["id"]: "succeeded", slow: "cancelled", queued: "succeeded"}
            assert client.get(done["video_url"]).content == video  # the finished video is intact
    finally:
        second.stop()
    # Only finished videos in the archive; nothing half-made left by the killed attempt.
    mp4s = sorted(p.relative_to(home).as_posix() for p in home.glob("*/*.mp4"))
    assert mp4s == sorted([done["video"], after["video"]]), mp4s
    stray = [p for p in home.glob("*/*") if p.name.startswith(".") or
             (p.suffix in (".json", ".jpg") and not p.with_suffix(".mp4").exists()) or
             (p.name.endswith("-input.png") and not p.with_name(p.name.removesuffix("-input.png") + ".mp4").exists())]
    assert not stray, stray
    assert hashlib.sha256(video).hexdigest() == hashlib.sha256((home / done["video"]).read_bytes()).hexdigest()
