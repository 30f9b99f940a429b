"""The studio's symptom guide (one-click parameter fixes, on the Help tab) and the picture check on upload."""

from __future__ import annotations

from functools import partial
from typing import Any

import gradio as gr
from PIL import Image, UnidentifiedImageError

from i2v.engine.registry import spec_or_default
from i2v.i18n import t
from i2v.teaching.input_check import apply_fix, check_image, preview_fix
from i2v.teaching.symptoms import apply_symptom, get_symptom, list_symptoms

from i2v.web.ui_text import UiText

SYMPTOM_PARAMS = ("resolution", "frames", "fps", "steps", "guidance", "smooth")
PARAM_LABELS = {
    "resolution": "ui.resolution", "frames": "ui.frames", "fps": "ui.fps", "steps": "ui.steps",
    "guidance": "ui.guidance", "smooth": "ui.export.smooth",
}


def symptom_md(symptom_id: str, lang: str) -> str:
    symptom = get_symptom(symptom_id)
    return f"**{symptom.title(lang)}** — {symptom.explanation(lang)}"


def changes_md(before: dict[str, Any], after: dict[str, Any], lang: str) -> str:
    """"Settings changed: Frames: 24 → 16, …" for the values that moved; "" when none did."""
    moved = [f"{t(PARAM_LABELS[k], lang)}: {before[k]} → {after[k]}" for k in SYMPTOM_PARAMS
             if k in after and after[k] != before.get(k)]
    return t("ui.symptoms.applied", lang, changes="; ".join(moved)) if moved else ""


def symptom_fix(symptom_id: str, *values: Any) -> tuple[Any, ...]:
    """"Apply" for one symptom. `values` are the current SYMPTOM_PARAMS, the language and, when the
    studio has a model picker, the chosen model (its family's own targets and ranges); returns the
    new SYMPTOM_PARAMS, the prompt helper's fold (opened when the fix is to write a better prompt),
    the note saying what changed (for the Create tab, then again for beside the Apply button: the
    teacher sees the change where they clicked, and the page does not jump)."""
    current, (lang, *model) = values[: len(SYMPTOM_PARAMS)], values[len(SYMPTOM_PARAMS):]
    before = dict(zip(SYMPTOM_PARAMS, current, strict=True))
    after = apply_symptom(before, symptom_id, spec_or_default(model[0] if model else None))
    action = get_symptom(symptom_id).action
    message = changes_md(before, after, lang)
    if action == "show_log":
        message = t("ui.log_hint", lang)
    elif action == "open_prompt_builder":
        message = f"{message}\n\n{t('symptom.action.open_prompt_builder', lang)} ↓".strip()
    opened = gr.update(open=True) if action == "open_prompt_builder" else gr.skip()
    def note() -> dict[str, Any]:  # one update per output: Gradio consumes the dict it is given
        return gr.update(value=message, visible=bool(message))

    return (*(after[k] for k in SYMPTOM_PARAMS), opened, note(), note())


def build_symptom_guide(tx: UiText, lang: gr.State, params: list, helper: gr.Accordion, note: gr.Markdown,
                        tabs: gr.Tabs, model: Any = None) -> None:
    """One row per symptom with an "Apply" button that rewrites `params` (ordered as SYMPTOM_PARAMS)
    and writes what changed beside the button and into `note` (on the Create tab, above Generate).
    `tabs` stays where it is: switching would throw the teacher to the top of another page."""
    tx.add(gr.Markdown(t("ui.symptoms.intro", "en")), value="ui.symptoms.intro")
    for symptom in list_symptoms("en"):
        sid = symptom["id"]
        with gr.Row(equal_height=True):
            tx.add(gr.Markdown(symptom_md(sid, "en")), value=partial(symptom_md, sid))
            button = tx.add(gr.Button(t("symptom.apply", "en"), scale=0, min_width=100, elem_id=f"i2v-symptom-{sid}"),
                            value="symptom.apply")
        beside = gr.Markdown(visible=False, elem_id=f"i2v-symptom-done-{sid}", elem_classes=["i2v-note"])
        inputs = [*params, lang] + ([model] if model is not None else [])
        button.click(partial(symptom_fix, sid), inputs, [*params, helper, note, beside], api_name=False,
                     show_progress="hidden")


def _open(path: str | None) -> Image.Image | None:
    if not path:
        return None
    try:
        with Image.open(path) as img:
            img.load()
            return img.copy()
    except (OSError, UnidentifiedImageError):
        return None


def check_picture(path: str | None, lang: str) -> tuple[str, str | None, Image.Image | None, Image.Image | None]:
    """(message, fix name or None, before, after) for the picture at `path`."""
    image = _open(path)
    if image is None:
        return (t("ui.input.unreadable", lang) if path else ""), None, None, None
    issues = check_image(image)
    if not issues:
        return t("ui.input.ok", lang), None, None, None
    message = "\n".join(f"- {issue.message_zh if lang == 'zh' else issue.message_en}" for issue in issues)
    fix = next((issue.fix for issue in issues if issue.fix), None)
    if fix is None:
        return message, None, None, None
    before, after = preview_fix(image, fix)
    return f"{message}\n\n**{t(f'fix.{fix}', lang)}**", fix, before, after


def picture_check_view(path: str | None, lang: str) -> tuple[Any, ...]:
    """On a new picture: (message, fix name, preview row, before, after, "use the fixed picture" button)."""
    text, name, old, new = check_picture(path, lang)
    shown = name is not None
    return text, name, gr.update(visible=shown), old, new, gr.update(visible=shown)


def fixed_picture(path: str | None, name: str | None) -> Any:
    """The picture with the offered fix applied (gr.skip when there is none)."""
    image_now = _open(path)
    if image_now is None or not name:
        return gr.skip()
    return apply_fix(image_now, name)


def build_picture_check(tx: UiText, lang: gr.State, image) -> None:
    """On every new picture: risks, a before/after preview and a button that swaps in the fixed picture."""
    fix = gr.State(None)
    message = gr.Markdown(elem_id="i2v-picture-check")
    with gr.Row(visible=False) as preview:
        before = tx.add(gr.Image(label=t("fix.before", "en"), interactive=False, height=160, elem_id="i2v-fix-before"),
                        label="fix.before")
        after = tx.add(gr.Image(label=t("fix.after", "en"), interactive=False, height=160, elem_id="i2v-fix-after"),
                       label="fix.after")
    use_fix = tx.add(gr.Button(t("fix.apply", "en"), visible=False, elem_id="i2v-fix-apply"), value="fix.apply")
    outputs = [message, fix, preview, before, after, use_fix]
    image.change(picture_check_view, [image, lang], outputs, api_name=False, show_progress="hidden")
    lang.change(picture_check_view, [image, lang], outputs, api_name=False, show_progress="hidden")
    use_fix.click(fixed_picture, [image, fix], image, api_name=False)
