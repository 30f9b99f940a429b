"""Several machines on loopback: a real Redis (Debian's redis-server), a real i2v server in broker
mode and real `i2v worker` processes on the tiny model, shared by the tests of a module.

Timings are shortened through the settings (lease, heartbeats, sweep), never by faking a clock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import free_port

REDIS = shutil.which("redis-server")
TEACHER = "teacher-secret-for-tests"
WORKER_TOKEN = "worker-secret-for-tests"
# Shortened for tests (the defaults are 30 s, 10 s, 60 s and 5 s).
TIMING = {"I2V_LEASE_S": "5", "I2V_WORKER_HEARTBEAT_S": "1", "I2V_BROKER_HEARTBEAT_TIMEOUT_S": "8", "I2V_SWEEP_S": "0.5"}
REDELIVERY_S = 5 + 0.5 + 1  # lease, one sweep, a worker's next fetch: a lost job is claimed again within this


@dataclass
class Redis:
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """A fresh, empty Redis on `port` (no persistence: a restart loses everything)."""
        log = (self.folder / f"redis-{time.time_ns()}.log").open("wb")
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--protected-mode", "yes"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@dataclass
class Process:
    """A server or worker subprocess with its log file."""

    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    home: Path
    port: int
    redis: Redis
    server: Process | None = None
    workers: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "HF_HUB_OFFLINE": "1", "I2V_MODEL": "tiny", "I2V_BROKER": self.redis.url,
                "I2V_WORKER_TOKEN": WORKER_TOKEN, "I2V_AUTH": TEACHER, "OMP_NUM_THREADS": "1", **TIMING, **extra}

    def client(self, token: str = TEACHER) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def start_server(self) -> None:
        log = self.home.parent / f"server-{time.time_ns()}.log"
        env = self.env(I2V_HOME=str(self.home), I2V_MAX_QUEUED="60", I2V_MAX_QUEUED_PER_CLIENT="60")
        process = subprocess.Popen([sys.executable, "-m", "i2v.cli", "--verbose", "serve", "--port", str(self.port)],
                                   stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
        self.server = Process(process, log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not self.server.alive():
                raise RuntimeError(f"server exited:\n{self.server.text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not start:\n{self.server.text()}")

    def start_worker(self, name: str, *, token: str = WORKER_TOKEN, wait: bool = True) -> Process:
        log = self.home.parent / f"worker-{name}-{time.time_ns()}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "i2v.cli", "--verbose", "worker", "--server", self.url, "--token", token,
             "--broker", self.redis.url, "--model", "tiny", "--name", name],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=self.env())
        worker = Process(process, log)
        if wait:
            deadline = time.monotonic() + 180
            while "ready" not in worker.text():
                if not worker.alive():
                    raise RuntimeError(f"worker {name} exited:\n{worker.text()}")
                assert time.monotonic() < deadline, worker.text()
                time.sleep(0.2)
            self.workers[name] = worker
        return worker

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        if self.server is not None:
            self.server.stop()
        self.redis.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One Redis, one server and two workers ("w1", "w2") for the whole module."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (scripts/install_system_deps.sh installs it)")
    folder = tmp_path_factory.mktemp("cluster")
    redis = Redis(free_port(), folder)
    redis.start()
    built = Cluster(folder / "home", free_port(), redis)
    try:
        built.start_server()
        built.start_worker("w1")
        built.start_worker("w2")
        yield built
    finally:
        built.stop()
