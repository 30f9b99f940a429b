"""The teaching API over real HTTP on loopback: presets and templates, search, prompt check,
symptom guide and input-picture check."""

from __future__ import annotations

import io

import pytest
from PIL import Image

LONG_PROMPT = " ".join(["chromosomes separating slowly toward opposite poles of the cell"] * 10)


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def test_presets_list_with_fetchable_png_templates(server):
    with server.client() as client:
        presets = client.get("/api/v1/presets").json()
        assert len(presets) >= 16
        first = presets[0]
        assert {"id", "title", "prompt", "negative_prompt", "params", "keywords", "template_url", "request"} <= set(first)
        assert first["request"]["prompt"] == first["prompt"] and first["score"] is None
        for preset in presets:
            response = client.get(preset["template_url"])
            assert response.status_code == 200 and response.headers["content-type"] == "image/png", preset["id"]
            with Image.open(io.BytesIO(response.content)) as picture:
                picture.load()
                assert picture.format == "PNG" and min(picture.size) >= 64
        zh = client.get("/api/v1/presets", params={"lang": "zh"}).json()[0]
        assert zh["text"]["title"] == zh["title"]["zh"] != zh["title"]["en"]
        assert zh["text"]["misconception"] == zh["misconception"]["zh"] != zh["misconception"]["en"]
        assert first["text"]["misconception"] == first["misconception"]["en"]
        assert set(first["clip"]) == {"seconds", "motion"} and 1 <= first["clip"]["seconds"] <= 10
        assert client.get("/api/v1/presets/no-such/template").status_code == 404


@pytest.mark.parametrize(("query", "expected"), [("why do we have seasons", "earth-orbit"), ("有丝分裂", "mitosis")])
def test_preset_search_puts_the_right_preset_first(server, query, expected):
    with server.client() as client:
        hits = client.get("/api/v1/presets", params={"q": query}).json()
    assert hits and hits[0]["id"] == expected, [h["id"] for h in hits]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_longer_than_200_characters_is_refused(server):
    with server.client() as client:
        response = client.get("/api/v1/presets", params={"q": "x" * 201})
    assert response.status_code == 422 and "200" in response.json()["detail"]


def test_prompt_check_warnings(server):
    with server.client() as client:
        def check(prompt: str, lang: str = "en") -> dict:
            response = client.post("/api/v1/prompt/check", json={"prompt": prompt, "lang": lang})
            assert response.status_code == 200, response.text
            return response.json()

        vague = check("make something interesting happen, cool animation")
        assert set(vague) == {"tokens", "limit", "truncated_text", "warnings"} and vague["limit"] == 75
        assert "vague" in {w["code"] for w in vague["warnings"]}
        assert all(set(w) == {"code", "message"} and w["message"] for w in vague["warnings"])

        long = check(LONG_PROMPT)
        assert long["tokens"] > 77 and long["truncated_text"]
        assert [w["code"] for w in long["warnings"]] == ["too_long"]

        zh = check(LONG_PROMPT, "zh")
        assert zh["warnings"][0]["message"] != long["warnings"][0]["message"]
        # ?lang= works as on every other teaching route; a language in the body wins over it.
        by_query = client.post("/api/v1/prompt/check", params={"lang": "zh"}, json={"prompt": LONG_PROMPT}).json()
        assert by_query["warnings"] == zh["warnings"]
        body_wins = client.post("/api/v1/prompt/check", params={"lang": "zh"}, json={"prompt": LONG_PROMPT, "lang": "en"})
        assert body_wins.json()["warnings"] == long["warnings"]

        presets = client.get("/api/v1/presets").json()
        for preset in presets[:5]:
            own = check(preset["prompt"])
            assert own["warnings"] == [] and own["truncated_text"] == "", preset["id"]

        # Each family counts with its own tokenizer and limit; Wan's UMT5 reads Chinese, CLIP does not.
        wan = client.post("/api/v1/prompt/check", json={"prompt": "细胞分裂，染色体移向两极", "model": "tiny-wan"}).json()
        assert wan["limit"] == 511 and wan["warnings"] == [] and wan["tokens"] > 0
        clip = check("细胞分裂，染色体移向两极")
        assert "non_english" in {w["code"] for w in clip["warnings"]}
        assert check(LONG_PROMPT)["tokens"] != client.post(
            "/api/v1/prompt/check", json={"prompt": LONG_PROMPT, "model": "tiny-ltx"}).json()["tokens"]
        unknown = client.post("/api/v1/prompt/check", json={"prompt": "cells", "model": "/etc"})
        assert unknown.status_code == 422 and "does not offer" in unknown.json()["detail"]

        bad = client.post("/api/v1/prompt/check", json={"prompt": "x" * 2001})
        assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)
        assert client.post("/api/v1/prompt/check", json={"lang": "en"}).status_code == 422


def test_symptoms_guide_and_apply(server):
    with server.client() as client:
        symptoms = client.get("/api/v1/symptoms", params={"lang": "zh"}).json()
        ids = {s["id"] for s in symptoms}
        assert {"blurry", "out_of_memory"} <= ids and all(s["title"] for s in symptoms)

        current = {"steps": 20, "guidance": 9.0, "resolution": "768p", "frames": 32, "prompt": "cells dividing"}
        response = client.post("/api/v1/symptoms/blurry/apply", json=current)
        assert response.status_code == 200 and response.json() == {**current, "steps": 60}
        memory = client.post("/api/v1/symptoms/out_of_memory/apply", json=current).json()
        assert (memory["resolution"], memory["frames"]) == ("512p", 16)

        assert client.post("/api/v1/symptoms/nope/apply", json=current).status_code == 404
        bad = client.post("/api/v1/symptoms/blurry/apply", json={"steps": "many"})
        assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_check_reports_issues_and_refuses_bad_uploads(server, png_bytes):
    dark = Image.new("RGB", (320, 240), (5, 5, 10))
    dark.paste((240, 200, 40), (140, 100, 180, 140))  # a small bright subject on black
    with server.client() as client:
        def check(data: bytes, **params: str):
            return client.post("/api/v1/image/check", files={"image": ("p.png", data, "image/png")}, params=params)

        issues = check(_png(dark)).json()["issues"]
        codes = {i["code"]: i for i in issues}
        assert codes["dark_background"]["fix"] == "recolour_background"
        assert all(i["message"] for i in issues)
        assert check(_png(dark), lang="zh").json()["issues"][0]["message"] != issues[0]["message"]
        assert check(png_bytes).status_code == 200

        broken = check(b"this is not a picture")
        assert broken.status_code == 422 and isinstance(broken.json()["detail"], str)
