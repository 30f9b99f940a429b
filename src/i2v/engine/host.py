"""Owns the one loaded model: loads it once (optionally in the background) and reports its state.

This is the only long-lived mutable state in i2v. Everything that needs the engine asks the
host, so later jobs reuse the loaded weights instead of reloading 11 GB per call.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from enum import StrEnum

from i2v.engine.base import ModelNotAvailable, VideoEngine
from i2v.engine.memory import choose_plan
from i2v.settings import Settings

if TYPE_CHECKING:
    from i2v.request import GenerationRequest

log = logging.getLogger(__name__)


class ModelState(StrEnum):
    NOT_LOADED = "not_loaded"
    LOADING = "loading"
    READY = "ready"
    MISSING = "missing"  # weights not downloaded: `detail` holds the command that fetches them
    FAILED = "failed"


@dataclass(frozen=True)
class ModelStatus:
    state: ModelState
    model: str
    detail: str = ""


class EngineHost:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: VideoEngine | None = None
        self._status = ModelStatus(ModelState.NOT_LOADED, settings.model)

    @property
    def status(self) -> ModelStatus:
        return self._status

    def start_background_load(self) -> threading.Thread:
        thread = threading.Thread(target=self._load_quietly, name="i2v-model-load", daemon=True)
        thread.start()
        return thread

    def _load_quietly(self) -> None:
        try:
            self.get()
        except ModelNotAvailable as exc:  # expected on a first start: one line, no traceback
            log.warning("model not available: %s", exc)
        except Exception:  # noqa: BLE001 - the state records the reason; the server keeps running
            log.exception("model load failed")

    def get(self) -> VideoEngine:
        """The loaded engine, loading it on first use. Raises `ModelNotAvailable` or the load error."""
        with self._lock:
            if self._engine is not None:
                return self._engine
            self._status = ModelStatus(ModelState.LOADING, self._settings.model)
            try:
                self._engine = self._load()
            except ModelNotAvailable as exc:
                self._status = ModelStatus(ModelState.MISSING, self._settings.model, str(exc))
                raise
            except Exception as exc:
                self._status = ModelStatus(ModelState.FAILED, self._settings.model, f"{type(exc).__name__}: {exc}")
                raise
            plan = self._engine.plan
            self._status = ModelStatus(ModelState.READY, self._settings.model, f"{plan.device} {plan.dtype}, offload={plan.offload}")
            log.info("model ready: %s — memory plan: %s", self._settings.model, plan)
            return self._engine

    def estimate_seconds(self, request: GenerationRequest, width: int, height: int) -> float | None:
        """Run time of a job before it starts, from the measured figures of the full-size model.
        None until a model is loaded, for the tiny test model (the figures would be 100× too
        long), and wherever the hardware was never measured."""
        engine = self._engine
        if engine is None or engine.info.source == "tiny" or not hasattr(engine, "estimate_seconds"):
            return None
        return engine.estimate_seconds(request, width, height)

    def _load(self) -> VideoEngine:
        from i2v.engine.i2vgenxl import I2VGenXLEngine

        s = self._settings
        plan = choose_plan(device=s.device, dtype=s.dtype, offload=s.offload, vae_chunk=s.vae_chunk)
        log.info("loading %s with memory plan: %s", s.model, plan)
        return I2VGenXLEngine.load(s.model, plan, revision=s.revision)
