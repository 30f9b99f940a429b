"""With GPU workers on other machines (I2V_BROKER) the studio's header, `/api/v1/health` and
`/models` tell the same model state — all three ask the services' `ModelCatalog` — and `/models`
shows where the workers run the model, not this server's own CPU plan.

Built by the real composition root (`Services.build`) over a real SQLite roster; the broker's Redis
is never reached (nothing here sends a job), so no Redis server is needed."""

from __future__ import annotations

import pytest

from i2v.engine.host import ModelState
from i2v.settings import Settings
from i2v.web.api import health, list_models
from i2v.web.services import Services
from i2v.web.ui_status import model_status_md


@pytest.fixture()
def services(tmp_path):
    settings = Settings(home=tmp_path, model="tiny", broker="redis://127.0.0.1:9/0")
    built = Services.build(settings)
    yield built
    built.store.close()


def _connect_worker(services: Services, name: str, gpu: str) -> None:
    services.store.roster.record_worker(worker_id=f"{name:0<16}"[:16], name=name, gpu=gpu, family="i2vgenxl",
                                 models=["tiny"], loaded_model="tiny", job_id=None)


def test_studio_and_health_agree_on_the_model_state_in_broker_mode(services: Services) -> None:
    assert services.host.status.state is ModelState.NOT_LOADED  # the server itself never loads a model here
    before = health(services).model
    assert before.state == "not_loaded"
    assert "no GPU worker" in model_status_md(services, "en")

    _connect_worker(services, "lab-pc-gpu0", "NVIDIA H200")
    after = health(services).model
    assert after.state == "ready" and "lab-pc-gpu0" in after.detail
    header = model_status_md(services, "en")
    assert "is ready" in header and "1 GPU worker" in header  # not "not loaded yet", as the local host would say
    assert services.host.status.state is ModelState.NOT_LOADED  # …while the server's own host still has nothing

    default = next(view for view in list_models(services) if view.default)
    assert default.state == after.state
    assert default.memory_plan["device"] == "workers" and "NVIDIA H200" in default.memory_plan["reason"]
    assert default.memory_plan["device"] != services.host.plan_for("tiny").device  # not the server's CPU plan
