"""Security defaults: loopback by default, a password beyond it, and a clear message on a busy port."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from i2v.settings import Settings
from i2v.web.security import InsecureBindError, check_bind, is_loopback
from tests.support.servers import free_port, start_app_server

REPO = Path(__file__).resolve().parents[2]


def test_default_binds_loopback_only():
    assert Settings().host == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")


def test_network_bind_needs_a_password_or_explicit_flag():
    with pytest.raises(InsecureBindError, match="I2V_AUTH"):
        check_bind(Settings(host="0.0.0.0"))
    check_bind(Settings(host="0.0.0.0", auth="a-long-secret"))
    check_bind(Settings(host="0.0.0.0", allow_open=True))


def test_serve_refuses_to_start_open_on_the_network(tmp_path):
    env = {**os.environ, "I2V_MODEL": "tiny", "I2V_HOME": str(tmp_path)}
    env.pop("I2V_AUTH", None)
    result = subprocess.run([sys.executable, "-m", "i2v.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1 and "without a password" in result.stderr


def test_token_guards_api_and_ui(tmp_path):
    server = start_app_server(tmp_path / "home", I2V_AUTH="correct-horse-battery")
    try:
        assert httpx.get(f"{server.url}/api/v1/health").status_code == 200  # health stays open for monitors
        assert httpx.get(f"{server.url}/api/v1/jobs").status_code == 401
        assert httpx.get(f"{server.url}/").status_code == 401
        assert httpx.get(f"{server.url}/api/v1/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{server.url}/api/v1/jobs", headers={"Authorization": "Bearer correct-horse-battery"}).status_code == 200
        assert httpx.get(f"{server.url}/", auth=("teacher", "correct-horse-battery")).status_code == 200
    finally:
        server.stop()


# start_app.sh (busy port, logs, the address once the server answers): tests/web/test_start_app.py, which runs
# it from a copy of the app folder so that a checkout without .venv/ never starts an install.
