"""What every model family offers the rest of i2v, and the errors it may raise.

The service layer talks only to `VideoEngine`; a new model family is a new module that
implements it, nothing else changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from PIL import Image

from i2v.engine.memory import MemoryPlan
from i2v.request import GenerationRequest


@dataclass(frozen=True)
class Progress:
    """One denoising step done. `preview` is a small RGB picture decoded cheaply from the latents."""

    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview: Image.Image | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class ModelInfo:
    """Which weights made a video: enough to find them again."""

    id: str
    source: str  # "hub" | "local" | "tiny"
    revision: str | None
    fingerprint: str
    is_test_model: bool = False


@dataclass
class EngineOutput:
    frames: np.ndarray  # uint8 (T, H, W, 3)
    width: int
    height: int
    resolution: str  # the preset actually used (differs from the request only after an allowed downgrade)
    plan: MemoryPlan
    plan_changes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class GenerationCancelled(Exception):
    """The job's cancel event was set; raised between denoising steps."""


class NonFiniteError(RuntimeError):
    """NaN/inf appeared in latents or frames; the message names the likely cause and the fix."""


class ModelNotAvailable(RuntimeError):
    """Weights are not on this machine; the message holds the exact command that fetches them."""


class VideoEngine(Protocol):
    info: ModelInfo
    plan: MemoryPlan

    def generate(
        self,
        request: GenerationRequest,
        image: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> EngineOutput:
        """Make the frames for a seeded `request` from an RGB `image`."""
        ...
