"""The Lessons tab's package downloads: H5P, SCORM and the offline page, each a link to its API
route with one line on where to upload it, shown once the lesson video is made. Its own module so
the Lessons tab only places it (one call)."""

from __future__ import annotations

import html

import gradio as gr

from i2v.i18n import t
from i2v.lessons.packages.registry import PACKAGES


def packages_html(lessons, lesson_id: str | None, lang: str) -> str:
    """Links to the three packages of a lesson whose video is made; empty otherwise."""
    if not lesson_id:
        return ""
    try:
        if not lessons.output(lesson_id, "video").is_file():
            return ""
    except Exception:  # noqa: BLE001 - no lesson or no video yet: nothing to offer
        return ""
    rows = "".join(
        f'<li><a href="/api/v1/lessons/{html.escape(lesson_id)}/{name}" download id="i2v-lesson-pkg-{name}">'
        f'{html.escape(t(f"{package.label_key}.name", lang))}</a> — {html.escape(t(package.label_key, lang))}</li>'
        for name, package in PACKAGES.items())
    return f'<div id="i2v-lesson-packages"><strong>{html.escape(t("lesson.package.heading", lang))}</strong><ul>{rows}</ul></div>'


def add_package_links(lessons, lesson_id: gr.State, lang: gr.State, trigger: gr.components.Component) -> gr.HTML:
    """The links block, refreshed whenever `trigger` (the lesson's progress) changes."""
    block = gr.HTML("", elem_id="i2v-lesson-packages-block")
    trigger.change(lambda lid, code: packages_html(lessons, lid, code), [lesson_id, lang], block, show_progress="hidden")
    return block
