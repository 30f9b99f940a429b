"""The job service: what the HTTP API and the web UI both call. Neither keeps a queue of its own.

Validates a submission fully before it is queued (a job in the table is always runnable), stores
the normalised picture, records the job, then hands it to the dispatcher (`i2v.jobs.dispatch`:
the server's own worker, or GPU workers on other machines through a broker). How a job looks to
clients is the web layer's (`i2v.web.views`).

A submission is refused as early and as cheaply as possible: its settings, the queue limits and
the free disk space are checked before its picture is decoded (the expensive part), and the picture
is stored as pixels only, reduced by `load_image` to what any preset needs (see
`i2v.image_input.MAX_SHORT_SIDE`), as a quickly written PNG: lossless, so the stored picture is
exactly what the CLI would have used for the same file.
"""

from __future__ import annotations

import io
import logging
import secrets
import shutil
import sqlite3
import threading
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from i2v.files import write_bytes_atomic
from i2v.archive import Archive, ArchivePathError
from i2v.image_input import ImageInputError, aspect_warning, load_image
from i2v.jobs.pictures import upload_names
from i2v.jobs.dispatch import Dispatcher
from i2v.jobs.ownership import NotYourJob, may_change
from i2v.jobs.retention import Retention
from i2v.jobs.store import FINISHED, Job, JobStatus, JobStore
from i2v.post.deliver import deliver
from i2v.post.spec import PostSpec
from i2v.continuation import continuation_request, load_parent
from i2v.engine.registry import offered_models, parse_request, spec_for as family_spec_for
from i2v.request import GenerationRequest
from i2v.settings import Settings
from i2v import errors
from i2v.errors import Busy, Conflict

log = logging.getLogger(__name__)
EXPORT_SLOTS = 2  # exports running at once; more are refused with ExportsBusy
UPLOAD_PNG_LEVEL = 1  # zlib level of stored pictures: 2.5× faster than the default 6 for ~15 % more bytes
FULL_BELOW_BYTES = 2**20  # less free space than this is "the disk is full" in health


class ExportsBusy(Busy):
    """Every export slot is taken; the message asks the user to try again shortly."""


class ExtendElsewhere(Conflict):
    """An extension asked of a server whose jobs run on other machines."""


class StorageFull(errors.StorageFull):
    """The archive's disk is nearly full (below I2V_MIN_FREE_MB): no new job until space is freed."""


class StorageState(BaseModel):
    """The archive disk as health reports it: `state` is ok, low (new jobs refused below
    I2V_MIN_FREE_MB) or full (nothing can be recorded), with a sentence for the operator."""

    state: str
    free_mb: float
    detail: str


class Estimator(Protocol):
    def __call__(self, request: GenerationRequest, width: int, height: int, *, after: str | None = None) -> float | None:
        """Expected seconds of one run of a completed request for a picture of width×height, when
        the model resident before it is `after`; None when unknown."""


def picture_name(position: float) -> str:
    """How messages name a picture after the first."""
    return "the end picture" if position == 1 else f"the picture at {position:g}"


class JobService:
    def __init__(
        self, store: JobStore, dispatcher: Dispatcher | None, archive: Archive, settings: Settings, *,
        estimate: Estimator | None = None,
    ) -> None:
        self.store = store
        self.estimate = estimate
        self.dispatcher = dispatcher  # None in tests that run nothing
        self.archive = archive
        self.settings = settings
        self.uploads = settings.home / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)
        # Exports are CPU work beside generation: a few at a time, so they cannot occupy every
        # thread the server answers requests with (progress, submissions) on a small machine.
        self._export_slots = threading.BoundedSemaphore(EXPORT_SLOTS)
        self.retention = Retention(store, archive, settings, delete_job=self.delete)

    def admit(self, fields: dict[str, Any], client: str) -> GenerationRequest:
        """The cheap checks of a submission, before its picture is touched: the settings (raises
        RequestError), this client's and the whole queue's limits (QueueFull) and the free disk
        space (StorageFull). Returns the seeded request."""
        request = self.complete(fields).with_seed()
        self.store.check_room(client=client, max_queued=self.settings.max_queued,
                              max_per_client=self.settings.max_queued_per_client)
        self.check_free_space()
        return request

    def submit(self, image: bytes, fields: dict[str, Any], client: str,
               keyframes: Sequence[tuple[float, bytes]] = (), warnings: list[str] | None = None) -> Job:
        """Queue a job. Raises RequestError/ImageInputError (the submitter's to fix), QueueFull, or
        StorageFull (its own kind, not a QueueFull) when the disk has less than `min_free_mb` free or the job table
        cannot be written. The checks that cost nothing run first (`admit`), the decoding last.

        `keyframes`: (position 0–1, file bytes) of each picture after the first (1 = the end
        picture); each gets the first picture's checks and reduction, and is stored beside it
        (`jobs.pictures`). The warnings of `submission_warnings` are kept on the returned job."""
        keyframes = sorted(keyframes, key=lambda item: item[0])
        fields = {**fields, "keyframes": [position for position, _ in keyframes]}
        request = self.admit(fields, client)
        try:
            self.retention.apply()
        except (OSError, ValueError, sqlite3.Error):  # retention must never stop a teacher's submission
            log.exception("retention failed")
        self.check_free_space()  # again: retention may have made room
        limits = {"max_pixels": self.settings.max_image_pixels, "max_bytes": self.settings.max_upload_mb * 2**20}
        picture = load_image(image, **limits)
        later = []
        for position, data in keyframes:
            try:
                later.append(load_image(data, **limits))
            except ImageInputError as exc:
                raise ImageInputError(f"{picture_name(position).capitalize()}: {exc}") from None
        name = f"{secrets.token_hex(8)}.png"
        names = upload_names(name, request.model_dump())
        try:
            for file_name, stored in zip(names, [picture, *later]):
                buffer = io.BytesIO()
                stored.save(buffer, format="PNG", compress_level=UPLOAD_PNG_LEVEL)
                write_bytes_atomic(self.uploads / file_name, buffer.getvalue())
        except OSError as exc:  # disk full or folder not writable: the operator's to fix, not a crash
            log.error("could not store an upload: %s", exc)
            for file_name in names:
                (self.uploads / file_name).unlink(missing_ok=True)
            raise StorageFull(
                f"The server could not store the picture ({exc.strerror or exc}). Ask the operator to free disk "
                "space or check the archive folder, then try again."
            ) from None
        warning = aspect_warning(picture, [(picture_name(p), k) for (p, _), k in zip(keyframes, later)])
        if warning and warnings is not None:
            warnings.append(warning)
        try:
            job = self.store.create(
                request=request.model_dump(), image=name, client=client,
                max_queued=self.settings.max_queued, max_per_client=self.settings.max_queued_per_client,
                eta_s=self.estimate(request, *picture.size, after=self._model_before_new_job()) if self.estimate else None,
            )
        except Exception as exc:
            for file_name in names:
                (self.uploads / file_name).unlink(missing_ok=True)
            if isinstance(exc, sqlite3.OperationalError):  # disk full, or the job table busy for 10 s
                log.error("could not record a job: %s", exc)
                raise StorageFull(f"The server could not record the job ({exc}). Try again in a minute; if it "
                                  "keeps happening, ask the operator to check free disk space.") from None
            raise
        if self.dispatcher is not None:
            self.dispatcher.dispatch(job)
        log.info("job %s queued by %s at position %s", job.id, client, job.position)
        return job

    def complete(self, fields: dict[str, Any]) -> GenerationRequest:
        """The request from untrusted fields, with its model (one this server offers; the default
        when it names none) and that family's defaults filled in. Raises RequestError naming the
        family's rule."""
        return parse_request(fields, self.settings.model, self.models() if fields.get("model") else None)

    def models(self):
        """The models jobs may choose on this server (see `engine.registry.offered_models`)."""
        return offered_models(self.settings.model, self.settings.extra_models)

    def _model_before_new_job(self) -> str | None:
        """The model resident when a job queued now starts: the newest waiting job's, else the
        running job's; None when the queue is empty (the loaded model)."""
        for job in self.store.list(limit=1, statuses=[JobStatus.QUEUED]) or self.store.list(limit=1, statuses=[JobStatus.RUNNING]):
            return job.request.get("model")
        return None

    def check_free_space(self) -> None:
        """Raise StorageFull while the archive's disk has less than `min_free_mb` MB free."""
        free = shutil.disk_usage(self.archive.root).free
        if free < self.settings.min_free_mb * 2**20:
            raise StorageFull(
                f"The server's disk is almost full ({free / 2**20:.0f} MB free, at least {self.settings.min_free_mb} MB "
                "needed). Ask the operator to delete old videos, then try again."
            )

    def storage(self) -> StorageState:
        """The archive disk's state for health: full when the job table cannot be written (or under
        FULL_BELOW_BYTES free), low below I2V_MIN_FREE_MB."""
        try:
            free = shutil.disk_usage(self.archive.root).free
        except OSError:
            free = 0
        free_mb = round(free / 2**20, 1)
        unrecorded = self.dispatcher.unrecorded if self.dispatcher is not None else 0
        if self.store.read_only or unrecorded or free < FULL_BELOW_BYTES:
            return StorageState(state="full", free_mb=free_mb, detail=(
                f"The disk is full ({free_mb:g} MB free under I2V_HOME): new jobs are refused and results cannot be "
                "recorded until space is freed. Earlier videos can still be watched."))
        if free < self.settings.min_free_mb * 2**20:
            return StorageState(state="low", free_mb=free_mb, detail=(
                f"The disk is almost full ({free_mb:g} MB free, I2V_MIN_FREE_MB is {self.settings.min_free_mb}): "
                "new jobs are refused until space is freed."))
        return StorageState(state="ok", free_mb=free_mb, detail="")

    def check_owner(self, job: Job, client: str | None) -> None:
        """Only the computer that queued a job, or the operator, may cancel or delete it
        (`i2v.jobs.ownership`). Raises NotYourJob."""
        if not may_change(job.client, client):
            raise NotYourJob(
                f"Job {job.id} was queued from another computer; only that computer, or the operator at the "
                "server itself, can cancel or delete it."
            )

    def get(self, job_id: str) -> Job:
        """The job as every client should see it: an outcome the worker could not record yet (full
        disk) is shown as if it were. Raises JobNotFound."""
        return self._as_recorded(self.store.get(job_id))

    def history(self, *, limit: int = 20, offset: int = 0) -> list[Job]:
        return [self._as_recorded(job) for job in self.store.list(limit=limit, offset=offset)]

    def _as_recorded(self, job: Job) -> Job:
        return job if self.dispatcher is None else self.dispatcher.as_recorded(job)

    def cancel(self, job_id: str, client: str | None = None) -> Job:
        """Cancel (idempotent: a finished job is returned unchanged). `client` None means the operator."""
        job = self.get(job_id)
        self.check_owner(job, client)
        if job.status in FINISHED:
            return job
        job = self.store.cancel(job_id)
        if job.status == JobStatus.RUNNING:
            self.dispatcher.cancel(job_id)
        return job

    def delete(self, job_id: str, client: str | None = None) -> Job:
        """Remove a finished job and its files from the archive (refused while it is queued or running)."""
        self.check_owner(self.get(job_id), client)
        job = self.store.delete(job_id)
        if job.result and job.result.get("video"):
            try:
                entry = self.archive.entry_for(job.result["video"])
            except ArchivePathError:
                entry = None
            if entry is not None:
                for path in entry.root.joinpath(entry.stem.parent).glob(entry.stem.name + "*"):
                    path.unlink(missing_ok=True)
        for name in upload_names(job.image, job.request):
            (self.uploads / name).unlink(missing_ok=True)
        return job

    def extend(self, job_id: str, seconds: float, client: str, *, prompt: str | None = None, seed: int | None = None) -> Job:
        """Queue a continuation of a finished job's video (`i2v.continuation`): the same model and settings,
        its last frame as the picture, `request.extends` naming the video. Raises ArchivePathError (no
        video), ExtendError (no recipe, a length out of range), Conflict on a server whose jobs run on
        other machines (they do not hold the archive the continuation starts from), and what `submit` raises."""
        if self.settings.broker:
            raise ExtendElsewhere("Extending a video runs on this server's own GPU; this server hands its jobs to "
                                  "GPU machines, which do not hold the archive. Extend it with `i2v extend` there.")
        job = self.store.get(job_id)
        parent = load_parent(self.video_file(job))
        model = (parent.recipe.get("request") or {}).get("model")
        request = continuation_request(parent, seconds, family_spec_for(model).frames.nearest, prompt=prompt, seed=seed)
        buffer = io.BytesIO()
        parent.last_frame.save(buffer, format="PNG")
        fields = {**request.model_dump(exclude_none=True, exclude={"keyframes"}), "extends": job.result["video"]}
        return self.submit(buffer.getvalue(), fields, client)

    def video_file(self, job: Job) -> Path:
        """The job's MP4, resolved safely inside the archive."""
        if job.status != JobStatus.SUCCEEDED or not job.result:
            raise ArchivePathError(f"job {job.id} has no video ({job.status})")
        return self.archive.resolve(job.result["video"])

    def export(self, job_id: str, spec: PostSpec, formats: list[str], *, gif_max_mb: float = 8.0) -> Job:
        """Post-process the job's video with `spec` and write `formats` of the result; returns the job
        with `result["exports"]` replaced by this export's files: format → archive-relative path, plus
        "video" for the processed MP4 when `spec` changes anything. The generated video is never
        modified; files are written beside it, so deleting the job removes them too.

        CPU-bound (seconds to a minute): call it off the event loop. Raises JobNotFound,
        ArchivePathError (the job has no video, or it is gone from the archive), ValueError (an
        unknown format, a GIF that cannot fit `gif_max_mb`, a spec the clip cannot take),
        ExportsBusy (busy, not a QueueFull) while EXPORT_SLOTS other exports are running.
        """
        video = self.video_file(self.store.get(job_id))
        if not self._export_slots.acquire(blocking=False):
            raise ExportsBusy("Other videos are being exported right now. Try again in a minute.")
        try:
            delivery = deliver(video, spec, formats, gif_max_mb=gif_max_mb)
        except FileNotFoundError as exc:  # the video vanished, or a pack's recipe is missing
            raise ArchivePathError(str(exc)) from None
        finally:
            self._export_slots.release()
        files = dict(delivery.files)
        if not spec.is_identity:
            files["video"] = delivery.video
        exports = {name: path.resolve().relative_to(self.archive.root).as_posix() for name, path in files.items()}
        log.info("job %s exported %s", job_id, ", ".join(exports) or "nothing")
        return self.store.update_result(job_id, {"exports": exports})

    def export_file(self, job: Job, name: str) -> Path:
        """The file of the job's export `name` (see `export`), resolved safely inside the archive.
        Raises ArchivePathError when the job has no such export or its file is gone."""
        exports = (job.result or {}).get("exports") if job.status == JobStatus.SUCCEEDED else None
        relative = exports.get(name) if isinstance(exports, dict) else None
        if not isinstance(relative, str):
            raise ArchivePathError(f"job {job.id} has no {name!r} export; make it first")
        return self.archive.resolve(relative)

    def thumbnail_file(self, job: Job) -> Path:
        return self.archive.resolve(Path(self.video_file(job)).relative_to(self.archive.root).with_suffix(".jpg"))

    def wait_seconds(self, job: Job) -> float | None:
        """Seconds until a queued job is done: what is left of the running job, the estimates of
        the jobs ahead of it, and its own. None when any of them is unknown (an honest blank)."""
        ahead = [j for j in self.store.list(limit=self.settings.max_queued + 1, statuses=[JobStatus.RUNNING, JobStatus.QUEUED])
                 if j.status == JobStatus.RUNNING or (j.position or 0) < (job.position or 0)]
        parts = [j.eta_s for j in ahead] + [job.eta_s]
        return None if any(p is None for p in parts) else round(sum(parts), 1)

