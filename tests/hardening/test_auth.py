"""A server on the network (0.0.0.0 with I2V_AUTH): the password guards every route, brute force
is slowed then locked out per address, and only a job's own computer or the operator may cancel
or delete it. The operator is whoever sits at the server (loopback); the LAN address of this
machine stands in for a teacher's laptop."""

from __future__ import annotations

import concurrent.futures
import inspect
import time

import httpx
import pytest

from i2v.web import security
from tests.hardening import images
from tests.hardening.conftest import FAST, assert_refused, count, finished, lan_address, wait_for
from tests.support.aio import run_async
from tests.support.servers import start_app_server

TOKEN = "correct-horse-battery-staple"
PNG = images.encode(images.gradient_picture(200, 160), "PNG")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_app_server(tmp_path_factory.mktemp("home"), I2V_HOST="0.0.0.0", I2V_AUTH=TOKEN,
                       I2V_MAX_QUEUED_PER_CLIENT="5")
    yield srv
    srv.stop()


def client_at(server, address: str, token: str | None = TOKEN) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"http://{address}:{server.port}", headers=headers, timeout=30)


ROUTES = [
    ("GET", "/"), ("GET", "/config"), ("GET", "/gradio_api/info"), ("GET", "/gradio_api/config"),
    ("POST", "/gradio_api/upload"), ("POST", "/gradio_api/queue/join"), ("GET", "/gradio_api/queue/data"),
    ("GET", "/gradio_api/file=/etc/passwd"), ("GET", "/gradio_api/file=video.mp4"), ("GET", "/theme.css"),
    ("GET", "/api/v1/jobs"), ("POST", "/api/v1/jobs"), ("GET", "/api/v1/jobs/0123456789abcdef"),
    ("GET", "/api/v1/jobs/0123456789abcdef/video"), ("GET", "/api/v1/jobs/0123456789abcdef/thumbnail"),
    ("GET", "/api/v1/jobs/0123456789abcdef/events"), ("POST", "/api/v1/jobs/0123456789abcdef/cancel"),
    ("DELETE", "/api/v1/jobs/0123456789abcdef"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/jobs/0123456789abcdef/exports/gif"), ("GET", "/api/v1/../../etc/passwd"),
]


def test_every_route_needs_the_password_except_health(server):
    with client_at(server, "127.0.0.1", token=None) as anonymous:
        assert anonymous.get("/api/v1/health").status_code == 200
        for method, path in ROUTES:
            response = anonymous.request(method, path)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["detail"] and b"root:" not in response.content
        # Basic with any user name and the token as password works for browsers; Bearer for scripts.
        assert anonymous.get("/", auth=("teacher", TOKEN)).status_code == 200
    with client_at(server, "127.0.0.1") as authed:
        assert authed.get("/api/v1/jobs").status_code == 200
        assert authed.get("/api/v1/openapi.json").status_code == 200
    # The comparison is constant-time.
    assert "compare_digest" in inspect.getsource(security.TokenAuth._authorised)
    count("auth: routes without password", len(ROUTES))


def test_only_the_submitter_or_the_operator_may_cancel_or_delete(server):
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no non-loopback address")
    with client_at(server, lan) as teacher, client_at(server, "127.0.0.1") as operator:
        blocker = operator.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data={**FAST, "steps": "150"}).json()["id"]
        wait_for(operator, blocker, lambda j: j["status"] == "running")
        mine = teacher.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data=FAST).json()["id"]
        theirs = operator.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data=FAST).json()["id"]
        # A teacher cannot touch a job queued from another computer (here: the operator's).
        for response in (teacher.post(f"/api/v1/jobs/{theirs}/cancel"), teacher.post(f"/api/v1/jobs/{blocker}/cancel"),
                         teacher.delete(f"/api/v1/jobs/{theirs}")):
            assert_refused(response, 403, contains="another computer")
        assert operator.get(f"/api/v1/jobs/{theirs}").json()["status"] == "queued"
        # ... but can cancel their own, and the operator can cancel anyone's.
        assert teacher.post(f"/api/v1/jobs/{mine}/cancel").json()["status"] == "cancelled"
        assert operator.post(f"/api/v1/jobs/{theirs}/cancel").json()["status"] == "cancelled"
        assert operator.post(f"/api/v1/jobs/{blocker}/cancel").status_code == 200
        wait_for(operator, blocker, finished)
        assert teacher.delete(f"/api/v1/jobs/{mine}").status_code == 204
        assert operator.delete(f"/api/v1/jobs/{theirs}").status_code == 204
    count("auth: cross-client cancel/delete", 3)


def test_wrong_passwords_are_slowed_then_locked_out(server):
    lan = lan_address() or "127.0.0.1"
    started = time.monotonic()
    with client_at(server, lan, token="wrong") as guesser:
        assert guesser.get("/api/v1/jobs").status_code == 401
    assert time.monotonic() - started >= security.FAILURE_DELAY_S * 0.9  # each wrong guess costs a second

    def guess(i: int) -> int:
        with client_at(server, lan, token=f"guess-{i}") as c:
            return c.get("/api/v1/jobs").status_code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(security.LOCKOUT_FAILURES + 4)))
    assert set(codes) <= {401, 429} and 429 in codes or codes.count(401) >= security.LOCKOUT_FAILURES - 1, codes
    with client_at(server, lan) as right_but_locked:
        locked = right_but_locked.get("/api/v1/jobs")
    assert_refused(locked, 429, contains="wait a minute")
    count("auth: password guesses", len(codes) + 1)
    if lan != "127.0.0.1":
        with client_at(server, "127.0.0.1") as operator:  # other addresses are unaffected
            assert operator.get("/api/v1/jobs").status_code == 200


def test_allowed_hosts_extend_the_loopback_host_check():
    """Behind a reverse proxy on the same machine the Host header is the school's name."""
    from i2v.web.security import SameOriginGuard

    seen = []

    async def app(scope, receive, send):
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def call(guard, host):
        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"host", host.encode())], "scheme": "http"}
        await guard(scope, None, send)
        return sent[0]["status"]

    plain = SameOriginGuard(app, loopback_only=True)
    proxied = SameOriginGuard(app, loopback_only=True, extra_hosts="i2v.school.example, Studio.local")
    assert run_async(call(plain, "i2v.school.example")) == 403
    assert run_async(call(proxied, "i2v.school.example")) == 200
    assert run_async(call(proxied, "studio.local:443")) == 200
    assert run_async(call(proxied, "evil.example")) == 403
    assert run_async(call(plain, "[::1]:7860")) == 200 and run_async(call(plain, "localhost:7860")) == 200
    count("cross-origin requests", 6)
