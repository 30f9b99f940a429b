"""Helpers for the hardening tests: every refusal is a 4xx with a JSON `detail` a teacher can act on."""

from __future__ import annotations

import socket
import time

import httpx

from tests.support.servers import FAST, finished, wait_for

COUNTS: dict[str, int] = {}


def count(kind: str, n: int = 1) -> None:
    """Tally bad inputs and faults tried (printed with -s; the numbers go in the report)."""
    COUNTS[kind] = COUNTS.get(kind, 0) + n


def assert_refused(response: httpx.Response, *codes: int, contains: str | None = None) -> str:
    """A clear refusal: one of `codes` (any 4xx if none given), JSON with a readable `detail`."""
    assert response.status_code != 500, response.text
    if codes:
        assert response.status_code in codes, (response.status_code, response.text)
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    detail = body["detail"]
    text = detail if isinstance(detail, str) else str(detail)
    assert text, body
    if contains is not None:
        assert contains.lower() in text.lower(), (contains, text)
    return text


def assert_healthy(client: httpx.Client, timeout_s: float = 180) -> None:
    """The server answers /health and its model is (or soon becomes) ready. A shared server may be
    loading a model another test's job switched to: that is healthy, so wait it out, never fail on it."""
    deadline = time.monotonic() + timeout_s
    while True:
        health = client.get("/api/v1/health")
        assert health.status_code == 200, health.text
        state = health.json()["model"]["state"]
        if state != "loading" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state == "ready", health.json()


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        terminalreporter.write_line("hardening counts: " + ", ".join(f"{k}={v}" for k, v in sorted(COUNTS.items())))


def lan_address() -> str | None:
    """A non-loopback address of this machine, or None (then tests that need a second client address skip)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address
