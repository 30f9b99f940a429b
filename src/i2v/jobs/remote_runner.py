"""What a remote worker runs for each job: the shared worker step (`JobRunner`) against the server's
worker API, with a scratch archive whose entry names the server reserves (see `i2v.jobs.remote_worker`)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from i2v.archive import Archive, Entry
from i2v.jobs.worker_gateway import WorkerReport
from i2v.jobs.status import JobStatus
from i2v.jobs.worker import JobRunner, LiveJob, Outcome
from i2v.jobs.worker_client import Identity, ServerRefused, Skip, WorkerClient

log = logging.getLogger(__name__)


class RemoteArchive(Archive):
    """The worker's local scratch archive. The entry name comes from the server, which reserves it
    in the real archive, so the MP4's embedded recipe names the file the server will store."""

    def __init__(self, root: Path, client: WorkerClient) -> None:
        super().__init__(root)
        self.client = client
        self.job_id: str | None = None  # the job the next `allocate` is for
        self.last: Entry | None = None

    def allocate(self, prompt: str, when: datetime | None = None) -> Entry:
        if self.job_id is None:
            raise RuntimeError("no job to reserve an archive entry for")
        entry = Entry(self.root, Path(self.client.reserve_entry(self.job_id)))
        try:
            local = self.entry_named(entry.name)  # the server's answer is a name, checked like any other
        except ValueError:
            raise RuntimeError(f"the server reserved an unusable entry name {entry.name[:80]!r}") from None
        local.recipe.parent.mkdir(parents=True, exist_ok=True)
        local.recipe.write_text("{}", encoding="utf-8")
        self.last = local
        return local


class RemoteRunner(JobRunner):
    """Runs one job per message with the shared worker step (see the module doc)."""

    progress_every_s = 0.0  # every step: the answer carries the cancel flag, so a cancel stops within one step

    def __init__(self, client: WorkerClient, generator, identity: Identity) -> None:
        super().__init__(client, generator)
        self.client = client
        self.identity = identity
        self.archive: RemoteArchive = generator.archive
        self.current: tuple[str, LiveJob] | None = None
        self.jobs_done = 0

    def report(self) -> WorkerReport:
        job_id = self.current[0] if self.current else None
        return self.identity.report(self.generator.host.loaded_model, job_id,
                                    self.client.leases.get(job_id) if job_id else None)

    def handle(self, job_id: str) -> None:
        """The Dramatiq actor: one job id. Returns normally in every case (the message is acknowledged);
        a job this worker could not finish is the server's to re-queue when its lease runs out."""
        from dramatiq.middleware.time_limit import TimeLimitExceeded

        try:
            job = self.client.claim(job_id, self.identity.worker_id)
        except Skip as exc:
            log.info("job %s skipped: %s", job_id, exc)
            return
        live = LiveJob(job_id)
        self.current = (job_id, live)
        self.archive.job_id = job_id
        started = time.monotonic()
        log.info("job %s claimed (attempt %d)", job_id, job["attempts"])
        try:
            try:
                count = len(job["request"].get("keyframes") or ())
                outcome = self.execute(job_id, job["request"], lambda: self.client.picture(job_id), live,
                                       keyframes=lambda: [self.client.picture(job_id, n) for n in range(1, count + 1)])
            except TimeLimitExceeded:
                outcome = Outcome(JobStatus.FAILED, error=(
                    f"The video took longer than its time limit ({time.monotonic() - started:.0f} s) and was stopped. "
                    "Try fewer frames, steps or a smaller resolution."))
            if self.client.stop.is_set() and outcome.status is JobStatus.CANCELLED and job_id not in self.client.cancelled:
                log.warning("job %s interrupted by the worker stopping; the server re-queues it", job_id)
                return
            self._report(job_id, outcome)
        except (Skip, ServerRefused) as exc:
            log.warning("job %s: the server did not take its outcome (%s)", job_id, exc)
        finally:
            self.current = None
            self.archive.job_id = None
            if self.archive.last is not None:
                self.archive.discard(self.archive.last)
                self.archive.last = None
            self.client.forget(job_id)
            self.jobs_done += 1

    def _report(self, job_id: str, outcome: Outcome) -> None:
        if job_id in self.client.lost:
            log.warning("job %s was given to another worker meanwhile; its result is dropped", job_id)
            return
        if outcome.status is JobStatus.SUCCEEDED and self.archive.last is not None:
            try:
                self.client.deliver(job_id, self.archive.last)
                return
            except ServerRefused as exc:  # e.g. 507: the server's disk is full
                outcome = Outcome(JobStatus.FAILED, error=exc.detail)
        self.client.finish(job_id, outcome)
