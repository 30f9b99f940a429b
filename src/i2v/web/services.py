"""The composition root: builds each service once and starts/stops them in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from i2v.archive import Archive
from i2v.engine.host import EngineHost
from i2v.jobs.service import JobService
from i2v.jobs.store import JobStore
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

    def start(self) -> None:
        """Recover jobs a dead process left running, load the model in the background, start the worker
        and the lesson feeder."""
        for job in self.store.recover():
            log.warning("job %s was running when the server stopped: now %s", job.id, job.status)
        for path in self.archive.sweep_incomplete():
            log.warning("removed %s, left half-made by a job that was interrupted", path)
        self.host.start_background_load()
        self.worker.start()
        self.lessons.start()

    def stop(self) -> None:
        self.lessons.stop()
        self.worker.stop()
