"""The Create tab: presets one click away; the picture, prompt and settings on the left; the job's
status, live preview, result and export on the right, side by side.

The status sits at the top of the right column; once there is a job it stays in view while the
page scrolls (CSS `position: sticky`), and Generate scrolls it into view on narrow screens where
the columns stack: a teacher always sees that a job is queued or running, and how it ended.
Cancel shows only while there is something to cancel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr

from i2v.engine.registry import spec_or_default
from i2v.i18n import t
from i2v.web.ui_draft import apply_draft, cpu_note_md, cpu_note_updates
from i2v.web.ui_export import EXTEND_SECONDS, build_export, queue_extension
from i2v.web.ui_guide import build_picture_check
from i2v.web.ui_keyframes import build_end_picture, end_box_update, strip_html
from i2v.web.ui_handlers import CreateActions, hidden, random_seed
from i2v.web.ui_models import build_model_picker, model_info_md, on_model_change, snap_frames
from i2v.web.ui_presets import (
    Controls,
    build_presets_panel,
    build_prompt_check,
    build_prompt_helper,
    follow_prompt,
)
from i2v.web.ui_settings import (
    SettingsControls,
    build_settings_controls,
    quality_labels,
    settings_limits,
)
from i2v.web.ui_status import progress_html
from i2v.web.ui_studio import CREATE, HELP, Studio, select_tab

# Side by side, the status is already in view (and sticky from now on); stacked (a narrow window), it is below the
# button: bring it up.
SHOW_STATUS_JS = """() => {
  const status = document.getElementById('i2v-progress'), button = document.getElementById('i2v-generate');
  if (status && button && status.getBoundingClientRect().top > button.getBoundingClientRect().bottom) {
    status.scrollIntoView({block: 'start', behavior: 'smooth'});
  }
}"""


@dataclass
class CreateTab:
    """The Create tab's parts that other tabs and the page fill in or follow."""

    image: Any
    prompt: Any
    model: Any  # the model picker
    model_info: Any
    settings: SettingsControls
    helper: Any  # the prompt helper's fold
    symptom_note: Any  # what a symptom fix (Help tab) changed
    generate: Any
    generate_off: Any  # why Generate is off (no model)
    cancel: Any
    job_id: gr.State
    progress: Any
    preview: Any
    video: Any
    download: Any
    recipe: Any
    export: dict[str, Any]
    generated: Any  # the generate event: other tabs chain `.then(...)` onto it (the Library refreshes)
    actions: CreateActions

    def reuse_targets(self) -> list[Any]:
        """What a recipe fills, in `ui_handlers.recipe_controls` order."""
        s = self.settings
        return [self.image, self.prompt, s.negative, s.resolution, s.frames, s.fps, s.steps, s.guidance, s.seed,
                s.scheduler, s.quality, self.model, self.model_info]

    def symptom_params(self) -> list[Any]:
        """The controls a symptom fix rewrites, in `ui_guide.SYMPTOM_PARAMS` order."""
        s = self.settings
        return [s.resolution, s.frames, s.fps, s.steps, s.guidance, self.export["smooth"]]


def build_create_tab(studio: Studio) -> None:
    tx, lang, services, en = studio.tx, studio.lang, studio.services, "en"
    with studio.tab(CREATE, "ui.tab.create"):
        presets_slot = gr.Column()
        with gr.Row(equal_height=False, elem_id="i2v-create-row"):
            with gr.Column(scale=5, min_width=360):
                image = tx.add(gr.Image(label=t("ui.image", en), type="filepath", sources=["upload", "clipboard"],
                                        elem_id="i2v-image", height=270, placeholder=t("ui.drop_image", en)),
                               label="ui.image", placeholder="ui.drop_image")
                build_picture_check(tx, lang, image)
                end_image, strip = build_end_picture(tx, services.settings.model)
                prompt = tx.add(gr.Textbox(label=t("ui.prompt", en), lines=2, elem_id="i2v-prompt",
                                           placeholder="chromosomes separating and moving to opposite poles, slow motion"),
                                label="ui.prompt")
                check = build_prompt_check()
                tx.add(gr.Markdown(t("prompt.english_only", en), elem_id="i2v-english-only"), value="prompt.english_only")
                helper = build_prompt_helper(tx, lang, prompt)
                model, model_info = build_model_picker(tx, services)
                settings = build_settings_controls(tx, settings_limits(spec_or_default(services.settings.model)))
                symptom_note = gr.Markdown(visible=False, elem_id="i2v-symptom-note", elem_classes=["i2v-note"])
                first_note = cpu_note_md(services, None, en)
                cpu_note = gr.Markdown(first_note, visible=bool(first_note), elem_id="i2v-cpu-note", elem_classes=["i2v-note"])
                draft = tx.add(gr.Button(t("ui.cpu.draft", en), visible=bool(first_note), size="sm", elem_id="i2v-draft"),
                               value="ui.cpu.draft")
                with gr.Row():
                    generate = tx.add(gr.Button(t("ui.generate", en), variant="primary", elem_id="i2v-generate", scale=3),
                                      value="ui.generate")
                    cancel = tx.add(gr.Button(t("ui.cancel", en), variant="stop", visible=False, elem_id="i2v-cancel",
                                              scale=1), value="ui.cancel")
                generate_off = gr.Markdown(visible=False, elem_id="i2v-generate-off", elem_classes=["i2v-note"])
            with gr.Column(scale=6, min_width=360, elem_id="i2v-result-col"):
                progress = gr.HTML(progress_html(None), elem_id="i2v-progress")
                preview = tx.add(gr.Image(label=t("ui.live_preview", en), interactive=False, height=200, visible=False,
                                          elem_id="i2v-preview"), label="ui.live_preview")
                video = tx.add(gr.Video(label=t("ui.result", en), interactive=False, elem_id="i2v-video", autoplay=True,
                                        loop=True), label="ui.result")
                with gr.Row():
                    download = tx.add(gr.DownloadButton(t("ui.download", en), visible=False, variant="primary",
                                                        elem_id="i2v-download"), value="ui.download")
                    to_help = tx.add(gr.Button(t("ui.symptoms.open", en), elem_id="i2v-to-help", size="sm"),
                                     value="ui.symptoms.open")
                    extend = tx.add(gr.Button(t("ui.library.extend", en, seconds=EXTEND_SECONDS), elem_id="i2v-extend", size="sm"),
                                    value=lambda code: t("ui.library.extend", code, seconds=EXTEND_SECONDS))
                extended = gr.Markdown(elem_id="i2v-extend-note")
                job_id = gr.State(None)
                extend.click(partial(queue_extension, services.jobs), [job_id, lang], extended, api_name=False)
                export = build_export(tx, lang, services.jobs, job_id, video)
                with tx.add(gr.Accordion(t("ui.recipe", en), open=False, elem_id="i2v-recipe-fold"), label="ui.recipe"):
                    recipe = tx.add(gr.JSON(label=t("ui.recipe", en), open=True, elem_id="i2v-recipe"), label="ui.recipe")
        with presets_slot:
            s = settings
            build_presets_panel(tx, lang, Controls(image, prompt, s.negative, s.resolution, s.frames, s.fps, s.steps,
                                                   s.guidance), model)
    follow_prompt(check, prompt, lang, model)

    actions = CreateActions(services)
    # `model` then `end_image` last: the `generate` API keeps its positional inputs (gradio_client callers);
    # both default (the server's model, no end picture)
    inputs = [image, prompt, *settings.request_inputs(), lang, model, end_image]
    # .change: also when a recipe or preset sets the model
    model.change(partial(end_box_update, services.settings.model), model, end_image, api_name=False,
                 show_progress="hidden")
    for source in (image, end_image, lang):
        source.change(strip_html, [image, end_image, lang], strip, api_name=False, show_progress="hidden")
    # .input, not .change: a recipe or preset that sets the picker brings its own values for the settings
    model.input(partial(on_model_change, services), [model, lang, settings.negative],
                [*settings.ranged(), settings.negative, model_info], api_name=False, show_progress="hidden")
    settings.frames.change(partial(snap_frames, services), [settings.frames, model], settings.frames, api_name=False,
                           show_progress="hidden", trigger_mode="always_last")
    lang.change(lambda chosen, code: quality_labels(spec_or_default(chosen or services.settings.model), code),
                [model, lang], settings.quality, api_name=False, show_progress="hidden")
    cpu_outputs = [cpu_note, draft]
    model.change(partial(cpu_note_updates, services), [model, lang], cpu_outputs, api_name=False, show_progress="hidden")
    lang.change(partial(cpu_note_updates, services), [model, lang], cpu_outputs, api_name=False, show_progress="hidden")
    draft.click(partial(apply_draft, services), model, [settings.resolution, settings.frames, settings.steps, settings.quality],
                api_name=False, show_progress="hidden")
    lang.change(partial(model_info_md, services), [model, lang], model_info, api_name=False, show_progress="hidden")
    # The status into view (narrow screens), and the note of an earlier symptom fix goes: it was about that clip.
    generate.click(hidden, None, symptom_note, js=SHOW_STATUS_JS, api_name=False, show_progress="hidden")
    # show_progress="hidden": the status panel is the progress; Gradio's "processing | 0.1/184.7 s" would cover it
    generated = generate.click(
        actions.submit_and_follow, inputs, [job_id, progress, preview, video, download, recipe],
        api_name="generate", concurrency_limit=None, show_progress="hidden",
    )
    job_id.change(actions.cancel_button, job_id, cancel, api_name=False, show_progress="hidden")
    generated.then(hidden, None, cancel, api_name=False, show_progress="hidden")
    cancel.click(actions.cancel_job, job_id, None, api_name="cancel", concurrency_limit=None, show_progress="hidden")
    settings.dice.click(random_seed, None, settings.seed, api_name=False)
    to_help.click(partial(select_tab, HELP), None, studio.tabs, api_name=False, show_progress="hidden")
    lang.change(actions.progress_in_language, [job_id, lang], progress, api_name=False, show_progress="hidden")
    studio.create = CreateTab(image, prompt, model, model_info, settings, helper, symptom_note, generate, generate_off, cancel, job_id,
                              progress, preview, video, download, recipe, export, generated, actions)
