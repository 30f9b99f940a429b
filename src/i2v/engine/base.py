"""What every model family offers the rest of i2v, and the errors it may raise.

The service layer talks only to `VideoEngine`; a new model family is a new package under
`engine/` with its `ModelSpec`, an engine implementing this protocol and a test model, registered
in `engine/registry.py`; nothing else changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PIL import Image

from i2v.request import GenerationRequest
from i2v.errors import Cancelled, I2VError, Unavailable

if TYPE_CHECKING:  # kept out of the import: the registry (and teaching through it) must not load torch
    from i2v.engine.memory_plan import MemoryPlan
    from i2v.media import Audio
    from i2v.engine.spec import ModelSpec


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
    family: str = ""
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
    audio: Audio | None = None  # the sound a family makes with the frames (LTX-2); None for silent families


class GenerationCancelled(Cancelled):
    """The job's cancel event was set; raised between denoising steps."""


class NonFiniteError(I2VError, RuntimeError):
    """NaN/inf appeared in latents or frames; the message names the likely cause and the fix."""


class ModelNotAvailable(Unavailable, RuntimeError):
    """Weights are not on this machine; the message holds the exact command that fetches them."""


class VideoEngine(Protocol):
    spec: ModelSpec
    info: ModelInfo
    plan: MemoryPlan

    def estimate_seconds(self, request: GenerationRequest, image_width: int, image_height: int) -> float | None:
        """Expected run time of a completed request before it starts; None where nothing was measured."""
        ...

    def close(self) -> None:
        """Drop the weights so another family can load (the host calls this before switching)."""
        ...

    def generate(
        self,
        request: GenerationRequest,
        image: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        keyframes: Sequence[Image.Image] = (),
    ) -> EngineOutput:
        """Make the frames for a seeded, completed `request` from an RGB `image` (and the RGB
        `keyframes` at `request.keyframes`, one each, where the family takes them).

        Raises `GenerationCancelled` (the event was set), `NonFiniteError`, `MemoryError` (out of
        memory even after the ladder), `RequestError` (a request its spec refuses)."""
        ...
