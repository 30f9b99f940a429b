"""HEAD, OPTIONS and If-None-Match on the API, and numbers in /symptoms/ID/apply read like every
other route's (issue 28, item 6), on the shared server (real HTTP on loopback).

Before: HEAD and OPTIONS on any GET route fell through to the studio mounted at "/" and got 404; an
If-None-Match naming the ETag a file was served with still got the whole file; "1e3" and "٣" were
taken as numbers by the symptom fix."""

from __future__ import annotations

import pytest

from tests.hardening.conftest import assert_refused

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def http(shared_server):
    with shared_server.client() as client:
        yield client


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/models", "/api/v1/lessons", "/api/v1/jobs",
                                  "/api/v1/presets", "/api/v1/presets/mitosis/template"])
def test_head_on_a_get_route_answers_its_headers_without_a_body(http, path):
    got, head = http.get(path), http.head(path)
    assert got.status_code == 200 and head.status_code == 200, (head.status_code, head.headers)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


@pytest.mark.parametrize("path, allowed", [
    ("/api/v1/health", "GET, HEAD"),
    ("/api/v1/lessons", "GET, HEAD, POST"),
    ("/api/v1/lessons/0123456789abcdef", "DELETE, GET, HEAD, PUT"),
    ("/api/v1/prompt/check", "POST"),
])
def test_a_method_a_path_does_not_take_is_405_with_allow(http, path, allowed):
    for method in ("OPTIONS", "PATCH"):
        answer = http.request(method, path)
        assert_refused(answer, 405, contains="not allowed")
        assert answer.headers["allow"] == allowed


def test_an_unknown_api_path_is_still_404_for_every_method(http):
    for method in ("GET", "HEAD", "OPTIONS", "POST"):
        answer = http.request(method, "/api/v1/no-such-thing")
        assert answer.status_code == 404, (method, answer.text)


def test_if_none_match_with_the_served_etag_is_304(http):
    path = "/api/v1/presets/mitosis/template"
    first = http.get(path)
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = http.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304, (header, again.status_code)
        assert again.content == b"" and again.headers["etag"] == etag
    head = http.head(path, headers={"If-None-Match": etag})
    assert head.status_code == 304
    changed = http.get(path, headers={"If-None-Match": '"an-older-version"'})
    assert changed.status_code == 200 and changed.content == first.content


@pytest.mark.parametrize("steps", ["1e3", "٣", "nan", "Infinity", True, "2" * 40])
def test_symptom_apply_reads_only_plain_numbers(http, steps):
    assert_refused(http.post("/api/v1/symptoms/blurry/apply", json={"steps": steps, "guidance": 9}), 422)


def test_symptom_apply_still_takes_numbers_and_plain_decimal_text(http):
    for steps in (20, "20", " 20 ", 20.0):
        answer = http.post("/api/v1/symptoms/blurry/apply", json={"steps": steps, "guidance": "9.5"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["guidance"] == 9.5 and answer.json()["steps"] > 20
