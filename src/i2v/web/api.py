"""HTTP API under /api/v1. Each handler parses, calls one service method, and returns.

Files are only ever served from the archive (resolved by `Archive.resolve`); no path taken
from a request reaches the filesystem.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import (
    UploadFile as FormFile,  # what a parsed form holds (FastAPI's UploadFile subclasses it)
)

from i2v import __version__
from i2v.archive import ArchivePathError
from i2v.engine.registry import DEFAULT_SPEC
from i2v.errors import I2VError
from i2v.jobs.service import picture_name
from i2v.jobs.status import JobStatus
from i2v.post.exports import media_type as export_media_type
from i2v.post.spec import PostSpec
from i2v.request import (
    MAX_MIDDLE_KEYFRAMES,
    MAX_SEED,
    PLAIN_DECIMAL,
    GenerationRequest,
    RequestError,
)
from i2v.web import strict_json
from i2v.web.bodies import plain_errors, read_capped
from i2v.web.deps import ClientDep, PoolsDep, ServicesDep
from i2v.web.forms import FormError, text_fields
from i2v.web.model_state import model_report
from i2v.web.schemas import (
    BrokerHealth,
    Created,
    DiskHealth,
    Health,
    JobPage,
    JobView,
    ModelHealth,
    ModelView,
    WorkerView,
)
from i2v.web.views import job_view, job_views, worker_views

router = APIRouter()
# Form fields POST /jobs accepts: the upload plus the request's fields (allow_downgrade is CLI-only;
# `keyframes` positions come from the pictures sent: end_image at 1, keyframeN at keyframeN_at).
MIDDLE_FIELDS = tuple(f"keyframe{n}" for n in range(1, MAX_MIDDLE_KEYFRAMES + 1))
PICTURE_FIELDS = frozenset({"image", "end_image", *MIDDLE_FIELDS})
JOB_FIELDS = frozenset({*PICTURE_FIELDS, *(f"{f}_at" for f in MIDDLE_FIELDS), *GenerationRequest.model_fields}
                       - {"allow_downgrade", "keyframes"})
_D = DEFAULT_SPEC  # the form's help names the default family's ranges; other families: GET /models
EVENT_POLL_S = 0.25
NO_PICTURE = ("No picture was uploaded. Send it as the file field 'image', e.g. curl -F image=@cell.png "
              "-F prompt='cells dividing' …/api/v1/jobs (URLs and paths are not accepted).")
EXPORT_BODY_MAX = 64_000  # bytes: an export request is a few settings and labels
GIF_MAX_MB_RANGE = (0.5, 50.0)


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED, response_model=Created, summary="Queue a video")
async def create_job(
    services: ServicesDep,
    pools: PoolsDep,
    client: ClientDep,
    http: Request,
    prompt: Annotated[str, Form(description="English description of the motion")],
    # Optional here only so that a missing picture gets NO_PICTURE, one plain sentence, instead of
    # the framework's validation JSON; the route still requires it.
    image: Annotated[UploadFile | None, File(description="Required: the picture (PNG, JPEG, WebP, GIF, BMP, TIFF)")] = None,
    model: Annotated[str | None, Form(description="an id from GET /api/v1/models; the server's default model when omitted. "
                                                     "Every other field's range and default is that model family's")] = None,
    negative_prompt: Annotated[str | None, Form(description="the family's default when omitted")] = None,
    resolution: Annotated[str | None, Form(description=f"{_D.title}: {', '.join(_D.resolution_names)} (default {_D.default_resolution})")] = None,
    frames: Annotated[str | None, Form(description=f"{_D.title}: {_D.frames.describe()} (default {_D.frames.default})")] = None,
    fps: Annotated[str | None, Form(description=f"{_D.title}: {_D.fps.describe()} (default {_D.fps.default:g})")] = None,
    steps: Annotated[str | None, Form(description=f"{_D.title}: {_D.steps.describe()} (default {_D.steps.default:g})")] = None,
    guidance: Annotated[str | None, Form(description=f"{_D.title}: {_D.guidance.describe()} (default {_D.guidance.default:g})")] = None,
    seed: Annotated[str | None, Form(description="0–4294967295; random when omitted")] = None,
    scheduler: Annotated[str | None, Form(description=f"{_D.title}: {' or '.join(_D.schedulers)} (default {_D.schedulers[0]})")] = None,
    quality: Annotated[str | None, Form(description=f"standard (default, the family's recipe) or fast ({_D.title}: ≈{_D.fast.speedup:g}× faster, small measured deviation; see BENCHMARKS.md)")] = None,
    end_image: Annotated[UploadFile | None, File(description="Optional: a picture for the last frame, checked like `image`; "
                                                              "only families whose `keyframes` is last or any take it (GET /api/v1/models)")] = None,
    keyframe1: Annotated[UploadFile | None, File(description="Optional: a picture inside the clip at keyframe1_at (0–1); "
                                                             "keyframe1…keyframe4, families whose `keyframes` is any")] = None,
    keyframe1_at: Annotated[str | None, Form(description="where keyframe1 stands, between 0 and 1 (e.g. 0.5)")] = None,
) -> Created:
    """Form fields are UTF-8 text, each sent once; numbers are plain decimals (`16`, `9.5`). The
    named parameters document the form; the values used are read strictly by `text_fields`."""
    try:
        given, names = await text_fields(http)
    except FormError as exc:
        # a form that is not multipart cannot carry a picture: say how to send one
        message = NO_PICTURE if image is None and "multipart" in str(exc) else str(exc)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message) from None
    unknown = sorted(names - JOB_FIELDS)
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Unknown setting(s): {', '.join(repr(u[:40]) for u in unknown[:5])}. The picture must be uploaded as the "
            f"file field 'image' (no URLs or paths); the other fields are {', '.join(sorted(JOB_FIELDS - {'image'}))}.",
        )
    if image is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, NO_PICTURE)
    fields: dict[str, Any] = {k: v for k, v in given.items() if k == "prompt" or v != "" and not k.endswith("_at")}
    later = _keyframe_uploads(await http.form(), given)
    # The family's check runs before any picture is read: a family that takes no keyframes is refused cheaply.
    fields["keyframes"] = sorted(position for position, _ in later)
    # The cheap refusals first, on the quick pool: a submission over a limit is refused before
    # its picture is read, decoded or queued behind other pictures.
    await pools.run(pools.reads, services.jobs.admit, fields, client)
    limit = services.settings.max_upload_mb * 2**20
    data = await image.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"The picture is larger than {services.settings.max_upload_mb} MB.")
    pictures = []
    for position, upload in later:
        picture = await upload.read(limit + 1)
        if len(picture) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"{picture_name(position).capitalize()} is larger than {services.settings.max_upload_mb} MB.")
        pictures.append((position, picture))
    fields.pop("keyframes")
    warnings: list[str] = []
    job = await pools.run(pools.pictures, services.jobs.submit, data, fields, client, pictures, warnings)
    eta_s = await pools.run(pools.reads, services.jobs.wait_seconds, job)
    return Created(id=job.id, status=job.status, position=job.position, eta_s=eta_s, warnings=warnings)


def _keyframe_uploads(form: Any, given: dict[str, str]) -> list[tuple[float, FormFile]]:
    """(position, file) of the pictures after the first: `end_image` at 1, each `keyframeN` at its
    `keyframeN_at`. RequestError for a picture without a position, a position without a picture, or
    a position that is not a number strictly between 0 and 1."""
    found: list[tuple[float, FormFile]] = []
    end = form.get("end_image")
    if isinstance(end, FormFile):
        found.append((1.0, end))
    elif "end_image" in given:
        raise RequestError("end_image: send the end picture as a file field, not text")
    for name in MIDDLE_FIELDS:
        upload, at = form.get(name), given.get(f"{name}_at")
        if upload is None and at is None:
            continue
        if not isinstance(upload, FormFile) or at is None:
            raise RequestError(f"{name}: send the picture as the file field {name} and its position (0–1) as {name}_at")
        if not PLAIN_DECIMAL.fullmatch(at) or not 0 < float(at) < 1:
            raise RequestError(f"{name}_at: must be a position between 0 and 1, not 0 or 1 (got {at[:20]!r}); "
                               "the first picture is `image` and the last `end_image`")
        found.append((round(float(at), 4), upload))
    return sorted(found, key=lambda item: item[0])


@router.get("/jobs", response_model=JobPage, summary="History, newest first")
def list_jobs(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,  # SQLite integers stop at 2**63; found by schemathesis
) -> JobPage:
    jobs = services.jobs.history(limit=limit, offset=offset)
    return JobPage(jobs=job_views(services, jobs), total=services.store.count(), limit=limit, offset=offset)


@router.get("/jobs/{job_id}", response_model=JobView, summary="One job's state, progress and result")
def get_job(services: ServicesDep, job_id: str) -> JobView:
    return job_view(services.jobs, services.jobs.get(job_id), services.broker)


@router.post("/jobs/{job_id}/cancel", response_model=JobView, summary="Cancel a queued or running job")
def cancel_job(services: ServicesDep, client: ClientDep, job_id: str) -> JobView:
    """Only the computer that queued the job, or the operator at the server, may cancel it (403 otherwise).
    Cancelling a finished job changes nothing and returns it."""
    services.jobs.get(job_id)
    return job_view(services.jobs, services.jobs.cancel(job_id, client), services.broker)


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a finished job and its files")
def delete_job(services: ServicesDep, client: ClientDep, job_id: str) -> Response:
    services.jobs.get(job_id)
    services.jobs.delete(job_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/jobs/{job_id}/video", summary="The MP4 (supports range requests)", response_class=FileResponse)
def get_video(services: ServicesDep, job_id: str) -> FileResponse:
    job = services.jobs.get(job_id)
    path = services.jobs.video_file(job)
    return FileResponse(path, media_type="video/mp4", filename=path.name, content_disposition_type="inline")


@router.get("/jobs/{job_id}/thumbnail", summary="A JPEG of the middle frame", response_class=FileResponse)
def get_thumbnail(services: ServicesDep, job_id: str) -> FileResponse:
    job = services.jobs.get(job_id)
    return FileResponse(services.jobs.thumbnail_file(job), media_type="image/jpeg")


def _export_body(body: bytes) -> tuple[PostSpec, list[str], float]:
    """Parse an export request into (spec, formats, gif_max_mb); HTTPException 422 in plain words."""
    def refuse(message: str) -> HTTPException:
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)

    data = strict_json.json_object(body, what="The export request", example='{"formats": ["gif"]}')
    formats = data.pop("formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise refuse("formats must be a list of names, e.g. [\"gif\", \"sheet\"].")
    gif_max_mb = data.pop("gif_max_mb", 8.0)
    low, high = GIF_MAX_MB_RANGE
    if isinstance(gif_max_mb, bool) or not isinstance(gif_max_mb, (int, float)) or not low <= gif_max_mb <= high:
        raise refuse(f"gif_max_mb must be a number between {low:g} and {high:g} (megabytes).")
    try:
        spec = PostSpec.model_validate(data)
    except ValidationError as exc:
        raise refuse(plain_errors(exc)) from None
    if not formats and spec.is_identity:
        raise refuse("Nothing to do: choose at least one format, or a change such as smooth, loop, speed or labels.")
    return spec, formats, float(gif_max_mb)


@router.post("/jobs/{job_id}/exports", response_model=JobView, summary="Post-process a finished video and export it")
async def create_exports(services: ServicesDep, pools: PoolsDep, job_id: str, request: Request) -> JobView:
    """JSON body: `formats` (any of mp4, webm, gif, frames, sheet, pack), the post-processing
    `interpolate` (1, 2, 4), `smooth` (0–1), `loop` (none, pingpong, crossfade), `speed` (0.25–4),
    `labels` ([{text, x, y, size, start_s, end_s, colour, box}], seconds of the final clip) and
    `gif_max_mb`. The original video is never changed; the job's `exports` lists the files made.
    """
    job = services.jobs.get(job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Job {job_id} is {job.status}; only a finished video can be exported.")
    spec, formats, gif_max_mb = _export_body(await read_capped(request, EXPORT_BODY_MAX))
    try:
        job = await pools.run(pools.exports, services.jobs.export, job_id, spec, formats, gif_max_mb=gif_max_mb)
    except ArchivePathError as exc:  # the job's own video, not the name asked for: say which
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"The video of this job is no longer in the archive ({exc}).") from None
    except ValueError as exc:  # post-processing's own range checks are plain ValueErrors: the request's fault
        if isinstance(exc, I2VError):
            raise
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return job_view(services.jobs, job, services.broker)


class ExtendBody(BaseModel):
    """What `POST /jobs/{id}/extend` takes."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(gt=0, le=60, description="How much longer, in seconds (the family's frame rule rounds it).")
    prompt: str | None = Field(None, min_length=1, max_length=2000, description="What happens next (default: the video's prompt).")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="The continuation's seed (default: the video's + 1).")


@router.post("/jobs/{job_id}/extend", response_model=Created, status_code=status.HTTP_202_ACCEPTED,
             summary="Continue a finished video from its last frame (a new job: the video, then more)")
async def extend_job(services: ServicesDep, pools: PoolsDep, client: ClientDep, job_id: str, request: Request) -> Created:
    """JSON body `{"seconds": 2, "prompt": "…", "seed": 1}`. The new job uses the video's model and
    settings and its last frame; its video is the old one followed by the continuation, colour-matched
    at the join, and its recipe's `extends` names the old one."""
    job = services.jobs.get(job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Job {job_id} is {job.status}; only a finished video can be extended.")
    data = strict_json.json_object(await read_capped(request, EXPORT_BODY_MAX), what="The extend request", example='{"seconds": 2}')
    try:
        body = ExtendBody.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, plain_errors(exc)) from None
    try:
        made = await pools.run(pools.pictures, services.jobs.extend, job_id, body.seconds, client, prompt=body.prompt, seed=body.seed)
    except ArchivePathError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"The video of this job is no longer in the archive ({exc}).") from None
    eta_s = await pools.run(pools.reads, services.jobs.wait_seconds, made)
    return Created(id=made.id, status=made.status, position=made.position, eta_s=eta_s)


@router.get("/jobs/{job_id}/exports/{name}", summary="One exported file (gif, webm, sheet, …, video)", response_class=FileResponse)
def get_export(services: ServicesDep, job_id: str, name: str) -> FileResponse:
    job = services.jobs.get(job_id)
    path = services.jobs.export_file(job, name)
    media_type = export_media_type(name) or "application/octet-stream"
    disposition = "inline" if media_type.startswith(("video/", "image/")) else "attachment"
    return FileResponse(path, media_type=media_type, filename=path.name, content_disposition_type=disposition)


@router.get("/jobs/{job_id}/preview", summary="Live preview of the running job (PNG)")
def get_preview(services: ServicesDep, job_id: str) -> Response:
    """The preview stored with the job's progress, by whichever worker runs it (here or remote)."""
    services.jobs.get(job_id)
    data, step = services.store.preview(job_id)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No preview yet.")
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store", "X-I2V-Step": str(step)})


@router.get("/jobs/{job_id}/events", summary="Server-sent progress events until the job finishes")
async def job_events(services: ServicesDep, pools: PoolsDep, job_id: str, request: Request) -> StreamingResponse:
    """Polls the job on the quick-reads pool, never behind picture decoding or exports."""
    await pools.run(pools.reads, services.jobs.get, job_id)

    async def stream():
        last = None
        while not services.stopping.is_set() and not await request.is_disconnected():
            view = await pools.run(pools.reads, lambda: job_view(services.jobs, services.jobs.get(job_id), services.broker))
            state = (view.status, view.position, view.progress.step)
            if state != last:
                last = state
                yield f"event: {view.status}\ndata: {json.dumps(view.model_dump(mode='json'))}\n\n"
            if view.status in ("succeeded", "failed", "cancelled"):
                return
            await asyncio.sleep(EVENT_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get("/models", response_model=list[ModelView], summary="The models jobs may choose, with their families' specs")
def list_models(services: ServicesDep) -> list[ModelView]:
    """The default model first. `spec` holds the family's ranges and defaults (what POST /jobs
    accepts for that model), `memory_plan` what it would run with where jobs run (with GPU workers:
    their GPUs, not this server)."""
    views = []
    catalog = services.catalog
    for choice in catalog.offered():
        views.append(ModelView(
            id=choice.id, family=choice.spec.family, title=choice.spec.title, default=choice.id == services.settings.model,
            installed=choice.installed, test_model=choice.is_test, state=catalog.state_of(choice.id),
            licence=choice.spec.describe()["licence"], spec=choice.spec.describe(), memory_plan=catalog.plan_of(choice.id),
        ))
    return views


@router.get("/workers", response_model=list[WorkerView], summary="The GPU workers (other machines) and what they run")
def list_workers(services: ServicesDep) -> list[WorkerView]:
    """Every worker process heard from in the last day, one entry each, most recently heard first; a
    worker silent for I2V_LEASE_S is gone (`alive` false, no `current_job`). Empty when this server
    runs jobs itself (I2V_BROKER unset)."""
    return worker_views(services)


@router.get("/health", response_model=Health, summary="Model state, disk, queue size, broker and workers")
def health(services: ServicesDep) -> Health:
    """Answers even when the disk is full (then `status` is "disk_full" and `disk.detail` says what
    to do) or the job table cannot be read (then the counts are null). With remote GPU workers, the
    model is "ready" while a live worker of its family is connected, and `broker` says whether Redis answers."""
    report = model_report(services)
    model = ModelHealth(state=str(report.state), model=report.model, detail=report.detail)
    disk = services.jobs.storage()
    try:
        queued, running = services.store.count([JobStatus.QUEUED]), services.store.count([JobStatus.RUNNING])
    except sqlite3.Error:
        queued = running = None
    broker = workers = None
    if services.broker is not None:
        broker = BrokerHealth(**vars(services.broker.state()))
        try:
            workers = len(services.broker.live_workers())
        except sqlite3.Error:
            workers = None
    state = {"full": "disk_full", "low": "disk_low"}.get(disk.state, "ok")
    if state == "ok" and broker is not None and broker.state != "ok":
        state = "broker_unreachable"
    return Health(
        status=state, version=__version__, model=model,
        disk=DiskHealth(**disk.model_dump()), queued=queued, running=running, broker=broker, workers=workers,
    )


