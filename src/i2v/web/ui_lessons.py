"""The studio's Lesson tab: outline box, file upload or example → storyboard editor → Generate all →
per-scene progress → lesson player and downloads. As thin as the API: every action calls
`LessonService`; the view functions (`board_html`, `progress_html`, `check_html`) are pure.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import gradio as gr

from i2v.engine.registry import spec_for, spec_or_default
from i2v.lessons.examples import examples
from i2v.lessons.files import titled_copy
from i2v.lessons.outline import LessonInputError
from i2v.lessons.service import LessonBusy, LessonStatus, NotYourLesson
from i2v.lessons.store import LessonNotFound
from i2v.lessons.storyboard import Lesson
from i2v.lessons.parse import UPLOAD_SUFFIXES
from i2v.i18n import t
from i2v.web.ui_lesson_packages import add_package_links
from i2v.teaching.presets import get_preset, load_presets, template_path
from i2v.teaching.prompt_check import check_prompt
from i2v.web.ui_studio import Studio, user_error
from i2v.web.ui_text import UiText

LESSONS = "lessons"  # the tab's id (see `ui_studio.select_tab`)

POLL_S = 1.0
FINISHED = ("ready", "failed", "cancelled", "draft")
DOWNLOAD_KINDS = ("video", "captions", "handout", "handout-bw", "pack")
RESOLUTIONS = [("lesson.resolution.draft", "draft"), ("lesson.resolution.standard", "standard"), ("lesson.resolution.high", "high")]
LESSON_CSS = """
.i2v-board table {width: 100%; border-collapse: collapse; font-size: .92rem}
.i2v-board th, .i2v-board td {border-bottom: 1px solid #e5e7eb; padding: 4px 6px; text-align: left; vertical-align: top}
.i2v-board .i2v-section td {background: #f1f5f9; font-weight: 600}
.i2v-scene-done {color: #166534} .i2v-scene-failed {color: #b91c1c}
.i2v-board tr[data-needs-picture='1'] td {background: #fff7ed} .i2v-needs-picture {color: #9a3412; font-weight: 600}
"""


def _client(request: gr.Request | None) -> str | None:
    return request.client.host if request is not None and request.client is not None else None


def _picture_text(scene: dict[str, Any], lang: str) -> str:
    if scene.get("picture"):
        return t("lesson.picture.own", lang, name=scene.get("picture_name") or scene["picture"])
    if scene.get("preset"):
        return t("lesson.picture.preset", lang, title=get_preset(scene["preset"]).title.get(lang))
    return t("lesson.picture.none", lang)


def board_html(status: LessonStatus | None, lang: str) -> str:
    """The storyboard as a table: one row per scene (grouped by section), with its state."""
    if status is None:
        return f"<div class='i2v-board' data-scenes='0'>{html.escape(t('lesson.board.empty', lang))}</div>"
    e = html.escape
    heads = ["#", t("lesson.col.point", lang), t("lesson.col.picture", lang), t("lesson.col.prompt", lang),
             t("lesson.col.labels", lang), t("lesson.col.caption", lang), t("lesson.col.seconds", lang), t("lesson.col.state", lang)]
    rows = []
    section = None
    for scene, view in zip(status.lesson["scenes"], status.scenes, strict=True):
        if scene["section"] and scene["section"] != section:
            rows.append(f"<tr class='i2v-section'><td colspan='8'>{e(scene['section'])}</td></tr>")
        section = scene["section"]
        state = t(f"lesson.scene_state.{view.state}", lang)
        if view.state == "queued" and view.position:
            state += f" ({t('lesson.position', lang, position=view.position)})"
        if view.state == "running" and view.total:
            state += f" ({t('lesson.step', lang, step=view.step, total=view.total)})"
        if view.error and view.state == "failed":
            state += f": {view.error}"
        warn = "".join(f"<div class='i2v-warnings' data-code='{w['code']}'>{e(w['message'])}</div>" for w in view.warnings)
        rows.append(
            f"<tr data-scene='{e(scene['id'])}' data-state='{view.state}' data-needs-picture='{int(view.needs_picture)}'>"
            f"<td>{view.number}</td><td>{e(scene['point'])}</td>"
            f"<td{' class=i2v-needs-picture' if view.needs_picture else ''}>{e(_picture_text(scene, lang))}</td><td>{e(scene['prompt'])}{warn}</td><td>{e(', '.join(scene['labels']))}</td>"
            f"<td class='i2v-caption'>{e(scene['caption'])}</td><td>{view.frames / view.fps:.1f}</td>"
            f"<td class='i2v-scene-{view.state}'>{e(state)}</td></tr>"
        )
    head = "".join(f"<th>{e(h)}</th>" for h in heads)
    title = f"<h3>{e(status.lesson['title'])}</h3>"
    return (f"<div class='i2v-board' data-lesson='{status.id}' data-scenes='{len(status.scenes)}'>{title}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def progress_html(status: LessonStatus | None, lang: str) -> str:
    """Overall progress: the lesson's state, scenes made, a bar, and why it waits or what failed."""
    if status is None:
        return "<div class='i2v-progress' data-state='none'></div>"
    done = sum(s.state == "done" for s in status.scenes)
    text = t("lesson.progress", lang, state=t(f"lesson.state.{status.state}", lang), done=done, total=len(status.scenes))
    extra = []
    if status.note:
        extra.append(status.note)
    if status.error:
        extra.append(status.error)
    if status.outputs and not status.outputs_current and status.state not in ("generating", "assembling"):
        extra.append(t("lesson.outdated", lang))
    notes = "".join(f"<div class='i2v-warnings'>{html.escape(x)}</div>" for x in extra)
    return (f"<div class='i2v-progress' data-state='{status.state}' data-progress='{status.progress:.3f}'>{html.escape(text)}"
            f"<div class='i2v-bar'><div style='width:{100 * status.progress:.0f}%'></div></div>{notes}</div>")


def check_html(prompt: str, lang: str, model: str) -> str:
    """The prompt check for the lesson's model family, as under the studio's prompt box."""
    try:
        spec = spec_for(model)
    except ValueError:
        return ""
    check = check_prompt(prompt or "", lang, spec)
    parts = [f"<div class='i2v-tokens'>{html.escape(t('prompt.tokens_used', lang, tokens=check.tokens, limit=check.limit))}</div>"]
    if check.warnings:
        items = "".join(f"<li data-code='{w.code}'>{html.escape(w.message)}</li>" for w in check.warnings)
        parts.append(f"<ul class='i2v-warnings'>{items}</ul>")
    else:
        parts.append(f"<div class='i2v-ok'>{html.escape(t('ui.check.ok', lang))}</div>")
    return f"<div class='i2v-check' data-warnings='{len(check.warnings)}'>{''.join(parts)}</div>"


def preset_choices(lang: str) -> list[tuple[str, str]]:
    """The presets a teacher can pick for a scene, by title, after "none" (the teacher's own picture)."""
    return [(t("lesson.preset.none", lang), ""), *((p.title.get(lang), p.id) for p in load_presets())]


def _scene_choices(lesson: Lesson) -> list[tuple[str, str]]:
    return [(f"{n}. {scene.point}", scene.id) for n, scene in enumerate(lesson.scenes, start=1)]


def build_lessons_tab(studio: Studio) -> None:
    """The Lessons tab (one entry in `ui.TABS`): outline → storyboard → generate all → lesson player."""
    with studio.tab(LESSONS, "lesson.tab"):
        _build_lessons(studio.services, studio.tx, studio.lang)


def _build_lessons(services, tx: UiText, lang: gr.State) -> None:
    """Add the Lesson tab's components to the open Blocks (inside the tab)."""
    lessons = services.lessons
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
    with gr.Row():
        model = tx.add(gr.Dropdown(models, value=services.settings.model if services.settings.model in models else None,
                                   label=t("lesson.model", en), elem_id="i2v-lesson-model"),
                       label="lesson.model")
        resolution = tx.add(gr.Radio([(t(k, en), v) for k, v in RESOLUTIONS], value="standard", label=t("lesson.resolution", en),
                                     elem_id="i2v-lesson-resolution"), label="lesson.resolution", choices=RESOLUTIONS)
    with tx.add(gr.Accordion(t("lesson.advanced", en), open=False, elem_id="i2v-lesson-advanced"), label="lesson.advanced"):
        steps = tx.add(gr.Slider(1, default_spec.steps.high, value=default_spec.steps.default, step=1,
                                 label=t("lesson.steps", en), elem_id="i2v-lesson-steps"), label="lesson.steps")
        with gr.Row():
            burn = tx.add(gr.Checkbox(False, label=t("lesson.burn", en), elem_id="i2v-lesson-burn"), label="lesson.burn")
            smooth = tx.add(gr.Slider(0, 1, value=0, step=0.05, label=t("lesson.smooth", en), elem_id="i2v-lesson-smooth"),
                            label="lesson.smooth")
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
    add_package_links(lessons, lesson_id, lang, progress)  # H5P, SCORM, offline page (ui_lesson_packages)

    # ---- what the handlers show --------------------------------------------------------------------
    shown = [lesson_id, message, board, editor, scene, picture, prompt, labels, caption, seconds, preset_pick, progress, player,
             *downloads]

    def outputs_of(status: LessonStatus | None) -> list[Any]:
        if status is None or not status.outputs:
            return [None, *[gr.DownloadButton(visible=False) for _ in DOWNLOAD_KINDS]]
        title = lessons.get(status.id).title  # downloads named by the title, as the API names them
        files = {kind: str(lessons.output(status.id, kind) if kind in ("video", "captions")
                           else titled_copy(lessons.output(status.id, kind), title, kind)) for kind in status.outputs}
        for kind in ("video", "captions"):  # the player keeps the real files; the buttons get titled names
            if kind in files:
                files[f"{kind}-download"] = str(titled_copy(Path(files[kind]), title, kind))
        video = gr.Video(value=files["video"], subtitles=files.get("captions")) if "video" in files else None
        return [video, *[gr.DownloadButton(value=files.get(f"{kind}-download", files.get(kind)), visible=kind in files)
                         for kind in DOWNLOAD_KINDS]]

    def editor_of(lesson: Lesson, scene_id: str | None, lang_code: str) -> list[Any]:
        current = next((s for s in lesson.scenes if s.id == scene_id), lesson.scenes[0])
        if current.picture:
            picture_path = str(lessons.files.picture(lesson.id, current.picture))
        elif current.preset:
            picture_path = str(template_path(get_preset(current.preset)))
        else:
            picture_path = None
        return [gr.Dropdown(choices=_scene_choices(lesson), value=current.id), picture_path, current.prompt,
                ", ".join(current.labels), current.caption, current.seconds, current.preset or ""]

    def show(lesson_ref: str, lang_code: str, note: str = "", scene_id: str | None = None, with_outputs: bool = True) -> list[Any]:
        lesson = lessons.get(lesson_ref)
        status = lessons.status(lesson_ref, lang_code)
        outputs = outputs_of(status) if with_outputs else [gr.skip()] * (1 + len(DOWNLOAD_KINDS))
        return [lesson_ref, note, board_html(status, lang_code), gr.Group(visible=True), *editor_of(lesson, scene_id, lang_code),
                progress_html(status, lang_code), *outputs]

    def refused(exc: Exception) -> gr.Error:
        return user_error(str(exc))

    # ---- handlers ----------------------------------------------------------------------------------
    def make_storyboard(text, file_path, model_id, resolution_class, steps_value, lang_code, request: gr.Request):
        try:
            options = lessons.options(model_id, resolution_class, None, int(steps_value) if steps_value else None)
            if file_path:
                path = Path(file_path)
                lesson = lessons.create_from_upload(path.name, path.read_bytes(), options, _client(request))
            elif (text or "").strip():
                lesson = lessons.create_from_text(text, options, _client(request))
            else:
                raise user_error(t("lesson.need_outline", lang_code))
        except (LessonInputError, OSError) as exc:
            raise refused(exc) from None
        return show(lesson.id, lang_code, t("lesson.made", lang_code, scenes=len(lesson.scenes)))

    def make_example(example_id, model_id, resolution_class, steps_value, lang_code, request: gr.Request):
        try:
            options = lessons.options(model_id, resolution_class, None, int(steps_value) if steps_value else None)
            lesson = lessons.create_from_example(example_id, lang_code, options, _client(request))
        except LessonInputError as exc:
            raise refused(exc) from None
        return show(lesson.id, lang_code, t("lesson.made", lang_code, scenes=len(lesson.scenes)))

    def open_saved(saved_id, lang_code):
        if not saved_id:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            return show(saved_id, lang_code)
        except LessonNotFound as exc:
            raise refused(exc) from None

    def saved_choices():
        return gr.Dropdown(choices=[(f"{s.title} · {s.scenes} · {s.state}", s.id) for s in lessons.list()])

    def pick_scene(lesson_ref, scene_id, lang_code):
        if not lesson_ref or not scene_id:
            return [gr.skip()] * 7
        return editor_of(lessons.get(lesson_ref), scene_id, lang_code)

    def edit(lesson_ref: str | None, lang_code: str, request: gr.Request | None, change, scene_id: str | None = None) -> list[Any]:
        """Apply `change` (a function of the lesson's JSON) and save; the storyboard is checked in full."""
        if not lesson_ref:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            data = lessons.get(lesson_ref).model_dump(mode="json")
            change(data)
            lessons.update(lesson_ref, data, _client(request))
        except (LessonInputError, LessonBusy, NotYourLesson, LessonNotFound) as exc:
            raise refused(exc) from None
        return show(lesson_ref, lang_code, t("lesson.saved", lang_code), scene_id, with_outputs=False)

    def save_scene(lesson_ref, scene_id, prompt_text, labels_text, caption_text, seconds_value, lang_code, request: gr.Request):
        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    item["prompt"] = prompt_text or ""
                    item["labels"] = [x.strip() for x in (labels_text or "").replace("，", ",").split(",") if x.strip()]
                    item["caption"] = caption_text or ""
                    if seconds_value:
                        item["seconds"] = float(seconds_value)
        return edit(lesson_ref, lang_code, request, change, scene_id)

    def move(offset: int):
        def handler(lesson_ref, scene_id, lang_code, request: gr.Request):
            def change(data):
                ids = [item["id"] for item in data["scenes"]]
                if scene_id in ids:
                    i = ids.index(scene_id)
                    j = min(max(i + offset, 0), len(ids) - 1)
                    data["scenes"].insert(j, data["scenes"].pop(i))
            return edit(lesson_ref, lang_code, request, change, scene_id)
        return handler

    def delete_scene(lesson_ref, scene_id, lang_code, request: gr.Request):
        def change(data):
            data["scenes"] = [item for item in data["scenes"] if item["id"] != scene_id]
        return edit(lesson_ref, lang_code, request, change)

    def replace_picture(lesson_ref, scene_id, file_path, lang_code, request: gr.Request):
        if not lesson_ref or not file_path:
            return [gr.skip()] * len(shown)
        try:
            name = lessons.add_picture(lesson_ref, Path(file_path).read_bytes(), _client(request))
        except (LessonInputError, NotYourLesson, OSError) as exc:
            raise refused(exc) from None

        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    item["picture"], item["picture_name"] = name, Path(file_path).name[:300]
        return edit(lesson_ref, lang_code, request, change, scene_id)

    def choose_preset(lesson_ref, scene_id, preset_id, lang_code, request: gr.Request):
        """The teacher picks a preset for a scene (the way out when no preset fits, besides a picture)."""
        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    if preset_id and item.get("preset") != preset_id:
                        chosen = get_preset(preset_id)
                        item.update(preset=chosen.id, match=None, prompt=chosen.prompt, negative_prompt=chosen.negative_prompt)
                    elif not preset_id:
                        item.update(preset=None, match=None, negative_prompt=None)
        return edit(lesson_ref, lang_code, request, change, scene_id)

    def run_lesson(lesson_ref, model_id, resolution_class, steps_value, burn_value, smooth_value, lang_code, request: gr.Request):
        """Apply the lesson-wide choices, generate, and follow the lesson until it is ready."""
        if not lesson_ref:
            raise user_error(t("lesson.need_lesson", lang_code))
        client = _client(request)
        try:
            data = lessons.get(lesson_ref).model_dump(mode="json")
            wanted = {"model": model_id, "resolution_class": resolution_class, "steps": int(steps_value) if steps_value else None,
                      "burn_captions": bool(burn_value), "smooth": float(smooth_value or 0)}
            if any(data[key] != value for key, value in wanted.items()):
                lessons.update(lesson_ref, {**data, **wanted}, client)
            lessons.generate(lesson_ref, client)
        except (LessonInputError, LessonBusy, NotYourLesson, LessonNotFound) as exc:
            raise refused(exc) from None
        while True:
            status = lessons.status(lesson_ref, lang_code)
            if status.state in FINISHED:
                break
            yield [progress_html(status, lang_code), board_html(status, lang_code), *[gr.skip()] * (1 + len(DOWNLOAD_KINDS))]
            time.sleep(POLL_S)
        yield [progress_html(status, lang_code), board_html(status, lang_code), *outputs_of(status)]

    def cancel_lesson(lesson_ref, request: gr.Request):
        if lesson_ref:
            try:
                lessons.cancel(lesson_ref, _client(request))
            except (LessonNotFound, NotYourLesson) as exc:
                raise refused(exc) from None

    def relabel(lesson_ref, lang_code):
        if not lesson_ref:
            return board_html(None, lang_code), progress_html(None, lang_code)
        status = lessons.status(lesson_ref, lang_code)
        return board_html(status, lang_code), progress_html(status, lang_code)

    settings_in = [model, resolution, steps, lang]
    make.click(make_storyboard, [outline, upload, *settings_in], shown, api_name=False).then(saved_choices, None, saved, api_name=False)
    use_example.click(make_example, [example, *settings_in], shown, api_name=False).then(saved_choices, None, saved, api_name=False)
    open_btn.click(open_saved, [saved, lang], shown, api_name=False)
    saved.focus(saved_choices, None, saved, api_name=False, show_progress="hidden")
    scene.input(pick_scene, [lesson_id, scene, lang], [scene, picture, prompt, labels, caption, seconds, preset_pick], api_name=False)
    preset_pick.input(choose_preset, [lesson_id, scene, preset_pick, lang], shown, api_name=False)
    prompt.change(check_html, [prompt, lang, model], check, api_name=False, show_progress="hidden", trigger_mode="always_last")
    save.click(save_scene, [lesson_id, scene, prompt, labels, caption, seconds, lang], shown, api_name=False)
    up.click(move(-1), [lesson_id, scene, lang], shown, api_name=False)
    down.click(move(1), [lesson_id, scene, lang], shown, api_name=False)
    delete.click(delete_scene, [lesson_id, scene, lang], shown, api_name=False)
    picture.upload(replace_picture, [lesson_id, scene, picture, lang], shown, api_name=False)
    generate.click(run_lesson, [lesson_id, model, resolution, steps, burn, smooth, lang], [progress, board, player, *downloads],
                   api_name=False, concurrency_limit=None)
    cancel.click(cancel_lesson, lesson_id, None, api_name=False, concurrency_limit=None)
    lang.change(relabel, [lesson_id, lang], [board, progress], api_name=False, show_progress="hidden")
