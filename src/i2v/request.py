"""The one validated generation request every entry point (CLI, HTTP API, web UI, recipes) builds.

Family-neutral: a field left out means "the chosen model family's default", and the family's own
rules (frame counts, sizes, ranges) are checked by its `ModelSpec.complete`, which fills every
default in. Here only what holds for every family is checked: types, the prompt, the seed, and no
unknown fields. A bad value fails with a message naming the field and what is allowed, so a teacher
can fix it without reading code.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from i2v.errors import InvalidInput

MAX_SEED = 2**32 - 1
MAX_MIDDLE_KEYFRAMES = 4  # pictures between the first and the last (families that take `any`)
Quality = Literal["standard", "fast"]
QUALITIES: tuple[str, ...] = ("standard", "fast")


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


class RequestError(InvalidInput):
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
    keyframes: tuple[float, ...] = Field(
        (),
        description="Where the pictures after the first stand in the clip, 0–1 of its length, increasing: 1 is the "
        "last frame (the end picture), 0.5 the middle. Set by the pictures sent (end_image, keyframeN), one "
        "position per picture; which a family can take is its `keyframes` in GET /api/v1/models.",
    )
    sound: Literal["on", "off"] = Field(
        "on",
        description='"on": families that make sound (LTX-2) write it as an AAC track beside the video; "off": no '
        "audio stream. Silent families ignore it.",
    )
    extends: str | None = Field(
        None, max_length=300, pattern=r"^[\w.-]+(/[\w.-]+)*\.mp4$",
        description="The archived video (archive-relative path) this job continues: the picture is its last "
        "frame and the result is that video followed by the continuation (POST /api/v1/jobs/ID/extend sets it).",
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

    @field_validator("keyframes")
    @classmethod
    def _positions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < p <= 1 for p in value):  # also refuses NaN
            raise ValueError("each position must be above 0 (the start picture's place) and at most 1 (the last frame)")
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("positions must increase, each picture after the one before it")
        if sum(1 for p in value if p < 1) > MAX_MIDDLE_KEYFRAMES:
            raise ValueError(f"at most {MAX_MIDDLE_KEYFRAMES} pictures between the first and the last")
        return tuple(round(p, 4) for p in value)

    @property
    def end_image(self) -> bool:
        """Does the request carry a picture for the last frame?"""
        return bool(self.keyframes) and self.keyframes[-1] == 1

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
    def parse(cls, data: dict[str, Any], rule: Callable[[str], str | None] | None = None) -> GenerationRequest:
        """Build from untrusted input, turning pydantic's errors into one readable `RequestError`.

        `rule(field)` names what the chosen model family allows for a field (its spec's `rule`), so a
        badly written number gets the same range message as an out-of-range one."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise RequestError(_explain(exc, rule)) from None

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


def _allowed(field: str, rule: Callable[[str], str | None] | None) -> str:
    family = rule(field) if rule is not None else None
    if family:
        return family
    if field in ("frames", "fps", "steps"):
        return "a whole number written in digits, e.g. 16"
    if field == "guidance":
        return "a number written in digits, e.g. 9 or 7.5"
    if field == "quality":
        return "one of " + ", ".join(QUALITIES)
    if field == "seed":
        return f"between 0 and {MAX_SEED}"
    return ""


def _explain(exc: ValidationError, rule: Callable[[str], str | None] | None = None) -> str:
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
        allowed = _allowed(field, rule) if field in GenerationRequest.model_fields else ""
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
