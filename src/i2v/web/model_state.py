"""The one answer to "is the model ready?", read by both `/api/v1/health` and the studio's header,
so the two never disagree.

On one machine it is the default model's state, unless the server switched to another family for a
job (an LTX clip unloads I2VGen-XL): then the resident model is what is ready, and the default loads
again when a job asks for it. With GPU workers on other machines (I2V_BROKER) this server loads no
model: the default model is ready while a live worker of its family is connected.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from i2v.engine.host import ModelState
from i2v.jobs.dispatch import family_of

if TYPE_CHECKING:
    from i2v.web.services import Services


@dataclass(frozen=True)
class ModelReport:
    """The model's state for every front end. `detail` is English (the API's field); the studio
    words its own line from `device` (this machine's plan) or `workers` (the GPU workers' names)."""

    state: ModelState
    model: str
    detail: str = ""
    device: str | None = None
    workers: tuple[str, ...] = ()


def model_report(services: Services) -> ModelReport:
    """The state `/api/v1/health` reports and the studio's header shows (see the module doc)."""
    if services.broker is not None:
        return _remote(services)
    host = services.host
    status = host.status
    current = host.current_status
    if status.state is ModelState.NOT_LOADED and current.model != status.model and current.state in (
            ModelState.LOADING, ModelState.READY):
        status = current  # switched to another family for a job: that one is what runs now
        detail = (f"{current.detail}; the default {host.default_model} loads again when a job asks for it"
                  if current.detail else "")
        return ModelReport(status.state, status.model, detail, host.resident_device)
    device = host.resident_device if status.state is ModelState.READY else None
    return ModelReport(status.state, status.model, status.detail, device)


def _remote(services: Services) -> ModelReport:
    model = services.settings.model
    try:
        serving = [w for w in services.broker.live_workers() if w.family == family_of(model)]
    except sqlite3.Error:
        serving = []
    if serving:
        names = tuple(f"{w.name} ({w.gpu or 'GPU'})" for w in serving[:10])
        return ModelReport(ModelState.READY, model, f"on {len(serving)} GPU worker(s): " + ", ".join(names),
                           workers=names)
    return ModelReport(ModelState.NOT_LOADED, model, f"No worker for model {model} is connected; jobs wait until "
                       "one starts (i2v worker --server … --broker …).")
