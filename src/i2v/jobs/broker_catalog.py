"""The model catalogue with GPU workers on other machines (I2V_BROKER): this server loads no model,
so a model's state, plan and estimate come from the live workers of its family and the measured
GPU tables (see `i2v.engine.catalog`)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from i2v.engine.catalog import ModelReport
from i2v.engine.host import ModelState
from i2v.engine.registry import ModelChoice, offered_models
from i2v.jobs.dispatch import family_of
from i2v.settings import Settings

if TYPE_CHECKING:
    from i2v.jobs.broker import BrokerDispatcher
    from i2v.jobs.store import WorkerRow
    from i2v.request import GenerationRequest


class BrokerCatalog:
    def __init__(self, broker: BrokerDispatcher, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings

    def offered(self) -> list[ModelChoice]:
        return offered_models(self.settings.model, self.settings.extra_models)

    def _serving(self, model: str) -> list[WorkerRow]:
        try:
            return [w for w in self.broker.live_workers() if w.family == family_of(model)]
        except sqlite3.Error:
            return []

    def report(self) -> ModelReport:
        model = self.settings.model
        serving = self._serving(model)
        if serving:
            names = tuple(f"{w.name} ({w.gpu or 'GPU'})" for w in serving[:10])
            return ModelReport(ModelState.READY, model, f"on {len(serving)} GPU worker(s): " + ", ".join(names),
                               workers=names)
        return ModelReport(ModelState.NOT_LOADED, model, f"No worker for model {model} is connected; jobs wait until "
                           "one starts (i2v worker --server … --broker …).")

    def state_of(self, model: str) -> ModelState:
        return ModelState.READY if self._serving(model) else ModelState.NOT_LOADED

    def plan_of(self, model: str) -> dict[str, Any]:
        """Where the workers run `model`: their GPUs, not this server's CPU. A worker's offload mode
        is its own (it measures its free memory), so it is not claimed here."""
        serving = self._serving(model)
        gpus = sorted({w.gpu or "GPU" for w in serving})
        reason = (f"runs on {len(serving)} GPU worker(s): {', '.join(gpus)}; each chooses its plan from its own free memory"
                  if serving else "runs on a GPU worker; none of this family is connected")
        return {"device": "workers", "dtype": "", "offload": "", "vae_tiling": False, "reason": reason}

    def estimate(self, request: GenerationRequest, width: int, height: int, *, after: str | None = None) -> float | None:
        return self.broker.estimate(request, width, height, after=after)
