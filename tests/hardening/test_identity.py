"""Issue 15, class 5: who the client is, and what other web pages may read.

Forwarded addresses count only from a proxy the operator names (I2V_TRUSTED_PROXIES): then the
per-person queue limit, job ownership and the password lockout all apply to the real client behind
it; from anyone else `X-Forwarded-For` is ignored. Gradio's CORS answers no longer let another
origin (another web app on the teacher's computer) read the studio.
"""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from i2v.web import security
from i2v.web.security import ForwardedClient
from tests.hardening import images
from tests.hardening.conftest import FAST, assert_refused, count, finished, lan_address, wait_for
from tests.support.aio import run_async
from tests.support.servers import start_app_server

TOKEN = "a-long-school-password"
PNG = images.encode(images.gradient_picture(200, 160), "PNG")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """Behind a reverse proxy on this machine: loopback is the trusted proxy; also reachable on the
    LAN (0.0.0.0, password required), where forwarded headers must be ignored."""
    srv = start_app_server(tmp_path_factory.mktemp("home"), I2V_HOST="0.0.0.0", I2V_AUTH=TOKEN,
                       I2V_TRUSTED_PROXIES="127.0.0.1, ::1", I2V_MAX_QUEUED_PER_CLIENT="1")
    yield srv
    srv.stop()


def at(server, address: str = "127.0.0.1", token: str | None = TOKEN, forwarded: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return httpx.Client(base_url=f"http://{address}:{server.port}", headers=headers, timeout=60)


def post(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post("/api/v1/jobs", files={"image": ("p.png", PNG, "image/png")}, data={**FAST, **fields})


def test_behind_a_trusted_proxy_limits_and_ownership_follow_the_real_client(proxied):
    with at(proxied) as operator:
        blocker = post(operator, steps="150", prompt="blocker").json()["id"]
        wait_for(operator, blocker, lambda j: j["status"] == "running")
    made: list[str] = []
    try:
        for n in range(1, 4):  # three pupils behind the proxy, one job each: the limit is per pupil
            with at(proxied, forwarded=f"10.0.0.{n}") as pupil:
                response = post(pupil, seed=str(n))
                assert response.status_code == 202, response.text
                made.append(response.json()["id"])
                assert_refused(post(pupil, seed="99"), 429, contains="already have 1")
        # The rightmost address the proxy added counts; what the pupil put in front is ignored.
        with at(proxied, forwarded="10.0.0.77, 10.0.0.1") as spoofing:
            assert_refused(post(spoofing), 429, contains="already have 1")
            assert_refused(spoofing.post(f"/api/v1/jobs/{made[1]}/cancel"), 403, contains="another computer")
        with at(proxied, forwarded="10.0.0.2") as owner:
            assert owner.post(f"/api/v1/jobs/{made[1]}/cancel").json()["status"] == "cancelled"
    finally:
        with at(proxied) as operator:  # the proxy itself, without a forwarded address: the operator
            for job_id in [*made, blocker]:
                assert operator.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
            wait_for(operator, blocker, finished)
    count("identity: limits/ownership per forwarded client", 3 * 2 + 3)


def test_forwarded_headers_from_anyone_else_are_ignored(proxied):
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no non-loopback address")
    with at(proxied) as operator:  # keep the worker busy, so jobs stay queued
        blocker = post(operator, steps="150", prompt="blocker").json()["id"]
        wait_for(operator, blocker, lambda j: j["status"] == "running")
    ids = [blocker]
    try:
        for n in range(3):  # from the LAN address (not a trusted proxy) every claimed address is the same client
            with at(proxied, lan, forwarded=f"192.168.50.{n}") as teacher:
                response = post(teacher, seed=str(n))
                if n == 0:
                    assert response.status_code == 202, response.text
                    ids.append(response.json()["id"])
                else:
                    assert_refused(response, 429, contains="already have 1")
    finally:
        with at(proxied) as operator:
            for job_id in ids:
                operator.post(f"/api/v1/jobs/{job_id}/cancel")
            wait_for(operator, blocker, finished)
    count("identity: untrusted X-Forwarded-For ignored", 3)


def test_the_lockout_locks_out_the_real_client_not_everyone_behind_the_proxy(proxied):
    def guess(i: int) -> int:
        with at(proxied, token=f"wrong-{i}", forwarded="10.9.9.9") as guesser:
            return guesser.get("/api/v1/jobs").status_code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(security.LOCKOUT_FAILURES + 2)))
    assert set(codes) <= {401, 429}, codes
    with at(proxied, forwarded="10.9.9.9") as guesser_with_password:
        assert_refused(guesser_with_password.get("/api/v1/jobs"), 429, contains="wait a minute")
    with at(proxied, forwarded="10.9.9.10") as classmate:  # same proxy, another pupil: unaffected
        assert classmate.get("/api/v1/jobs").status_code == 200
    with at(proxied) as operator:
        assert operator.get("/api/v1/jobs").status_code == 200
    count("identity: lockout per real client", len(codes) + 3)


def test_on_a_server_without_trusted_proxies_forwarded_addresses_do_not_count(shared_server):
    """The probe's case: uvicorn used to believe X-Forwarded-For from loopback by default."""
    with shared_server.client() as client:
        blocker = client.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data={**FAST, "steps": "150"}).json()["id"]
        wait_for(client, blocker, lambda j: j["status"] == "running")
        accepted, refused = [], 0
        for n in range(6):
            response = client.post("/api/v1/jobs", files={"image": ("p.png", PNG)}, data={**FAST, "seed": str(n)},
                                   headers={"X-Forwarded-For": f"203.0.113.{n}"})
            if response.status_code == 202:
                accepted.append(response.json()["id"])
            else:
                assert_refused(response, 429)
                refused += 1
        for job_id in [*accepted, blocker]:
            client.post(f"/api/v1/jobs/{job_id}/cancel")
        wait_for(client, blocker, finished)
    assert len(accepted) == 3 and refused == 3, (accepted, refused)  # I2V_MAX_QUEUED_PER_CLIENT=3 for everyone
    count("identity: X-Forwarded-For ignored by default", 6)


def test_other_origins_cannot_read_the_studio(shared_server):
    own = shared_server.url
    foreign = ["http://localhost:9999", "http://127.0.0.1:1", "http://evil.example", "null", own + ".evil.example"]
    tried = 0
    with shared_server.client() as client:
        for path in ("/gradio_api/info", "/config", "/api/v1/jobs", "/gradio_api/queue/status", "/"):
            for origin in foreign:
                response = client.get(path, headers={"Origin": origin})
                assert "access-control-allow-origin" not in response.headers, (path, origin, response.headers)
                preflight = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                          "Access-Control-Request-Headers": "content-type"})
                assert "access-control-allow-origin" not in preflight.headers, (path, origin, preflight.headers)
                tried += 2
        # The studio's own origin still gets Gradio's answer.
        mine = client.get("/gradio_api/info", headers={"Origin": own})
        assert mine.status_code == 200 and mine.headers.get("access-control-allow-origin") in (own, None)
    count("identity: cross-origin reads refused", tried)


def run_forwarded(trusted: str, client: tuple[str, int], headers: list[tuple[bytes, bytes]],
                  kind: str = "http") -> tuple[str, str]:
    seen = {}

    async def app(scope, receive, send):
        seen.update(client=scope["client"][0], scheme=scope["scheme"])

    scope = {"type": kind, "client": client, "headers": headers, "scheme": "http" if kind == "http" else "ws"}
    run_async(ForwardedClient(app, trusted)(scope, None, None))
    return seen["client"], seen["scheme"]


def test_forwarded_addresses_are_read_from_the_right_past_trusted_proxies_only():
    xff = b"x-forwarded-for"
    cases = [
        ("", ("127.0.0.1", 5), [(xff, b"10.0.0.1")], "127.0.0.1"),  # nothing trusted: header ignored
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"10.0.0.1")], "10.0.0.1"),
        ("127.0.0.1", ("192.168.1.9", 5), [(xff, b"10.0.0.1")], "192.168.1.9"),  # not from the proxy
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"6.6.6.6, 10.0.0.1")], "10.0.0.1"),  # spoofed prefix ignored
        ("127.0.0.1, 10.0.0.0/8", ("127.0.0.1", 5), [(xff, b"8.8.8.8, 10.1.2.3")], "8.8.8.8"),  # two proxies
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"not-an-ip, 10.0.0.1")], "10.0.0.1"),
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"garbage")], "127.0.0.1"),
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"10.0.0.1:4567")], "10.0.0.1"),
        ("::1", ("::1", 5), [(xff, b"[2001:db8::7]:80")], "2001:db8::7"),
        ("127.0.0.1", ("127.0.0.1", 5), [(xff, b"10.0.0.1"), (xff, b"10.0.0.2")], "10.0.0.2"),
        ("127.0.0.1", ("127.0.0.1", 5), [], "127.0.0.1"),
    ]
    for trusted, peer, headers, expected in cases:
        assert run_forwarded(trusted, peer, headers)[0] == expected, (trusted, peer, headers)
    proto = [(b"x-forwarded-proto", b"https")]
    assert run_forwarded("127.0.0.1", ("127.0.0.1", 5), proto)[1] == "https"
    assert run_forwarded("127.0.0.1", ("127.0.0.1", 5), proto, kind="websocket")[1] == "wss"
    assert run_forwarded("", ("127.0.0.1", 5), proto)[1] == "http"
    count("identity: forwarded parsing (in-process)", len(cases) + 3)
