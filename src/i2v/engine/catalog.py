"""The one place front ends ask about models: which are offered, each one's state, the memory plan
it runs with, and how long a job would take (`ModelCatalog`).

Two implementations: `LocalCatalog` here, over this process's `EngineHost` (one machine), and
`i2v.jobs.broker_catalog.BrokerCatalog` over the live GPU workers and the measured tables (several
machines, where the server loads no model). The API, the studio and the CLI ask the catalog the
composition root built, so `/api/v1/health`, `/models` and the studio's header cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from i2v.engine.host import ModelState
from i2v.engine.registry import ModelChoice, offered_models
from i2v.settings import Settings

if TYPE_CHECKING:
    from i2v.engine.host import EngineHost
    from i2v.request import GenerationRequest


@dataclass(frozen=True)
class ModelReport:
    """The model's state for every front end. `detail` is English (the API's field); the studio
    words its own line from `device` (this machine's plan) or `workers` (the GPU workers' names)."""

    state: ModelState
    model: str
    detail: str = ""
    device: str | None = None
    workers: tuple[str, ...] = ()


class ModelCatalog(Protocol):
    def offered(self) -> list[ModelChoice]:
        """The models a job may choose, the default first."""

    def report(self) -> ModelReport:
        """The state `/api/v1/health` reports and the studio's header shows."""

    def state_of(self, model: str) -> ModelState:
        """One offered model's state (the `/models` list)."""

    def plan_of(self, model: str) -> dict[str, Any]:
        """The memory plan `model` runs with where jobs run, as JSON (device, dtype, offload, vae_tiling, reason)."""

    def estimate(self, request: GenerationRequest, width: int, height: int, *, after: str | None = None) -> float | None:
        """Seconds one run of a completed request takes for a picture of width×height; None when unknown."""


class LocalCatalog:
    """The catalogue of one machine: this process's engine host loads and runs every model."""

    def __init__(self, host: EngineHost, settings: Settings) -> None:
        self.host = host
        self.settings = settings

    def offered(self) -> list[ModelChoice]:
        return offered_models(self.settings.model, self.settings.extra_models)

    def report(self) -> ModelReport:
        host = self.host
        status = host.status
        current = host.current_status
        if status.state is ModelState.NOT_LOADED and current.model != status.model and current.state in (
                ModelState.LOADING, ModelState.READY):
            # switched to another family for a job: that one is what runs now
            detail = (f"{current.detail}; the default {host.default_model} loads again when a job asks for it"
                      if current.detail else "")
            return ModelReport(current.state, current.model, detail, host.resident_device)
        device = host.resident_device if status.state is ModelState.READY else None
        return ModelReport(status.state, status.model, status.detail, device)

    def state_of(self, model: str) -> ModelState:
        return self.host.status_of(model).state

    def plan_of(self, model: str) -> dict[str, Any]:
        plan = self.host.plan_for(model)
        return {"device": plan.device, "dtype": plan.dtype, "offload": plan.offload,
                "vae_tiling": plan.vae_tiling, "reason": plan.reason}

    def estimate(self, request: GenerationRequest, width: int, height: int, *, after: str | None = None) -> float | None:
        return self.host.estimate_seconds(request, width, height, after=after)
