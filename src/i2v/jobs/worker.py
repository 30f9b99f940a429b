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
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from i2v.engine.base import GenerationCancelled, ModelNotAvailable, NonFiniteError, Progress
from i2v.jobs.store import Job, JobStore
from i2v.request import GenerationRequest
from i2v.service import GenerationService

log = logging.getLogger(__name__)
IDLE_POLL_S = 0.25
PROGRESS_WRITE_EVERY_S = 0.5
TABLE_RETRY_S = 2.0
RECENT_STEPS = 5  # the ETA's rate is the mean of this many latest step durations
# What follows the last step (decoding the frames, encoding the video, writing the archive), in
# units of one step's time, until this process has timed a job of its own. Measured here: 0.3–1.0
# for the test model (256p–512p, 8–16 frames), ≈0.75 for the full-size model at 128 px (decode
# 1.1 s per frame against a 12 s step); 1.5 keeps the first job's ETA from undershooting.
DEFAULT_TAIL_STEPS = 1.5
TAIL_MARGIN = 1.25  # a measured tail is stretched by this much: the ETA should err long, not short


@dataclass
class LiveJob:
    """What only the running process knows about the running job (the preview picture)."""

    job_id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    preview: Image.Image | None = None
    preview_step: int = 0


@dataclass
class StepClock:
    """The ETA of a running job from its own steps: the mean duration of its latest
    `RECENT_STEPS` steps times the steps left, plus `tail_steps` such steps for what comes after
    the loop. Family-neutral: it knows only when each step ended."""

    tail_steps: float = DEFAULT_TAIL_STEPS
    marks: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=RECENT_STEPS + 1))

    def mark(self, step: int, now: float, elapsed_s: float | None = None) -> None:
        """Step `step` ended at `now` (monotonic seconds). On the first mark, `elapsed_s` (the
        engine's time since its loop began) dates the loop's start, so one step is enough."""
        if not self.marks and elapsed_s is not None and step >= 1:
            self.marks.append((0, now - elapsed_s))
        self.marks.append((step, now))

    def step_seconds(self) -> float | None:
        """Mean seconds per step over the latest steps; None before a step has been timed."""
        if len(self.marks) < 2:
            return None
        (first_step, first_t), (last_step, last_t) = self.marks[0], self.marks[-1]
        steps = last_step - first_step
        return (last_t - first_t) / steps if steps > 0 else None

    def eta(self, step: int, total: int) -> float | None:
        """Seconds until the video is written; None until a step has been timed."""
        per_step = self.step_seconds()
        if per_step is None:
            return None
        return round(per_step * (max(total - step, 0) + self.tail_steps), 1)

    def last_mark(self) -> float | None:
        return self.marks[-1][1] if self.marks else None


class JobWorker:
    def __init__(self, store: JobStore, generator: GenerationService, uploads: Path) -> None:
        self.store = store
        self.generator = generator
        self.uploads = uploads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: LiveJob | None = None
        self.tail_steps = DEFAULT_TAIL_STEPS  # learned from each finished job (see `_learn_tail`)

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
        clock = StepClock(self.tail_steps)
        try:
            request = GenerationRequest.model_validate(job.request)
            with Image.open(self.uploads / job.image) as stored:
                image = stored.convert("RGB")
            result = self.generator.generate(request, image, on_progress=self._progress_writer(live, clock),
                                             cancel=live.cancel)
            self._learn_tail(clock, time.monotonic())
            self.store.succeed(job.id, {"video": result.entry.name + ".mp4", "recipe": result.recipe})
            log.info("job %s succeeded: %s", job.id, result.entry.name)
        except GenerationCancelled:
            self.store.mark_cancelled(job.id)
            log.info("job %s cancelled", job.id)
        except (ModelNotAvailable, NonFiniteError, MemoryError) as exc:
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

    def _learn_tail(self, clock: StepClock, done: float) -> None:
        """After a job: how long decoding, encoding and writing took, in steps, for the next ETA."""
        per_step, last = clock.step_seconds(), clock.last_mark()
        if per_step and last is not None and per_step > 0:
            self.tail_steps = round(max(done - last, 0.0) / per_step * TAIL_MARGIN, 2)

    def _progress_writer(self, live: LiveJob, clock: StepClock | None = None):
        """The engine's step callback: keeps the preview, times the step, and writes step, total
        and the job's own ETA (`StepClock`) to the table at most every PROGRESS_WRITE_EVERY_S."""
        clock = clock if clock is not None else StepClock(self.tail_steps)
        last_write = 0.0

        def on_progress(progress: Progress) -> None:
            nonlocal last_write
            live.preview, live.preview_step = progress.preview, progress.step
            now = time.monotonic()
            clock.mark(progress.step, now, progress.elapsed_s)
            if progress.step == progress.total or now - last_write >= PROGRESS_WRITE_EVERY_S:
                self.store.update_progress(live.job_id, progress.step, progress.total, clock.eta(progress.step, progress.total))
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
