"""POST /api/v1/lessons as hardened as /jobs (issue 28, items 1–4), on the shared lesson server (real
HTTP on loopback): no outline stalls the server, multipart text is kept exactly, nothing a client
sends is a 500, and a zip bomb is refused before it is inflated, so memory comes back."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile

import psutil
import pytest

from tests.hardening.conftest import assert_refused
from tests.lessons.conftest import THREE_POINTS
from tests.lessons.test_lessons_markup import WORST_LINES

pytestmark = pytest.mark.slow
UPLOAD_LIMIT = 2 * 2**20  # the lesson server's I2V_LESSON_MAX_UPLOAD_MB


@pytest.fixture(scope="module")
def http(lesson_server):
    with lesson_server.client() as client:
        yield client


def multipart(fields: list[tuple[str, bytes]], file: tuple[str, bytes] | None = None) -> tuple[bytes, str]:
    """A multipart body built byte by byte, so a test can send what httpx would not (invalid UTF-8,
    a field twice)."""
    boundary = "i2vTestBoundary7MA4YWxkTrZu0gW"
    parts = [b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value + b"\r\n"
             for name, value in fields]
    if file is not None:
        parts.append(b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="file"; filename="'
                     + file[0].encode() + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + file[1] + b"\r\n")
    return b"".join(parts) + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


def post_multipart(http, fields, file=None):
    body, kind = multipart(fields, file)
    return http.post("/api/v1/lessons", content=body, headers={"content-type": kind})


# ---- 1: no outline stalls the server ----------------------------------------------------------------


def worst_outline(budget: int = UPLOAD_LIMIT - 4096) -> str:
    """As many of the worst lines as fit the upload limit (as JSON), every kind in turn."""
    lines, size, kinds = ["# Lesson"], 0, list(WORST_LINES.values())
    while True:
        line = kinds[len(lines) % len(kinds)]
        size += len(json.dumps(line)) + 2
        if size > budget:
            return "\n".join(lines)
        lines.append(line)


@pytest.mark.parametrize("outline", [
    "\n".join(["# a" + " " * 1990 + "b", "- point"] * 4),  # the report's: 4 such headings took 50 s
    "worst",
], ids=["four padded headings", "2 MB of every worst line"])
def test_health_answers_within_half_a_second_while_the_worst_outline_is_parsed(http, lesson_server, outline):
    outline = worst_outline() if outline == "worst" else outline
    answer: dict = {}

    def create() -> None:
        started = time.monotonic()
        answer["response"] = http.post("/api/v1/lessons", json={"outline": outline})
        answer["span"] = (started, time.monotonic())

    latencies: list[tuple[float, float]] = []  # (sent at, seconds)
    with lesson_server.client() as probe:
        worker = threading.Thread(target=create)
        worker.start()
        while worker.is_alive():
            sent = time.monotonic()
            assert probe.get("/api/v1/health").status_code == 200
            latencies.append((sent, time.monotonic() - sent))
            time.sleep(0.02)
        worker.join()
    response = answer["response"]
    assert response.status_code in (201, 422), response.text  # too many points, or a lesson: never a 500
    started, ended = answer["span"]
    during = [seconds for sent, seconds in latencies if started <= sent <= ended]
    print(f"create took {ended - started:.2f} s for {len(outline)} characters; /health answered {len(during)}× "
          f"meanwhile, slowest {max(during, default=0):.3f} s")
    assert during, "no /health call overlapped the create"
    assert max(during) < 0.5, sorted(during)[-5:]


# ---- 2: multipart text exactly --------------------------------------------------------------------


def test_multipart_title_and_outline_are_kept_exactly(http):
    title = "有丝分裂 — Café"
    made = post_multipart(http, [("title", title.encode()), ("outline", THREE_POINTS.encode()), ("model", b"tiny")])
    assert made.status_code == 201, made.text
    lesson = made.json()["lesson"]
    assert lesson["title"] == title
    assert [s["point"] for s in lesson["scenes"]] == ["Anaphase", "光合作用", "Why do we have seasons"]
    assert lesson["scenes"][1]["description"] == "叶片在光照下释放氧气"


def test_a_multipart_outline_file_named_in_utf8_keeps_its_text(http):
    made = post_multipart(http, [("title", "Café".encode())], file=("细胞.md", ("# 细胞分裂\n- " + THREE_POINTS.replace("\n", "\n- ")).encode()))
    assert made.status_code == 201, made.text
    assert made.json()["lesson"]["title"] == "Café"
    assert made.json()["lesson"]["scenes"][1]["point"] == "光合作用"


@pytest.mark.parametrize("fields, contains", [
    ([("title", b"\xff\xfe cells"), ("outline", THREE_POINTS.encode())], "UTF-8"),
    ([("title", "Caf\u00e9".encode("latin-1")), ("outline", THREE_POINTS.encode())], "UTF-8"),
    ([("outline", b"Prophase\n\xc3"), ], "UTF-8"),
    ([("title", b"one"), ("title", b"two"), ("outline", THREE_POINTS.encode())], "more than once"),
    ([("outline", THREE_POINTS.encode()), ("outline", b"Mitosis")], "more than once"),
    ([("outline", THREE_POINTS.encode()), ("steps", "²".encode())], "whole number"),
], ids=["invalid bytes", "latin-1", "cut UTF-8 sequence", "title twice", "outline twice", "superscript steps"])
def test_multipart_text_that_is_not_exact_utf8_or_repeated_is_refused(http, lesson_server, fields, contains):
    before = set((lesson_server.home / "lessons").iterdir())
    assert_refused(post_multipart(http, fields), 422, contains=contains)
    assert set((lesson_server.home / "lessons").iterdir()) == before


# ---- 3: no 500s ---------------------------------------------------------------------------------------


def nested_graph(depth: int = 100_000) -> str:
    return '{"nodes": ' + "[" * depth + "]" * depth + "}"


def huge_integer_graph() -> str:
    return '{"nodes": [{"id": "a", "label": "Prophase", "x": ' + "7" * 5000 + "}]}"


@pytest.mark.parametrize("body, contains", [
    ({"outline": " ".join(["Blorptastic"] * 166)}, "prompt"),  # 1,991 characters; no preset; prompt > 2,000
    ({"outline": THREE_POINTS, "model": 5}, "model"),
    ({"outline": THREE_POINTS, "model": {}}, "model"),
    ({"outline": THREE_POINTS, "model": True}, "model"),
    ({"outline": THREE_POINTS, "resolution_class": ["draft"]}, "resolution_class"),
    ({"outline": THREE_POINTS, "steps": "²"}, "whole number"),
    ({"outline": THREE_POINTS, "steps": "٣"}, "whole number"),
    ({"outline": nested_graph()}, "nested too deeply"),
    ({"outline": huge_integer_graph()}, "digits"),
    ({"outline": "\u200b\u200c\u2060"}, "visible"),
    ({"outline": "- Prophase\n- \u200b\u200b\n- Metaphase"}, "visible"),
], ids=["long point", "model 5", "model {}", "model true", "class list", "steps ²", "steps ٣", "nested graph text",
        "5000-digit integer", "zero-width outline", "zero-width point"])
def test_create_bodies_that_were_500s_are_422s_with_a_detail(http, lesson_server, body, contains):
    before = set((lesson_server.home / "lessons").iterdir())
    assert_refused(http.post("/api/v1/lessons", json=body), 422, contains=contains)
    assert set((lesson_server.home / "lessons").iterdir()) == before


@pytest.mark.parametrize("name, data, contains", [
    ("graph.json", nested_graph().encode(), "nested too deeply"),
    ("graph.json", huge_integer_graph().encode(), "digits"),
    ("lesson.zip", None, "nested too deeply"),
], ids=["nested .json", "5000-digit .json", "nested .json in a zip"])
def test_uploaded_json_is_read_strictly(http, name, data, contains):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # stored: under the ratio check
            archive.writestr("graph.json", nested_graph())
        data = buffer.getvalue()
    assert_refused(post_multipart(http, [], file=(name, data)), 422, contains=contains)


# ---- 4: a zip bomb of many small members --------------------------------------------------------------


def many_zeros_zip(members: int = 199, size: int = 1_000_000) -> bytes:
    """The report's 236 kB zip: 199 captioned 'pictures' of 1 MB of zeros, each compressing ~1,000:1
    (the old per-member ratio check only looked at members over 1 MiB)."""
    buffer = io.BytesIO()
    zeros = bytes(size)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(members):
            archive.writestr(f"cell{number:03}.png", zeros)
            archive.writestr(f"cell{number:03}.txt", f"Point {number}")
    return buffer.getvalue()


def test_four_zip_bombs_at_once_are_refused_and_memory_comes_back(http, lesson_server):
    bomb = many_zeros_zip()
    assert len(bomb) < 400_000
    server = psutil.Process(lesson_server.pid)
    http.get("/api/v1/health")
    start = server.memory_info().rss
    answers, peak = [], [start]

    def send() -> None:
        answers.append(post_multipart(http, [], file=("cells.zip", bomb)))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak.append(server.memory_info().rss)
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    after = server.memory_info().rss
    print(f"server RSS: start {start / 2**20:.0f} MiB, peak {max(peak) / 2**20:.0f} MiB, after {after / 2**20:.0f} MiB")
    for answer in answers:
        assert_refused(answer, 422)
    assert len(answers) == 4
    assert after - start < 50 * 2**20, (start / 2**20, after / 2**20)
    assert max(peak) - start < 50 * 2**20, (start / 2**20, max(peak) / 2**20)


# ---- 6: the limits' messages, the lesson file's ETag -------------------------------------------------


def test_the_two_413s_name_the_limit_that_applies(http):
    too_big = http.post("/api/v1/lessons", content=b'{"outline": "' + b"a" * UPLOAD_LIMIT + b'"}',
                        headers={"content-type": "application/json"})
    assert_refused(too_big, 413, contains="larger than 2 MB (I2V_LESSON_MAX_UPLOAD_MB)")
    lesson_id = http.post("/api/v1/lessons", json={"outline": THREE_POINTS}).json()["id"]
    picture = http.post(f"/api/v1/lessons/{lesson_id}/pictures", files={"file": ("big.png", bytes(21 * 2**20), "image/png")})
    assert_refused(picture, 413, contains="larger than 20 MB (I2V_MAX_UPLOAD_MB)")


def test_the_lesson_file_download_answers_if_none_match_with_304(http):
    lesson_id = http.post("/api/v1/lessons", json={"outline": THREE_POINTS}).json()["id"]
    first = http.get(f"/api/v1/lessons/{lesson_id}/lesson")
    assert first.status_code == 200 and first.headers["etag"]
    again = http.get(f"/api/v1/lessons/{lesson_id}/lesson", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
