"""The Gradio studio: a header (title, model state, language), the first-run panel when the model
cannot run, and three tabs (Create, Library, Help). As thin as the HTTP routes: every action calls
the job service or `i2v.teaching`, through the named handlers in the `ui_*` modules.

Gradio's own queue is not used to order work (events run with no concurrency limit); the SQLite
job table is the only queue, so the UI, the API and the CLI agree on who is next. The studio
speaks English and Simplified Chinese: the browser's Accept-Language picks one on load, the switch
at the top changes it, and every visible text comes from the catalogues (`i2v.i18n`) via `UiText`.

A new tab is one function `build_<name>_tab(studio)` in its own module, added to `TABS`.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from i2v.i18n import pick_language, t
from i2v.post.labels import FONT_PATH
from i2v.web.services import Services
from i2v.web.ui_create import build_create_tab
from i2v.web.ui_help import build_help_tab
from i2v.web.ui_lessons import build_lessons_tab
from i2v.web.ui_library import build_library_tab
from i2v.web.ui_status import model_status_md, progress_html
from i2v.web.ui_studio import Studio
from i2v.web.ui_text import UiText

__all__ = ["CSS", "TABS", "build_studio", "build_ui", "progress_html"]

TABS: tuple[Callable[[Studio], None], ...] = (build_create_tab, build_lessons_tab, build_library_tab, build_help_tab)
"""The tabs, in order. Create comes first: the others fill its controls."""
MODEL_POLL_S = 2.0
LANGUAGE_CHOICES = [("EN", "en"), ("中文", "zh")]
_CJK = '"i2v Noto Sans SC"'
# The bundled Noto Sans SC subset (the one labels are drawn with) is the last fallback for CJK text,
# so Chinese shows on machines without a CJK system font; browsers that have one never fetch it.
# Gradio sets fonts through three variables (--font from the theme, --font-sans and --font-mono from
# its own sheet; the labels table uses the last two), so the fallback goes into all three.
CJK_FONT_FACE = f"""
@font-face {{font-family: "i2v Noto Sans SC"; src: url("/gradio_api/file={FONT_PATH.as_posix()}") format("opentype");
  unicode-range: U+2E80-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF; font-display: swap}}
:root, .gradio-container {{
  --font: "IBM Plex Sans", {_CJK}, ui-sans-serif, system-ui, sans-serif !important;
  --font-sans: "IBM Plex Sans", {_CJK}, ui-sans-serif, system-ui, sans-serif !important;
  --font-mono: "IBM Plex Mono", {_CJK}, ui-monospace, Consolas, monospace !important;
}}
"""
CSS = CJK_FONT_FACE + """
/* overflow: hidden on the container would make it the scroll box of sticky children: clip instead */
.gradio-container {overflow: clip !important}
/* Gradio floats image, video and gallery labels over the content's top-left corner: put them above it */
.gradio-container label[data-testid="block-label"].float {position: static !important; margin: 0 0 6px 0}
/* …and give the picture the height that is left, so a fixed-height box does not cut off its bottom */
.gradio-container .block:has(> label[data-testid="block-label"].float) > .image-container {height: calc(100% - 32px) !important}
.gradio-container .image-container .image-frame img {object-fit: contain}
/* preset cards: the whole title, on two lines if need be (Gradio cuts captions to one line with "…") */
#i2v-preset-gallery .caption-label {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  max-width: none !important; left: 0; right: 0 !important; bottom: 0 !important; line-height: 1.2; opacity: .92}
#i2v-header {align-items: center}
#i2v-lang .wrap {flex-wrap: nowrap}
#i2v-title h1 {margin: 0}
.i2v-status {padding: 6px 12px; border-radius: 8px; background: #f1f5f9}
/* once you have pressed Generate, your job's status stays at the top of the window as the page scrolls,
   until the job is over: then it goes back in line, above the video, and covers nothing (Download, export) */
#i2v-result-col {align-self: stretch}
#i2v-progress {padding: 8px 10px; border-radius: 8px; background: #ffffff}
#i2v-progress:has([data-status="queued"]), #i2v-progress:has([data-status="running"]) {position: sticky; top: 0; z-index: 20; box-shadow: 0 2px 8px rgba(15, 23, 42, .18);
  border: 1px solid #bfdbfe}
.i2v-progress {font-size: 1.05rem; line-height: 1.5}
.i2v-bar {height: 14px; background: #e5e7eb; border-radius: 7px; overflow: hidden; margin: 6px 0}
.i2v-bar > div {height: 100%; background: #2563eb; transition: width .3s}
.i2v-bar-waiting > div {background: repeating-linear-gradient(45deg, #93c5fd 0 12px, #bfdbfe 12px 24px);
  background-size: 34px 34px; animation: i2v-wait 1s linear infinite}
@keyframes i2v-wait {to {background-position: 34px 0}}
.i2v-firstrun {border: 3px solid #d97706; background: #fffbeb; border-radius: 12px; padding: 14px 22px; color: #1f2937}
.i2v-firstrun-failed {border-color: #dc2626; background: #fef2f2}
.i2v-firstrun h2 {margin: 0 0 8px 0; font-size: 1.35rem}
.i2v-firstrun li {margin: 10px 0}
.i2v-firstrun pre.i2v-command {background: #ffffff; color: #111827; border: 1px solid #9ca3af; padding: 6px 10px;
  border-radius: 6px; margin: 6px 0; white-space: pre-wrap; word-break: break-all; font-size: 1rem}
.i2v-firstrun pre.i2v-command code {color: #111827; background: none; font-family: var(--font-mono)}
.i2v-note {padding: 4px 10px; border-radius: 6px; background: #eff6ff}
.i2v-confirm {border: 2px solid #dc2626 !important; padding: 8px}
/* Gradio puts a Group's id and classes on its inner element too: one frame, not one inside another */
.i2v-confirm .i2v-confirm {border: none !important; padding: 0}
.i2v-check {font-size: .92rem; padding: 4px 8px}
.i2v-warnings {margin: 4px 0; padding: 6px 8px 6px 24px; background: #fef3c7; border-radius: 6px; color: #78350f}
.i2v-ok {color: #166534}
.i2v-cut {background: #fecaca; text-decoration: line-through}
.i2v-cut-view {color: #475569; font-size: .85rem}
@media (min-width: 1800px) { .gradio-container {font-size: 1.2rem} }
"""


def build_ui(services: Services) -> gr.Blocks:
    return build_studio(services)[0]


def build_studio(services: Services) -> tuple[gr.Blocks, UiText]:
    """The studio and its text registry (the registry is what the language switch relabels)."""
    tx = UiText()
    gr.set_static_paths([FONT_PATH.parent])  # read-only; serves CJK_FONT_FACE
    en = "en"
    with gr.Blocks(title="i2v — picture to video", fill_width=True) as ui:
        lang = gr.State(en)
        shown_model = gr.State(None)  # the model state the page shows (the timer skips unchanged states)
        with gr.Row(equal_height=True, elem_id="i2v-header"):
            tx.add(gr.Markdown(t("ui.title", en), elem_id="i2v-title"), value="ui.title")
            status = gr.Markdown(model_status_md(services, en), elem_classes=["i2v-status"], elem_id="i2v-model")
            switch = tx.add(gr.Radio(LANGUAGE_CHOICES, value=en, label=t("ui.language", en), scale=0, min_width=200,
                                     elem_id="i2v-lang"), label="ui.language")
        panel = gr.HTML(visible=False, elem_id="i2v-first-run")
        with gr.Row():
            check = tx.add(gr.Button(t("ui.firstrun.check", en), visible=False, variant="primary", scale=0, min_width=220,
                                     elem_id="i2v-check-model"), value="ui.firstrun.check")
        with gr.Tabs(elem_id="i2v-tabs") as tabs:
            studio = Studio(services, tx, lang, tabs)
            for build_tab in TABS:
                build_tab(studio)
        create = studio.create
        assert create is not None, "the Create tab must be in TABS"
        model_outputs = [status, panel, check, create.generate, create.generate_off, shown_model]
        show_model = create.actions.model_state
        gr.Timer(MODEL_POLL_S).tick(show_model, [lang, shown_model], model_outputs, api_name=False,
                                    show_progress="hidden")
        check.click(create.actions.check_model_again, None, None, api_name=False, show_progress="hidden")

        relabelled = tx.components()
        languages = PageLanguage(tx, relabelled.index(switch))
        switch.input(languages.relabel, switch, [lang, *relabelled], api_name=False, show_progress="hidden")
        lang.change(show_model, lang, model_outputs, api_name=False, show_progress="hidden")
        loaded = ui.load(languages.on_load, None, [lang, *relabelled], api_name=False)
        loaded.then(show_model, lang, model_outputs, api_name=False, show_progress="hidden")
    return ui, tx


class PageLanguage:
    """The page's language: picked from the browser on load, changed by the switch."""

    def __init__(self, tx: UiText, switch_index: int) -> None:
        self.tx, self.switch_index = tx, switch_index

    def relabel(self, lang: str) -> list:
        """The language switch: the new language, then every registered text in it."""
        return [lang, *self.tx.updates(lang)]

    def on_load(self, request: gr.Request) -> list:
        """The browser's language (from Accept-Language), every text in it, and the switch set to it."""
        lang = pick_language(request.headers.get("accept-language") if request else None)
        updates = self.tx.updates(lang)
        updates[self.switch_index]["value"] = lang
        return [lang, *updates]
