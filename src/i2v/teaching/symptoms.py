"""The symptom guide: what a teacher sees in a clip → what to change, applied in one click.

Each symptom is data: parameter changes (set, raise to at least, lower to at most) plus, where the
fix is not a parameter, a UI action to open. Targets are relative to the chosen model family's own
defaults ("guidance at least its default + 2", "resolution at most its standard class"), so one
guide serves every family; they are resolved against the family's spec. Its words live in
`strings.json` (`symptom.<id>.title` / `.explanation`, with the resolved targets filled in).
`apply_symptom` returns new parameters clamped to what the family accepts, so an "apply" can never
produce a job that is refused.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from i2v.engine.registry import DEFAULT_SPEC
from i2v.engine.spec import ModelSpec
from i2v.i18n import t

Rule = Literal["set", "at_least", "at_most"]
UiAction = Literal["open_prompt_builder", "show_log"]

SMOOTH_RANGE = (0.0, 1.0)
"""Strength of frame smoothing after generation (0 = off). Not a `GenerationRequest` field: the
media step that blends neighbouring frames owns it."""


class Change(BaseModel):
    """One parameter change; `at_least`/`at_most` never move a value the other way.

    `value` is a number; for resolution a class ("draft", "standard", "high") or "lower" (one preset
    below the current one); or relative to the family's default: "default", "default+2",
    "default*1.5", or "short" (frames: the default, but at most two thirds of the family's maximum,
    for families whose default is already their longest clip)."""

    model_config = ConfigDict(frozen=True)

    param: str
    value: float | int | str
    rule: Rule = "set"

    def target(self, spec: ModelSpec, current: Any = None) -> float | int | str:
        """The value this change aims at for the family `spec`, from the `current` value."""
        if self.param == "resolution":
            if self.value != "lower":
                return spec.resolution_classes[str(self.value)]
            start = current if current in spec.resolution_names else spec.default_resolution
            return spec.lower_resolution(start) or start
        if not isinstance(self.value, str):
            return self.value
        default = _default(self.param, spec)
        if self.value == "short":
            return spec.frames.nearest(min(default, spec.frames.high * 2 / 3))
        expression = self.value.removeprefix("default")
        value = default if not expression else default + float(expression[1:]) if expression[0] == "+" else (
            default - float(expression[1:]) if expression[0] == "-" else default * float(expression[1:]))
        if self.param == "frames":
            return spec.frames.nearest(value)
        return round(value) if self.param in _INTEGER_PARAMS else round(value, 2)


class Symptom(BaseModel):
    """A problem a teacher can name, with the changes that usually help."""

    model_config = ConfigDict(frozen=True)

    id: str
    changes: tuple[Change, ...] = ()
    action: UiAction | None = None

    def apply(self, spec: ModelSpec = DEFAULT_SPEC, current: dict[str, Any] | None = None) -> dict[str, float | int | str]:
        """The target values for a family, e.g. {"guidance": 11.0} for I2VGen-XL (see `changes` for
        whether each is a floor or a cap), from the `current` parameters when given."""
        current = current or {}
        return {c.param: c.target(spec, current.get(c.param)) for c in self.changes}

    def title(self, lang: str = "en") -> str:
        return t(f"symptom.{self.id}.title", lang)

    def explanation(self, lang: str = "en", spec: ModelSpec = DEFAULT_SPEC) -> str:
        shown = {name: f"{value:g}" if isinstance(value, float) else value for name, value in self.apply(spec).items()}
        return t(f"symptom.{self.id}.explanation", lang, **shown)


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(id="motion_weak", changes=(Change(param="guidance", value="default+2", rule="at_least"),)),
    Symptom(id="jittery", changes=(Change(param="frames", value="short", rule="at_most"),
                                   Change(param="smooth", value=0.5))),
    Symptom(id="ignores_prompt", changes=(Change(param="guidance", value="default+1", rule="at_least"),),
            action="open_prompt_builder"),
    Symptom(id="model_not_loaded", action="show_log"),
    Symptom(id="drifts_from_picture", changes=(Change(param="guidance", value="default-1", rule="at_most"),)),
    Symptom(id="blurry", changes=(Change(param="steps", value="default*1.2", rule="at_least"),)),
    Symptom(id="too_short", changes=(Change(param="frames", value="default*1.5", rule="at_least"),
                                     Change(param="fps", value="default", rule="at_most"))),
    Symptom(id="too_slow", changes=(Change(param="steps", value="default*0.6", rule="at_most"),
                                    Change(param="resolution", value="lower", rule="at_most"))),
    Symptom(id="out_of_memory", changes=(Change(param="resolution", value="lower", rule="at_most"),
                                         Change(param="frames", value="short", rule="at_most"))),
)


def get_symptom(symptom_id: str) -> Symptom:
    """The symptom with this id; KeyError naming the known ids otherwise."""
    for symptom in SYMPTOMS:
        if symptom.id == symptom_id:
            return symptom
    raise KeyError(f"unknown symptom {symptom_id!r}; known: {', '.join(s.id for s in SYMPTOMS)}")


def list_symptoms(lang: str = "en", spec: ModelSpec = DEFAULT_SPEC) -> list[dict[str, Any]]:
    """The guide for a family as plain data for the UI and API: id, title, explanation, apply
    (resolved targets), changes (rules, with resolved values), action."""
    return [
        {
            "id": s.id,
            "title": s.title(lang),
            "explanation": s.explanation(lang, spec),
            "apply": s.apply(spec),
            "changes": [{"param": c.param, "value": c.target(spec), "rule": c.rule} for c in s.changes],
            "action": s.action,
        }
        for s in SYMPTOMS
    ]


_INTEGER_PARAMS = ("frames", "fps", "steps")
_FLOAT_PARAMS = ("guidance", "smooth")


def _default(param: str, spec: ModelSpec) -> float:
    return {"frames": spec.frames.default, "fps": spec.fps.default, "steps": spec.steps.default,
            "guidance": spec.guidance.default}[param]


def _numeric_range(param: str, spec: ModelSpec) -> tuple[float, float]:
    if param == "smooth":
        return SMOOTH_RANGE
    span = {"frames": (spec.frames.low, spec.frames.high), "fps": (spec.fps.low, spec.fps.high),
            "steps": (spec.steps.low, spec.steps.high), "guidance": (spec.guidance.low, spec.guidance.high)}[param]
    return float(span[0]), float(span[1])


_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]{1,9})?")


def _number(param: str, value: Any) -> float:
    """A parameter's number as a client sent it: a finite JSON number, or text of a plain decimal
    ("16", "9.5"), as every other route reads numbers; "1e3", "٣", "nan" and the like are ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{param} must be a number, not {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        raise ValueError(f"{param} must be a plain number such as 20 or 7.5 (got {str(value)[:20]!r})")
    if not math.isfinite(number):
        raise ValueError(f"{param} must be a finite number")
    return number


def _change(current: Any, change: Change, spec: ModelSpec) -> Any:
    target = change.target(spec, current)
    if change.param == "resolution":
        names = spec.resolution_names
        wanted = names.index(str(target))
        now = names.index(current) if current in names else wanted
        pick = {"set": wanted, "at_least": max(now, wanted), "at_most": min(now, wanted)}[change.rule]
        return names[pick]
    value = float(target)
    if current is None or change.rule == "set":
        return value
    now = _number(change.param, current)
    return max(now, value) if change.rule == "at_least" else min(now, value)


def _clamp(param: str, value: Any, spec: ModelSpec) -> Any:
    """Clamp the tunable numbers to the family's ranges (frames also to its frame rule); other
    parameters pass through untouched."""
    if param not in _INTEGER_PARAMS + _FLOAT_PARAMS or value is None:
        return value
    low, high = _numeric_range(param, spec)
    clamped = min(max(_number(param, value), low), high)
    if param == "frames":
        return spec.frames.nearest(clamped)
    return round(clamped) if param in _INTEGER_PARAMS else clamped


def apply_symptom(params: dict[str, Any], symptom_id: str, spec: ModelSpec = DEFAULT_SPEC) -> dict[str, Any]:
    """New parameters with the symptom's changes for the family `spec` applied and every known
    number clamped to the family's range. `params` is not modified. Raises KeyError for an
    unknown symptom id."""
    symptom = get_symptom(symptom_id)
    result = dict(params)
    for change in symptom.changes:
        result[change.param] = _change(result.get(change.param), change, spec)
    return {key: _clamp(key, value, spec) for key, value in result.items()}
