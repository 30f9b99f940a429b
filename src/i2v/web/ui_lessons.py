"""The studio's Lesson tab: outline box, file upload or example → storyboard editor → Generate all →
per-scene progress → lesson player and downloads. This module is the layout and the wiring only:
what the buttons do is `ui_lesson_actions.LessonActions` (every action calls `LessonService`), and
what the tab shows is the pure view functions in `ui_lesson_views`.
"""

from __future__ import annotations

import gradio as gr

from i2v.engine.registry import spec_or_default
from i2v.i18n import t
from i2v.lessons.examples import examples
from i2v.lessons.parse import UPLOAD_SUFFIXES
from i2v.voice import RATE_RANGE
from i2v.web.ui_lesson_actions import LessonActions
from i2v.web.ui_lesson_packages import add_package_links
from i2v.web.ui_lesson_views import (
    DOWNLOAD_KINDS,
    FILLS,
    LESSON_CSS,
    RESOLUTIONS,
    VOICES,
    board_html,
    check_html,
    preset_choices,
    progress_html,
    upload_words_css,
)
from i2v.web.ui_studio import Studio
from i2v.web.ui_text import UiText

LESSONS = "lessons"  # the tab's id (see `ui_studio.select_tab`)


def build_lessons_tab(studio: Studio) -> None:
    """The Lessons tab (one entry in `ui.TABS`): outline → storyboard → generate all → lesson player."""
    with studio.tab(LESSONS, "lesson.tab"):
        _build_lessons(studio.services, studio.tx, studio.lang)


def _build_lessons(services, tx: UiText, lang: gr.State) -> None:
    """Add the Lesson tab's components to the open Blocks (inside the tab)."""
    actions = LessonActions(services.lessons)
    en = "en"
    models = [choice.id for choice in services.jobs.models()]
    default_spec = spec_or_default(services.settings.model)
    lesson_id = gr.State(None)

    # ---- layout ----------------------------------------------------------------------------------
    gr.HTML(f"<style>{LESSON_CSS}</style>", visible=True, padding=False)
    tx.add(gr.Markdown(t("lesson.intro", en), elem_id="i2v-lesson-intro"), value="lesson.intro")
    def example_choices(code: str) -> list[tuple[str, str]]:
        return [(e.title.get(code, e.title["en"]), e.id) for e in examples()]

    with gr.Row(equal_height=True):
        example = tx.add(gr.Dropdown(example_choices(en), value=examples()[0].id, label=t("lesson.example", en),
                                     elem_id="i2v-lesson-example", scale=3), label="lesson.example", choices=example_choices)
        use_example = tx.add(gr.Button(t("lesson.example.use", en), elem_id="i2v-lesson-use-example", scale=1),
                             value="lesson.example.use")
    outline = tx.add(gr.Textbox(label=t("lesson.outline", en), placeholder=t("lesson.outline.placeholder", en), lines=5,
                                elem_id="i2v-lesson-outline"), label="lesson.outline", placeholder="lesson.outline.placeholder")
    upload = tx.add(gr.File(label=t("lesson.upload", en), file_types=list(UPLOAD_SUFFIXES),
                            type="filepath", elem_id="i2v-lesson-file", height=130), label="lesson.upload")
    tx.add(gr.HTML(upload_words_css(en), padding=False), value=upload_words_css)  # the upload box's words, translated
    with gr.Row():
        model = tx.add(gr.Dropdown(models, value=services.settings.model if services.settings.model in models else None,
                                   label=t("lesson.model", en), elem_id="i2v-lesson-model"),
                       label="lesson.model")
        resolution = tx.add(gr.Radio([(t(k, en), v) for k, v in RESOLUTIONS], value="standard", label=t("lesson.resolution", en),
                                     elem_id="i2v-lesson-resolution"), label="lesson.resolution", choices=RESOLUTIONS)
    voice = tx.add(gr.Dropdown([(t(k, en), v) for k, v in VOICES], value="none", label=t("lesson.voice", en),
                               info=t("lesson.voice.info", en), elem_id="i2v-lesson-voice"),
                   label="lesson.voice", info="lesson.voice.info", choices=VOICES)
    with tx.add(gr.Accordion(t("lesson.advanced", en), open=False, elem_id="i2v-lesson-advanced"), label="lesson.advanced"):
        steps = tx.add(gr.Slider(1, default_spec.steps.high, value=default_spec.steps.default, step=1,
                                 label=t("lesson.steps", en), elem_id="i2v-lesson-steps"), label="lesson.steps")
        with gr.Row():
            burn = tx.add(gr.Checkbox(False, label=t("lesson.burn", en), elem_id="i2v-lesson-burn"), label="lesson.burn")
            smooth = tx.add(gr.Slider(0, 1, value=0, step=0.05, label=t("lesson.smooth", en), elem_id="i2v-lesson-smooth"),
                            label="lesson.smooth")
        with gr.Row():
            rate = tx.add(gr.Slider(*RATE_RANGE, value=1.0, step=0.05, label=t("lesson.rate", en), elem_id="i2v-lesson-rate"),
                          label="lesson.rate")
            fill = tx.add(gr.Radio([(t(k, en), v) for k, v in FILLS], value="hold", label=t("lesson.fill", en),
                                   elem_id="i2v-lesson-fill"), label="lesson.fill", choices=FILLS)
    make = tx.add(gr.Button(t("lesson.make", en), variant="primary", elem_id="i2v-lesson-make"), value="lesson.make")
    with gr.Row(equal_height=True):
        saved = tx.add(gr.Dropdown([], label=t("lesson.open", en), elem_id="i2v-lesson-saved", scale=3), label="lesson.open")
        open_btn = tx.add(gr.Button(t("lesson.open.button", en), elem_id="i2v-lesson-open", scale=1), value="lesson.open.button")
    message = gr.Markdown("", elem_id="i2v-lesson-message")
    tx.add(gr.Markdown(f"### {t('lesson.board', en)}"), value=lambda code: f"### {t('lesson.board', code)}")
    board = gr.HTML(board_html(None, en), elem_id="i2v-lesson-board")
    with gr.Group(visible=False) as editor:
        scene = tx.add(gr.Dropdown([], label=t("lesson.scene", en), elem_id="i2v-lesson-scene"), label="lesson.scene")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                picture = tx.add(gr.Image(label=t("lesson.picture", en), type="filepath", sources=["upload"], height=220,
                                          elem_id="i2v-lesson-picture", placeholder=t("ui.drop_image", en)),
                                 label="lesson.picture", placeholder="ui.drop_image")
                preset_pick = tx.add(gr.Dropdown(preset_choices(en), value="", label=t("lesson.preset", en),
                                                 elem_id="i2v-lesson-preset"), label="lesson.preset", choices=preset_choices)
            with gr.Column(scale=2):
                prompt = tx.add(gr.Textbox(label=t("lesson.prompt", en), lines=2, elem_id="i2v-lesson-prompt"), label="lesson.prompt")
                check = gr.HTML("", elem_id="i2v-lesson-check")
                labels = tx.add(gr.Textbox(label=t("lesson.labels", en), info=t("lesson.labels.info", en), max_lines=1,
                                           elem_id="i2v-lesson-labels"), label="lesson.labels", info="lesson.labels.info")
                caption = tx.add(gr.Textbox(label=t("lesson.caption", en), max_lines=2, elem_id="i2v-lesson-caption"),
                                 label="lesson.caption")
                narration = tx.add(gr.Textbox(label=t("lesson.narration", en), lines=3, elem_id="i2v-lesson-narration"),
                                   label="lesson.narration")
                quiz = tx.add(gr.Textbox(label=t("lesson.check", en), info=t("lesson.check.info", en), max_lines=2,
                                          elem_id="i2v-lesson-check-line"), label="lesson.check", info="lesson.check.info")
                with gr.Row():
                    right = tx.add(gr.Textbox(label=t("lesson.check.right", en), max_lines=2, elem_id="i2v-lesson-check-right"),
                                   label="lesson.check.right")
                    wrong = tx.add(gr.Textbox(label=t("lesson.check.wrong", en), max_lines=2, elem_id="i2v-lesson-check-wrong"),
                                   label="lesson.check.wrong")
                with gr.Row():
                    recording = tx.add(gr.Audio(sources=["microphone", "upload"], type="filepath", label=t("lesson.recording", en),
                                                elem_id="i2v-lesson-recording"), label="lesson.recording")
                    with gr.Column():
                        preview = tx.add(gr.Button(t("lesson.preview", en), elem_id="i2v-lesson-preview"), value="lesson.preview")
                        heard = tx.add(gr.Audio(label=t("lesson.preview.audio", en), interactive=False, type="filepath",
                                                elem_id="i2v-lesson-preview-audio"), label="lesson.preview.audio")
                seconds = tx.add(gr.Number(label=t("lesson.seconds", en), minimum=1, maximum=10, step=0.5,
                                           elem_id="i2v-lesson-seconds"), label="lesson.seconds")
        with gr.Row():
            save = tx.add(gr.Button(t("lesson.save", en), variant="primary", elem_id="i2v-lesson-save"), value="lesson.save")
            up = tx.add(gr.Button(t("lesson.up", en), elem_id="i2v-lesson-up"), value="lesson.up")
            down = tx.add(gr.Button(t("lesson.down", en), elem_id="i2v-lesson-down"), value="lesson.down")
            delete = tx.add(gr.Button(t("lesson.delete", en), variant="stop", elem_id="i2v-lesson-delete"), value="lesson.delete")
    with gr.Row():
        generate = tx.add(gr.Button(t("lesson.generate", en), variant="primary", elem_id="i2v-lesson-generate"), value="lesson.generate")
        cancel = tx.add(gr.Button(t("lesson.cancel", en), variant="stop", elem_id="i2v-lesson-cancel"), value="lesson.cancel")
    progress = gr.HTML(progress_html(None, en), elem_id="i2v-lesson-progress")
    player = tx.add(gr.Video(label=t("lesson.player", en), interactive=False, elem_id="i2v-lesson-video"), label="lesson.player")
    with gr.Row():
        downloads = [tx.add(gr.DownloadButton(t(f"lesson.download.{kind}", en), visible=False, elem_id=f"i2v-lesson-dl-{kind}"),
                            value=f"lesson.download.{kind}") for kind in DOWNLOAD_KINDS]
    add_package_links(services.lessons, lesson_id, lang, progress)  # H5P, SCORM, offline page (ui_lesson_packages)

    # ---- wiring ------------------------------------------------------------------------------------
    shown = [lesson_id, message, board, editor, scene, picture, prompt, labels, caption, narration, recording, quiz, right, wrong,
             seconds, preset_pick, progress, player, *downloads]
    settings_in = [model, resolution, steps, lang]
    make.click(actions.make_storyboard, [outline, upload, *settings_in], shown, api_name=False).then(actions.saved_choices, lang, saved, api_name=False)
    use_example.click(actions.make_example, [example, *settings_in], shown, api_name=False).then(actions.saved_choices, lang, saved, api_name=False)
    open_btn.click(actions.open_saved, [saved, lang], shown, api_name=False)
    saved.focus(actions.saved_choices, lang, saved, api_name=False, show_progress="hidden")
    scene.input(actions.pick_scene, [lesson_id, scene, lang], [scene, picture, prompt, labels, caption, narration, recording, quiz, right, wrong, seconds, preset_pick],
                 api_name=False)
    preset_pick.input(actions.choose_preset, [lesson_id, scene, preset_pick, lang], shown, api_name=False)
    prompt.change(check_html, [prompt, lang, model], check, api_name=False, show_progress="hidden", trigger_mode="always_last")
    save.click(actions.save_scene, [lesson_id, scene, prompt, labels, caption, narration, quiz, right, wrong, seconds, lang], shown,
               api_name=False)
    for recorded in (recording.stop_recording, recording.upload):  # a recording makes the lesson's voice "own"
        recorded(actions.record_scene, [lesson_id, scene, recording, lang], shown, api_name=False).success(
            lambda: "own", None, voice, api_name=False)
    recording.clear(actions.forget_recording, [lesson_id, scene, lang], shown, api_name=False)
    preview.click(actions.preview_voice, [lesson_id, scene, narration, rate, lang], heard, api_name=False)
    up.click(actions.move_up, [lesson_id, scene, lang], shown, api_name=False)
    down.click(actions.move_down, [lesson_id, scene, lang], shown, api_name=False)
    delete.click(actions.delete_scene, [lesson_id, scene, lang], shown, api_name=False)
    picture.upload(actions.replace_picture, [lesson_id, scene, picture, lang], shown, api_name=False)
    generate.click(actions.run_lesson, [lesson_id, model, resolution, steps, burn, smooth, voice, rate, fill, lang],
                   [progress, board, player, *downloads],
                   api_name=False, concurrency_limit=None)
    cancel.click(actions.cancel_lesson, lesson_id, None, api_name=False, concurrency_limit=None)
    lang.change(actions.relabel, [lesson_id, lang], [board, progress], api_name=False, show_progress="hidden")
