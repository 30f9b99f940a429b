"""The one validated generation request every entry point (CLI, HTTP API, web UI, recipes) builds.

Validation happens here and only here; a bad value fails with a message naming the field and
its allowed range, so a teacher can fix it without reading code.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# The negative prompt of the original I2VGen-XL recipe (diffusers docs example).
DEFAULT_NEGATIVE_PROMPT = (
    "Distorted, discontinuous, Ugly, blurry, low resolution, motionless, static, disfigured, "
    "disconnected limbs, Ugly faces, incomplete arms"
)
MAX_SEED = 2**32 - 1
Resolution = Literal["256p", "512p", "768p", "1024p"]
Scheduler = Literal["ddim", "dpmpp"]
Quality = Literal["standard", "fast"]
RESOLUTIONS: tuple[str, ...] = ("256p", "512p", "768p", "1024p")
SCHEDULERS: tuple[str, ...] = ("ddim", "dpmpp")
QUALITIES: tuple[str, ...] = ("standard", "fast")
# Expected speed-up of the "fast" preset over "standard" for a whole job (same size, frames,
# guidance): the denoising loop measures 3.8× (64 px) and 4.0× (128 px) at 50 steps on the
# full-size model, fp32, 2-core CPU; encoders and VAE decode are unchanged (BENCHMARKS.md §5b).
# Shown next to the preset in UI/API/CLI.
FAST_SPEEDUP = 3.5
SIDE_MULTIPLE = 64
MAX_ASPECT = 2.5  # wider or taller inputs are centre-cropped to this ratio


# Numbers given as text (form fields, query strings) follow one grammar: plain decimal digits, with a
# fractional part only where the value may have one. No sign, exponent, spaces, underscores or
# "16.0" for a whole number: Python's int()/float() accept all of those, a teacher never types them,
# and every extra spelling is one more thing a cache, a log reader or a recipe diff must know.
PLAIN_INTEGER = re.compile(r"[0-9]+")
PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Characters that draw nothing, beyond whitespace: format characters (zero-width space and joiners,
# direction marks, BOM, soft hyphen: category Cf), combining marks with nothing to combine with, and
# the blank "letters" Unicode lists as default-ignorable or fillers (Hangul fillers, braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class RequestError(ValueError):
    """A request a person can fix: the message lists every problem in plain words."""


class GenerationRequest(BaseModel):
    """What to make. Defaults are those of the original I2VGen-XL recipe."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str = Field(DEFAULT_NEGATIVE_PROMPT, max_length=2000)
    resolution: Resolution = "512p"
    frames: int = Field(16, ge=8, le=32)
    fps: int = Field(8, ge=4, le=30)
    steps: int = Field(50, ge=1, le=150)
    guidance: float = Field(9.0, ge=1.0, le=20.0)
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    scheduler: Scheduler = "ddim"
    quality: Quality = Field(
        "standard",
        description='"standard" is the original recipe; "fast" trades a small, measured deviation '
        "for speed (see FAST_SPEEDUP and BENCHMARKS.md).",
    )
    allow_downgrade: bool = Field(
        False, description="On out-of-memory, may the engine lower resolution as a last resort?"
    )

    @field_validator("prompt", "negative_prompt")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("prompt", "negative_prompt")
    @classmethod
    def _printable(cls, value: str) -> str:
        # NUL and other control characters break file names, MP4 metadata and terminals; tabs and
        # newlines are ordinary typing and allowed.
        bad = sorted({f"U+{ord(c):04X}" for c in value if (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) < 0xA0})
        if bad:
            raise ValueError(f"remove the invisible control characters ({', '.join(bad[:5])})")
        return value

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not has_visible_text(value):
            raise ValueError("describe the motion you want, in English")
        return value

    @field_validator("frames", "fps", "steps", "seed", mode="before")
    @classmethod
    def _integer_text(cls, value: Any) -> Any:
        return plain_number_text(value, PLAIN_INTEGER)

    @field_validator("guidance", mode="before")
    @classmethod
    def _decimal_text(cls, value: Any) -> Any:
        return plain_number_text(value, PLAIN_DECIMAL)

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


def plain_number_text(value: Any, grammar: re.Pattern[str]) -> Any:
    """`value` unchanged, unless it is text that does not match `grammar` in full: then ValueError
    (shown with the field's range). Numbers that arrive as numbers are pydantic's to check."""
    if isinstance(value, str) and not grammar.fullmatch(value):
        raise ValueError("not a plain decimal number")
    return value


def has_visible_text(text: str) -> bool:
    """Whether `text` has at least one character that draws something (see `_BLANK_LETTERS`)."""
    return any(
        not (c.isspace() or c in _BLANK_LETTERS or unicodedata.category(c) in ("Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Cc"))
        for c in text
    )


def _allowed(field: str) -> str:
    info = GenerationRequest.model_fields[field]
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if field == "resolution":
        return "one of " + ", ".join(RESOLUTIONS)
    if field == "scheduler":
        return "one of " + ", ".join(SCHEDULERS)
    if field == "quality":
        return "one of " + ", ".join(QUALITIES)
    if low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    return ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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
        shown = repr(got) if len(repr(got)) <= 60 else f"{repr(got)[:40]}… ({len(got) if isinstance(got, str) else '?'} characters)"
        problems.append(f"{field}: {detail} (got {shown})")
    return "; ".join(problems)


def frame_size(resolution: str, width: int, height: int) -> tuple[int, int]:
    """Output (width, height) for a preset: about N×N pixels, the input's aspect kept, sides ×64.

    "512p" means a budget of 512² pixels rather than a short side of 512, so wide pictures are
    not made larger (and slower) than square ones. Aspect beyond 2.5:1 is clamped (then cropped).
    """
    if resolution not in RESOLUTIONS:
        raise RequestError(f"resolution: must be one of {', '.join(RESOLUTIONS)} (got {resolution!r})")
    side = int(resolution.removesuffix("p"))
    aspect = min(max(width / height, 1 / MAX_ASPECT), MAX_ASPECT)
    ideal_w = math.sqrt(side * side * aspect)

    def snap(x: float) -> int:
        return max(SIDE_MULTIPLE, round(x / SIDE_MULTIPLE) * SIDE_MULTIPLE)

    def distortion(size: tuple[int, int]) -> float:
        # aspect error counts double the pixel-budget error: a squashed cell is worse than a slower clip
        w, h = size
        return abs(math.log(w / h / aspect)) + 0.5 * abs(math.log(w * h / (side * side)))

    low = max(SIDE_MULTIPLE, math.floor(ideal_w / SIDE_MULTIPLE) * SIDE_MULTIPLE)
    candidates = [(w, snap(w / aspect)) for w in (low, low + SIDE_MULTIPLE)]
    return min(candidates, key=distortion)


def lower_resolution(resolution: str) -> str | None:
    """The next smaller preset, or None at the smallest."""
    index = RESOLUTIONS.index(resolution)
    return RESOLUTIONS[index - 1] if index > 0 else None
