"""The symptom guide: what a teacher sees in a clip → what to change, applied in one click.

Each symptom is data: parameter changes (set, raise to at least, lower to at most) plus, where the
fix is not a parameter, a UI action to open. Its words live in `strings.json`
(`symptom.<id>.title` / `.explanation`). `apply_symptom` returns new parameters clamped to what a
generation request accepts, so an "apply" can never produce a job that is refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from i2v.request import RESOLUTIONS, GenerationRequest
from i2v.teaching.i18n import t

Rule = Literal["set", "at_least", "at_most"]
UiAction = Literal["open_prompt_builder", "show_log"]

SMOOTH_RANGE = (0.0, 1.0)
"""Strength of frame smoothing after generation (0 = off). Not a `GenerationRequest` field: the
media step that blends neighbouring frames owns it."""


class Change(BaseModel):
    """One parameter change; `at_least`/`at_most` never move a value the other way."""

    model_config = ConfigDict(frozen=True)

    param: str
    value: float | int | str
    rule: Rule = "set"


class Symptom(BaseModel):
    """A problem a teacher can name, with the changes that usually help."""

    model_config = ConfigDict(frozen=True)

    id: str
    changes: tuple[Change, ...] = ()
    action: UiAction | None = None

    @property
    def apply(self) -> dict[str, float | int | str]:
        """The target values, e.g. {"guidance": 11.0} (see `changes` for whether each is a floor or cap)."""
        return {c.param: c.value for c in self.changes}

    def title(self, lang: str = "en") -> str:
        return t(f"symptom.{self.id}.title", lang)

    def explanation(self, lang: str = "en") -> str:
        return t(f"symptom.{self.id}.explanation", lang)


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(id="motion_weak", changes=(Change(param="guidance", value=11.0, rule="at_least"),)),
    Symptom(id="jittery", changes=(Change(param="frames", value=16, rule="at_most"),
                                   Change(param="smooth", value=0.5))),
    Symptom(id="ignores_prompt", changes=(Change(param="guidance", value=10.0, rule="at_least"),),
            action="open_prompt_builder"),
    Symptom(id="model_not_loaded", action="show_log"),
    Symptom(id="drifts_from_picture", changes=(Change(param="guidance", value=8.0, rule="at_most"),)),
    Symptom(id="blurry", changes=(Change(param="steps", value=60, rule="at_least"),)),
    Symptom(id="too_short", changes=(Change(param="frames", value=24, rule="at_least"),
                                     Change(param="fps", value=8, rule="at_most"))),
    Symptom(id="too_slow", changes=(Change(param="steps", value=30, rule="at_most"),
                                    Change(param="resolution", value="512p", rule="at_most"))),
    Symptom(id="out_of_memory", changes=(Change(param="resolution", value="512p", rule="at_most"),
                                         Change(param="frames", value=16, rule="at_most"))),
)


def get_symptom(symptom_id: str) -> Symptom:
    """The symptom with this id; KeyError naming the known ids otherwise."""
    for symptom in SYMPTOMS:
        if symptom.id == symptom_id:
            return symptom
    raise KeyError(f"unknown symptom {symptom_id!r}; known: {', '.join(s.id for s in SYMPTOMS)}")


def list_symptoms(lang: str = "en") -> list[dict[str, Any]]:
    """The guide as plain data for the UI and API: id, title, explanation, apply, changes, action."""
    return [
        {
            "id": s.id,
            "title": s.title(lang),
            "explanation": s.explanation(lang),
            "apply": s.apply,
            "changes": [c.model_dump() for c in s.changes],
            "action": s.action,
        }
        for s in SYMPTOMS
    ]


_INTEGER_PARAMS = ("frames", "fps", "steps")
_FLOAT_PARAMS = ("guidance", "smooth")


def _numeric_range(param: str) -> tuple[float, float]:
    if param == "smooth":
        return SMOOTH_RANGE
    metadata = GenerationRequest.model_fields[param].metadata
    low = next(m.ge for m in metadata if hasattr(m, "ge"))
    high = next(m.le for m in metadata if hasattr(m, "le"))
    return float(low), float(high)


def _change(current: Any, change: Change) -> Any:
    if change.param == "resolution":
        target = RESOLUTIONS.index(str(change.value))
        now = RESOLUTIONS.index(current) if current in RESOLUTIONS else target
        pick = {"set": target, "at_least": max(now, target), "at_most": min(now, target)}[change.rule]
        return RESOLUTIONS[pick]
    value = float(change.value)
    if current is None or change.rule == "set":
        return value
    return max(float(current), value) if change.rule == "at_least" else min(float(current), value)


def _clamp(param: str, value: Any) -> Any:
    """Clamp the tunable numbers to their ranges; other parameters pass through untouched."""
    if param not in _INTEGER_PARAMS + _FLOAT_PARAMS or value is None:
        return value
    low, high = _numeric_range(param)
    clamped = min(max(float(value), low), high)
    return round(clamped) if param in _INTEGER_PARAMS else clamped


def apply_symptom(params: dict[str, Any], symptom_id: str) -> dict[str, Any]:
    """New parameters with the symptom's changes applied and every known number clamped to its range.

    `params` is not modified. Raises KeyError for an unknown symptom id.
    """
    symptom = get_symptom(symptom_id)
    result = dict(params)
    for change in symptom.changes:
        result[change.param] = _change(result.get(change.param), change)
    return {key: _clamp(key, value) for key, value in result.items()}
