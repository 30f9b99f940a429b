"""The web tests' fixtures: a picture as PNG bytes and the module's in-process server. The server
helpers themselves live in `tests.support.servers`."""

from __future__ import annotations

import pytest

from tests.conftest import gradient_picture
from tests.support.servers import start_app_server


@pytest.fixture(scope="session")
def png_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("pictures") / "picture.png"
    gradient_picture(400, 300).save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app over real HTTP on loopback, served from this process (tests.support.app_server)."""
    srv = start_app_server(tmp_path_factory.mktemp("home"), I2V_MAX_QUEUED="6", I2V_MAX_QUEUED_PER_CLIENT="3")
    yield srv
    srv.stop()
