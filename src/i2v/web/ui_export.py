"""The result panel's post-processing and export section: interpolate, smooth, loop, speed, labels,
extra formats → `JobService.export`, then the processed clip in the player and every file to download."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import gradio as gr
from pydantic import ValidationError

from i2v.archive import ArchivePathError
from i2v.jobs.records import JobNotFound
from i2v.jobs.status import JobStatus
from i2v.post.exports import FORMATS as EXPORT_TABLE, STUDIO_FORMATS
from i2v.post.spec import PostSpec
from i2v.i18n import t
from i2v.post.labels import Label
from i2v.errors import I2VError, user_message
from i2v.web.ui_handlers import client_of
from i2v.web.ui_text import UiText
from i2v.web.ui_studio import user_error

EXTEND_SECONDS = 2.0  # what the studio's Extend buttons add (`i2v extend --seconds` and the API take any length)

FORMATS = STUDIO_FORMATS  # every format of the table but the video itself
LOOPS = ("none", "pingpong", "crossfade")
LABEL_HEADERS = ["text", "x", "y", "size", "start", "end"]
LABEL_DEFAULTS = (0.5, 0.9, 0.07, 0.0, None)  # x, y, size, start_s, end_s (None: to the end)


def _number(cell: Any, default: float | None) -> float | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return default
    value = float(cell)
    return default if math.isnan(value) else value


def labels_from_rows(rows: list[list[Any]] | None, lang: str) -> tuple[Label, ...]:
    """Labels from the editor's rows (text, x, y, size, start, end); rows without text are skipped.

    Raises ValueError with a message in `lang` naming the row that cannot become a label.
    """
    labels = []
    for number, row in enumerate(rows or [], start=1):
        row = list(row) + [None] * (len(LABEL_HEADERS) - len(row))
        text = str(row[0] if row[0] is not None else "").strip()
        if not text:
            continue
        try:
            x, y, size, start, end = (_number(cell, default) for cell, default in zip(row[1:6], LABEL_DEFAULTS, strict=True))
            labels.append(Label(text=text, x=x, y=y, size=size, start_s=start, end_s=end or None))
        except (ValueError, ValidationError) as exc:
            error = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
            raise ValueError(t("ui.export.bad_label", lang, row=number, error=error)) from None
    return tuple(labels)


def make_exports(jobs, job_id: str | None, interpolate: Any, smooth: Any, loop: str, speed: Any,
                 formats: list[str] | None, rows: list[list[Any]] | None, lang: str) -> tuple[str, list[str] | None]:
    """Run `jobs.export` with the section's settings: (video for the player, files to download).

    The player gets the processed MP4 when the settings change the clip, else the original.
    Raises ValueError with a message for the teacher (no video yet, a bad label, a refused spec).
    """
    if not job_id:
        raise ValueError(t("ui.export.need_video", lang))
    try:
        spec = PostSpec(interpolate=int(interpolate), smooth=float(smooth), loop=loop, speed=float(speed),
                        labels=labels_from_rows(rows, lang))
        job = jobs.export(job_id, spec, list(formats or []))
        exported = {name: str(jobs.export_file(job, name)) for name in (job.result or {}).get("exports", {})}
        return exported.get("video") or str(jobs.video_file(job)), list(exported.values()) or None
    except (JobNotFound, ArchivePathError) as exc:  # ValidationError and LabelError are ValueErrors already
        raise ValueError(str(exc)) from None


def label_headers(lang: str) -> list[str]:
    """The labels table's column headers in `lang` (the columns are LABEL_HEADERS, in that order)."""
    return [t(f"ui.export.col.{name}", lang) for name in LABEL_HEADERS]


def relabel_table(rows: list[list[Any]] | None, lang: str) -> dict[str, Any]:
    """The labels table with its headers in `lang` and the teacher's rows kept."""
    return gr.update(value={"headers": label_headers(lang), "data": rows or [_blank_row()]})


def _blank_row() -> list[Any]:
    return ["", *("" if d is None else d for d in LABEL_DEFAULTS)]


def run_export(jobs, job_id: str | None, interpolate: Any, smooth: Any, loop: str, speed: Any, formats: list[str] | None,
               rows: list[list[Any]] | None, lang: str) -> tuple[str, dict[str, Any]]:
    """"Make": `make_exports`, with its refusals shown to the teacher as gr.Error. The files box
    shows only once there are files."""
    try:
        video, files = make_exports(jobs, job_id, interpolate, smooth, loop, speed, formats, rows, lang)
    except ValueError as exc:
        raise user_error(str(exc)) from None
    return video, gr.update(value=files, visible=bool(files))


def export_ready(jobs, job_id: str | None) -> dict[str, Any]:
    """"Make" can act only on a finished video: enabled then, disabled otherwise."""
    try:
        ready = bool(job_id) and jobs.get(job_id).status == JobStatus.SUCCEEDED
    except JobNotFound:
        ready = False
    return gr.update(interactive=ready)


def no_files(_job_id: str | None) -> dict[str, Any]:
    """A new video: the previous one's downloads go."""
    return gr.update(value=None, visible=False)


def queue_extension(jobs, job_id: str | None, lang: str, request: gr.Request) -> str:
    """Queue a continuation of a finished video (EXTEND_SECONDS longer; a new video, the old one kept) for
    the Library's and the Create tab's Extend buttons; returns what to tell the teacher."""
    if not job_id:
        raise user_error(t("ui.pick_first", lang))
    try:
        job = jobs.extend(job_id, EXTEND_SECONDS, client_of(request))
    except I2VError as exc:
        raise user_error(user_message(exc)) from None
    return t("ui.library.extending", lang, seconds=EXTEND_SECONDS, id=job.id)


def build_export(tx: UiText, lang: gr.State, jobs, job_id: gr.State, video, prefix: str = "i2v") -> dict[str, Any]:
    """The post-processing fold under a player (`prefix` names its elements, so the Create and
    Library tabs can each have one). Returns its controls by name (the symptom guide writes `smooth`)."""
    with tx.add(gr.Accordion(t("ui.export", "en"), open=False, elem_id=f"{prefix}-export"), label="ui.export"):
        with gr.Row():
            interpolate = tx.add(gr.Radio([("×1", 1), ("×2", 2), ("×4", 4)], value=1, label=t("ui.export.interpolate", "en"),
                                          elem_id=f"{prefix}-interpolate"), label="ui.export.interpolate")
            loop_choices = [(f"ui.export.loop.{name}", name) for name in LOOPS]
            loop = tx.add(gr.Radio([(t(k, "en"), v) for k, v in loop_choices], value="none",
                                   label=t("ui.export.loop", "en"), elem_id=f"{prefix}-loop"),
                          label="ui.export.loop", choices=loop_choices)
        with gr.Row():
            smooth = tx.add(gr.Slider(0, 1, value=0, step=0.05, label=t("ui.export.smooth", "en"), elem_id=f"{prefix}-smooth"),
                            label="ui.export.smooth")
            speed = tx.add(gr.Slider(0.25, 4, value=1, step=0.25, label=t("ui.export.speed", "en"), elem_id=f"{prefix}-speed"),
                           label="ui.export.speed")
        format_choices = [(EXPORT_TABLE[name].label_key, name) for name in FORMATS]
        formats = tx.add(gr.CheckboxGroup([(t(k, "en"), v) for k, v in format_choices], value=[],
                                          label=t("ui.export.formats", "en"), elem_id=f"{prefix}-formats"),
                         label="ui.export.formats", choices=format_choices)
        labels = tx.add(gr.Dataframe(value=[_blank_row()], headers=label_headers("en"),
                                     datatype=["str", "number", "number", "number", "number", "number"],
                                     type="array", row_count=(1, "dynamic"), column_count=(6, "fixed"),
                                     label=t("ui.export.labels", "en"), elem_id=f"{prefix}-labels"),
                        label="ui.export.labels")
        tx.add(gr.Markdown(t("labels.explain", "en")), value="labels.explain")
        make = tx.add(gr.Button(t("ui.export.make", "en"), variant="primary", interactive=False, elem_id=f"{prefix}-make"),
                      value="ui.export.make")
        files = tx.add(gr.File(label=t("ui.export.files", "en"), file_count="multiple", interactive=False, visible=False,
                               elem_id=f"{prefix}-export-files"), label="ui.export.files")

    make.click(partial(run_export, jobs), [job_id, interpolate, smooth, loop, speed, formats, labels, lang], [video, files],
               api_name=False)
    job_id.change(no_files, job_id, files, api_name=False, show_progress="hidden")
    for trigger in (job_id.change, video.change):  # a new job (not done yet), or its video arrived
        trigger(partial(export_ready, jobs), job_id, make, api_name=False, show_progress="hidden")
    lang.change(relabel_table, [labels, lang], labels, api_name=False, show_progress="hidden")
    return {"smooth": smooth, "interpolate": interpolate, "loop": loop, "speed": speed, "formats": formats}
