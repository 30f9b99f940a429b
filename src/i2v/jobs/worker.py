"""The worker step, and the one-machine worker that runs it in the server's own process.

`JobRunner` is the step every worker runs, here and on remote GPU machines alike: one job's picture
→ `GenerationService` → an `Outcome`, with progress, the live preview and the cancel check written
through `_progress_writer` to a `ProgressBoard` (the job table here; the server's worker API on a
remote worker, `i2v.jobs.remote_worker`).

`JobWorker` is the in-process dispatcher (I2V_BROKER unset): the one worker that owns this
machine's GPU claims the oldest queued job, runs it, records the outcome. One thread, one job at a
time. Cancellation is cooperative and per job: each job gets its own `threading.Event`, set by
`cancel(job_id)` or noticed from the store between steps, so one teacher's cancel can never stop
another's video.

When the job table cannot be written (a full disk), a job's outcome is kept in memory
(`as_recorded` shows it to every reader meanwhile) and written as soon as the table takes writes
again; until then no new job is claimed.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image

from i2v.engine.base import GenerationCancelled, ModelNotAvailable, NonFiniteError, Progress
from i2v.archive import Entry
from i2v.jobs.previews import LivePreview, encode_preview, read_live
from i2v.jobs.store import IllegalTransition, Job, JobNotFound, JobStatus, JobStore, is_storage_failure
from i2v.request import GenerationRequest, RequestError
from i2v.generation import GenerationService
from i2v.jobs.pictures import load_keyframes

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
    """What only the process running the job holds: its cancel event and its latest preview."""

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


class ProgressBoard(Protocol):
    """Where a running job's progress goes and its cancel flag comes from: the job table
    (`JobStore`), or the server's worker API for a remote worker."""

    def update_progress(self, job_id: str, step: int, total: int, eta_s: float | None, *,
                        preview: bytes | None = None) -> object: ...

    def is_cancel_requested(self, job_id: str) -> bool: ...


@dataclass(frozen=True)
class Outcome:
    """How a job ended, as the worker will record it (`status` is a finished one)."""

    status: JobStatus
    error: str | None = None
    result: dict | None = None
    finished_at: float = field(default_factory=time.time)


class JobRunner:
    """The worker step shared by the in-process worker and remote GPU workers (see the module doc)."""

    progress_every_s = PROGRESS_WRITE_EVERY_S  # how often progress (and the cancel flag) goes to the board

    def __init__(self, store: ProgressBoard, generator: GenerationService) -> None:
        self.store = store
        self.generator = generator
        self.tail_steps = DEFAULT_TAIL_STEPS  # learned from each finished job (see `_learn_tail`)

    def execute(self, job_id: str, request: dict, picture: Callable[[], Image.Image], live: LiveJob, *,
                on_entry: Callable[[Entry], None] | None = None,
                keyframes: Callable[[], list[Image.Image]] = list) -> Outcome:
        """Make the video of job `job_id` (its stored `request`) from the RGB picture `picture()`
        returns (and the pictures after it `keyframes()` returns, one per `request.keyframes`).
        Never raises for a job's own failure: every way a job can end is an `Outcome` with a reason
        a teacher understands."""
        clock = StepClock(self.tail_steps)
        try:
            request = GenerationRequest.model_validate(request)
            image = picture()
            result = self.generator.generate(request, image, on_progress=self._progress_writer(live, clock),
                                             cancel=live.cancel, on_entry=on_entry, keyframes=keyframes())
            self._learn_tail(clock, time.monotonic())
            outcome = Outcome(JobStatus.SUCCEEDED, result={"video": result.entry.name + ".mp4", "recipe": result.recipe})
            log.info("job %s succeeded: %s", job_id, result.entry.name)
        except GenerationCancelled:
            outcome = Outcome(JobStatus.CANCELLED)
            log.info("job %s cancelled", job_id)
        except (ModelNotAvailable, NonFiniteError, MemoryError, RequestError) as exc:
            outcome = Outcome(JobStatus.FAILED, error=str(exc))
            log.warning("job %s failed: %s", job_id, exc)
        except OSError as exc:
            log.exception("job %s could not write its files", job_id)
            outcome = Outcome(JobStatus.FAILED, error=storage_error(exc))
        except sqlite3.Error as exc:
            log.error("job %s: the job table failed (%s)", job_id, exc)
            outcome = Outcome(JobStatus.FAILED, error=table_error(exc))
        except Exception as exc:  # noqa: BLE001 - the worker must survive any one job
            log.exception("job %s crashed", job_id)
            outcome = Outcome(JobStatus.FAILED, error=f"Unexpected error ({type(exc).__name__}: {exc}). The log has details.")
        return outcome

    def _learn_tail(self, clock: StepClock, done: float) -> None:
        """After a job: how long decoding, encoding and writing took, in steps, for the next ETA."""
        per_step, last = clock.step_seconds(), clock.last_mark()
        if per_step and last is not None and per_step > 0:
            self.tail_steps = round(max(done - last, 0.0) / per_step * TAIL_MARGIN, 2)

    def _progress_writer(self, live: LiveJob, clock: StepClock | None = None):
        """The one place a running job's progress goes out: step, total and the job's own ETA
        (`StepClock`), the live preview (as stored progress), and the cancel check, at most every
        `progress_every_s`."""
        clock = clock if clock is not None else StepClock(self.tail_steps)
        last_write = 0.0

        def on_progress(progress: Progress) -> None:
            nonlocal last_write
            live.preview, live.preview_step = progress.preview, progress.step
            now = time.monotonic()
            clock.mark(progress.step, now, progress.elapsed_s)
            if progress.step == progress.total or now - last_write >= self.progress_every_s:
                try:
                    self.store.update_progress(live.job_id, progress.step, progress.total,
                                               clock.eta(progress.step, progress.total),
                                               preview=encode_preview(progress.preview))
                except sqlite3.OperationalError as exc:
                    if is_storage_failure(exc):
                        raise  # the disk is full: the video could not be saved either; end the job now
                    log.warning("job %s: progress not recorded (%s)", live.job_id, exc)  # busy: try next time
                last_write = now
                if self.store.is_cancel_requested(live.job_id):
                    live.cancel.set()

        return on_progress


class JobWorker(JobRunner):
    """The in-process dispatcher (see the module doc); implements `i2v.jobs.dispatch.Dispatcher`."""

    def __init__(self, store: JobStore, generator: GenerationService, uploads: Path) -> None:
        super().__init__(store, generator)
        self.store: JobStore = store
        self.uploads = uploads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: LiveJob | None = None
        self._unrecorded: dict[str, Outcome] = {}  # outcomes the table could not take yet
        self._unrecorded_lock = threading.Lock()
        self._recover: Callable[[], object] | None = None

    # ---- life cycle ----------------------------------------------------------------------

    def start(self, recover: Callable[[], object] | None = None) -> None:
        """Start the loop. `recover`, when given, is start-up recovery that could not run yet (the
        job table was not writable): the loop retries it before claiming any job."""
        self._recover = recover
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

    def dispatch(self, job: Job) -> None:
        """A job was committed as queued: the loop claims it from the table (oldest first)."""
        self.wake()

    # ---- what the API and UI may ask --------------------------------------------------------

    def live(self, job_id: str) -> LivePreview | None:
        """The running job's preview, as stored with its progress (the same for every server process)."""
        return read_live(self.store, job_id)

    def cancel(self, job_id: str) -> None:
        """Stop the running job within one denoising step, if it is this one."""
        live = self._live
        if live is not None and live.job_id == job_id:
            live.cancel.set()

    def as_recorded(self, job: Job) -> Job:
        """`job` as it will be once its outcome is recorded: a job the table still calls running is
        shown finished while its outcome waits for the table to take writes again."""
        outcome = self._unrecorded.get(job.id)
        if outcome is None or job.status is not JobStatus.RUNNING:
            return job
        return dataclasses.replace(job, status=outcome.status, error=outcome.error, result=outcome.result,
                                   finished_at=outcome.finished_at, eta_s=None)

    @property
    def unrecorded(self) -> int:
        """How many finished jobs wait for the job table to take their outcome."""
        return len(self._unrecorded)

    # ---- the loop ----------------------------------------------------------------------------

    def _loop(self) -> None:
        failing = False  # log a failing table once per spell, not every few seconds
        while not self._stop.is_set():
            try:
                if self._recover is not None:
                    self._recover()
                    self._recover = None
                if not self._flush_unrecorded():
                    self._stop.wait(TABLE_RETRY_S)
                    continue
                job = self.store.claim_next()
                failing = False
                if job is None:
                    self._wake.wait(IDLE_POLL_S)
                    self._wake.clear()
                    continue
                self._run(job)
            except Exception as exc:  # noqa: BLE001 - the job table itself failed (disk full, locked): keep the worker alive
                if not failing:
                    if is_storage_failure(exc):
                        log.error("worker: the job table cannot be written (%s); retrying every %.0f s", exc, TABLE_RETRY_S)
                    else:
                        log.exception("worker: the job table failed; retrying every %.0f s", TABLE_RETRY_S)
                failing = True
                self._stop.wait(TABLE_RETRY_S)

    def _run(self, job: Job) -> None:
        live = LiveJob(job.id)
        self._live = live
        log.info("job %s started (attempt %d)", job.id, job.attempts)
        try:
            outcome = self.execute(job.id, job.request, lambda: self._picture(job), live,
                                   on_entry=lambda entry: self._own(job.id, entry),
                                   keyframes=lambda: load_keyframes(self.uploads, job.image, job.request))
        finally:
            self._live = None
        self._record(job.id, outcome)

    def _picture(self, job: Job) -> Image.Image:
        with Image.open(self.uploads / job.image) as stored:
            return stored.convert("RGB")

    def _own(self, job_id: str, entry: Entry) -> None:
        self.store.set_entry(job_id, entry.name)

    # ---- recording outcomes ------------------------------------------------------------------

    def _write(self, job_id: str, outcome: Outcome) -> None:
        if outcome.status is JobStatus.SUCCEEDED:
            self.store.succeed(job_id, outcome.result or {})
        elif outcome.status is JobStatus.CANCELLED:
            self.store.mark_cancelled(job_id)
        else:
            self.store.fail(job_id, outcome.error or "The job failed.")

    def _record(self, job_id: str, outcome: Outcome) -> bool:
        """Write `outcome`; keep it for later if the table cannot take it now. True once written
        (or moot: the job is gone or already finished)."""
        try:
            self._write(job_id, outcome)
        except sqlite3.Error as exc:
            with self._unrecorded_lock:
                first = job_id not in self._unrecorded
                self._unrecorded[job_id] = outcome
            if first:
                log.error("job %s ended %s, but the job table cannot record it yet (%s); retrying", job_id,
                          outcome.status, exc)
            return False
        except (JobNotFound, IllegalTransition) as exc:
            log.warning("job %s: outcome %s not recorded (%s)", job_id, outcome.status, exc)
        except Exception:  # noqa: BLE001 - e.g. a result that is not JSON: record a failure instead
            log.exception("job %s: could not record its outcome", job_id)
            if outcome.status is not JobStatus.FAILED:
                return self._record(job_id, Outcome(
                    JobStatus.FAILED, error="The server could not record this job's result. The log has details."))
        with self._unrecorded_lock:
            self._unrecorded.pop(job_id, None)
        return True

    def _flush_unrecorded(self) -> bool:
        """Try to write every kept outcome; True when none is left."""
        for job_id, outcome in list(self._unrecorded.items()):
            if not self._record(job_id, outcome):
                return False
            log.info("job %s: outcome %s recorded after the job table recovered", job_id, outcome.status)
        return True


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


def table_error(exc: sqlite3.Error) -> str:
    """The user-facing reason for a job that ended because the job table could not be written."""
    if is_storage_failure(exc):
        return ("The server's disk is full, so this job could not go on (its progress and video could not be "
                "saved). Earlier videos are safe. Ask the operator to free space, then queue it again.")
    return f"The job table could not be updated ({exc}). Queue the job again; the log has details."
