"""The HTTP API against a real server process on loopback (tiny model, real SQLite, real MP4s)."""

import json
import time

import av
import pytest

from tests.support.servers import SLOW, finished, submit, wait_for


def test_rest_flow_to_a_decodable_mp4(server, png_bytes, tmp_path):
    with server.client() as client:
        created = submit(client, png_bytes, seed="5")
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        job = wait_for(client, job_id, finished)
        assert job["status"] == "succeeded", job
        assert job["progress"] == {"step": 3, "total": 3}
        assert job["recipe"]["seed"] == 5 and job["recipe"]["model"]["test_model"] is True
        assert job["video_url"] == f"/api/v1/jobs/{job_id}/video"

        response = client.get(job["video_url"])
        assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
        path = tmp_path / "video.mp4"
        path.write_bytes(response.content)
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
            assert sum(1 for _ in container.decode(stream)) == 8

        partial = client.get(job["video_url"], headers={"Range": "bytes=0-99"})
        assert partial.status_code == 206 and len(partial.content) == 100
        assert partial.headers["content-range"].startswith("bytes 0-99/")

        history = client.get("/api/v1/jobs").json()
        assert history["jobs"][0]["id"] == job_id and history["total"] >= 1
        assert client.get(f"/api/v1/jobs/{job_id}/thumbnail").headers["content-type"] == "image/jpeg"


def test_server_sent_events_report_progress_until_done(server, png_bytes):
    with server.client() as client:
        job_id = submit(client, png_bytes, steps="4").json()["id"]
        events = []
        with client.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=120) as stream:
            name = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
    statuses = [e for e, _ in events]
    steps = [d["progress"]["step"] for e, d in events if e == "running"]
    assert statuses[-1] == "succeeded"
    assert steps == sorted(steps) and steps[-1] == 4 and len(set(steps)) >= 2
    assert events[-1][1]["video_url"]


def test_cancel_a_running_job_stops_within_a_step(server, png_bytes):
    with server.client() as client:
        job_id = submit(client, png_bytes, **SLOW).json()["id"]
        wait_for(client, job_id, lambda j: j["status"] == "running" and j["progress"]["step"] >= 1)
        asked = time.monotonic()
        assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
        job = wait_for(client, job_id, finished, timeout=30)
        stopped_after = time.monotonic() - asked
    assert job["status"] == "cancelled"
    assert job["progress"]["step"] < 150
    assert stopped_after < 10, f"took {stopped_after:.1f} s to stop"
    assert job["video_url"] is None


def test_cancel_a_queued_job_and_queue_positions(server, png_bytes):
    with server.client() as client:
        running = submit(client, png_bytes, **SLOW).json()["id"]
        wait_for(client, running, lambda j: j["status"] == "running")
        second = submit(client, png_bytes).json()
        third = submit(client, png_bytes).json()
        assert (second["position"], third["position"]) == (1, 2)
        cancelled = client.post(f"/api/v1/jobs/{second['id']}/cancel").json()
        assert cancelled["status"] == "cancelled"
        assert client.get(f"/api/v1/jobs/{third['id']}").json()["position"] == 1
        for job_id in (running, third["id"]):
            client.post(f"/api/v1/jobs/{job_id}/cancel")
        wait_for(client, running, finished)


def test_queue_limit_answers_429_with_a_message(server, png_bytes):
    with server.client() as client:
        running = submit(client, png_bytes, **SLOW).json()["id"]
        wait_for(client, running, lambda j: j["status"] == "running")
        queued = [submit(client, png_bytes) for _ in range(3)]
        assert all(r.status_code == 202 for r in queued)
        over = submit(client, png_bytes)
        assert over.status_code == 429
        assert "3 videos waiting" in over.json()["detail"]
        for job_id in [running] + [r.json()["id"] for r in queued]:
            client.post(f"/api/v1/jobs/{job_id}/cancel")
        wait_for(client, running, finished)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"frames": "99"}, "frames: must be between 8 and 32 for I2VGen-XL (got 99)"),
        ({"resolution": "8k"}, "resolution: must be one of 256p, 512p, 768p, 1024p"),
        ({"prompt": "   "}, "prompt: describe the motion"),
        ({"model": "tiny-wan", "frames": "80"}, "frames: must be 4k+1 between 5 and 121, e.g. 81 or 121 for Wan 2.2 TI2V-5B"),
        ({"model": "/etc"}, "this server does not offer '/etc'"),
    ],
)
def test_invalid_input_is_a_422_that_says_what_is_wrong(server, png_bytes, fields, expected):
    with server.client() as client:
        response = submit(client, png_bytes, **fields)
    assert response.status_code == 422
    assert expected in response.json()["detail"]


def test_not_an_image_and_too_large_uploads_are_refused(server):
    with server.client() as client:
        bad = client.post("/api/v1/jobs", files={"image": ("notes.png", b"hello", "image/png")}, data={"prompt": "x"})
        assert bad.status_code == 422 and "not a picture" in bad.json()["detail"]
        huge = client.post("/api/v1/jobs", files={"image": ("big.png", b"0" * (21 * 2**20), "image/png")}, data={"prompt": "x"})
        assert huge.status_code == 413
        # No picture at all: one plain sentence that says how to send it, not the framework's validation JSON.
        missing = client.post("/api/v1/jobs", data={"prompt": "cells dividing"})
        assert missing.status_code == 422
        detail = missing.json()["detail"]
        assert isinstance(detail, str) and "file field 'image'" in detail and "curl -F image=@" in detail


def test_unknown_job_and_unsafe_names_are_404(server):
    with server.client() as client:
        assert client.get("/api/v1/jobs/doesnotexist").status_code == 404
        assert client.get("/api/v1/jobs/..%2F..%2Fjobs.sqlite3/video").status_code == 404


def test_health_and_openapi_document_the_api(server):
    with server.client() as client:
        health = client.get("/api/v1/health").json()
        assert health["model"] == {"state": "ready", "model": "tiny", "detail": "I2VGen-XL, cpu fp32, offload=none"}
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/cancel", "/api/v1/jobs/{job_id}/video",
                 "/api/v1/jobs/{job_id}/events", "/api/v1/health", "/api/v1/models"):
        assert path in paths


def test_delete_removes_the_files_but_refuses_unfinished_jobs(server, png_bytes):
    with server.client() as client:
        job = wait_for(client, submit(client, png_bytes).json()["id"], finished)
        video = server.home / job["video"]
        assert video.exists()
        assert client.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
        assert not video.exists() and not video.with_suffix(".json").exists()
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 404
        running = submit(client, png_bytes, **SLOW).json()["id"]
        assert client.delete(f"/api/v1/jobs/{running}").status_code == 409
        client.post(f"/api/v1/jobs/{running}/cancel")
        wait_for(client, running, finished)


def test_models_lists_each_family_with_its_licence_and_spec(server):
    """With a test model as the default, every family's test model is offered, each with its own ranges."""
    with server.client() as client:
        models = {m["id"]: m for m in client.get("/api/v1/models").json()}
    assert set(models) >= {"tiny", "tiny-wan", "tiny-ltx"} and models["tiny"]["default"]
    assert models["tiny-wan"]["family"] == "wan" and models["tiny-wan"]["licence"]["name"] == "Apache-2.0"
    assert models["tiny-wan"]["spec"]["frames"]["rule"].startswith("4k+1")
    assert models["tiny-ltx"]["spec"]["text_encoder"]["max_tokens"] == 128
    assert models["tiny"]["spec"]["frames"] == {"low": 8, "high": 32, "default": 16, "step": 1, "rule": "between 8 and 32"}
    assert all(m["test_model"] and m["installed"] for m in models.values())
    assert models["tiny"]["memory_plan"]["device"] == "cpu"


def test_jobs_of_different_families_run_back_to_back_and_record_the_switch(server, png_bytes):
    """A job names its model: each family runs with its own numbers, one model resident at a time,
    and the job that needed another family records the switch (from, to, load time) in its recipe."""
    from i2v.media import probe

    with server.client() as client:
        first = submit(client, png_bytes).json()["id"]  # the default model, I2VGen-XL's test model
        ltx = submit(client, png_bytes, model="tiny-ltx", frames="9", fps="24", steps="2", guidance="3").json()["id"]
        done_first = wait_for(client, first, finished)
        done_ltx = wait_for(client, ltx, finished, timeout=180)
        assert done_first["status"] == "succeeded" and done_ltx["status"] == "succeeded", (done_first, done_ltx)
        assert done_first["recipe"]["model"]["family"] == "i2vgenxl"
        recipe = done_ltx["recipe"]
        assert recipe["model"]["family"] == "ltx" and recipe["request"]["model"] == "tiny-ltx"
        assert (recipe["frames"], recipe["fps"], recipe["width"] % 32, recipe["height"] % 32) == (9, 24, 0, 0)
        switch = recipe["model_switch"]
        assert switch["to"] == "tiny-ltx" and switch["from"] in ("tiny", None) and switch["load_s"] > 0
        assert "model_switch" not in done_first["recipe"] or done_first["recipe"]["model_switch"]["to"] == "tiny"
        video = client.get(done_ltx["video_url"])
        path = server.home / done_ltx["video"]
        assert video.status_code == 200 and probe(path).frames == 9
        assert "tiny-ltx" in (server.log.read_text() if server.log.exists() else "")  # the switch is logged
