"""What the Lesson tab shows, as pure functions of a lesson's status: the storyboard table, the progress
bar, the prompt check, the preset and scene choices. No services and no events here, so the layout
(`ui_lessons`) and the actions (`ui_lesson_actions`) both use them and each can be checked alone.
"""

from __future__ import annotations

import html
import json
from typing import Any

import gradio as gr

from i2v.engine.registry import spec_for
from i2v.i18n import t
from i2v.lessons.service import LessonStatus
from i2v.lessons.storyboard import Lesson
from i2v.teaching.presets import get_preset, load_presets
from i2v.teaching.prompt_check import check_prompt

POLL_S = 1.0
FINISHED = ("ready", "failed", "cancelled", "draft")
DOWNLOAD_KINDS = ("video", "captions", "captions-srt", "handout", "handout-bw", "pack")
RESOLUTIONS = [("lesson.resolution.draft", "draft"), ("lesson.resolution.standard", "standard"), ("lesson.resolution.high", "high")]
VOICES = [("lesson.voice.none", "none"), ("lesson.voice.own", "own"), ("lesson.voice.en", "en-synthetic"),
          ("lesson.voice.zh", "zh-synthetic")]
FILLS = [("lesson.fill.hold", "hold"), ("lesson.fill.slow", "slow"), ("lesson.fill.loop", "loop")]
LESSON_CSS = """
.i2v-board table {width: 100%; border-collapse: collapse; font-size: .92rem}
.i2v-board th, .i2v-board td {border-bottom: 1px solid #e5e7eb; padding: 4px 6px; text-align: left; vertical-align: top}
.i2v-board .i2v-section td {background: #f1f5f9; font-weight: 600}
.i2v-scene-done {color: #166534} .i2v-scene-failed {color: #b91c1c}
.i2v-board tr[data-needs-picture='1'] td {background: #fff7ed} .i2v-needs-picture {color: #9a3412; font-weight: 600}
"""


def upload_words_css(lang: str) -> str:
    """Gradio draws the upload box's own words ("Drop File Here - or - Click to Upload") in the browser's
    language, not the studio's; for a language that has its own words here, hide Gradio's and draw ours.
    English keeps Gradio's own words (an empty string)."""
    if lang == "en":
        return ""
    words = t("lesson.upload.drop", lang)
    return ("<style>#i2v-lesson-file button .wrap {font-size: 0} "
            f"#i2v-lesson-file button .wrap::after {{content: {json.dumps(words, ensure_ascii=False)}; font-size: var(--text-md)}}</style>")


def client_of(request: gr.Request | None) -> str | None:
    """Who is asking, as the lesson service records it (the browser's address)."""
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


def scene_choices(lesson: Lesson) -> list[tuple[str, str]]:
    """The scene picker's choices: number and point, by scene id."""
    return [(f"{n}. {scene.point}", scene.id) for n, scene in enumerate(lesson.scenes, start=1)]
