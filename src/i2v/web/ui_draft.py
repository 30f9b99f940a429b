"""The Create tab on a computer without a GPU: it says so before Generate, with what the model's
usual settings cost here, and offers "Draft for this computer" — the smallest size, the fewest
frames and the steps that fit about a minute, all from the family's spec and its measured CPU
cost (`ModelSpec.draft`), never numbers written here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from i2v.engine.registry import UnknownModel, spec_or_default
from i2v.engine.spec import Draft
from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui_settings import STEP_SLIDER_MIN

DRAFT_BUDGET_S = 60.0
"""What a draft should take: about a minute."""


@dataclass(frozen=True)
class CpuAdvice:
    """What the note says: the draft, and the family's usual settings' run time here (None: never
    measured here, or a test model, whose time the full-size figures would overstate 100×)."""

    draft: Draft
    usual_s: float | None


def device_of(services: Services, model: str | None) -> str | None:
    """Where `model` (the default when None) computes here ("cpu", "cuda", "mps"); None for a
    model i2v does not know (the first-run panel explains that one)."""
    try:
        return services.host.plan_for(model or services.settings.model).device
    except UnknownModel:
        return None


def cpu_advice(services: Services, model: str | None) -> CpuAdvice | None:
    """None when `model` (the default when None) computes on a GPU here, or is unknown."""
    model = model or services.settings.model
    if device_of(services, model) != "cpu":
        return None
    spec = spec_or_default(model)
    plan = services.host.plan_for(model)
    kind = "unmeasured" if model == spec.test_model else f"{plan.device}-{plan.dtype}"
    draft = spec.draft(kind, budget_s=DRAFT_BUDGET_S, min_steps=STEP_SLIDER_MIN)
    usual = spec.preset(spec.default_resolution)
    usual_s = spec.estimate_seconds(kind, usual.width, usual.height, spec.frames.default, int(spec.steps.default), "standard")
    return CpuAdvice(draft, usual_s)


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))}"


def cpu_note_md(services: Services, model: str | None, lang: str) -> str:
    """The note above Generate ("" on a GPU)."""
    advice = cpu_advice(services, model)
    if advice is None:
        return ""
    draft = advice.draft
    usual = t("ui.cpu.usual", lang, minutes=_minutes(advice.usual_s)) if advice.usual_s is not None else ""
    took = (t("ui.cpu.draft_time", lang, minutes=_minutes(draft.seconds)) if draft.seconds is not None
            else t("ui.cpu.draft_quickest", lang))
    return t("ui.cpu.note", lang, usual=usual, button=t("ui.cpu.draft", lang), resolution=draft.resolution,
             frames=draft.frames, steps=draft.steps, quality=t(f"ui.quality.{draft.quality}.short", lang), took=took)


def cpu_note_updates(services: Services, model: str | None, lang: str) -> list[Any]:
    """The note and the draft button, shown only on a computer without a GPU."""
    note = cpu_note_md(services, model, lang)
    return [gr.update(value=note, visible=bool(note)), gr.update(visible=bool(note))]


def apply_draft(services: Services, model: str | None) -> list[Any]:
    """The draft's resolution, frames, steps and quality into the controls (the rest stays as set)."""
    advice = cpu_advice(services, model)
    if advice is None:
        return [gr.skip()] * 4
    draft = advice.draft
    return [gr.update(value=draft.resolution), gr.update(value=draft.frames), gr.update(value=draft.steps),
            gr.update(value=draft.quality)]
