"""The worker API under /api/v1/worker: how remote GPU workers reach the server (see `i2v.jobs.worker_gateway`).

Only the worker token (I2V_WORKER_TOKEN) opens these routes (`security.WorkerAuth`); they exist
only when I2V_BROKER is set. Calls about a job name its lease in the `X-I2V-Lease` header. Answers:
404/409 mean "not yours (any more): acknowledge and skip", 422 a malformed call, 507 a full disk;
a heartbeat answered 409 means another live worker has this name (the worker stops, exit code 3).
Each handler parses, calls one `WorkerGateway` method and returns, off the event loop.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from typing import Annotated

from fastapi import APIRouter, File, Header, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse

from i2v.archive import ArchivePathError
from i2v.jobs.worker_gateway import BadDelivery, Delivery, WorkerReport, stage
from i2v.errors import I2VError
from i2v.web.deps import PoolsDep, ServicesDep
from i2v.web.schemas import ClaimBody, Claimed, Ended, Heartbeat, HeartbeatReply, OutcomeBody, ProgressBody, ProgressReply

router = APIRouter()
LeaseDep = Annotated[str, Header(alias="X-I2V-Lease", description="the lease the claim returned")]


def _gateway(services):
    return services.gateway


def _refusal(exc: Exception) -> HTTPException:
    """The HTTP answer for a failure that is not an `I2VError` (those — job not found 404, lease
    lost or name taken 409, bad delivery or preview 422 — the app's one handler answers)."""
    if isinstance(exc, I2VError):
        raise exc
    if isinstance(exc, ValueError):
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))
    if isinstance(exc, OSError):
        return HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, f"The server could not store the video ({exc.strerror or exc}). Its disk may be full.")
    if isinstance(exc, sqlite3.OperationalError):
        return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"The job table is busy or full ({exc}); try again.")
    raise exc


async def _run(pools, fn, *args):
    try:
        return await pools.run(pools.reads, fn, *args)
    except (ValueError, OSError, sqlite3.OperationalError) as exc:
        raise _refusal(exc) from None


@router.post("/heartbeat", response_model=HeartbeatReply,
             summary="A worker is alive (and renews its job's lease); 409: its name is another live worker's")
async def heartbeat(services: ServicesDep, pools: PoolsDep, body: Heartbeat) -> HeartbeatReply:
    reply = await _run(pools, _gateway(services).heartbeat, WorkerReport(**body.model_dump()))
    return HeartbeatReply(**reply)


@router.post("/jobs/{job_id}/claim", response_model=Claimed, summary="Claim a queued job (409: skip it)")
async def claim(services: ServicesDep, pools: PoolsDep, job_id: str, body: ClaimBody) -> Claimed:
    workers = {w.id: w for w in await pools.run(pools.reads, services.store.roster.workers)}
    worker = workers.get(body.worker_id)
    if worker is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "Unknown worker: send a heartbeat first.")
    job = await _run(pools, _gateway(services).claim, job_id, worker.name)
    return Claimed(id=job.id, request=job.request, attempts=job.attempts, lease=job.lease, lease_s=_gateway(services).lease_s)


@router.get("/jobs/{job_id}/picture", response_class=FileResponse, summary="The picture of a held job (PNG)")
async def picture(services: ServicesDep, pools: PoolsDep, job_id: str, lease: LeaseDep,
                  keyframe: Annotated[int, Query(ge=0, le=9, description="0: the first picture; N: the Nth after it")] = 0,
                  ) -> FileResponse:
    try:
        path = await _run(pools, _gateway(services).picture, job_id, lease, keyframe)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0])) from None
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"The picture of job {job_id} is gone.")
    return FileResponse(path, media_type="image/png")


@router.post("/jobs/{job_id}/entry", summary="Reserve the archive entry the video will be stored under")
async def entry(services: ServicesDep, pools: PoolsDep, job_id: str, lease: LeaseDep) -> dict[str, str]:
    return {"entry": await _run(pools, _gateway(services).reserve_entry, job_id, lease)}


@router.post("/jobs/{job_id}/progress", response_model=ProgressReply, summary="Progress, preview and lease renewal; answers the cancel flag")
async def progress(services: ServicesDep, pools: PoolsDep, job_id: str, lease: LeaseDep, body: ProgressBody) -> ProgressReply:
    try:
        preview = base64.b64decode(body.preview, validate=True) if body.preview else None
    except (binascii.Error, ValueError):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "preview must be base64 of a PNG") from None
    cancel = await _run(pools, _gateway(services).progress, job_id, lease, body.step, body.total, body.eta_s, preview)
    return ProgressReply(cancel=cancel)


@router.post("/jobs/{job_id}/result", response_model=Ended, summary="Deliver a finished video (MP4, thumbnail, input, recipe)")
async def result(
    services: ServicesDep, pools: PoolsDep, job_id: str, lease: LeaseDep,
    video: Annotated[UploadFile, File()], thumbnail: Annotated[UploadFile, File()],
    input: Annotated[UploadFile, File()], recipe: Annotated[UploadFile, File()],
    key1: Annotated[UploadFile | None, File(description="the 1st picture after the first, if the job had one")] = None,
    key2: Annotated[UploadFile | None, File()] = None, key3: Annotated[UploadFile | None, File()] = None,
    key4: Annotated[UploadFile | None, File()] = None, key5: Annotated[UploadFile | None, File()] = None,
) -> Ended:
    gateway = _gateway(services)
    staged = []
    keys = [k for k in (key1, key2, key3, key4, key5) if k is not None]
    try:
        for upload in (video, thumbnail, input, *keys):
            staged.append(await pools.run(pools.pictures, stage, gateway.staging, iter(lambda f=upload.file: f.read(1 << 20), b"")))
        recipe_bytes = await recipe.read(2_000_001)
        if len(recipe_bytes) > 2_000_000:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "The recipe is larger than 2 MB.")
        delivery = Delivery(video=staged[0], thumbnail=staged[1], input_image=staged[2], recipe=recipe_bytes,
                            keyframe_images=tuple(staged[3:]))
        try:
            job = await pools.run(pools.pictures, gateway.deliver, job_id, lease, delivery)
        except ArchivePathError as exc:  # a name in the delivery that would leave the archive: a bad delivery
            raise BadDelivery(str(exc)) from None
        except (OSError, sqlite3.OperationalError) as exc:
            raise _refusal(exc) from None
    except OSError as exc:
        if isinstance(exc, I2VError):
            raise
        raise _refusal(exc) from None
    finally:
        for path in staged:
            path.unlink(missing_ok=True)
    return Ended(id=job.id, status=job.status, video=(job.result or {}).get("video"))


@router.post("/jobs/{job_id}/outcome", response_model=Ended, summary="A held job ended without a video (failed or cancelled)")
async def outcome(services: ServicesDep, pools: PoolsDep, job_id: str, lease: LeaseDep, body: OutcomeBody) -> Ended:
    job = await _run(pools, _gateway(services).finish, job_id, lease, body.status, body.error)
    return Ended(id=job.id, status=job.status)
