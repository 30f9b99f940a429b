"""The composition root: builds each service once and starts/stops them in order."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from i2v.archive import Archive
from i2v.engine.host import EngineHost
from i2v.jobs.recovery import recover_interrupted
from i2v.jobs.service import JobService
from i2v.jobs.store import JobStore, is_storage_failure
from i2v.jobs.worker import JobWorker
from i2v.lessons.service import LessonService
from i2v.service import GenerationService
from i2v.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    host: EngineHost
    archive: Archive
    store: JobStore
    worker: JobWorker
    jobs: JobService
    lessons: LessonService

    @classmethod
    def build(cls, settings: Settings) -> Services:
        settings.home.mkdir(parents=True, exist_ok=True)
        host = EngineHost(settings)
        archive = Archive(settings.home)
        store = JobStore(settings.db_path)
        worker = JobWorker(store, GenerationService(host, archive), settings.home / "uploads")
        jobs = JobService(store, worker, archive, settings, estimate=host.estimate_seconds)
        lessons = LessonService(settings, archive, jobs, offered=lambda: [choice.id for choice in jobs.models()])
        return cls(settings, host, archive, store, worker, jobs, lessons)

    def recover(self) -> None:
        """Adopt or remove what a killed server left (jobs, videos, uploads); see `i2v.jobs.recovery`."""
        recover_interrupted(self.store, self.archive, self.settings.home / "uploads")

    def start(self) -> None:
        """Recover what a dead process left, load the model in the background, start the worker and
        the lesson feeder.

        On a disk too full to write the job table, recovery is left to the worker, which retries it
        before claiming any job; the server meanwhile answers reads (read-only)."""
        deferred = None
        try:
            self.recover()
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            log.warning("start-up recovery postponed until the job table can be written: %s", exc)
            deferred = self.recover
        self.host.start_background_load()
        self.worker.start(recover=deferred)
        self.lessons.start()

    def stop(self) -> None:
        self.lessons.stop()
        self.worker.stop()
        self.store.close()
