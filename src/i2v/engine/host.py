"""Owns the one loaded model: loads it once (optionally in the background), switches family when a
job needs another, and reports each model's state.

This is the only long-lived mutable state in i2v. Everything that needs an engine asks the host, so
later jobs reuse the loaded weights instead of reloading gigabytes per call. One model is resident
at a time: a job for another family unloads it (freeing memory) and loads the other; the switch is
logged and its measured load time counted in the ETA.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import torch

from i2v.engine.base import ModelNotAvailable, VideoEngine
from i2v.engine.measured import gpu_seconds
from i2v.engine.memory_plan import choose_plan
from i2v.engine.placement import free_accelerator_memory
from i2v.engine.registry import UnknownModel, load_engine, spec_for
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


@dataclass(frozen=True)
class Switch:
    """The host changed the resident model for a job: from which, to which, and the load time."""

    previous: str | None
    model: str
    load_s: float


class EngineHost:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: VideoEngine | None = None
        self._loaded: str | None = None
        self._current: str | None = None  # the model loaded, or being loaded, last
        self._statuses: dict[str, ModelStatus] = {}
        self._load_seconds: dict[str, float] = {}
        self.last_switch: Switch | None = None

    @property
    def default_model(self) -> str:
        return self._settings.model

    @property
    def loaded_model(self) -> str | None:
        return self._loaded

    @property
    def status(self) -> ModelStatus:
        """The state of the default model (what the studio's status line and health report)."""
        return self.status_of(self.default_model)

    def status_of(self, model: str) -> ModelStatus:
        return self._statuses.get(model, ModelStatus(ModelState.NOT_LOADED, model))

    @property
    def current_status(self) -> ModelStatus:
        """The state of the model loaded (or being loaded) last: after a job switched families,
        that one, not the default."""
        return self.status_of(self._current or self.default_model)

    @property
    def resident_device(self) -> str | None:
        """Where the resident model computes ("cpu", "cuda", "mps"); None when none is loaded."""
        engine = self._engine
        return engine.plan.device if engine is not None else None

    def start_background_load(self) -> threading.Thread:
        thread = threading.Thread(target=self._load_quietly, name="i2v-model-load", daemon=True)
        thread.start()
        return thread

    def _load_quietly(self) -> None:
        try:
            self.get()
        except (ModelNotAvailable, UnknownModel) as exc:  # an expected state on a first start: one line, no traceback
            log.warning("model not available: %s", exc)
        except Exception:  # noqa: BLE001 - the state records the reason; the server keeps running
            log.exception("model load failed")

    def get(self, model: str | None = None) -> VideoEngine:
        """The engine for `model` (the default when None), loading it — and unloading another family
        first — when it is not the resident one. Raises `ModelNotAvailable`, `UnknownModel` or the
        load error; the model's status records which."""
        model = model or self.default_model
        with self._lock:
            if self._engine is not None and self._loaded == model:
                return self._engine
            previous = self._loaded
            if self._engine is not None:
                log.info("switching model: unloading %s to load %s", previous, model)
                self._unload()
            self._statuses[model] = ModelStatus(ModelState.LOADING, model)
            self._current = model
            started = time.perf_counter()
            try:
                engine = self._load(model)
            except (ModelNotAvailable, UnknownModel) as exc:  # not here, or not a model i2v knows: nothing loaded
                self._statuses[model] = ModelStatus(ModelState.MISSING, model, str(exc))
                raise
            except Exception as exc:
                self._statuses[model] = ModelStatus(ModelState.FAILED, model, f"{type(exc).__name__}: {exc}")
                raise
            load_s = time.perf_counter() - started
            self._engine, self._loaded = engine, model
            self._load_seconds[model] = load_s
            self.last_switch = Switch(previous, model, round(load_s, 3))
            plan = engine.plan
            self._statuses[model] = ModelStatus(
                ModelState.READY, model, f"{engine.spec.title}, {plan.device} {plan.dtype}, offload={plan.offload}"
            )
            log.info("model ready: %s (%s) in %.1f s — memory plan: %s", model, engine.spec.title, load_s, plan)
            return engine

    def _unload(self) -> None:
        engine, self._engine = self._engine, None
        if self._loaded is not None:
            self._statuses[self._loaded] = ModelStatus(ModelState.NOT_LOADED, self._loaded, "unloaded for another model")
        self._loaded = None
        if engine is not None:
            engine.close()
        del engine
        free_accelerator_memory()

    def estimate_seconds(
        self, request: GenerationRequest, width: int, height: int, *, after: str | None = None
    ) -> float | None:
        """Run time of a completed job before it starts, from its family's measured figures for this
        machine's plan, plus the model's load time when the model resident before it (`after`; the
        loaded one when None) is another. None when anything is unknown: test models (the
        full-size figures would be 100× too long), hardware never measured, or a switch to a model
        never loaded in this process."""
        model = request.model or self.default_model
        spec = spec_for(model)
        if model == spec.test_model or self._engine is None:
            return None
        plan = self.plan_for(model)
        request = spec.complete(request)
        if plan.device == "cuda":
            w, h = spec.frame_size(request.resolution, width, height)
            seconds = gpu_seconds(spec, torch.cuda.get_device_name(), w, h, request.frames, request.steps, request.quality)
        else:
            seconds = spec.estimate_request(request, width, height, f"{plan.device}-{plan.dtype}")
        previous = self._loaded if after is None else after
        if seconds is None or previous == model:
            return seconds
        load = self._load_seconds.get(model)
        return None if load is None else round(seconds + load, 1)

    def plan_for(self, model: str):
        """The memory plan `model` runs (or would run) with on this machine."""
        if self._engine is not None and self._loaded == model:
            return self._engine.plan
        s = self._settings
        spec = spec_for(model)
        return choose_plan(spec, device=s.device, dtype=s.dtype, offload=s.offload, vae_chunk=s.vae_chunk,
                           release_encoders=s.release_encoders)

    def _load(self, model: str) -> VideoEngine:
        revision = self._settings.revision if model == self._settings.model else None
        plan = self.plan_for(model)
        log.info("loading %s (%s) with memory plan: %s", model, spec_for(model).title, plan)
        return load_engine(model, plan, revision=revision)
