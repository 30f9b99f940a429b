"""The workers' API as hardened as the teachers' (issue 28, item 6), on a real server in broker mode
with a real Redis (loopback), no worker needed: the worker token may read /health, which the
README says is open to all; a NaN or infinite ETA in a progress report is a 422 with a detail,
never a 500 (the validation answer used to echo the NaN, which JSON cannot hold)."""

from __future__ import annotations

import pytest

from tests.distributed.conftest import REDIS, TEACHER, WORKER_TOKEN, Cluster, Redis
from tests.hardening.conftest import assert_refused
from tests.support.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.distributed]


@pytest.fixture(scope="module")
def broker_server(tmp_path_factory):
    if REDIS is None:
        pytest.skip("redis-server is not installed (scripts/install_system_deps.sh installs it)")
    folder = tmp_path_factory.mktemp("broker")
    redis = Redis(free_port(), folder)
    redis.start()
    built = Cluster(folder / "home", free_port(), redis)
    try:
        built.start_server()
        yield built
    finally:
        built.stop()


def test_the_worker_token_may_read_health_and_nothing_else(broker_server):
    with broker_server.client(WORKER_TOKEN) as worker:
        health = worker.get("/api/v1/health")
        assert health.status_code == 200, health.text
        assert health.json()["broker"]["state"] == "ok"
        assert_refused(worker.get("/api/v1/jobs"), 403, contains="worker")
    with broker_server.client(TEACHER) as teacher:
        assert teacher.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("body", [
    b'{"step": 1, "total": 10, "eta_s": NaN}',
    b'{"step": 1, "total": 10, "eta_s": Infinity}',
    b'{"step": 1, "total": 10, "eta_s": -Infinity}',
    b'{"step": NaN, "total": 10}',
])
def test_a_non_finite_progress_report_is_a_422(broker_server, body):
    with broker_server.client(WORKER_TOKEN) as worker:
        answer = worker.post("/api/v1/worker/jobs/0123456789abcdef/progress", content=body,
                             headers={"content-type": "application/json", "X-I2V-Lease": "some-lease"})
        assert_refused(answer, 422)
