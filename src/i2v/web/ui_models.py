"""The Create tab's model picker: which model makes the next video, with its licence and what it
gets on this machine; picking another family re-ranges the settings from that family's spec.

Only the models the server offers are listed (`JobService.models`): the default, the operator's
extra ids, downloaded known models, and — with a test model as the default — the test models.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from i2v.engine.registry import SPECS, ModelChoice, UnknownModel, spec_for, spec_or_default
from i2v.engine.spec import ModelSpec
from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui_settings import limits_updates, settings_limits


def model_choices(services: Services, lang: str = "en") -> list[tuple[str, str]]:
    """(label, model id) for each offered model: its family's title, the id, and a mark for test models."""
    return [(_label(choice, lang), choice.id) for choice in services.jobs.models()]


def _label(choice: ModelChoice, lang: str) -> str:
    mark = f" · {t('ui.model.test', lang)}" if choice.is_test else ""
    return f"{choice.spec.title} — {choice.id}{mark}"


def model_info_md(services: Services, model: str | None, lang: str) -> str:
    """One line about the chosen model: licence, the memory plan it gets here, prompt languages and
    length, and its frame rule."""
    model = model or services.settings.model
    try:
        spec = spec_for(model)
    except UnknownModel as exc:
        return html.escape(str(exc))
    plan = services.host.plan_for(model)
    languages = " + ".join(t(f"ui.model.lang.{code}", lang) for code in spec.text.languages)
    return t(
        "ui.model.info", lang, licence=html.escape(t(f"ui.model.licence.{spec.family}", lang)), device=plan.device,
        dtype=plan.dtype, offload=plan.offload, languages=languages, tokens=spec.text.budget,
        frames=frames_rule(spec, lang), fps=f"{spec.fps.default:g}",
    )


def frames_rule(spec: ModelSpec, lang: str) -> str:
    """The family's frame rule in the studio's language (the API's English words are `FrameRule.describe`)."""
    rule = spec.frames
    if rule.step == 1:
        return t("ui.model.frames.range", lang, low=rule.low, high=rule.high)
    examples = t("ui.model.frames.or", lang).join(str(n) for n in sorted({rule.nearest(rule.high * 2 / 3), rule.default}))
    return t("ui.model.frames.step", lang, step=rule.step, low=rule.low, high=rule.high, examples=examples)


def snap_frames(services: Services, frames: float | None, model: str | None) -> Any:
    """The Frames control keeps to the family's rule: a count it cannot make (typed, or from a
    recipe of another family) becomes the nearest one it can (Wan: 80 → 81)."""
    if frames is None:
        return gr.skip()
    rule = spec_or_default(model or services.settings.model).frames
    return gr.skip() if rule.valid(int(frames)) and frames == int(frames) else rule.nearest(frames)


def on_model_change(services: Services, model: str | None, lang: str, negative: str | None = None) -> list[Any]:
    """Another model picked: the settings re-ranged to its family (defaults as values), the negative
    prompt, and its info line. A negative prompt of the teacher's or a preset's own is kept; only an
    empty one or a family's stock list becomes the new family's stock list."""
    limits = settings_limits(spec_or_default(model or services.settings.model))
    stock = {spec.negative_prompt.strip() for spec in SPECS}
    keep = bool(negative and negative.strip()) and negative.strip() not in stock
    return [*limits_updates(limits, lang), gr.update() if keep else gr.update(value=limits.negative_prompt),
            model_info_md(services, model, lang)]


def build_model_picker(tx, services: Services) -> tuple[Any, Any]:
    """The dropdown and its info line, added to the open Blocks."""
    en = "en"
    choices = model_choices(services, en)
    default = services.settings.model if any(value == services.settings.model for _, value in choices) else None
    picker = tx.add(gr.Dropdown(choices, value=default, label=t("ui.model", en), elem_id="i2v-model-picker",
                                interactive=True),
                    label="ui.model", choices=lambda lang: model_choices(services, lang))
    info = gr.Markdown(model_info_md(services, None, en), elem_id="i2v-model-info", elem_classes=["i2v-note"])
    return picker, info
