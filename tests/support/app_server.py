"""The real app served over real HTTP on a loopback port, from a thread of the test process.

Starting `i2v serve` as a subprocess costs every test module 6–10 s of imports (torch, diffusers,
Gradio) plus the model build, on a 2-core machine where the whole suite has a time budget. Tests
that are about the API's behaviour, not about the process, get the same thing in process: the app
`create_app(settings)` builds, run by uvicorn with the options `i2v serve` uses
(`i2v.web.serving.uvicorn_options`: the slow-client protocol, no proxy headers, the keep-alive
timeout), its lifespan starting and stopping the services (recovery, model load, job worker, lesson
feeder), answering on 127.0.0.1:PORT. Only the imports are shared with the test process, so a
server costs about a second (plus the tiny model's ~0.5 s build).

What it cannot do is be a process: it cannot be killed with SIGKILL, its open files are the test
process's, and what `i2v serve` checks before it builds the app (port in use, start-up messages) is
not run. Tests about those (restart, kill -9, full disk, file descriptors, start_app.sh, workers on
other machines) start a process of their own with `tests.support.servers.start_server`.

`AppServer` has the interface of the subprocess `Server`: `home`, `port`, `url`, `log`, `client()`,
`stop()`, plus `settings`, `services` and `app`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as `i2v --verbose` writes it
# Environment variables a subprocess server was given that change nothing in its settings.
_NO_SETTING = frozenset({"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM"})


# Each test process (pytest-xdist worker gwN; N = 0 without xdist) takes its ports from a block of
# its own below Linux's ephemeral range (32768-60999), so two workers never pick the same port and
# no outgoing connection is handed a port between its pick and the server's bind.
PORT_BLOCK = 2000
FIRST_PORT = 20000


def free_port() -> int:
    """A loopback port free now, from this test process's own block."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    start = FIRST_PORT + (index % 6) * PORT_BLOCK
    for port in random.sample(range(start, start + PORT_BLOCK), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free loopback port in {start}-{start + PORT_BLOCK - 1}")


class _ServerLogs:
    """`--verbose` for the test process while any in-process server runs: i2v's INFO records reach
    every running server's log file (and pytest's captured log, shown with a failure); uvicorn's
    access lines reach only the log files. Everything comes back as it was after the last server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: list[logging.Handler] = []
        self._saved: tuple[int, bool] = (logging.NOTSET, True)

    def add(self, handler: logging.Handler) -> None:
        with self._lock:
            i2v, access = logging.getLogger("i2v"), logging.getLogger("uvicorn.access")
            if not self._handlers:
                self._saved = (i2v.level, access.propagate)
                access.propagate = False
            # Every start, not only the first: an in-process `i2v` command (CLI tests call `main()`)
            # sets the level back to WARNING with `configure_logging` while a session server lives.
            i2v.setLevel(logging.INFO)
            self._handlers.append(handler)
            logging.getLogger().addHandler(handler)
            access.addHandler(handler)

    def remove(self, handler: logging.Handler) -> None:
        with self._lock:
            if handler not in self._handlers:
                return
            self._handlers.remove(handler)
            i2v, access = logging.getLogger("i2v"), logging.getLogger("uvicorn.access")
            logging.getLogger().removeHandler(handler)
            access.removeHandler(handler)
            handler.close()
            if not self._handlers:
                i2v.setLevel(self._saved[0])
                access.propagate = self._saved[1]


_LOGS = _ServerLogs()


def settings_from_env(home: Path, port: int, env: dict[str, str]):
    """The `Settings` a subprocess `I2V_MODEL=tiny I2V_HOME=home i2v serve --port PORT` would read,
    with `env` (I2V_* variables) on top. Any other variable would need a process of its own."""
    from i2v.settings import Settings

    others = sorted(set(env) - _NO_SETTING - {k for k in env if k.startswith("I2V_")})
    if others:
        raise ValueError(f"{others} are not i2v settings: a server that needs them must be a subprocess (start_server)")
    fields = {"model": "tiny", "home": home, **{k[4:].lower(): v for k, v in env.items() if k.startswith("I2V_")}}
    unknown = sorted(set(fields) - set(Settings.model_fields))
    if unknown:  # Settings ignores unknown names; a misspelt one here would silently test the default
        raise ValueError(f"no such setting: {', '.join('I2V_' + name.upper() for name in unknown)}")
    return Settings(**fields, port=port)


@dataclass
class AppServer:
    home: Path
    port: int
    log: Path
    settings: object
    app: object
    services: object
    _uvicorn: object = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _handler: logging.Handler = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process serving: this one (its memory is the server's, with the test's on top)."""
        return os.getpid()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def kill(self) -> None:
        raise NotImplementedError("an in-process server cannot be killed like a process: tests about a crash "
                                  "start a process of their own with tests.support.servers.start_server")

    def stop(self, timeout: float = 15.0) -> None:
        """Shut down as on SIGTERM: stop accepting, finish open requests, then the lifespan stops the
        services (the job worker cancels a running job within a step). Open streams that outlast
        `timeout` are cut."""
        if self._stopped:
            return
        self._stopped = True
        self._uvicorn.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._uvicorn.force_exit = True
            self._thread.join(timeout)
        _LOGS.remove(self._handler)
        if self._thread.is_alive():
            raise RuntimeError(f"the in-process server on port {self.port} did not stop within {2 * timeout:g} s")


def start_app_server(home: Path, port: int | None = None, until: frozenset[str] = frozenset({"ready"}),
                     **env: str) -> AppServer:
    """Serve `create_app(settings)` in a thread of this process on a free loopback port (or `port`)
    and wait until the default model's state is one of `until`. `env` are I2V_* settings, as for
    the subprocess `start_server`; the model is the tiny one unless I2V_MODEL says otherwise."""
    import uvicorn

    from i2v.web.app import create_app
    from i2v.web.serving import uvicorn_options

    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env(home, port, env)
    log = home / f"server-{port}-{time.time_ns()}.log"
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    _LOGS.add(handler)
    try:
        app = create_app(settings)
        # log_config=None: uvicorn leaves the test process's logging alone (its records still reach `log`).
        server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options(settings, verbose=True), log_config=None))
        thread = threading.Thread(target=server.run, name=f"i2v-serve-{port}", daemon=True)
        thread.start()
    except BaseException:
        _LOGS.remove(handler)
        raise
    running = AppServer(home, port, log, settings, app, app.state.services, server, thread, handler)
    deadline = time.monotonic() + 90
    state = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            running.stop()
            raise RuntimeError(f"the in-process server stopped during start-up:\n{log.read_text()}")
        if server.started:
            try:
                state = httpx.get(f"{running.url}/api/v1/health", timeout=2).json()["model"]["state"]
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if state in until:
                return running
        time.sleep(0.05)
    running.stop()
    raise RuntimeError(f"server did not become ready (model state {state}):\n{log.read_text()}")
