"""The composition root: builds each service once and starts/stops them in order.

One machine (I2V_BROKER unset): the in-process worker (`JobWorker`) runs every job. Several
machines: the `BrokerDispatcher` sends job ids through Redis to GPU workers, which reach this server
through the worker API (`WorkerGateway`); this server then loads no model itself.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from i2v.archive import Archive
from i2v.engine.catalog import LocalCatalog, ModelCatalog
from i2v.engine.host import EngineHost
from i2v.jobs.dispatch import Dispatcher
from i2v.jobs.recovery import recover_interrupted
from i2v.jobs.service import JobService
from i2v.jobs.store import JobStore, is_storage_failure
from i2v.jobs.worker import JobWorker
from i2v.lessons.service import LessonService
from i2v.generation import GenerationService
from i2v.settings import Settings

if TYPE_CHECKING:  # Dramatiq and Redis are imported only when a broker is configured
    from i2v.jobs.broker import BrokerDispatcher
    from i2v.jobs.worker_gateway import WorkerGateway

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    host: EngineHost
    archive: Archive
    store: JobStore
    dispatcher: Dispatcher  # whoever runs the jobs: the in-process JobWorker, or the BrokerDispatcher
    jobs: JobService
    lessons: LessonService
    catalog: ModelCatalog  # what every front end asks about models (state, plan, estimate)
    broker: BrokerDispatcher | None = None  # set when GPU workers on other machines run the jobs
    gateway: WorkerGateway | None = None  # their API's side of the protocol
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the server is told to stop (Ctrl-C): open progress streams end at once instead of holding it up."""

    @classmethod
    def build(cls, settings: Settings) -> Services:
        settings.home.mkdir(parents=True, exist_ok=True)
        host = EngineHost(settings)
        archive = Archive(settings.home)
        store = JobStore(settings.db_path)
        uploads = settings.home / "uploads"
        broker = gateway = None
        if settings.broker:
            from i2v.jobs.broker import BrokerDispatcher
            from i2v.jobs.worker_gateway import WorkerGateway

            broker = BrokerDispatcher(store, archive, settings)
            gateway = WorkerGateway(store, archive, uploads, lease_s=settings.lease_s, heartbeat_s=settings.worker_heartbeat_s,
                              broker_heartbeat_timeout_s=settings.broker_heartbeat_timeout_s)
            from i2v.jobs.broker_catalog import BrokerCatalog

            dispatcher: Dispatcher = broker
            catalog: ModelCatalog = BrokerCatalog(broker, settings)
        else:
            dispatcher = JobWorker(store, GenerationService(host, archive), uploads)
            catalog = LocalCatalog(host, settings)
        jobs = JobService(store, dispatcher, archive, settings, estimate=catalog.estimate)
        lessons = LessonService(settings, archive, jobs, offered=lambda: [choice.id for choice in jobs.models()])
        return cls(settings, host, archive, store, dispatcher, jobs, lessons, catalog, broker, gateway)

    def recover(self) -> None:
        """Adopt or remove what a killed server left (jobs, videos, uploads); see `i2v.jobs.recovery`.
        With remote workers, jobs they hold are left running and their leases extended, so workers
        that kept going while this server was down can reconnect and deliver."""
        if self.gateway is not None:
            from i2v.jobs.worker_gateway import clear_staging

            clear_staging(self.gateway.staging)
        recover_interrupted(self.store, self.archive, self.settings.home / "uploads", include_leased=self.broker is None)
        if self.broker is not None:
            extended = self.store.leases.extend_all(self.settings.lease_s)
            if extended:
                log.warning("%d job(s) held by GPU workers: their leases run %.0f s from now", extended, self.settings.lease_s)

    def start(self) -> None:
        """Recover what a dead process left, load the model in the background (one machine only),
        start the dispatcher and the lesson feeder.

        On a disk too full to write the job table, recovery is left to the dispatcher, which retries
        it before handing out any job; the server meanwhile answers reads (read-only)."""
        deferred = None
        try:
            self.recover()
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            log.warning("start-up recovery postponed until the job table can be written: %s", exc)
            deferred = self.recover
        if self.broker is None:
            self.host.start_background_load()
        self.dispatcher.start(recover=deferred)
        self.lessons.start()

    def stop(self) -> None:
        self.stopping.set()
        self.lessons.stop()
        if isinstance(self.dispatcher, JobWorker):
            # A denoising step on a CPU can take many seconds and the job ends only between steps:
            # wait at most the grace. A job still running then keeps its row, and start-up
            # recovery adopts it at the next start (`i2v.jobs.recovery`).
            self.dispatcher.stop(timeout=self.settings.shutdown_grace_s)
        else:
            self.dispatcher.stop()
        self.store.close()
