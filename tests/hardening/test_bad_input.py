"""Bad input through the real HTTP API of a real server (tiny model, loopback): each is refused with a
4xx and a JSON detail a teacher can act on, never a 500, and the server stays healthy afterwards.

One server for the whole module; each test runs a table of inputs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import socket
import time
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from tests.hardening import images
from tests.hardening.conftest import FAST, assert_healthy, assert_refused, count, finished, wait_for
from tests.support.servers import start_app_server

PNG = images.encode(images.gradient_picture(200, 160), "PNG")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_app_server(
        tmp_path_factory.mktemp("home"), I2V_MAX_QUEUED="12", I2V_MAX_QUEUED_PER_CLIENT="12", I2V_MAX_UPLOAD_MB="2",
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def post_job(client: httpx.Client, image: bytes = PNG, name: str = "picture.png", **fields) -> httpx.Response:
    return client.post("/api/v1/jobs", files={"image": (name, image, "application/octet-stream")}, data={**FAST, **fields})


def drain(client: httpx.Client, ids: list[str]) -> list[dict]:
    return [wait_for(client, job_id, finished, timeout=300) for job_id in ids]


@contextlib.contextmanager
def worker_busy(client: httpx.Client):
    """Keep the one worker on a 150-step job, so submissions stay queued (and can be cancelled
    without ever running: the 2-core test machine cannot afford a video per bad input)."""
    blocker = post_job(client, steps="150", prompt="blocker").json()["id"]
    wait_for(client, blocker, lambda j: j["status"] == "running")
    try:
        yield blocker
    finally:
        client.post(f"/api/v1/jobs/{blocker}/cancel")
        wait_for(client, blocker, finished)


def cancel_all(client: httpx.Client, ids: list[str]) -> None:
    for job_id in ids:
        assert client.post(f"/api/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"


@pytest.fixture(scope="module")
def finished_job(client) -> dict:
    """One real video, made from a prompt full of HTML."""
    response = post_job(client, prompt=EVIL, negative_prompt="<b>bold</b>", seed="3", steps="1")
    assert response.status_code == 202, response.text
    return drain(client, [response.json()["id"]])[0]


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> a cell dividing'


def test_bad_pictures_are_refused_with_a_reason(client):
    table = images.bad()
    for name, (data, phrase) in table.items():
        assert_refused(post_job(client, data, name), 422, contains=phrase)
    count("bad pictures", len(table))
    # Above the upload limit (2 MB here): refused before decoding, with the limit named.
    big = os.urandom(3 * 2**20)
    assert_refused(post_job(client, big, "huge.png"), 413, contains="2 MB")
    # Far above it (50 MB): cut off while streaming, on the API and on Gradio's upload route alike.
    huge = b"\0" * (50 * 2**20)
    for path in ("/api/v1/jobs", "/gradio_api/upload"):
        started = time.monotonic()
        response = client.post(path, files={"image" if "api/v1" in path else "files": ("huge.png", huge)}, data=FAST)
        assert response.status_code == 413, (path, response.status_code, response.text[:200])
        assert time.monotonic() - started < 30
    count("bad pictures", 3)
    assert client.get("/api/v1/jobs").json()["total"] == 0  # nothing was queued
    assert_healthy(client)


def test_awkward_but_valid_pictures_are_accepted_and_normalised(client, server):
    table = images.good()
    ids = []
    with worker_busy(client):
        for name, data in table.items():
            response = post_job(client, data, "../../" + name, seed="1", steps="1")
            assert response.status_code == 202, (name, response.text)
            ids.append(response.json()["id"])
        # Uploads are stored under generated names (never the client's), as plain RGB PNGs.
        stored = sorted((server.home / "uploads").iterdir(), key=lambda p: p.stat().st_mtime)[-len(table):]
        for path in stored:
            assert re.fullmatch(r"[0-9a-f]{16}\.png", path.name), path.name
            with Image.open(path) as picture:
                assert picture.format == "PNG" and picture.mode == "RGB" and min(picture.size) >= 32
        rotated = Image.open(stored[list(table).index("exif-rotated.jpg")])
        assert rotated.size == (200, 320)  # EXIF orientation applied
        cancel_all(client, ids)
    count("awkward valid pictures", len(table))
    assert not list(server.home.glob("*.part")) and not list((server.home / "uploads").glob(".*"))
    assert_healthy(client)


def test_bad_prompts_are_refused(client):
    table = {
        "": "prompt", "   ": "prompt", "\t\n ": "prompt", "x" * 10_000: "prompt",
        "a cell\x00dividing": "control", "bell\x07ringing": "control", "esc\x1b[31mred": "control",
        "data:image/png;base64," + "A" * 3_000_000: "",  # over the form parser's 1 MB field limit: 400
    }
    for prompt, phrase in table.items():
        assert_refused(post_job(client, prompt=prompt), 400, 422, contains=phrase)
    bad_negative = {"x" * 10_000: "negative_prompt", "no\x00nul": "control"}
    for negative, phrase in bad_negative.items():
        assert_refused(post_job(client, negative_prompt=negative), 422, contains=phrase)
    # Bytes that are not UTF-8 at all are refused with a message (they used to be read as Latin-1,
    # so the teacher saw odd letters they never typed); test_lenient_input.py has more.
    for raw in (b"\xff\xfe\xfa motion", b"caf\xe9 scene", b"\xc3\x28 cell", b"\xff\x00\xfe"):
        response = client.post("/api/v1/jobs", files={"image": ("p.png", PNG, "image/png"), "prompt": (None, raw)},
                               data={k: v for k, v in FAST.items() if k != "prompt"})
        assert_refused(response, 422, contains="UTF-8")
    count("bad prompts", len(table) + len(bad_negative) + 4)
    assert_healthy(client)


def test_html_in_prompts_is_stored_verbatim_and_served_as_data(client, finished_job):
    job = finished_job
    assert job["status"] == "succeeded", job
    assert job["request"]["prompt"] == EVIL and job["recipe"]["prompt"] == EVIL  # data, not markup
    listing = client.get("/api/v1/jobs")
    assert listing.headers["content-type"].startswith("application/json")
    # JSON responses are never sniffed as HTML by a browser.
    assert listing.headers.get("x-content-type-options") == "nosniff"
    count("html prompts", 2)


PARAMETERS = {
    "frames": ["7", "33", "0", "-8", "abc", "1.5", "NaN", "inf", "1e9", "99999999999999999999999"],
    "fps": ["3", "31", "0", "-1", "fast", "nan"],
    "steps": ["0", "151", "-5", "many", "2.5", "Infinity"],
    "guidance": ["0.5", "20.5", "-1", "nan", "NaN", "inf", "-inf", "1e400", "nine"],
    "seed": ["-1", str(2**32), str(2**64), "1e20", "abc", "0x10", "nan"],
    "resolution": ["2048p", "512", "512P ", "../../etc/passwd", "1024p; DROP TABLE jobs"],
    "scheduler": ["euler", "DDIM ", "__import__('os')", "dpm++"],
}


def test_out_of_range_and_wrongly_typed_parameters_are_refused(client):
    tried = 0
    for field, values in PARAMETERS.items():
        for value in values:
            text = assert_refused(post_job(client, **{field: value}), 422, contains=field)
            assert "Traceback" not in text
            tried += 1
    count("bad parameters", tried)
    assert_healthy(client)


def test_unknown_fields_and_url_inputs_are_refused(client):
    unknown = {"image_url": "http://169.254.169.254/latest/meta-data/", "path": "/etc/passwd",
               "allow_downgrade": "true", "model": "evil/model", "input_image": "file:///etc/passwd"}
    for field, value in unknown.items():
        assert_refused(post_job(client, **{field: value}), 422, contains=field)
    # The image itself given as a URL or a path string instead of an upload.
    for value in ("http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "/etc/passwd",
                  "data:image/png;base64,iVBORw0KGgo=" + "A" * 100_000):
        response = client.post("/api/v1/jobs", data={**FAST, "image": value})
        assert_refused(response, 422)
        # ... or as the content of an uploaded file: not a picture.
        assert_refused(post_job(client, value.encode(), "link.png"), 422, contains="not a picture")
    # No picture at all.
    assert_refused(client.post("/api/v1/jobs", data=FAST), 422)
    count("unknown fields / URL inputs", len(unknown) + 4 * 2 + 1)
    assert_healthy(client)


BAD_IDS = [
    "nope", "0" * 16, "..", "../jobs.sqlite3", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..\\..\\jobs.sqlite3", "C:\\Windows\\win.ini", "c:/windows/win.ini", "%2fetc%2fpasswd", "' OR 1=1 --",
    "%00", "a" * 5000,
]


def test_unknown_and_hostile_job_ids_are_404(client):
    tried = 0
    for raw in BAD_IDS:
        for method, suffix in (("GET", ""), ("GET", "/video"), ("GET", "/thumbnail"), ("GET", "/preview"),
                               ("GET", "/events"), ("POST", "/cancel"), ("DELETE", "")):
            response = client.request(method, f"/api/v1/jobs/{raw}{suffix}")
            assert response.status_code in (404, 405), (raw, suffix, response.status_code, response.text[:200])
            assert b"root:" not in response.content
            tried += 1
    # Absolute and traversal paths under the API prefix never reach a file.
    for path in ("/api/v1/../../../../etc/passwd", "/api/v1/%2e%2e/%2e%2e/etc/passwd", "/api/v1/jobs/..%5c..%5cetc%5cpasswd"):
        response = client.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)
        assert b"root:" not in response.content
        tried += 1
    # History paging out of range (an offset past SQLite's integers was a 500, found by schemathesis).
    for params in ({"offset": str(2**70)}, {"offset": "-1"}, {"limit": "0"}, {"limit": "101"}, {"limit": "nan"},
                   {"offset": "1e3"}, {"limit": str(2**64)}):
        assert_refused(client.get("/api/v1/jobs", params=params), 422)
        tried += 1
    # A 1 MB job id in the URL: the HTTP server refuses the request line; the server stays up.
    with socket.create_connection(("127.0.0.1", int(str(client.base_url).rsplit(":", 1)[1].strip("/")))) as raw:
        try:
            raw.sendall(b"GET /api/v1/jobs/" + b"a" * 2**20 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert raw.recv(100).split(b" ")[1] in (b"400", b"404", b"414", b"431")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server: also a refusal
    # A 50 MB file name on the upload: refused (or the name ignored); never stored under that name.
    response = client.post("/api/v1/jobs", files={"image": ("a" * (50 * 2**20) + ".png", PNG)}, data={**FAST, "prompt": ""})
    assert response.status_code in (400, 413, 422, 431), response.status_code
    tried += 2
    count("hostile ids/paths", tried)
    assert_healthy(client)


def test_cancel_twice_cancel_finished_delete_running_and_ranges(client, finished_job):
    with worker_busy(client) as first:
        queued = post_job(client, seed="10").json()["id"]
        # Deleting a running or queued job is refused; cancelling twice is harmless.
        assert_refused(client.delete(f"/api/v1/jobs/{first}"), 409, contains="cancel it first")
        assert_refused(client.delete(f"/api/v1/jobs/{queued}"), 409, contains="cancel it first")
        for _ in range(2):
            assert client.post(f"/api/v1/jobs/{queued}/cancel").json()["status"] == "cancelled"
        for _ in range(2):
            assert client.post(f"/api/v1/jobs/{first}/cancel").status_code == 200
        assert wait_for(client, first, finished)["status"] == "cancelled"
    second, done = finished_job["id"], finished_job
    # Cancelling a finished job changes nothing (idempotent) and keeps its video.
    again = client.post(f"/api/v1/jobs/{second}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "succeeded"
    video = client.get(done["video_url"])
    size = len(video.content)
    assert video.status_code == 200 and size > 0
    # Range requests: inside the file 206, beyond it 416 with the real size.
    assert client.get(done["video_url"], headers={"Range": f"bytes={size - 10}-"}).status_code == 206
    for bad_range in (f"bytes={size}-", f"bytes={size + 1000}-{size + 2000}"):
        response = client.get(done["video_url"], headers={"Range": bad_range})
        assert response.status_code == 416, (bad_range, response.status_code)
        assert response.headers.get("content-range") == f"bytes */{size}"
    for odd in ("bytes=5-2", "bytes=abc", "lines=0-10", "bytes=" + ",".join(["0-1"] * 200)):
        assert client.get(done["video_url"], headers={"Range": odd}).status_code in (200, 206, 400, 416)
    count("api misuse", 2 + 1 + 1 + 2 + 4)
    assert_healthy(client)


def test_many_submissions_at_once_hold_the_limits(client, server):
    def one(i: int) -> httpx.Response:
        with server.client() as c:
            return post_job(c, prompt=f"a cell dividing {i}", steps="1", seed=str(i))

    with worker_busy(client):
        before = client.get("/api/v1/jobs", params={"limit": 100}).json()["total"]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(one, range(40)))
        codes = [r.status_code for r in responses]
        assert sorted(set(codes)) == [202, 429], codes
        assert codes.count(202) == 12, codes  # exactly the queue limit, never more
        for refused in (r for r in responses if r.status_code == 429):
            assert_refused(refused, 429, contains="wait")
        history = client.get("/api/v1/jobs", params={"limit": 100}).json()
        assert history["total"] == before + 12
        ids = [r.json()["id"] for r in responses if r.status_code == 202]
        queued = {j["id"]: j for j in history["jobs"] if j["status"] == "queued"}
        assert set(ids) == set(queued) and sorted(j["position"] for j in queued.values()) == list(range(1, 13))
        cancel_all(client, ids)
    count("concurrent submissions", 40)
    assert_healthy(client)


def test_a_symlink_swapped_into_the_archive_is_not_followed(client, server, finished_job):
    """Someone with access to the folder replaces a job's thumbnail by a link to a system file."""
    thumbnail = (server.home / finished_job["video"]).with_suffix(".jpg")
    original = thumbnail.read_bytes()
    thumbnail.unlink()
    thumbnail.symlink_to("/etc/passwd")
    try:
        response = client.get(finished_job["thumbnail_url"])
        assert response.status_code == 404 and b"root:" not in response.content
        gradio = client.get(f"/gradio_api/file={thumbnail}")
        assert gradio.status_code in (403, 404) and b"root:" not in gradio.content
    finally:
        thumbnail.unlink()
        thumbnail.write_bytes(original)
    assert client.get(finished_job["thumbnail_url"]).status_code == 200
    count("hostile ids/paths", 2)


def test_gradio_serves_no_file_outside_the_archive(client, server):
    home = server.home.resolve()
    secret_link = home / "2026-01-01"
    secret_link.mkdir(exist_ok=True)
    (secret_link / "passwd.mp4").symlink_to("/etc/passwd")
    targets = [
        "/etc/passwd", str(home / "jobs.sqlite3"), str(home / ".." / ".." / "etc" / "passwd"),
        str(secret_link / "passwd.mp4"), quote(str(home / "jobs.sqlite3"), safe=""), "..%2f..%2f..%2fetc%2fpasswd",
        "C:\\Windows\\win.ini", str(next(iter((home / "uploads").iterdir()), home / "uploads" / "x.png")),
        str(home / "uploads"), str(home / "jobs.sqlite3-wal"),
    ]
    tried = 0
    for target in targets:
        for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
            response = client.get(prefix + target)
            assert response.status_code in (400, 403, 404, 405), (prefix, target, response.status_code)
            assert b"root:" not in response.content and b"SQLite format" not in response.content
            tried += 1
    # Positive control: a real archive file, even one with ".." inside its name, is served.
    (secret_link / "a..b.mp4").write_bytes(b"not really a video")
    assert client.get(f"/gradio_api/file={secret_link / 'a..b.mp4'}").content == b"not really a video"
    count("gradio file routes", tried)
    assert_healthy(client)


def test_cross_origin_posts_are_refused(client, finished_job):
    evil = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    for headers in (evil, {"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        assert_refused(client.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data=FAST, headers=headers), 403,
                       contains="origin")
        job = finished_job["id"]
        assert_refused(client.post(f"/api/v1/jobs/{job}/cancel", headers=headers), 403)
        assert_refused(client.delete(f"/api/v1/jobs/{job}", headers=headers), 403)
    same = {"Origin": str(client.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}
    response = client.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data={**FAST, "steps": "1"}, headers=same)
    assert response.status_code == 202, response.text
    client.post(f"/api/v1/jobs/{response.json()['id']}/cancel")  # may already be running: cancel ends it
    assert wait_for(client, response.json()["id"], finished)["status"] in ("cancelled", "succeeded")
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host header.
    for host in ("evil.example", "evil.example:80", "192.168.1.5"):
        assert_refused(client.get("/api/v1/jobs", headers={"Host": host}), 403, contains="localhost")
    count("cross-origin requests", 12 + 3)
    assert_healthy(client)
