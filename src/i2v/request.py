"""The one validated generation request every entry point (CLI, HTTP API, web UI, recipes) builds.

Family-neutral: a field left out means "the chosen model family's default", and the family's own
rules (frame counts, sizes, ranges) are checked by its `ModelSpec.complete`, which fills every
default in. Here only what holds for every family is checked: types, the prompt, the seed, and no
unknown fields. A bad value fails with a message naming the field and what is allowed, so a teacher
can fix it without reading code.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_SEED = 2**32 - 1
Quality = Literal["standard", "fast"]
QUALITIES: tuple[str, ...] = ("standard", "fast")


class RequestError(ValueError):
    """A request a person can fix: the message lists every problem in plain words."""


class GenerationRequest(BaseModel):
    """What to make. `None` means "the family's default" until `ModelSpec.complete` fills it in;
    engines, the job table and recipes only ever see completed requests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(
        None, max_length=500, description="Which model makes the video (an id from GET /api/v1/models); the server's default when omitted."
    )
    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str | None = Field(None, max_length=2000)
    resolution: str | None = Field(None, max_length=20)
    frames: int | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    scheduler: str | None = Field(None, max_length=20)
    quality: Quality = Field(
        "standard",
        description='"standard" is the family\'s recipe; "fast" trades a small, measured deviation for speed '
        "(each family's speed-up is in GET /api/v1/models and BENCHMARKS.md).",
    )
    allow_downgrade: bool = Field(
        False, description="On out-of-memory, may the engine lower resolution as a last resort?"
    )

    @property
    def is_complete(self) -> bool:
        """Every family default filled in (by `ModelSpec.complete`)."""
        fields = (self.negative_prompt, self.resolution, self.frames, self.fps, self.steps, self.guidance, self.scheduler)
        return all(value is not None for value in fields)

    @field_validator("guidance")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not -1e6 < value < 1e6:  # also refuses NaN and infinities
            raise ValueError("must be a finite number")
        return value

    @field_validator("prompt", "negative_prompt")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return None if value is None else value.strip()

    @field_validator("prompt", "negative_prompt")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # NUL and other control characters break file names, MP4 metadata and terminals; tabs and
        # newlines are ordinary typing and allowed.
        bad = sorted({f"U+{ord(c):04X}" for c in value if (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) < 0xA0})
        if bad:
            raise ValueError(f"remove the invisible control characters ({', '.join(bad[:5])})")
        return value

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("describe the motion you want, in English")
        return value

    @classmethod
    def parse(cls, data: dict[str, Any]) -> GenerationRequest:
        """Build from untrusted input, turning pydantic's errors into one readable `RequestError`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise RequestError(_explain(exc)) from None

    def with_seed(self) -> GenerationRequest:
        """The same request with a concrete seed: drawn at random when omitted, then recorded."""
        if self.seed is not None:
            return self
        return self.model_copy(update={"seed": secrets.randbelow(MAX_SEED + 1)})


def _allowed(field: str) -> str:
    if field == "quality":
        return "one of " + ", ".join(QUALITIES)
    if field == "seed":
        return f"between 0 and {MAX_SEED}"
    return ""


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "request"
        got = error.get("input")
        if error["type"] == "extra_forbidden":
            problems.append(f"{field}: unknown setting")
            continue
        if error["type"] == "missing":
            problems.append(f"{field}: required")
            continue
        allowed = _allowed(field) if field in GenerationRequest.model_fields else ""
        detail = f"must be {allowed}" if allowed else error["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {detail} (got {shown(got)})")
    return "; ".join(problems)


def shown(value: Any) -> str:
    """A value as it may appear in an error message: its repr, cut short (never the whole input)."""
    text = repr(value)
    if len(text) <= 60:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} digits" if isinstance(value, int) else "long"
    return f"{text[:40]}… ({size})"
