"""Several machines on loopback: a real Redis (Debian's redis-server), a real i2v server in broker
mode and real `i2v worker` processes on the tiny model, shared by the tests of a module.

Timings are shortened through the settings (lease, heartbeats, sweep), never by faking a clock.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.forker import Forked, spawn
from tests.support.servers import free_port

REDIS = shutil.which("redis-server")
TEACHER = "teacher-secret-for-tests"
WORKER_TOKEN = "worker-secret-for-tests"
REDIS_PASSWORD = "redis-password-for-tests"  # Redis asks for one, as README's set-up does
# Shortened for tests (the defaults are 30 s, 10 s, 60 s and 5 s).
TIMING = {"I2V_LEASE_S": "5", "I2V_WORKER_HEARTBEAT_S": "1", "I2V_BROKER_HEARTBEAT_TIMEOUT_S": "8", "I2V_SWEEP_S": "0.5"}
REDELIVERY_S = 5 + 0.5 + 1  # lease, one sweep, a worker's next fetch: a lost job is claimed again within this
GONE_S = 5 + 1  # a killed worker's last heartbeat is at most this old when the roster calls it gone (lease + one poll)


@dataclass
class Redis:
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """A fresh, empty Redis on `port` with a password (no persistence: a restart loses everything)."""
        log = (self.folder / f"redis-{time.time_ns()}.log").open("wb")
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--protected-mode", "yes", "--requirepass", REDIS_PASSWORD],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, password=REDIS_PASSWORD, socket_timeout=1).ping():
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
    """A server or worker subprocess with its log file; a worker's `name` is the one it announced."""

    process: subprocess.Popen | Forked
    log: Path
    name: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def argv(self) -> str:
        """The command line every user of the machine sees (`ps`), as the kernel keeps it."""
        return Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")

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
    workers: dict[str, Process] = field(default_factory=dict)  # the running workers, by the name each announced
    spawned: list[Process] = field(default_factory=list)  # every worker process started, stopped at the end

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
        process = spawn(["--verbose", "serve", "--port", str(self.port)], env=env, stdout=log)
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

    def start_worker(self, name: str | None = None, *, token: str = WORKER_TOKEN, secrets: str = "env",
                     broker: str | None = None, wait: bool = True, own_argv: bool = False) -> Process:
        """An `i2v worker` on the tiny model, named `name` or (None) by its default name. Its token and
        Redis URL come from the environment (`secrets="env"`, as README advises), from files it is
        pointed to (`"files"`, with nothing in the environment) or from flags (`"flags"`). With
        `own_argv` it is started by exec, so `ps` shows its own command line (forked from the test
        zygote, it shows the zygote's)."""
        stamp = time.time_ns()
        log = self.home.parent / f"worker-{name or 'default'}-{stamp}.log"
        command = ["--verbose", "worker", "--server", self.url, "--model", "tiny"]
        broker = broker or self.redis.url
        env = self.env(I2V_WORKER_TOKEN=token, I2V_BROKER=broker)
        if secrets == "flags":
            command += ["--token", token, "--broker", broker]
        elif secrets == "files":
            token_file, broker_file = self.home.parent / f"token-{stamp}", self.home.parent / f"broker-{stamp}"
            for path, text in ((token_file, token), (broker_file, broker)):
                path.write_text(text + "\n")
                path.chmod(0o600)
            command += ["--token-file", str(token_file), "--broker-file", str(broker_file)]
            del env["I2V_WORKER_TOKEN"], env["I2V_BROKER"]
        if name is not None:
            command += ["--name", name]
        if own_argv:
            with log.open("wb") as out:
                process = subprocess.Popen([sys.executable, "-m", "i2v.cli", *command], stdout=out, stderr=subprocess.STDOUT, env=env)
        else:
            process = spawn(command, env=env, stdout=log)
        worker = Process(process, log, name)
        self.spawned.append(worker)
        if wait:
            self.ready(worker)
        return worker

    def ready(self, worker: Process) -> Process:
        """Wait until `worker` says it is ready; note the name it announced and keep it in `workers`."""
        deadline = time.monotonic() + 180
        while (found := re.search(r"i2v worker (\S+) ready:", worker.text())) is None:
            if not worker.alive():
                raise RuntimeError(f"worker {worker.name} exited:\n{worker.text()}")
            assert time.monotonic() < deadline, worker.text()
            time.sleep(0.2)
        worker.name = found.group(1)
        self.workers[worker.name] = worker
        return worker

    def stop(self) -> None:
        for worker in self.spawned:
            worker.stop()
        if self.server is not None:
            self.server.stop()
        self.redis.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One Redis, one server and two workers for the whole module, started with identical arguments
    (default names; token and Redis password from the environment)."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (scripts/install_system_deps.sh installs it)")
    folder = tmp_path_factory.mktemp("cluster")
    redis = Redis(free_port(), folder)
    redis.start()
    built = Cluster(folder / "home", free_port(), redis)
    try:
        built.start_server()
        started = [built.start_worker(wait=False, own_argv=True) for _ in range(2)]  # load their models side by side
        for worker in started:
            built.ready(worker)
        yield built
    finally:
        built.stop()
