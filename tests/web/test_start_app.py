"""`./start_app.sh` prints the studio's address only once /api/v1/health answers, and says clearly
(with the log's last lines) when the server does not come up.

The script runs for real from a copy of the app folder whose `.venv/bin/` points at this test's
Python, so it never installs anything."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import REPO
from tests.support.servers import free_port

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("tail") is None, reason="needs bash")


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    """start_app.sh beside a `.venv/bin/` whose `python` and `i2v` run this interpreter on this checkout."""
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    shutil.copy2(REPO / "start_app.sh", app / "start_app.sh")
    for name, command in (("python", f'exec "{sys.executable}" "$@"'), ("i2v", f'exec "{sys.executable}" -m i2v.cli "$@"')):
        script = app / ".venv" / "bin" / name
        script.write_text(f"#!/bin/sh\n{command}\n")
        script.chmod(0o755)
    return app


def _as_from_a_terminal() -> None:
    """Ctrl-C and Ctrl-\\ as a terminal delivers them. pytest started in the background of a
    non-interactive shell (`pytest … &` in a script) inherits SIGINT ignored, and bash cannot trap a
    signal that was ignored when it started: the script would never see the Ctrl-C it is tested on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _start(app: Path, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1", **env}
    return subprocess.Popen(["bash", str(app / "start_app.sh")], cwd=app, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)


def _stop(process: subprocess.Popen) -> int:
    """Ctrl+C, as a teacher stops it: the whole process group gets SIGINT."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait(10)
    return process.returncode


@pytest.fixture
def busy_cpu():
    """A process that keeps one CPU busy for the test, as on a loaded machine (issue 26: there
    Ctrl-C once ended the script with 0, not 130)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    spinner.kill()
    spinner.wait(10)


def test_the_address_is_printed_only_after_health_answers(app_folder, busy_cpu):
    port = free_port()
    process = _start(app_folder, I2V_MODEL="tiny", I2V_PORT=str(port))
    url = f"http://localhost:{port}/"
    seen: list[str] = []
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if url in line:
                # Printed, so the health check must answer right now (the server did not just start listening later).
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
                assert health.status_code == 200 and health.json()["status"] == "ok"
                break
        else:
            pytest.fail("no address within 180 s:\n" + "".join(seen))
        assert url in seen[-1], "".join(seen)
        assert any("Starting the i2v studio" in line for line in seen[:-1])
        assert "ready." in "".join(seen[:-1])
        log_name = seen[-1].split("log: ")[1].split(",")[0]
        assert log_name.startswith("logs/app_") and log_name.endswith(".log")
        log = (app_folder / log_name).read_text()
        assert "memory plan" in log and "Uvicorn running" in log
        assert (app_folder / "outputs").is_dir()
        children = psutil.Process(process.pid).children(recursive=True)
        assert any("serve" in " ".join(c.cmdline()) for c in children)  # the server and `tail`
    finally:
        code = _stop(process)
    rest = process.stdout.read()  # what the script said while stopping
    logs = "".join(p.read_text() for p in sorted((app_folder / "logs").glob("*.log")))
    assert code == 130, f"exit code {code}\n{rest}\nlog:\n{logs[-3000:]}"
    assert "Stopping i2v" in rest and "did not stop" not in rest, f"{rest}\nlog:\n{logs[-3000:]}"
    _gone, alive = psutil.wait_procs(children, timeout=1)  # the script waited for them: already gone
    assert alive == [], [c.pid for c in alive]
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)


def test_a_server_that_cannot_start_is_reported_with_the_last_log_lines(app_folder):
    # A network address without I2V_AUTH is refused at start: the server exits at once.
    process = _start(app_folder, I2V_MODEL="tiny", I2V_PORT=str(free_port()), I2V_HOST="0.0.0.0")
    try:
        out, _ = process.communicate(timeout=180)
    finally:
        _stop(process)
    assert process.returncode == 1
    assert "i2v did not come up" in out and "The last lines of logs/app_" in out
    assert "I2V_AUTH" in out  # the server's own reason, from the log
    assert "http://0.0.0.0" not in out and "i2v studio: http" not in out


def test_a_busy_port_is_named_and_the_script_exits_1(app_folder):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = _start(app_folder, I2V_MODEL="tiny", I2V_PORT=str(port))
        out, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert f"Port {port} is already in use" in out and "I2V_PORT=7861 ./start_app.sh" in out
    assert not (app_folder / "logs").exists()  # nothing started
