"""Real i2v servers on a free loopback port with the tiny model, and the requests tests send them.

`start_app_server` serves the app from a thread of the test process (API behaviour: fast);
`start_server` runs `i2v serve` as a process of its own (only where the process is the point:
restart, kill -9, Ctrl-C, full disk, open files, start-up refusals), forked from the session's
zygote when that is faithful (`tests.support.forker`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.app_server import AppServer, free_port, start_app_server  # noqa: F401 - re-exported
from tests.support.forker import Forked, spawn


@dataclass
class Server:
    home: Path
    port: int
    process: Forked | subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process (whose memory a test may watch)."""
        return self.process.pid

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def kill(self) -> None:
        """Like a crash or power cut: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(home: Path, port: int | None = None, until: frozenset[str] = frozenset({"ready"}), *,
                 log_dir: Path | None = None, **env: str) -> Server:
    """Start `i2v serve` on the tiny model (unless `env` says otherwise) and wait until the model's
    state is one of `until` (e.g. {"missing"} for a first start without weights). The log goes to
    `log_dir` (default: `home`)."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = (log_dir or home) / f"server-{port}-{time.time_ns()}.log"
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "I2V_MODEL": "tiny", "I2V_HOME": str(home), **env}
    process = spawn(["--verbose", "serve", "--port", str(port)], env=environment, stdout=log)
    server = Server(home, port, process, log)
    deadline = time.monotonic() + 240  # a loaded shared machine can take minutes to build the tiny model
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/api/v1/health", timeout=2).json()["model"]["state"] in until:
                return server
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not become ready:\n{log.read_text()}")


def wait_for(client: httpx.Client, job_id: str, condition, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if condition(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached the condition; last state {job}")


def finished(job: dict) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


FAST = {"prompt": "a cell dividing slowly", "resolution": "256p", "frames": "8", "steps": "3", "fps": "8"}
SLOW = {**FAST, "steps": "150"}


def submit(client: httpx.Client, png: bytes, **fields: str) -> httpx.Response:
    return client.post("/api/v1/jobs", files={"image": ("picture.png", png, "image/png")}, data={**FAST, **fields})
