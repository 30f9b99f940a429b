"""The one worker that owns the GPU: claims the oldest queued job, runs it, records the outcome.

One thread, one job at a time. Cancellation is cooperative and per job: each job gets its own
`threading.Event`, set by `cancel(job_id)` or noticed from the store between steps, so one
teacher's cancel can never stop another's video.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from i2v.engine.base import GenerationCancelled, ModelNotAvailable, NonFiniteError, Progress
from i2v.jobs.store import Job, JobStore
from i2v.request import GenerationRequest, RequestError
from i2v.service import GenerationService

log = logging.getLogger(__name__)
IDLE_POLL_S = 0.25
PROGRESS_WRITE_EVERY_S = 0.5
TABLE_RETRY_S = 2.0


@dataclass
class LiveJob:
    """What only the running process knows about the running job (the preview picture)."""

    job_id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    preview: Image.Image | None = None
    preview_step: int = 0


class JobWorker:
    def __init__(self, store: JobStore, generator: GenerationService, uploads: Path) -> None:
        self.store = store
        self.generator = generator
        self.uploads = uploads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: LiveJob | None = None

    # ---- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="i2v-gpu-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._live is not None:
            self._live.cancel.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    # ---- what the API and UI may ask --------------------------------------------------------

    def live(self, job_id: str) -> LiveJob | None:
        live = self._live
        return live if live is not None and live.job_id == job_id else None

    def cancel(self, job_id: str) -> None:
        """Stop the running job within one denoising step, if it is this one."""
        live = self.live(job_id)
        if live is not None:
            live.cancel.set()

    # ---- the loop ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = None
            try:
                job = self.store.claim_next()
                if job is None:
                    self._wake.wait(IDLE_POLL_S)
                    self._wake.clear()
                    continue
                self._run(job)
            except Exception:  # noqa: BLE001 - the job table itself failed (disk full, locked): keep the worker alive
                log.exception("worker: the job table failed; retrying in %.0f s", TABLE_RETRY_S)
                self._stop.wait(TABLE_RETRY_S)
                if job is not None:
                    try:  # best effort; otherwise the next start's recover() deals with it
                        self.store.fail(job.id, "The server could not record this job's result (is the disk full?). "
                                                "Earlier videos are safe. Queue it again.")
                    except Exception:  # noqa: BLE001
                        log.exception("worker: job %s stays running until the next start", job.id)

    def _run(self, job: Job) -> None:
        live = LiveJob(job.id)
        self._live = live
        log.info("job %s started (attempt %d)", job.id, job.attempts)
        try:
            request = GenerationRequest.model_validate(job.request)
            with Image.open(self.uploads / job.image) as stored:
                image = stored.convert("RGB")
            result = self.generator.generate(request, image, on_progress=self._progress_writer(live), cancel=live.cancel)
            self.store.succeed(job.id, {"video": result.entry.name + ".mp4", "recipe": result.recipe})
            log.info("job %s succeeded: %s", job.id, result.entry.name)
        except GenerationCancelled:
            self.store.mark_cancelled(job.id)
            log.info("job %s cancelled", job.id)
        except (ModelNotAvailable, NonFiniteError, MemoryError, RequestError) as exc:
            self.store.fail(job.id, str(exc))
            log.warning("job %s failed: %s", job.id, exc)
        except OSError as exc:
            log.exception("job %s could not write its files", job.id)
            self.store.fail(job.id, storage_error(exc))
        except Exception as exc:  # noqa: BLE001 - the worker must survive any one job
            log.exception("job %s crashed", job.id)
            self.store.fail(job.id, f"Unexpected error ({type(exc).__name__}: {exc}). The log has details.")
        finally:
            self._live = None

    def _progress_writer(self, live: LiveJob):
        last_write = 0.0

        def on_progress(progress: Progress) -> None:
            nonlocal last_write
            live.preview, live.preview_step = progress.preview, progress.step
            now = time.monotonic()
            if progress.step == progress.total or now - last_write >= PROGRESS_WRITE_EVERY_S:
                self.store.update_progress(live.job_id, progress.step, progress.total, progress.eta_s)
                last_write = now
                if self.store.is_cancel_requested(live.job_id):
                    live.cancel.set()

        return on_progress


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def storage_error(exc: OSError) -> str:
    """The user-facing reason for a file error during a job (disk full, archive not writable, …)."""
    if exc.errno in DISK_FULL:
        return ("The server's disk is full, so the video could not be saved. Earlier videos are safe. "
                "Ask the operator to free space, then queue it again.")
    if exc.errno in NOT_WRITABLE:
        return ("The archive folder is not writable, so the video could not be saved. Earlier videos are safe. "
                "Ask the operator to check the folder's permissions (I2V_HOME), then queue it again.")
    return f"A file could not be read or written ({exc.strerror or exc}). The log has details."
