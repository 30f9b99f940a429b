"""What post-processing to apply to a clip: one frozen, validated value recorded in the recipe."""

from __future__ import annotations

import hashlib
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_serializer

from i2v.post.labels import Label

SMOOTH_RANGE = (0.0, 1.0)
SPEED_RANGE = (0.25, 4.0)


def _check_range(name: str, value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return value


class PostSpec(BaseModel):
    """Optional CPU steps run after generation, always in the order smooth → interpolate → loop → speed
    → labels.

    `interpolate` multiplies the frame rate (N frames become (N−1)·k+1); `smooth` is the temporal
    filter strength (0 = off); `loop` makes the clip repeat without a jump; `speed` is a playback
    factor (2 = twice as fast); `labels` are crisp texts drawn last, so their `start_s`/`end_s` are
    seconds of the final clip. Out-of-range values raise pydantic's `ValidationError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    interpolate: Literal[1, 2, 4] = 1
    smooth: float = 0.0
    loop: Literal["none", "pingpong", "crossfade"] = "none"
    speed: float = 1.0
    labels: tuple[Label, ...] = ()

    @field_validator("smooth")
    @classmethod
    def _smooth_in_range(cls, value: float) -> float:
        return _check_range("smooth", value, SMOOTH_RANGE)

    @field_validator("speed")
    @classmethod
    def _speed_in_range(cls, value: float) -> float:
        return _check_range("speed", value, SPEED_RANGE)

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        """Leave out `labels` when there are none, so a spec without labels dumps (and is recorded and
        hashed) exactly as before labels existed; otherwise dump them as a list, as JSON reads back."""
        data = handler(self)
        if self.labels:
            data["labels"] = list(data["labels"])
        else:
            data.pop("labels", None)
        return data

    @property
    def is_identity(self) -> bool:
        """True when applying this spec would return the clip unchanged."""
        return (self.interpolate == 1 and self.smooth == 0 and self.loop == "none" and self.speed == 1
                and not self.labels)

    @property
    def digest(self) -> str:
        """8 hex digits naming this spec in file names; equal specs give equal digests."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:8]
