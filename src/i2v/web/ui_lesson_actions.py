"""What the Lesson tab's buttons do, as named methods (the Lesson tab's counterpart of `ui_handlers`).

`LessonActions` holds the lesson service; its methods are what the events call (bound methods, so
Gradio still sees the `gr.Request` parameter that tells whose lesson it is). Every method that shows a
lesson returns the values for `SHOWN`, in that order: the lesson id, the message, the storyboard, the
editor group, the seven editor fields, the progress, the player and one value per download button.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from i2v.errors import I2VError, user_message
from i2v.i18n import t
from i2v.lessons.checks import Check, check_line, make_check, parse_check_line
from i2v.lessons.files import titled_copy
from i2v.lessons.service import (
    LessonService,
    LessonStatus,
    LessonSummary,
)
from i2v.lessons.storyboard import Lesson
from i2v.teaching.presets import get_preset, template_path
from i2v.web.ui_lesson_views import (
    DOWNLOAD_KINDS,
    FINISHED,
    POLL_S,
    board_html,
    client_of,
    progress_html,
    scene_choices,
)
from i2v.web.ui_studio import user_error

EDITOR_FIELDS = 12  # scene, picture, prompt, labels, caption, narration, recording, check, right, wrong, seconds, preset
SHOWN = 4 + EDITOR_FIELDS + 2 + len(DOWNLOAD_KINDS)  # id, message, board, editor group, fields, progress, player, downloads


def _refused(exc: Exception) -> gr.Error:
    """Any refusal i2v raised on purpose (bad input, not yours, busy, gone) as the studio's message."""
    return user_error(user_message(exc) if isinstance(exc, I2VError) else str(exc))


def saved_row(summary: LessonSummary, lang: str) -> str:
    """One saved lesson as the dropdown shows it (the date in this machine's local time)."""
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary.created_at))
    return t("lesson.open.row", lang, title=summary.title, date=date, scenes=summary.scenes,
             state=t(f"lesson.state.{summary.state}", lang))


def check_fields(check: Check | None) -> tuple[str, str, str]:
    """The editor's three check boxes: the `?` line, and the feedback for a right and a wrong answer."""
    return (check_line(check), check.right, check.wrong) if check is not None else ("", "", "")


def edited_check(line: str | None, right: str | None, wrong: str | None, lang: str) -> dict | None:
    """The check as the teacher left it in the editor (None: removed). Raises CheckError for a line
    that is no check, naming how to write it."""
    if not (line or "").strip():
        return None
    check = parse_check_line(line, lang)
    return make_check({**check.model_dump(), "right": right or "", "wrong": wrong or ""}).model_dump(mode="json")


def _steps(value: float | None) -> int | None:
    return int(value) if value else None


class LessonActions:
    """The Lesson tab's handlers over one `LessonService`; each raises a `gr.Error` for a refused request."""

    def __init__(self, lessons: LessonService) -> None:
        self.lessons = lessons

    # ---- what the handlers show ----------------------------------------------------------------------
    def outputs_of(self, status: LessonStatus | None) -> list[Any]:
        """The player and the download buttons; downloads are named by the lesson's title, as the API names them."""
        if status is None or not status.outputs:
            return [None, *[gr.DownloadButton(visible=False) for _ in DOWNLOAD_KINDS]]
        lessons = self.lessons
        title = lessons.get(status.id).title
        files = {kind: str(lessons.output(status.id, kind) if kind in ("video", "captions")
                           else titled_copy(lessons.output(status.id, kind), title, kind)) for kind in status.outputs}
        for kind in ("video", "captions"):  # the player keeps the real files; the buttons get titled names
            if kind in files:
                files[f"{kind}-download"] = str(titled_copy(Path(files[kind]), title, kind))
        video = gr.Video(value=files["video"], subtitles=files.get("captions")) if "video" in files else None
        return [video, *[gr.DownloadButton(value=files.get(f"{kind}-download", files.get(kind)), visible=kind in files)
                         for kind in DOWNLOAD_KINDS]]

    def editor_of(self, lesson: Lesson, scene_id: str | None) -> list[Any]:
        """The scene editor's fields (`EDITOR_FIELDS`) for `scene_id` (the first scene when it is gone)."""
        current = next((s for s in lesson.scenes if s.id == scene_id), lesson.scenes[0])
        if current.picture:
            picture_path = str(self.lessons.files.picture(lesson.id, current.picture))
        elif current.preset:
            picture_path = str(template_path(get_preset(current.preset)))
        else:
            picture_path = None
        recording = str(self.lessons.files.recording(lesson.id, current.recording)) if current.recording else None
        return [gr.Dropdown(choices=scene_choices(lesson), value=current.id), picture_path, current.prompt,
                ", ".join(current.labels), current.caption, current.narration, recording, *check_fields(current.check),
                current.seconds, current.preset or ""]

    def show(self, lesson_ref: str, lang_code: str, note: str = "", scene_id: str | None = None,
             with_outputs: bool = True) -> list[Any]:
        """Everything in `SHOWN` for one lesson; `with_outputs=False` leaves the player and downloads as they are."""
        lesson = self.lessons.get(lesson_ref)
        status = self.lessons.status(lesson_ref, lang_code)
        outputs = self.outputs_of(status) if with_outputs else [gr.skip()] * (1 + len(DOWNLOAD_KINDS))
        return [lesson_ref, note, board_html(status, lang_code), gr.Group(visible=True), *self.editor_of(lesson, scene_id),
                progress_html(status, lang_code), *outputs]

    # ---- making and opening a lesson -------------------------------------------------------------------
    def make_storyboard(self, text, file_path, model_id, resolution_class, steps_value, lang_code, request: gr.Request):
        """A storyboard from the uploaded file, else from the outline box."""
        lessons = self.lessons
        try:
            options = lessons.options(model_id, resolution_class, None, _steps(steps_value))
            if file_path:
                path = Path(file_path)
                lesson = lessons.create_from_upload(path.name, path.read_bytes(), options, client_of(request))
            elif (text or "").strip():
                lesson = lessons.create_from_text(text, options, client_of(request))
            else:
                raise user_error(t("lesson.need_outline", lang_code))
        except (I2VError, OSError) as exc:
            raise _refused(exc) from None
        return self.show(lesson.id, lang_code, t("lesson.made", lang_code, scenes=len(lesson.scenes)))

    def make_example(self, example_id, model_id, resolution_class, steps_value, lang_code, request: gr.Request):
        """A storyboard from one of the shipped examples, in the page's language."""
        try:
            options = self.lessons.options(model_id, resolution_class, None, _steps(steps_value))
            lesson = self.lessons.create_from_example(example_id, lang_code, options, client_of(request))
        except I2VError as exc:
            raise _refused(exc) from None
        return self.show(lesson.id, lang_code, t("lesson.made", lang_code, scenes=len(lesson.scenes)))

    def open_saved(self, saved_id, lang_code):
        if not saved_id:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            return self.show(saved_id, lang_code)
        except I2VError as exc:
            raise _refused(exc) from None

    def saved_choices(self, lang_code: str = "en"):
        """The saved lessons for the "open" dropdown: title, date, scene count and state, so that two lessons
        made from the same example still read apart."""
        return gr.Dropdown(choices=[(saved_row(s, lang_code), s.id) for s in self.lessons.list()])

    def pick_scene(self, lesson_ref, scene_id, lang_code):
        if not lesson_ref or not scene_id:
            return [gr.skip()] * EDITOR_FIELDS
        return self.editor_of(self.lessons.get(lesson_ref), scene_id)

    # ---- editing the storyboard ------------------------------------------------------------------------
    def edit(self, lesson_ref: str | None, lang_code: str, request: gr.Request | None, change: Callable[[dict], None],
             scene_id: str | None = None) -> list[Any]:
        """Apply `change` (a function of the lesson's JSON) and save; the storyboard is checked in full."""
        if not lesson_ref:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            data = self.lessons.get(lesson_ref).model_dump(mode="json")
            change(data)
            self.lessons.update(lesson_ref, data, client_of(request))
        except I2VError as exc:
            raise _refused(exc) from None
        return self.show(lesson_ref, lang_code, t("lesson.saved", lang_code), scene_id, with_outputs=False)

    def save_scene(self, lesson_ref, scene_id, prompt_text, labels_text, caption_text, narration_text, check_text,
                   right_text, wrong_text, seconds_value, lang_code, request: gr.Request):
        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    item["check"] = edited_check(check_text, right_text, wrong_text, item.get("lang", "en"))
                    item["prompt"] = prompt_text or ""
                    item["labels"] = [x.strip() for x in (labels_text or "").replace("，", ",").split(",") if x.strip()]
                    item["caption"] = caption_text or ""
                    item["narration"] = narration_text or ""
                    if seconds_value:
                        item["seconds"] = float(seconds_value)
        return self.edit(lesson_ref, lang_code, request, change, scene_id)

    def record_scene(self, lesson_ref, scene_id, recording_path, lang_code, request: gr.Request):
        """The teacher's recording (microphone or file) becomes the scene's narration voice."""
        if not lesson_ref or not scene_id or not recording_path:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            self.lessons.add_recording(lesson_ref, scene_id, Path(recording_path).read_bytes(), client_of(request))
        except (I2VError, OSError) as exc:
            raise _refused(exc) from None
        return self.show(lesson_ref, lang_code, t("lesson.recorded", lang_code), scene_id, with_outputs=False)

    def forget_recording(self, lesson_ref, scene_id, lang_code, request: gr.Request):
        """The recording was cleared in the editor: the offline voice speaks the scene again."""
        if not lesson_ref or not scene_id:
            return [gr.skip()] * SHOWN
        try:
            self.lessons.remove_recording(lesson_ref, scene_id, client_of(request))
        except I2VError as exc:
            raise _refused(exc) from None
        return self.show(lesson_ref, lang_code, t("lesson.saved", lang_code), scene_id, with_outputs=False)

    def preview_voice(self, lesson_ref, scene_id, narration_text, rate_value, lang_code):
        """The scene's narration as the offline voice will say it (a WAV beside the lesson, replaced each time)."""
        if not lesson_ref or not scene_id:
            raise user_error(t("lesson.need_lesson", lang_code))
        try:
            lesson = self.lessons.get(lesson_ref)
            scene = next(s for s in lesson.scenes if s.id == scene_id)
            text = " ".join((narration_text or scene.narration or scene.point).split())
            return str(self.lessons.preview_narration(lesson_ref, text, scene.lang, float(rate_value or 1.0)))
        except (I2VError, StopIteration) as exc:
            raise _refused(exc) from None

    def _move(self, offset: int, lesson_ref, scene_id, lang_code, request: gr.Request | None):
        def change(data):
            ids = [item["id"] for item in data["scenes"]]
            if scene_id in ids:
                i = ids.index(scene_id)
                j = min(max(i + offset, 0), len(ids) - 1)
                data["scenes"].insert(j, data["scenes"].pop(i))
        return self.edit(lesson_ref, lang_code, request, change, scene_id)

    def move_up(self, lesson_ref, scene_id, lang_code, request: gr.Request):
        return self._move(-1, lesson_ref, scene_id, lang_code, request)

    def move_down(self, lesson_ref, scene_id, lang_code, request: gr.Request):
        return self._move(1, lesson_ref, scene_id, lang_code, request)

    def delete_scene(self, lesson_ref, scene_id, lang_code, request: gr.Request):
        def change(data):
            data["scenes"] = [item for item in data["scenes"] if item["id"] != scene_id]
        return self.edit(lesson_ref, lang_code, request, change)

    def replace_picture(self, lesson_ref, scene_id, file_path, lang_code, request: gr.Request):
        if not lesson_ref or not file_path:
            return [gr.skip()] * SHOWN
        try:
            name = self.lessons.add_picture(lesson_ref, Path(file_path).read_bytes(), client_of(request))
        except (I2VError, OSError) as exc:
            raise _refused(exc) from None

        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    item["picture"], item["picture_name"] = name, Path(file_path).name[:300]
        return self.edit(lesson_ref, lang_code, request, change, scene_id)

    def choose_preset(self, lesson_ref, scene_id, preset_id, lang_code, request: gr.Request):
        """The teacher picks a preset for a scene (the way out when no preset fits, besides a picture)."""
        def change(data):
            for item in data["scenes"]:
                if item["id"] == scene_id:
                    if preset_id and item.get("preset") != preset_id:
                        chosen = get_preset(preset_id)
                        item.update(preset=chosen.id, match=None, prompt=chosen.prompt, negative_prompt=chosen.negative_prompt)
                    elif not preset_id:
                        item.update(preset=None, match=None, negative_prompt=None)
        return self.edit(lesson_ref, lang_code, request, change, scene_id)

    # ---- generating --------------------------------------------------------------------------------------
    def run_lesson(self, lesson_ref, model_id, resolution_class, steps_value, burn_value, smooth_value, voice_value,
                   rate_value, fill_value, lang_code, request: gr.Request) -> Iterator[list[Any]]:
        """Apply the lesson-wide choices, generate, and follow the lesson until it is ready.

        Yields the progress, the storyboard, the player and the downloads (the last two only at the end).
        """
        lessons = self.lessons
        if not lesson_ref:
            raise user_error(t("lesson.need_lesson", lang_code))
        client = client_of(request)
        try:
            data = lessons.get(lesson_ref).model_dump(mode="json")
            wanted = {"model": model_id, "resolution_class": resolution_class, "steps": _steps(steps_value),
                      "burn_captions": bool(burn_value), "smooth": float(smooth_value or 0), "voice": voice_value or "none",
                      "speaking_rate": float(rate_value or 1.0), "fill": fill_value or "hold"}
            if any(data[key] != value for key, value in wanted.items()):
                lessons.update(lesson_ref, {**data, **wanted}, client)
            lessons.generate(lesson_ref, client)
        except I2VError as exc:
            raise _refused(exc) from None
        while True:
            status = lessons.status(lesson_ref, lang_code)
            if status.state in FINISHED:
                break
            yield [progress_html(status, lang_code), board_html(status, lang_code), *[gr.skip()] * (1 + len(DOWNLOAD_KINDS))]
            time.sleep(POLL_S)
        yield [progress_html(status, lang_code), board_html(status, lang_code), *self.outputs_of(status)]

    def cancel_lesson(self, lesson_ref, request: gr.Request):
        if lesson_ref:
            try:
                self.lessons.cancel(lesson_ref, client_of(request))
            except I2VError as exc:
                raise _refused(exc) from None

    def relabel(self, lesson_ref, lang_code):
        """The storyboard and progress again in the new language."""
        if not lesson_ref:
            return board_html(None, lang_code), progress_html(None, lang_code)
        status = self.lessons.status(lesson_ref, lang_code)
        return board_html(status, lang_code), progress_html(status, lang_code)
