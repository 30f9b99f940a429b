"""End pictures and keyframes through the HTTP API of a real server (tiny models, real SQLite, real
MP4s): accepted by the families that take them, 422 naming those families otherwise, the same
picture checks as the first picture, and every family's ability and licence in GET /models."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.servers import finished, wait_for

A14B = {"model": "tiny-wan-a14b", "prompt": "ice melting into water", "resolution": "240p", "frames": "5", "steps": "2"}


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def png(colour=(20, 40, 220), size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def post(client, fields: dict, **files: bytes):
    uploads = {name: (f"{name}.png", data, "image/png") for name, data in files.items()}
    return client.post("/api/v1/jobs", data=fields, files=uploads)


def test_models_show_each_familys_keyframes_and_licence(server):
    with server.client() as client:
        models = {m["id"]: m for m in client.get("/api/v1/models").json()}
    abilities = {model: models[model]["spec"]["keyframes"] for model in ("tiny", "tiny-wan", "tiny-ltx", "tiny-wan-a14b")}
    assert abilities == {"tiny": "none", "tiny-wan": "none", "tiny-ltx": "any", "tiny-wan-a14b": "last"}
    a14b = models["tiny-wan-a14b"]
    assert a14b["title"] == "Wan 2.2 I2V-A14B" and a14b["licence"]["name"] == "Apache-2.0"
    assert "Lightning" in a14b["licence"]["note"] and a14b["spec"]["fast"]["steps"] == 4
    assert a14b["spec"]["fast"]["guidance"] == 1.0


def test_an_end_picture_job_for_a14b_runs_and_records_both_pictures(server):
    with server.client() as client:
        created = post(client, {**A14B, "seed": "4"}, image=png((200, 30, 30)), end_image=png())
        assert created.status_code == 202, created.text
        assert created.json()["warnings"] == []
        job = wait_for(client, created.json()["id"], finished, timeout=300)
    assert job["status"] == "succeeded", job
    recipe = job["recipe"]
    assert recipe["request"]["keyframes"] == [1.0] and recipe["keyframes"][0]["position"] == 1.0
    assert recipe["frames"] == 5 and recipe["model"]["family"] == "wan_a14b"


def test_ltx_takes_middle_keyframes_with_positions(server):
    fields = {"model": "tiny-ltx", "prompt": "salt dissolving", "resolution": "256p", "frames": "17", "steps": "2",
              "keyframe1_at": "0.5"}
    with server.client() as client:
        created = post(client, fields, image=png((200, 30, 30)), end_image=png(), keyframe1=png((240, 200, 30)))
        assert created.status_code == 202, created.text
        job = wait_for(client, created.json()["id"], finished, timeout=300)
    assert job["status"] == "succeeded", job
    assert [(k["position"], k["frame"]) for k in job["recipe"]["keyframes"]] == [(0.5, 8), (1.0, 16)]
    assert job["recipe"]["request"]["keyframes"] == [0.5, 1.0]


@pytest.mark.parametrize("model, title", [("tiny", "I2VGen-XL"), ("tiny-wan", "Wan 2.2 TI2V-5B")])
def test_families_without_keyframes_answer_422_naming_those_that_can(server, model, title):
    with server.client() as client:
        before = client.get("/api/v1/jobs").json()["total"]
        answer = post(client, {"model": model, "prompt": "x"}, image=png(), end_image=png())
        assert answer.status_code == 422
        detail = answer.json()["detail"]
        assert f"{title} takes no end picture" in detail and "Wan 2.2 I2V-A14B" in detail and "LTX-Video 2B" in detail
        assert client.get("/api/v1/jobs").json()["total"] == before


def test_middle_keyframes_on_a14b_are_refused(server):
    with server.client() as client:
        answer = post(client, {**A14B, "keyframe1_at": "0.5"}, image=png(), end_image=png(), keyframe1=png())
    assert answer.status_code == 422 and "takes an end picture only" in answer.json()["detail"]


@pytest.mark.parametrize("files, fields, words", [
    ({"end_image": b"not a picture"}, {}, "end picture: This file is not a picture"),
    ({"end_image": b""}, {}, "The file is empty"),
    ({"keyframe1": png()}, {}, "keyframe1: send the picture"),
    ({"keyframe1": png()}, {"keyframe1_at": "1"}, "between 0 and 1"),
])
def test_a_bad_second_picture_gets_the_first_pictures_checks(server, files, fields, words):
    with server.client() as client:
        answer = post(client, {**A14B, "model": "tiny-ltx", "resolution": "256p", "frames": "9", **fields},
                      image=png(), **files)
    assert answer.status_code == 422 and words in answer.json()["detail"], answer.text


def test_pictures_of_very_different_shape_are_accepted_with_a_warning(server):
    with server.client() as client:
        created = post(client, {**A14B, "steps": "1"}, image=png(), end_image=png(size=(300, 400)))
        assert created.status_code == 202, created.text
        [warning] = created.json()["warnings"]
        assert "very different shapes" in warning
        wait_for(client, created.json()["id"], finished, timeout=300)


def test_two_pictures_on_one_frame_are_refused_before_queueing(server):
    fields = {"model": "tiny-ltx", "prompt": "x", "resolution": "256p", "frames": "9", "keyframe1_at": "0.25"}
    with server.client() as client:
        answer = post(client, fields, image=png(), end_image=png(), keyframe1=png())
    assert answer.status_code == 422 and "fall on frames 0, 8" in answer.json()["detail"]
