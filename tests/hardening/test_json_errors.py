"""Issue 15, class 1: inputs that gave HTTP 500, and error answers that were not JSON.

The server side (one shared server): a PNG broken after its first image-data chunk on both picture
routes, JSON nested thousands deep, non-finite and absurdly large numbers on every JSON route, and
the 413 made before any route runs. In-process: every way of breaking a picture's bytes ends in
an image or `ImageInputError`, never another exception; the outer JSON wrapper turns plain-text
errors and escaped exceptions into JSON.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from starlette.responses import PlainTextResponse

from i2v.image_input import ImageInputError, load_image
from i2v.web.errors import JsonErrors
from tests.hardening import images
from tests.hardening.conftest import (
    assert_healthy,
    assert_refused,
    count,
    finished,
    wait_for,
)
from tests.support.aio import run_async
from tests.support.servers import submit


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def video_job(client) -> str:
    """A finished job, so export bodies reach the parser."""
    response = submit(client, images.encode(images.gradient_picture(200, 160), "PNG"), steps="1", seed="5")
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json()["id"], finished, timeout=300)
    assert job["status"] == "succeeded", job
    return job["id"]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def broken_after_first_idat() -> dict[str, bytes]:
    """PNGs whose header (and first image-data chunk) read fine; the damage is met only in load()."""
    png = images.encode(images.gradient_picture(240, 180), "PNG")
    ihdr, rest = png[8:33], png[33:]
    length = struct.unpack(">I", rest[:4])[0]
    idat = rest[8:8 + length]
    head = png[:8] + ihdr + png_chunk(b"IDAT", idat[:800])
    tail = png_chunk(b"IDAT", idat[800:]) + png_chunk(b"IEND", b"")
    return {
        "chunk type not letters": head + png_chunk(b"\x00\x01\x02\x03", b"abc") + tail,  # SyntaxError in Pillow
        "chunk header cut": head + b"\x00\x00",
        "garbage chunk length": head + b"\xff\xff\xff\xf0IDAT" + b"z" * 40,
        "second chunk zeroed": head + png_chunk(b"IDAT", bytes(len(idat) - 800)) + png_chunk(b"IEND", b""),
        "bad zlib": png[:8] + ihdr + png_chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 3000) + png_chunk(b"IEND", b""),
        "bad text chunk after data": head + png_chunk(b"zTXt", b"k\x00\x00" + b"\xff" * 20) + tail,
    }


def test_pictures_broken_after_the_header_are_422_on_both_routes(client):
    table = broken_after_first_idat()
    for data in table.values():
        response = submit(client, data)
        if response.status_code == 202:  # Pillow may read a harmless variant; then it is a valid job
            client.post(f"/api/v1/jobs/{response.json()['id']}/cancel")
            continue
        assert_refused(response, 422, contains="could not be decoded")
        check = client.post("/api/v1/image/check", files={"image": ("p.png", data, "image/png")})
        assert_refused(check, 422, contains="could not be decoded")
    assert_refused(submit(client, table["chunk type not letters"]), 422, contains="broken PNG")
    count("json errors: pictures broken after the header", 2 * len(table))
    assert_healthy(client)


def mutations(data: bytes, rng: np.random.Generator, n: int) -> list[bytes]:
    """`n` copies of `data` each damaged after its first 64 bytes: flipped bytes, cut, or spliced."""
    out = []
    for i in range(n):
        array = bytearray(data)
        kind = i % 3
        if kind == 0:
            for position in rng.integers(64, len(array), size=8):
                array[position] ^= int(rng.integers(1, 256))
        elif kind == 1:
            array = array[: int(rng.integers(64, len(array)))]
        else:
            start = int(rng.integers(64, len(array) - 16))
            array[start:start + 16] = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
        out.append(bytes(array))
    return out


def test_damaged_pictures_of_every_format_decode_or_are_refused_never_crash():
    """In-process, so hundreds of damaged files cost a few seconds: whatever Pillow raises while
    reading (SyntaxError, struct.error, zlib.error, EOFError, IndexError, …) is the file's fault."""
    rng = np.random.default_rng(15)
    base = images.gradient_picture(96, 72)
    sources = {fmt: images.encode(base, fmt) for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")}
    sources["animated GIF"] = images.animated("GIF")
    sources["16-bit PNG"] = images.sixteen_bit_png()
    sources["EXIF JPEG"] = images.exif_rotated_jpeg()
    tried = refused = 0
    for name, data in sources.items():
        for damaged in mutations(data, rng, 60):
            tried += 1
            try:
                picture = load_image(damaged)
            except ImageInputError as exc:
                refused += 1
                assert str(exc)
            else:
                assert picture.mode == "RGB" and picture.info == {}, name
    assert refused > tried // 4  # the damage is real: many are refused
    count("json errors: damaged picture files (in-process)", tried)


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_deeply_nested_json_is_422_on_every_json_route(client, video_job):
    routes = [("POST", f"/api/v1/jobs/{video_job}/exports"), ("POST", "/api/v1/prompt/check"),
              ("POST", "/api/v1/symptoms/blurry/apply"), ("POST", "/api/v1/lessons"),
              ("PUT", "/api/v1/lessons/0123456789abcdef")]
    bodies = [deep(5000), deep(100_000)[:64_000], b'{"labels": ' + deep(900) + b"}", b'{"prompt": ' + deep(40) + b"}"]
    for method, route in routes:
        for body in bodies:
            response = client.request(method, route, content=body, headers={"Content-Type": "application/json"})
            assert_refused(response, 422)
    count("json errors: deeply nested bodies", len(routes) * len(bodies))
    assert_healthy(client)


NON_FINITE = ["1e999", "-1e999", "Infinity", "-Infinity", "NaN"]


def test_non_finite_and_huge_numbers_are_422(client, video_job):
    exports = f"/api/v1/jobs/{video_job}/exports"
    huge_int = "1" + "0" * 400
    tried = 0
    for number in [*NON_FINITE, huge_int, "1e308"]:
        for body in (f'{{"labels": [{{"text": "A", "start_s": {number}}}], "formats": ["sheet"]}}',
                     f'{{"labels": [{{"text": "A", "start_s": 0, "end_s": {number}}}], "formats": ["sheet"]}}',
                     f'{{"speed": {number}, "formats": ["sheet"]}}', f'{{"gif_max_mb": {number}, "formats": ["gif"]}}'):
            assert_refused(client.post(exports, content=body, headers={"Content-Type": "application/json"}), 422)
            tried += 1
        for body in (f'{{"steps": {number}, "guidance": 9}}', f'{{"guidance": {number}}}', f'{{"frames": {number}}}',
                     f'{{"seed": {number}}}', f'{{"resolution": {number}}}'):
            response = client.post("/api/v1/symptoms/blurry/apply", content=body, headers={"Content-Type": "application/json"})
            if number == "1e308":  # finite: clamped into range like any other number
                assert response.status_code in (200, 422), response.text
            else:
                assert_refused(response, 422)
            tried += 1
        response = client.post("/api/v1/prompt/check", content=f'{{"prompt": "a", "lang": {number}}}',
                               headers={"Content-Type": "application/json"})
        assert response.status_code in (200, 422) and response.headers["content-type"].startswith("application/json")
        tried += 1
    # The probe's two cases exactly.
    assert_refused(client.post("/api/v1/symptoms/blurry/apply", content=f'{{"steps": {huge_int}}}',
                               headers={"Content-Type": "application/json"}), 422, contains="digits")
    assert_refused(client.post(exports, content='{"labels": [{"text": "A", "start_s": 1e999}]}',
                               headers={"Content-Type": "application/json"}), 422, contains="too large")
    count("json errors: non-finite / huge numbers", tried + 2)
    assert_healthy(client)


def raw_request(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        header, _, rest = data.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return int(lines[0].split(" ")[1]), headers, rest


def test_errors_made_before_any_route_are_json_too(server, client):
    # 413 from the body-size limit, decided from Content-Length before a byte of the body is read.
    for path in ("/api/v1/jobs", "/api/v1/prompt/check", "/gradio_api/upload"):
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {500 * 2**20}\r\n\r\n").encode()
        status, headers, body = raw_request(server.port, head)
        assert status == 413 and headers["content-type"] == "application/json", (path, status, headers, body)
        assert "MB" in json.loads(body)["detail"]
    # A request uvicorn itself cannot parse.
    status, headers, body = raw_request(server.port, b"NOT AN HTTP REQUEST\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json" and json.loads(body)["detail"]
    # Unknown routes, wrong methods, the file routes' refusals, ranges beyond the file.
    for method, path in (("GET", "/api/v1/nope"), ("PUT", "/api/v1/jobs"), ("DELETE", "/api/v1/health"),
                         ("GET", "/gradio_api/file=/etc/passwd"), ("GET", "/api/v1/jobs/x/video")):
        assert_refused(client.request(method, path))
    count("json errors: answers made before a route", 3 + 1 + 5)


async def _call(app, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app({"type": "http", "method": method, "path": "/", "headers": []}, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_the_json_wrapper_rewrites_plain_errors_and_catches_escaped_exceptions():
    async def plain_413(scope, receive, send):
        await PlainTextResponse("Content Too Large", 413, headers={"Retry-After": "5"})(scope, receive, send)

    async def crashing(scope, receive, send):
        raise RuntimeError("boom")

    async def fine(scope, receive, send):
        await PlainTextResponse("hello", 200)(scope, receive, send)

    status, headers, body = run_async(_call(JsonErrors(plain_413)))
    assert status == 413 and headers[b"content-type"] == b"application/json" and headers[b"retry-after"] == b"5"
    assert json.loads(body) == {"detail": "Content Too Large"} and headers[b"content-length"] == str(len(body)).encode()
    status, headers, body = run_async(_call(JsonErrors(plain_413, {413: "Pictures may be at most 20 MB."})))
    assert json.loads(body)["detail"] == "Pictures may be at most 20 MB."
    status, headers, body = run_async(_call(JsonErrors(crashing)))
    assert status == 500 and json.loads(body)["detail"]
    status, headers, body = run_async(_call(JsonErrors(plain_413), method="HEAD"))
    assert status == 413 and body == b""
    status, headers, body = run_async(_call(JsonErrors(fine)))
    assert status == 200 and body == b"hello"  # successes pass untouched
    count("json errors: wrapper cases (in-process)", 5)


def test_a_full_job_table_is_a_507_with_json(tmp_path):
    """The exception handler gives the job table's storage failures their own status."""
    import sqlite3

    from fastapi.testclient import TestClient

    from i2v.web import errors

    app = errors.JsonErrorsApp()
    errors.install(app)

    @app.get("/full")
    def full():
        raise sqlite3.OperationalError("database or disk is full")

    @app.get("/busy")
    def busy():
        raise sqlite3.OperationalError("database is locked")

    @app.get("/bug")
    def bug():
        raise ValueError("a bug")

    with TestClient(app, raise_server_exceptions=False) as test:
        assert_refused(test.get("/full"), 507, contains="disk is full")
        busy_answer = test.get("/busy")
        assert busy_answer.status_code == 503 and busy_answer.json()["detail"]
        crash = test.get("/bug")
        assert crash.status_code == 500 and "ValueError" in crash.json()["detail"]
    count("json errors: job-table failures and bugs as JSON (in-process)", 3)


def test_damaged_picture_exceptions_do_not_depend_on_one_format():
    """The PNG case of the probe, through load_image directly: the header reads, load() fails."""
    data = broken_after_first_idat()["chunk type not letters"]
    with Image.open(io.BytesIO(data)) as opened:  # the header is fine ...
        assert opened.size == (240, 180)
        with pytest.raises(SyntaxError):  # ... Pillow fails only when it reads the pixels
            opened.load()
    with pytest.raises(ImageInputError, match="could not be decoded"):
        load_image(data)
