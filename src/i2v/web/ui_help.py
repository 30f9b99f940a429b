"""The Help tab: the symptom guide ("Apply" changes the Create tab's settings and says so beside
the button), the rules of a prompt that works for the chosen model family, what the model can and cannot do, and where to look when the
studio itself misbehaves. Every text comes from the catalogue, so it follows the language switch."""

from __future__ import annotations

import gradio as gr

from i2v.i18n import t
from i2v.engine.registry import spec_or_default
from i2v.engine.spec import ModelSpec
from i2v.web.ui_guide import build_symptom_guide
from i2v.web.ui_studio import HELP, Studio


def prompt_rules_md(lang: str, spec: ModelSpec) -> str:
    """The prompt rules for the chosen model family: the languages and the token budget its text
    encoder reads (`TextEncoderSpec`: Wan reads Chinese too, 511 tokens; LTX 127; I2VGen-XL 75)."""
    rule = "en_zh" if "zh" in spec.text.languages else "en"
    language_rule = t(f"ui.help.prompt_lang.{rule}", lang, title=spec.title)
    return t("ui.help.prompt_rules", lang, limit=spec.text.budget, title=spec.title, language_rule=language_rule)


def build_help_tab(studio: Studio) -> None:
    tx, en = studio.tx, "en"
    create = studio.create
    spec = spec_or_default(studio.services.settings.model)
    with studio.tab(HELP, "ui.tab.help"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=360, elem_id="i2v-symptoms"):
                tx.add(gr.Markdown(t("ui.help.symptoms", en)), value="ui.help.symptoms")
                if create is not None:
                    build_symptom_guide(tx, studio.lang, create.symptom_params(), create.helper, create.symptom_note,
                                        studio.tabs, create.model)
            with gr.Column(scale=1, min_width=360, elem_id="i2v-help-text"):
                tx.add(gr.Markdown(t("ui.help.prompts", en)), value="ui.help.prompts")
                rules = gr.Markdown(prompt_rules_md(en, spec), elem_id="i2v-help-prompts")  # follows model and language
                tx.add(gr.Markdown(t("ui.help.model", en)), value="ui.help.model")
                tx.add(gr.Markdown(t("ui.help.model_text", en), elem_id="i2v-help-model"), value="ui.help.model_text")
                tx.add(gr.Markdown(t("ui.help.trouble", en)), value="ui.help.trouble")
                tx.add(gr.Markdown(t("ui.help.trouble_text", en)), value="ui.help.trouble_text")
    chosen = [create.model, studio.lang] if create is not None else [studio.lang]

    def follow(*values: str) -> str:
        model, lang = (values if len(values) == 2 else (None, values[0]))
        return prompt_rules_md(lang, spec_or_default(model or studio.services.settings.model))

    studio.lang.change(follow, chosen, rules, api_name=False, show_progress="hidden")
    if create is not None:
        create.model.change(follow, chosen, rules, api_name=False, show_progress="hidden")
