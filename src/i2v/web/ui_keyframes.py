"""The Create tab's end picture: an "End picture (optional)" box that shows only while the chosen
model's family can take one (its spec's `keyframes`), and a small before → after strip of the two
pictures with the shape warning, so a teacher sees what the clip is asked to move between.

Middle keyframes stay with the CLI and the API: one end picture is what a lesson's change from
state A to state B needs, and what every family that takes keyframes can honour.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import gradio as gr
from PIL import Image

from i2v.engine.registry import spec_or_default
from i2v.i18n import t
from i2v.image_input import ImageInputError, aspect_warning, load_image

STRIP_HEIGHT = 72  # pixels: a glance, not a second preview


def takes_end_picture(model: str | None, default_model: str) -> bool:
    return spec_or_default(model or default_model).keyframes != "none"


def end_box_update(default_model: str, model: str | None) -> Any:
    """The end box shown for a family that takes an end picture; hidden and emptied otherwise (so a
    picture chosen for another family is never sent to one that refuses it)."""
    if takes_end_picture(model, default_model):
        return gr.update(visible=True)
    return gr.update(visible=False, value=None)


def _thumbnail(picture: Image.Image) -> str:
    small = picture.copy()
    small.thumbnail((STRIP_HEIGHT * 3, STRIP_HEIGHT))
    buffer = io.BytesIO()
    small.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def strip_html(start_path: str | None, end_path: str | None, lang: str) -> Any:
    """The before → after strip for two chosen pictures (hidden until both are there)."""
    if not start_path or not end_path:
        return gr.update(value="", visible=False)
    try:
        start, end = load_image(start_path), load_image(end_path)
    except (ImageInputError, OSError):
        return gr.update(value="", visible=False)  # the submission reports a bad picture in its own words
    warning = aspect_warning(start, [(t("ui.keyframes.after", lang), end)])
    cells = "".join(
        f'<figure style="margin:0;text-align:center"><img src="{_thumbnail(p)}" alt="{html.escape(label)}" '
        f'style="height:{STRIP_HEIGHT}px;border-radius:4px"><figcaption>{html.escape(label)}</figcaption></figure>'
        for p, label in ((start, t("ui.keyframes.before", lang)), (end, t("ui.keyframes.after", lang))))
    arrow = '<span style="font-size:1.6em;padding:0 .5em" aria-hidden="true">→</span>'
    first, second = cells.split("</figure>", 1)
    body = (f'<div id="i2v-keyframe-strip" aria-label="{html.escape(t("ui.keyframes.strip", lang))}" '
            f'style="display:flex;align-items:center;gap:.25em">{first}</figure>{arrow}{second}</div>')
    if warning:
        body += f'<p class="i2v-note" id="i2v-keyframe-warning">⚠ {html.escape(warning)}</p>'
    return gr.update(value=body, visible=True)


def build_end_picture(tx, default_model: str) -> tuple[Any, Any]:
    """The end box and the strip, added to the open Blocks under the first picture."""
    en = "en"
    box = tx.add(gr.Image(label=t("ui.end_image", en), type="filepath", sources=["upload", "clipboard"],
                          elem_id="i2v-end-image", height=150, visible=takes_end_picture(None, default_model)),
                 label="ui.end_image")
    strip = gr.HTML("", visible=False, elem_id="i2v-keyframe-strip-box")
    return box, strip
