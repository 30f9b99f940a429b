"""Kill the server (SIGKILL: no shutdown code runs) in the middle of a lesson — one scene running, one
queued, one not yet queued — and start it again on the same archive: the lesson completes, each
scene made by exactly one job."""

import time

import pytest

from i2v.media import probe
from tests.lessons.conftest import THREE_POINTS, small, wait_lesson
from tests.support.servers import free_port, start_server

pytestmark = pytest.mark.slow


def test_a_server_restart_in_the_middle_of_a_lesson_and_the_lesson_completes(tmp_path):
    home, port = tmp_path / "home", free_port()
    limits = {"I2V_MAX_QUEUED_PER_CLIENT": "2"}  # one scene waiting at a time: the third is still unqueued
    first = start_server(home, port, **limits)
    try:
        with first.client() as client:
            view = client.post("/api/v1/lessons", json={"outline": THREE_POINTS, "model": "tiny", "resolution_class": "draft",
                                                        "steps": 2}).json()
            small(client, view)
            lesson_id = view["id"]
            assert client.post(f"/api/v1/lessons/{lesson_id}/generate").status_code == 202
            view = wait_lesson(client, lesson_id, states=("generating",), timeout=60)
            deadline = time.monotonic() + 300
            while [s["state"] for s in view["scenes"]] != ["running", "queued", "waiting"]:
                assert time.monotonic() < deadline, view["scenes"]
                time.sleep(0.2)
                view = client.get(f"/api/v1/lessons/{lesson_id}").json()
    finally:
        first.kill()

    second = start_server(home, port, **limits)
    try:
        with second.client() as client:
            view = wait_lesson(client, lesson_id)
            assert view["state"] == "ready", view
            assert [s["state"] for s in view["scenes"]] == ["done"] * 3
            jobs = client.get("/api/v1/jobs", params={"limit": 100}).json()
            assert jobs["total"] == 3 and {j["status"] for j in jobs["jobs"]} == {"succeeded"}  # none made twice
            video = tmp_path / "lesson.mp4"
            video.write_bytes(client.get(view["downloads"]["video"]).content)
            assert probe(video).frames > 0
    finally:
        second.stop()
