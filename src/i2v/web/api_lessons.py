"""HTTP API for lessons under /api/v1/lessons: make a storyboard from an outline, a Markdown file, a
JSON knowledge graph, a zip or a shipped example; read and edit it; generate it through the queue;
follow every scene; download the video, captions, handout and pack.

Handlers parse, call one `LessonService` method and return. Bad input is a 4xx whose `detail` says
what to change; uploads are read into memory (never written where a request names), and files go
out only through `Archive.resolve`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from i2v.archive import ArchivePathError
from i2v.lessons.files import download_name
from i2v.lessons.examples import examples
from i2v.errors import I2VError
from i2v.i18n import normalize_lang
from i2v.web import errors, strict_json
from i2v.web.bodies import read_capped
from i2v.web.deps import ClientDep, ServicesDep
from i2v.web.forms import form_text_lenient, text_fields
from i2v.web.schemas import LessonListItem, LessonView, PictureAdded

router = APIRouter()
PREFIX = "/api/v1/lessons"
DOWNLOADS = {  # kind → (media type, shown inline); the file's name: `download_name`
    "video": ("video/mp4", True), "captions": ("text/vtt", True), "captions-srt": ("application/x-subrip", False), "handout": ("application/pdf", False),
    "handout-bw": ("application/pdf", False), "pack": ("application/zip", False), "lesson": ("application/json", False),
}
OPTION_FIELDS = ("title", "model", "resolution_class", "quality", "steps", "lang")
SOURCES = ("outline", "graph", "example", "file")
LangQuery = Annotated[str, Query(description="Language of notes and prompt-check messages: en (default) or zh")]


def _refuse(code: int, message: str) -> HTTPException:
    return HTTPException(code, message)


def _view(services, lesson_id: str, lang: str) -> LessonView:
    state = services.lessons.status(lesson_id, normalize_lang(lang))
    downloads = {kind: f"{PREFIX}/{lesson_id}/{kind}" for kind in state.outputs}
    downloads["lesson"] = f"{PREFIX}/{lesson_id}/lesson"
    videos = {s.id: f"/api/v1/jobs/{s.job_id}/video" for s in state.scenes if s.job_id and s.state == "done"}
    return LessonView(**state.model_dump(), downloads=downloads, scene_videos=videos)


async def _call(function, *args):
    """Run a service call off the event loop. The lessons' own errors (not found, bad input, not
    yours, busy) are `I2VError`s the app's one handler answers; a full disk is answered here."""
    try:
        return await asyncio.to_thread(function, *args)
    except OSError as exc:  # a storyboard or picture that cannot be written: the disk, not the request
        if isinstance(exc, I2VError) or not errors.is_full_disk(exc):
            raise
        raise _refuse(status.HTTP_507_INSUFFICIENT_STORAGE, errors.STORAGE_DETAIL) from None


def _too_large(limit: int, setting: str, what: str = "The upload") -> HTTPException:
    return _refuse(status.HTTP_413_CONTENT_TOO_LARGE, f"{what} is larger than {limit // 2**20} MB ({setting}).")


async def _body(request: Request, limit: int, setting: str) -> tuple[dict[str, Any], tuple[str, bytes] | None]:
    """The create request's fields and its uploaded file (name, bytes), from JSON or a multipart form.

    Multipart text is read as POST /jobs reads it (`forms.text_fields`: exact UTF-8 or 422, each
    field once); `limit` bytes is the most any part may hold, named by the `setting` that sets it."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=len(OPTION_FIELDS) + len(SOURCES), max_part_size=limit)
            text, _ = await text_fields(request)  # the same form, parsed once, decoded strictly
        except MultiPartException as exc:
            raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, f"The upload could not be read: {exc.message}") from None
        upload = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "file":
                    raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                  f"Upload the outline or zip as the field 'file', not {form_text_lenient(key)[:40]!r}.")
                data = await value.read(limit + 1)
                if len(data) > limit:
                    raise _too_large(limit, setting)
                upload = (form_text_lenient(value.filename or "upload")[-200:], data)
        return dict(text), upload
    if kind in ("application/json", ""):
        return strict_json.json_object(await read_capped(request, limit, setting), example='{"outline": "Prophase\\nMetaphase"}'), None
    raise _refuse(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Send JSON, or a multipart form with the outline or zip as 'file'.")


@router.post("/lessons", status_code=status.HTTP_201_CREATED, response_model=LessonView, summary="Make a lesson's storyboard")
async def create_lesson(services: ServicesDep, client: ClientDep, request: Request) -> LessonView:
    """JSON `{"outline": text}` (a topic, points one per line, Markdown, or a JSON graph as text),
    `{"graph": {...}}`, `{"example": "mitosis", "lang": "zh"}`, or a multipart form with `file` (.md,
    .txt, .json, or a .zip of an outline with its pictures, or of pictures each with a caption .txt).
    Optional: `title`, `model`, `resolution_class` (draft, standard, high), `quality`, `steps`."""
    lessons = services.lessons
    fields, upload = await _body(request, services.settings.lesson_max_upload_mb * 2**20, "I2V_LESSON_MAX_UPLOAD_MB")
    unknown = sorted(set(fields) - set(OPTION_FIELDS) - set(SOURCES))
    if unknown:
        raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Unknown field(s) {', '.join(repr(u[:40]) for u in unknown[:5])}; "
                      f"send one of {', '.join(SOURCES)} and optionally {', '.join(OPTION_FIELDS)}.")
    given = [name for name in SOURCES if (fields.get(name) not in (None, "") if name != "file" else upload is not None)]
    if len(given) != 1:
        raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT,
                      "Send exactly one of: outline (text), graph (a JSON object), example (an id from GET /api/v1/lessons/examples) "
                      f"or file (an upload){'; got ' + ', '.join(given) if given else ''}.")
    for name in ("title", "model", "resolution_class", "quality", "lang", "example"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} must be text (got {type(fields[name]).__name__}).")
    steps = fields.get("steps")
    if isinstance(steps, str) and steps.strip():
        # ASCII digits only: str.isdigit() also accepts "²" (int() then fails) and "٣" (int() reads 3)
        if not (steps.strip().isascii() and steps.strip().isdigit()) or len(steps.strip()) > 6:
            raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, f"steps must be a whole number such as 30 (got {steps[:20]!r}).")
        steps = int(steps)
    title = fields.get("title") or ""
    if len(title) > 200:
        raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "title must be text of at most 200 characters.")
    options = await _call(lessons.options, fields.get("model") or None, fields.get("resolution_class") or None,
                          fields.get("quality") or None, steps if steps not in ("", None) else None)
    source = given[0]
    if source == "file":
        lesson = await _call(lambda: lessons.create_from_upload(upload[0], upload[1], options, client, title=title))
    elif source == "graph":
        lesson = await _call(lambda: lessons.create_from_graph(fields["graph"], options, client, title=title))
    elif source == "example":
        lang = normalize_lang(str(fields.get("lang") or "en"))
        lesson = await _call(lambda: lessons.create_from_example(str(fields["example"]), lang, options, client))
    else:
        if not isinstance(fields["outline"], str):
            raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "outline must be text; send a graph object as 'graph'.")
        lesson = await _call(lambda: lessons.create_from_text(fields["outline"], options, client, title=title))
    return await asyncio.to_thread(_view, services, lesson.id, str(fields.get("lang") or "en"))


@router.get("/lessons", response_model=list[LessonListItem], summary="Saved lessons, newest first")
def list_lessons(services: ServicesDep) -> list[LessonListItem]:
    return [LessonListItem(**vars(s), url=f"{PREFIX}/{s.id}") for s in services.lessons.list()]


@router.get("/lessons/examples", summary="The example lessons shipped with i2v")
def list_examples() -> list[dict[str, Any]]:
    return [{"id": e.id, "format": e.format, "title": e.title, "languages": list(e.files)} for e in examples()]


@router.get("/lessons/{lesson_id}", response_model=LessonView, summary="A lesson: storyboard, state and per-scene progress")
async def get_lesson(services: ServicesDep, lesson_id: str, lang: LangQuery = "en") -> LessonView:
    return await _call(_view, services, lesson_id, lang)


@router.put("/lessons/{lesson_id}", response_model=LessonView, summary="Save an edited storyboard")
async def put_lesson(services: ServicesDep, client: ClientDep, lesson_id: str, request: Request, lang: LangQuery = "en") -> LessonView:
    """The body is the lesson as GET returns it under `lesson`, edited: scenes reordered or deleted,
    prompt, labels, caption, seconds or picture changed, `model` for all scenes. Checked in full."""
    raw = await read_capped(request, services.settings.lesson_max_upload_mb * 2**20, "I2V_LESSON_MAX_UPLOAD_MB")
    data = strict_json.json_object(raw, what="The storyboard", example="the 'lesson' of GET /api/v1/lessons/ID",
                                   empty=b"null")
    await _call(services.lessons.update, lesson_id, data, client)
    return await _call(_view, services, lesson_id, lang)


@router.post("/lessons/{lesson_id}/pictures", response_model=PictureAdded, status_code=status.HTTP_201_CREATED,
             summary="Add a picture a scene can use (then PUT the scene with it)")
async def add_picture(services: ServicesDep, client: ClientDep, lesson_id: str, request: Request) -> PictureAdded:
    _, upload = await _body(request, services.settings.max_upload_mb * 2**20, "I2V_MAX_UPLOAD_MB")
    if upload is None:
        raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "Upload the picture as the multipart field 'file'.")
    return PictureAdded(picture=await _call(services.lessons.add_picture, lesson_id, upload[1], client))


@router.post("/lessons/{lesson_id}/scenes/{scene}/voice", response_model=LessonView, status_code=status.HTTP_201_CREATED,
             summary="Record a scene's narration in the teacher's own voice (the lesson's voice becomes 'own')")
async def add_recording(services: ServicesDep, client: ClientDep, lesson_id: str, scene: str, request: Request,
                        lang: LangQuery = "en") -> LessonView:
    """`scene` is the scene's id or its number from 1. The recording is the multipart field 'file' or the
    whole body (WAV, MP3, M4A, OGG/Opus or WebM, as a browser records it). It is checked, trimmed of
    silence and levelled before it is stored: bad audio is 422 (413 when too large) and leaves nothing."""
    limit, setting = services.settings.max_upload_mb * 2**20, "I2V_MAX_UPLOAD_MB"
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data":
        _, upload = await _body(request, limit, setting)
        if upload is None:
            raise _refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "Upload the recording as the multipart field 'file'.")
        data = upload[1]
    else:
        data = await read_capped(request, limit, setting)
    await _call(services.lessons.add_recording, lesson_id, scene, data, client)
    return await _call(_view, services, lesson_id, lang)


@router.delete("/lessons/{lesson_id}/scenes/{scene}/voice", response_model=LessonView,
               summary="Forget a scene's recording (the offline voice speaks it again)")
async def remove_recording(services: ServicesDep, client: ClientDep, lesson_id: str, scene: str, lang: LangQuery = "en") -> LessonView:
    await _call(services.lessons.remove_recording, lesson_id, scene, client)
    return await _call(_view, services, lesson_id, lang)


@router.post("/lessons/{lesson_id}/generate", response_model=LessonView, status_code=status.HTTP_202_ACCEPTED,
             summary="Generate every scene not made yet, through the queue, then assemble")
async def generate_lesson(services: ServicesDep, client: ClientDep, lesson_id: str, lang: LangQuery = "en") -> LessonView:
    await _call(services.lessons.generate, lesson_id, client)
    return await _call(_view, services, lesson_id, lang)


@router.post("/lessons/{lesson_id}/scenes/{scene_id}/retry", response_model=LessonView, status_code=status.HTTP_202_ACCEPTED,
             summary="Make one failed or cancelled scene again")
async def retry_scene(services: ServicesDep, client: ClientDep, lesson_id: str, scene_id: str, lang: LangQuery = "en") -> LessonView:
    await _call(services.lessons.retry, lesson_id, scene_id, client)
    return await _call(_view, services, lesson_id, lang)


@router.post("/lessons/{lesson_id}/cancel", response_model=LessonView, summary="Cancel a lesson being generated")
async def cancel_lesson(services: ServicesDep, client: ClientDep, lesson_id: str, lang: LangQuery = "en") -> LessonView:
    await _call(services.lessons.cancel, lesson_id, client)
    return await _call(_view, services, lesson_id, lang)


@router.delete("/lessons/{lesson_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a lesson and its files")
async def delete_lesson(services: ServicesDep, client: ClientDep, lesson_id: str) -> Response:
    await _call(services.lessons.delete, lesson_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/lessons/{lesson_id}/{kind}", summary="Download: video, captions, handout, pack or lesson (the lesson file)",
            response_class=FileResponse)
async def download(services: ServicesDep, lesson_id: str, kind: str) -> FileResponse:
    if kind not in DOWNLOADS:
        raise _refuse(status.HTTP_404_NOT_FOUND, f"A lesson has no {kind[:20]!r} download; ask for {', '.join(DOWNLOADS)}.")
    try:
        path = await _call(services.lessons.output, lesson_id, kind)
    except ArchivePathError:
        raise _refuse(status.HTTP_404_NOT_FOUND, f"The lesson's {kind} is not made yet; generate the lesson first.") from None
    media_type, inline = DOWNLOADS[kind]
    name = download_name(services.lessons.get(lesson_id).title, kind)
    return FileResponse(path, media_type=media_type, filename=name, content_disposition_type="inline" if inline else "attachment")
