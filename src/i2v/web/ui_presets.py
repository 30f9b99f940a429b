"""The studio's science presets panel, prompt helper and live prompt check.

The view functions (`preset_cards`, `preset_details_md`, `prompt_check_html`) are pure; the
`build_*` functions add components to the open `gr.Blocks` and wire them to `i2v.teaching`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from i2v.engine.registry import spec_or_default
from i2v.i18n import t
from i2v.teaching.presets import Preset, build_prompt, get_preset, load_presets, template_path
from i2v.teaching.prompt_check import check_prompt, chips
from i2v.teaching.search import search_presets
from i2v.web.ui_text import UiText
from i2v.web.ui_studio import user_error

SEARCH_LIMIT = 8
BUILDER_FIELDS = ("subject", "action", "direction", "environment")


def preset_cards(query: str, lang: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Gallery items (template image, title) and the matching preset ids; all presets for an empty query."""
    query = (query or "").strip()
    presets = [p for p, _ in search_presets(query, limit=SEARCH_LIMIT)] if query else load_presets()
    return [(str(template_path(p)), p.title.get(lang)) for p in presets], [p.id for p in presets]


def preset_details_md(preset: Preset | None, lang: str) -> str:
    """Knowledge point, why these settings, what the clip can and cannot show, and the common
    misconception beside "cannot show" (what to warn the class about)."""
    if preset is None:
        return t("ui.presets.pick", lang)
    rows = [
        f"### {preset.title.get(lang)}",
        f"**{t('ui.presets.knowledge_point', lang)}:** {preset.knowledge_point.get(lang)}",
        f"**{t('preset.params_reason', lang)}:** {preset.params_reason.get(lang)}",
        f"**{t('preset.can_show', lang)}:** {preset.can_show.get(lang)}",
        f"**{t('preset.cannot_show', lang)}:** {preset.cannot_show.get(lang)}",
        f"**{t('preset.misconception', lang)}:** {preset.misconception.get(lang)}",
        f"_{t('preset.illustrative', lang)}_",
    ]
    return "\n\n".join(rows)


def prompt_check_html(text: str, lang: str, model: str | None = None) -> str:
    """Token count, each warning, and the exact words past the encoder's limit highlighted, for the
    chosen model's family (the default model's when None)."""
    text = text or ""
    check = check_prompt(text, lang, spec_or_default(model))
    parts = [f"<div class='i2v-tokens'>{html.escape(t('prompt.tokens_used', lang, tokens=check.tokens, limit=check.limit))}</div>"]
    if check.warnings:
        items = "".join(f"<li data-code='{w.code}'>{html.escape(w.message)}</li>" for w in check.warnings)
        parts.append(f"<ul class='i2v-warnings'>{items}</ul>")
    else:
        parts.append(f"<div class='i2v-ok'>{html.escape(t('ui.check.ok', lang))}</div>")
    if check.cut_at is not None:
        kept, cut = html.escape(text[: check.cut_at]), html.escape(text[check.cut_at:])
        words = f"<mark class='i2v-cut'>{cut}</mark>"
        parts.append(f"<div class='i2v-cut-text'>{t('ui.check.cut', lang, words=words)}</div>"
                     f"<div class='i2v-cut-view'>{kept}{words}</div>")
    return f"<div class='i2v-check' data-warnings='{len(check.warnings)}'>{''.join(parts)}</div>"


@dataclass
class Controls:
    """The generation controls a preset or a symptom fix writes into."""

    image: Any
    prompt: Any
    negative: Any
    resolution: Any
    frames: Any
    fps: Any
    steps: Any
    guidance: Any


def on_search(query: str, lang: str) -> tuple[list[tuple[str, str]], list[str], dict[str, Any]]:
    """The cards for `query`, their ids, and the "no match" note (shown only when nothing matches)."""
    items, found = preset_cards(query, lang)
    return items, found, gr.update(value=t("search.no_results", lang), visible=not found)


def on_pick(found: list[str], lang: str, model: str | None, evt: gr.SelectData) -> tuple[Any, ...]:
    """Fill the form from the clicked card for the chosen model's family: (preset id, picture, prompt,
    negative, resolution, frames, fps, steps, guidance, details) in the order `build_presets_panel`
    wires. Families other than the default keep their own steps and guidance."""
    preset = get_preset(found[evt.index])
    spec = spec_or_default(model)
    f = preset.request_fields(spec)
    steps, guidance = f.get("steps", spec.steps.default), f.get("guidance", spec.guidance.default)
    return (preset.id, str(template_path(preset)), f["prompt"], f["negative_prompt"], f["resolution"],
            f["frames"], f["fps"], steps, guidance, preset_details_md(preset, lang))


def on_language(query: str, picked: str | None, lang: str) -> tuple[list[tuple[str, str]], list[str], str]:
    items, found = preset_cards(query, lang)
    return items, found, preset_details_md(get_preset(picked) if picked else None, lang)


def build_presets_panel(tx: UiText, lang: gr.State, controls: Controls, model: Any) -> None:
    """A fold (closed: one click opens it) with the search box (live), preset cards and details.
    Picking a card fills picture, prompts and parameters."""
    ids = gr.State([p.id for p in load_presets()])
    picked = gr.State(None)
    with tx.add(gr.Accordion(t("ui.presets.open", "en"), open=False, elem_id="i2v-presets"), label="ui.presets.open"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                search = tx.add(gr.Textbox(label=t("ui.presets.search", "en"), placeholder=t("search.placeholder", "en"),
                                           elem_id="i2v-preset-search", max_lines=1),
                                label="ui.presets.search", placeholder="search.placeholder")
                items, _ = preset_cards("", "en")
                # fit_columns=False: one hit is one normal card with its caption, not a picture stretched across
                gallery = tx.add(gr.Gallery(items, label=t("ui.presets.gallery", "en"), columns=5, fit_columns=False,
                                            height=330, object_fit="contain", allow_preview=False, preview=False,
                                            elem_id="i2v-preset-gallery"), label="ui.presets.gallery")
                empty = gr.Markdown(visible=False, elem_id="i2v-preset-empty")
            with gr.Column(scale=2):
                details = gr.Markdown(preset_details_md(None, "en"), elem_id="i2v-preset-details")

    search.change(on_search, [search, lang], [gallery, ids, empty], api_name=False, show_progress="hidden")
    c = controls
    gallery.select(on_pick, [ids, lang, model], [picked, c.image, c.prompt, c.negative, c.resolution, c.frames, c.fps,
                                          c.steps, c.guidance, details], api_name=False)
    lang.change(on_language, [search, picked, lang], [gallery, ids, details], api_name=False, show_progress="hidden")


def build_prompt_helper(tx: UiText, lang: gr.State, prompt) -> gr.Accordion:
    """Four fields with example chips, "Use this prompt", and the live check under the prompt box."""
    examples = chips()
    with tx.add(gr.Accordion(t("ui.helper", "en"), open=False, elem_id="i2v-helper"), label="ui.helper") as helper:
        fields = []
        for name in BUILDER_FIELDS:
            with gr.Row(equal_height=True):
                box = tx.add(gr.Textbox(label=t(f"builder.{name}", "en"), placeholder=t(f"builder.{name}.hint", "en"),
                                        max_lines=1, scale=3, min_width=180, elem_id=f"i2v-builder-{name}"),
                             label=f"builder.{name}", placeholder=f"builder.{name}.hint")
                chip = tx.add(gr.Radio(examples[name], value=None, label=t("ui.helper.examples", "en"), scale=5,
                                       elem_id=f"i2v-chips-{name}"), label="ui.helper.examples")
                chip.input(lambda value: value, chip, box, api_name=False, show_progress="hidden")
            fields.append(box)
        use = tx.add(gr.Button(t("ui.helper.use", "en"), elem_id="i2v-use-prompt"), value="ui.helper.use")

    use.click(use_prompt, [*fields, lang], prompt, api_name=False)
    return helper


def use_prompt(subject: str | None, action: str | None, direction: str | None, environment: str | None, lang: str) -> str:
    """The helper's fields joined into one prompt; gr.Error when the subject or the action is missing."""
    if not (subject or "").strip() or not (action or "").strip():
        raise user_error(t("ui.helper.empty", lang))
    return build_prompt(subject.strip(), action.strip(), (direction or "").strip(), (environment or "").strip())


def build_prompt_check() -> gr.HTML:
    """The checker's panel under the prompt box (wired by `follow_prompt` once the model picker exists)."""
    return gr.HTML(prompt_check_html("", "en"), elem_id="i2v-prompt-check")


def follow_prompt(check: gr.HTML, prompt, lang: gr.State, model) -> None:
    """Runs the checker on every change of the prompt (typing, preset, helper), on a language switch
    and when another model is picked (each family counts with its own tokenizer and limit)."""
    inputs = [prompt, lang, model]
    prompt.change(prompt_check_html, inputs, check, api_name=False, show_progress="hidden", trigger_mode="always_last")
    lang.change(prompt_check_html, inputs, check, api_name=False, show_progress="hidden")
    model.change(prompt_check_html, inputs, check, api_name=False, show_progress="hidden")
