"""LTX-2 through the HTTP API of a real server (in process, real SQLite, loopback HTTP): the model list
shows the family's licence and sound; a tiny-ltx2 job's MP4 carries H.264 and AAC of the same length;
`sound=off` gives no audio stream; a bad `sound` value is a 422 with a readable detail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from i2v.media import probe
from tests.support.servers import finished, wait_for

LTX2 = {"model": "tiny-ltx2", "prompt": "a bell ringing, the sound of the bell", "resolution": "256p", "frames": "9",
        "steps": "2", "seed": "5"}


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 120, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def run_job(client, fields: dict, tmp_path: Path) -> Path:
    created = client.post("/api/v1/jobs", data=fields, files={"image": ("image.png", png(), "image/png")})
    assert created.status_code == 202, created.text
    job = wait_for(client, created.json()["id"], finished, timeout=600)
    assert job["status"] == "succeeded", job
    video = tmp_path / f"{job['id']}.mp4"
    video.write_bytes(client.get(f"/api/v1/jobs/{job['id']}/video").content)
    return video


def test_the_model_list_shows_the_licence_and_its_marking_duty(server):
    with server.client() as client:
        models = {m["id"]: m for m in client.get("/api/v1/models").json()}
    ltx2 = models["tiny-ltx2"]
    assert ltx2["licence"]["name"] == "LTX-2 Community License" and "AI-generated" in ltx2["licence"]["note"]
    assert ltx2["spec"]["keyframes"] == "any"


def test_a_job_with_sound_and_one_without(server, tmp_path):
    with server.client() as client:
        loud = run_job(client, LTX2, tmp_path)
        quiet = run_job(client, {**LTX2, "sound": "off"}, tmp_path)
    info = probe(loud)
    assert (info.codec, info.audio_codec, info.frames) == ("h264", "aac", 9)
    assert abs(info.audio_seconds - info.frames / float(info.fps)) <= 1 / float(info.fps)
    assert probe(quiet).audio_codec is None and probe(quiet).frames == 9


def test_a_bad_sound_value_is_refused_in_words(server):
    with server.client() as client:
        refused = client.post("/api/v1/jobs", data={**LTX2, "sound": "loud"},
                              files={"image": ("image.png", png(), "image/png")})
    assert refused.status_code == 422 and "sound" in str(refused.json()["detail"])
