"""The server's side of the worker protocol: what a remote GPU worker may do, checked against the job table.

A worker (see `i2v.jobs.remote_worker`) reaches the server only through these calls, made over HTTP
(`i2v.web.api_worker`): heartbeat, claim a job, fetch its picture, reserve its archive entry, report
progress (with the live preview; the answer carries the cancel flag), and deliver the finished files
or the failure. Every call about a job names the lease the claim handed out, so a worker that lost
the job can change nothing; every call may be repeated after a lost answer with the same effect, so
a worker that could not reach the server simply tries again.

The delivered files are archived exactly as the in-process worker archives them: into the entry the
server reserved (same names, never overwriting another video), input picture, thumbnail and MP4
first, the recipe last, then the job is marked succeeded.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from i2v.archive import Archive, ArchivePathError, Entry
from i2v.files import write_json_atomic
from i2v.jobs.previews import check_preview
from i2v.jobs.store import (
    FINISHED,
    IllegalTransition,
    Job,
    JobNotFound,
    JobStatus,
    JobStore,
    LeaseLost,
)
from i2v.media import probe
from i2v.jobs.pictures import keyframe_names
from i2v.errors import InvalidInput

log = logging.getLogger(__name__)


class BadDelivery(InvalidInput):
    """What a worker sent cannot be archived (not a video, a recipe for another entry, …)."""


@dataclass(frozen=True)
class WorkerReport:
    """A worker's heartbeat: who it is, what it runs. `job_id`/`lease` name the job it holds, if any."""

    worker_id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]
    loaded_model: str | None
    job_id: str | None = None
    lease: str | None = None


@dataclass(frozen=True)
class Delivery:
    """The files of a finished video as a worker sent them (paths of temporary files on the server)."""

    video: Path
    thumbnail: Path
    input_image: Path
    recipe: bytes
    keyframe_images: tuple[Path, ...] = ()  # the pictures after the first, in the recipe's order


class WorkerGateway:
    def __init__(self, store: JobStore, archive: Archive, uploads: Path, *, lease_s: float, heartbeat_s: float,
                 broker_heartbeat_timeout_s: float) -> None:
        self.store = store
        self.archive = archive
        self.uploads = uploads
        self.staging = uploads / ".incoming"  # deliveries arrive here, on the archive's disk, then are renamed in
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.broker_heartbeat_timeout_s = broker_heartbeat_timeout_s

    # ---- the worker itself ------------------------------------------------------------------

    def heartbeat(self, report: WorkerReport) -> dict:
        """Record the worker as alive; renew the lease of the job it holds. The answer tells it the
        timing to keep, and whether its job was cancelled (stop it) or lost (drop it).

        A worker's name is its process's while it lives: a worker heard from within one lease period
        keeps it, and a heartbeat of another worker id under that name raises `WorkerNameTaken`."""
        self.store.roster.record_worker(worker_id=report.worker_id, name=report.name, gpu=report.gpu, family=report.family,
                                 models=report.models, loaded_model=report.loaded_model, job_id=report.job_id,
                                 live_since=time.time() - self.lease_s)
        cancel = lost = False
        if report.job_id and report.lease:
            try:
                cancel = self.store.leases.renew(report.job_id, report.lease, self.lease_s).cancel_requested
            except (JobNotFound, IllegalTransition):
                lost = True
        return {"lease_s": self.lease_s, "heartbeat_s": self.heartbeat_s, "cancel": cancel, "lost": lost,
                "broker_heartbeat_timeout_s": self.broker_heartbeat_timeout_s}

    # ---- one job ----------------------------------------------------------------------------

    def claim(self, job_id: str, worker_name: str) -> Job:
        """Claim a queued job for `worker_name`. Raises JobNotFound or IllegalTransition (already
        running, finished or cancelled: the worker acknowledges its message and skips it)."""
        job = self.store.leases.claim(job_id, worker=worker_name, lease_s=self.lease_s)
        log.info("job %s claimed by worker %s (attempt %d)", job_id, worker_name, job.attempts)
        return job

    def held(self, job_id: str, lease: str) -> Job:
        """The running job held with `lease`. Raises JobNotFound, LeaseLost, IllegalTransition."""
        job = self.store.get(job_id)
        if job.status is not JobStatus.RUNNING:
            raise IllegalTransition(f"Job {job_id} is {job.status}; it is not running.")
        if not lease or not secrets.compare_digest(job.lease or "", lease):
            raise LeaseLost(f"Job {job_id} is no longer held by this worker (its lease ran out).")
        return job

    def picture(self, job_id: str, lease: str, keyframe: int = 0) -> Path:
        """The stored picture of a held job (a PNG under the uploads folder); with `keyframe` N ≥ 1,
        its Nth picture after the first (see `jobs.pictures`). Raises KeyError for an N it lacks."""
        job = self.held(job_id, lease)
        if keyframe == 0:
            return self.uploads / job.image
        names = keyframe_names(job.image, job.request)
        if not 1 <= keyframe <= len(names):
            raise KeyError(f"Job {job_id} has {len(names)} picture(s) after the first, not {keyframe}.")
        return self.uploads / names[keyframe - 1]

    def reserve_entry(self, job_id: str, lease: str) -> str:
        """Reserve the archive entry the job's video will be stored under and record it in the job,
        before the worker writes anything (the MP4 embeds its own name). Asking again with the same
        lease returns the same entry."""
        job = self.held(job_id, lease)
        if job.entry:
            return job.entry
        entry = self.archive.allocate(job.request.get("prompt", ""))
        try:
            self.store.set_entry(job_id, entry.name, lease=lease)
        except BaseException:
            self.archive.release(entry)
            raise
        return entry.name

    def progress(self, job_id: str, lease: str, step: int, total: int, eta_s: float | None,
                 preview: bytes | None) -> bool:
        """Record progress (and renew the lease); True when the job's cancel was asked for.
        Raises BadPreview, ValueError for impossible numbers, LeaseLost, IllegalTransition, JobNotFound."""
        job = self.store.update_progress(job_id, step, total, eta_s, preview=check_preview(preview) if preview else None,
                                         lease=lease, lease_s=self.lease_s)
        return bool(job and job.cancel_requested)

    def deliver(self, job_id: str, lease: str, files: Delivery) -> Job:
        """Archive a finished video the worker made for a held job, then mark the job succeeded.
        A repeated delivery of a job this lease already finished returns it unchanged.
        Raises BadDelivery, LeaseLost, IllegalTransition, JobNotFound, OSError (disk full)."""
        done = self._already(job_id, lease, JobStatus.SUCCEEDED)
        if done is not None:
            return done
        job = self.held(job_id, lease)
        if not job.entry:
            raise BadDelivery(f"Job {job_id} has no archive entry reserved; reserve one before delivering.")
        entry = self.archive.entry_named(job.entry)
        recipe = self._recipe(files, entry)
        # Served to browsers from the archive: only pictures of the kind the names promise (never HTML or SVG).
        _check_picture(files.thumbnail, "thumbnail", "JPEG")
        _check_picture(files.input_image, "input picture", "PNG")
        expected = len(job.request.get("keyframes") or ())
        if len(files.keyframe_images) != expected:
            raise BadDelivery(f"Job {job_id} has {expected} picture(s) after the first; {len(files.keyframe_images)} were delivered.")
        for n, path in enumerate(files.keyframe_images, start=1):
            _check_picture(path, f"picture {n + 1}", "PNG")
        staged = [(files.input_image, entry.input_image),
                  *((path, entry.keyframe_image(n)) for n, path in enumerate(files.keyframe_images, start=1)),
                  (files.thumbnail, entry.thumbnail), (files.video, entry.video)]
        for source, target in staged:  # the video last: an entry with its MP4 in place is complete but its recipe
            _move_into(source, target)
        write_json_atomic(entry.recipe, recipe)
        job = self.store.succeed(job_id, {"video": entry.name + ".mp4", "recipe": recipe}, lease=lease)
        log.info("job %s: video %s delivered by worker %s", job_id, entry.name, job.worker)
        return job

    def finish(self, job_id: str, lease: str, status: JobStatus, error: str | None) -> Job:
        """A held job ended without a video (failed or cancelled on the worker): remove what its
        entry holds and record the outcome. Repeating it returns the job unchanged."""
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise ValueError(f"a worker reports failed or cancelled here, not {status}")
        done = self._already(job_id, lease, status)
        if done is not None:
            return done
        job = self.held(job_id, lease)
        if job.entry:
            try:
                self.archive.release(self.archive.entry_named(job.entry))
            except ArchivePathError:
                pass
        if status is JobStatus.CANCELLED:
            return self.store.mark_cancelled(job_id, lease=lease)
        return self.store.fail(job_id, error or "The job failed on its worker.", lease=lease)

    def _already(self, job_id: str, lease: str, status: JobStatus) -> Job | None:
        job = self.store.get(job_id)
        if job.status in FINISHED and lease and job.lease and secrets.compare_digest(job.lease, lease):
            if job.status is status:
                return job
            raise IllegalTransition(f"Job {job_id} already ended as {job.status}.")
        return None

    def _recipe(self, files: Delivery, entry: Entry) -> dict:
        """The delivered recipe, checked against the entry and against the MP4's own embedded copy."""
        try:
            recipe = json.loads(files.recipe.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadDelivery("The recipe is not UTF-8 JSON.") from None
        if not isinstance(recipe, dict) or recipe.get("video") != entry.name + ".mp4":
            raise BadDelivery(f"The recipe must name the reserved video {entry.name}.mp4.")
        try:
            info = probe(files.video)
            embedded = json.loads(info.metadata.get("comment") or "null")
        except Exception as exc:  # noqa: BLE001 - anything that does not probe is not a video
            raise BadDelivery(f"The delivered video cannot be read ({type(exc).__name__}).") from None
        if info.frames < 1 or not isinstance(embedded, dict) or embedded.get("video") != recipe["video"]:
            raise BadDelivery("The delivered video is empty or was made for another entry.")
        return recipe


def _move_into(source: Path, target: Path) -> None:
    """Put the staged file `source` (complete and synced, see `stage`) at `target` in one rename, so a
    reader never sees half a file; across file systems it is copied to a `.part` name first."""
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    source.unlink(missing_ok=True)


def stage(folder: Path, chunks) -> Path:
    """Write an incoming file (an iterable of byte chunks) to a new file in `folder`, synced to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / secrets.token_hex(8)
    with open(path, "wb") as handle:
        handle.writelines(chunks)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def clear_staging(folder: Path) -> None:
    """Remove what deliveries interrupted by a killed server left in the staging folder."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)


DELIVERED_PICTURE_MAX_PIXELS = 64_000_000  # larger than any frame a family makes; bounds the decode


def _check_picture(path: Path, what: str, kind: str) -> None:
    """BadDelivery unless `path` is a whole picture in the format `kind` (JPEG, PNG)."""
    try:
        with Image.open(path, formats=[kind]) as picture:
            if picture.width * picture.height > DELIVERED_PICTURE_MAX_PIXELS:
                raise BadDelivery(f"The delivered {what} is {picture.width}x{picture.height}; far larger than any video frame.")
            picture.load()
    except BadDelivery:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for what is not such a picture
        raise BadDelivery(f"The delivered {what} is not a {kind} picture ({type(exc).__name__}).") from None
