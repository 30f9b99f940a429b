"""Exports of a finished job over real HTTP on loopback (tiny model): post-process, download, decode."""

from __future__ import annotations

import hashlib
import io

import av
import pytest
from PIL import Image

from tests.support.servers import SLOW, finished, submit, wait_for

LABEL = {"text": "Anaphase", "x": 0.5, "y": 0.5, "size": 0.2, "start_s": 0, "end_s": 0.5, "box": True}


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


@pytest.fixture(scope="module")
def done_job(server, png_bytes) -> dict:
    with server.client() as client:
        job = wait_for(client, submit(client, png_bytes, seed="3").json()["id"], finished)
    assert job["status"] == "succeeded", job
    return job


def _decode(data: bytes) -> tuple[str, int]:
    """Codec name and number of frames of a video file's bytes."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, sum(1 for _ in container.decode(stream))


def test_export_gif_webm_sheet_and_processed_video(server, done_job):
    job_id = done_job["id"]
    assert done_job["exports"] == {}
    with server.client() as client:
        original = hashlib.sha256(client.get(done_job["video_url"]).content).hexdigest()
        body = {"formats": ["gif", "webm", "sheet"], "loop": "pingpong", "labels": [LABEL], "gif_max_mb": 2}
        response = client.post(f"/api/v1/jobs/{job_id}/exports", json=body)
        assert response.status_code == 200, response.text
        exports = response.json()["exports"]
        assert exports == {name: f"/api/v1/jobs/{job_id}/exports/{name}" for name in ("gif", "webm", "sheet", "video")}
        assert client.get(f"/api/v1/jobs/{job_id}").json()["exports"] == exports

        files = {name: client.get(url) for name, url in exports.items()}
        assert {name: r.headers["content-type"] for name, r in files.items()} == {
            "gif": "image/gif", "webm": "video/webm", "sheet": "image/png", "video": "video/mp4"}
        assert all(r.status_code == 200 and "filename=" in r.headers["content-disposition"] for r in files.values())

        with Image.open(io.BytesIO(files["gif"].content)) as gif:
            assert gif.format == "GIF" and gif.n_frames == 14  # 8 frames ping-ponged: 8 + 6 back
        assert len(files["gif"].content) <= 2_000_000
        assert _decode(files["webm"].content) == ("vp9", 14)
        assert _decode(files["video"].content) == ("h264", 14)
        with Image.open(io.BytesIO(files["sheet"].content)) as sheet:
            assert sheet.format == "PNG" and sheet.width > sheet.height > 0

        # the generated video itself is untouched and still served
        assert hashlib.sha256(client.get(done_job["video_url"]).content).hexdigest() == original


@pytest.mark.parametrize(("body", "words"), [
    ({"formats": ["mov"]}, "unknown export format"),
    ({"formats": ["gif"], "speed": 9}, "speed must be between"),
    ({"formats": ["gif"], "loop": "spin"}, "loop"),
    ({"formats": ["gif"], "labels": [{"text": "ok", "start_s": 2, "end_s": 1}]}, "labels → 1"),
    ({"formats": "gif"}, "formats must be a list"),
    ({"formats": ["gif"], "gif_max_mb": 0}, "gif_max_mb must be a number"),
    ({"formats": ["gif"], "colour": "red"}, "colour"),
    ({}, "Nothing to do"),
    (b"{not json", "must be JSON"),
])
def test_bad_export_requests_get_a_plain_422(server, done_job, body, words):
    with server.client() as client:
        url = f"/api/v1/jobs/{done_job['id']}/exports"
        response = client.post(url, content=body) if isinstance(body, bytes) else client.post(url, json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and words in detail, detail


def test_export_of_a_missing_or_unfinished_job(server, done_job, png_bytes):
    with server.client() as client:
        assert client.post("/api/v1/jobs/nope/exports", json={"formats": ["gif"]}).status_code == 404
        assert client.get("/api/v1/jobs/nope/exports/gif").status_code == 404
        assert client.get(f"/api/v1/jobs/{done_job['id']}/exports/pack").status_code == 404  # never made
        assert client.get(f"/api/v1/jobs/{done_job['id']}/exports/..%2F..%2Fjobs.sqlite3").status_code == 404
        too_big = client.post(f"/api/v1/jobs/{done_job['id']}/exports", content=b" " * 70_000)
        assert too_big.status_code == 413

        job_id = submit(client, png_bytes, **{k: v for k, v in SLOW.items() if k != "prompt"}).json()["id"]
        client.post(f"/api/v1/jobs/{job_id}/cancel")
        assert wait_for(client, job_id, finished)["status"] == "cancelled"
        response = client.post(f"/api/v1/jobs/{job_id}/exports", json={"formats": ["gif"]})
        assert response.status_code == 409 and "cancelled" in response.json()["detail"]
