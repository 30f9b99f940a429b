"""Requests that arrive the moment a server first answers, while its model loads (issue 28, item 5).

Before the fix, three POST /prompt/check or /lessons sent as /health first answered got 500
(`ImportError: cannot import name 'CLIPTokenizer' from 'transformers'`) in most starts: the model
thread and the request threads imported transformers' lazy names at once. How the test hits that
window every round: each round is a freshly started server (forked by `fork_server.py` from a
process that has imported everything a server imports before it serves, but not transformers or
diffusers, which the helper checks), polled every 10 ms until /health first answers with the model
still loading; then five requests start at once from threads released together. Every answer must
be a 2xx/4xx, and the model must end up ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

# Before the fix most starts failed (p > 1/2 a round), so 8 rounds miss a regression with p < 0.4 %;
# each round is a fresh server (≈4.5 s here). More rounds: I2V_STARTUP_ROUNDS=40.
ROUNDS = int(os.environ.get("I2V_STARTUP_ROUNDS", "8"))
REPO = Path(__file__).resolve().parents[2]
REQUESTS = (
    ("/api/v1/prompt/check", {"prompt": "chromosomes moving apart slowly"}),
    ("/api/v1/prompt/check", {"prompt": "water droplets falling", "model": "tiny"}),
    ("/api/v1/lessons", {"outline": "Prophase: chromosomes condense\nMetaphase: chromosomes line up"}),
    ("/api/v1/prompt/check", {"prompt": "a leaf turning towards the light"}),
    ("/api/v1/lessons", {"outline": "Anaphase: chromatids pulled to opposite poles"}),
)


def _first_answer(url: str, process_alive) -> tuple[dict, float]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process_alive(), "the server exited during start-up"
        try:
            return httpx.get(f"{url}/api/v1/health", timeout=5).json(), time.monotonic()
        except httpx.HTTPError:
            time.sleep(0.01)
    raise AssertionError("the server never answered /health")


def _burst(url: str) -> list[httpx.Response]:
    gate = threading.Barrier(len(REQUESTS))
    answers: list[httpx.Response | BaseException] = [None] * len(REQUESTS)

    def send(index: int, path: str, body: dict) -> None:
        with httpx.Client(base_url=url, timeout=180) as client:
            gate.wait()
            try:
                answers[index] = client.post(path, json=body)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                answers[index] = exc

    threads = [threading.Thread(target=send, args=(i, path, body)) for i, (path, body) in enumerate(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.slow
def test_requests_at_first_health_never_fail(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    helper = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fork_server.py"))], cwd=REPO, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    failures, loading_at_first = [], 0
    try:
        assert helper.stdout.readline().strip() == "ready"
        for round_ in range(ROUNDS):
            home = tmp_path / f"round{round_}"
            home.mkdir()
            port = free_port()
            helper.stdin.write(f"{port} {home}\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            url = f"http://127.0.0.1:{port}"
            try:
                health, _ = _first_answer(url, lambda: helper.poll() is None and os.path.exists(f"/proc/{pid}"))
                loading_at_first += health["model"]["state"] == "loading"
                answers = _burst(url)
                for (path, _), answer in zip(REQUESTS, answers, strict=True):
                    if isinstance(answer, BaseException) or answer.status_code >= 500:
                        failures.append((round_, path, answer if isinstance(answer, BaseException) else answer.text[:200]))
                deadline = time.monotonic() + 180
                while (state := httpx.get(f"{url}/api/v1/health", timeout=30).json()["model"]["state"]) == "loading":
                    assert time.monotonic() < deadline, "the model never finished loading"
                    time.sleep(0.2)
                if state != "ready":
                    failures.append((round_, "model load", (home / "server.log").read_text()[-2000:]))
            finally:
                os.kill(pid, signal.SIGTERM)
                for _ in range(300):
                    if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
                        break
                    time.sleep(0.1)
    finally:
        helper.stdin.close()
        helper.wait(30)
    print(f"startup race: {ROUNDS} rounds, model still loading at first health in {loading_at_first}, failures {len(failures)}")
    # The window was really hit: in most rounds the model was still loading when the requests went out.
    assert loading_at_first >= ROUNDS // 2, loading_at_first
    assert not failures, failures
