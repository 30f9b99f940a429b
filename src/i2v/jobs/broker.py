"""Dramatiq on Redis: the server's dispatcher for GPU workers on other machines, and the broker both sides build.

The job table stays the record; Redis carries only job ids. A job's id is sent on its family's
queue ("i2v.<family>") after its row is committed. Redis may lose everything at any time (restarted
without persistence, flushed): `BrokerDispatcher.sweep`, run every I2V_SWEEP_S, puts that right —

1. leases: a running job whose worker stopped renewing its lease is re-queued (the attempt counts)
   or, after its second loss, failed with the reason (`JobLeases.expire`); what the lost
   attempt reserved in the archive is removed;
2. dead workers: Dramatiq's own sweep (its "maintenance") is run on every family queue, so a worker
   silent on Redis for I2V_BROKER_HEARTBEAT_TIMEOUT_S has its unacknowledged message re-queued;
3. reconciling: a queued job whose id is not waiting on its queue (and was not sent moments ago) is
   sent again. Duplicates are harmless: a worker's claim is idempotent, so a second message for a
   job that is running or finished is acknowledged and skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from dramatiq import Message
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

from i2v.archive import Archive, ArchivePathError
from i2v.engine.measured import gpu_seconds
from i2v.engine.registry import SPECS, is_test_model, spec_for
from i2v.jobs.dispatch import job_family, queue_name, time_limit_s
from i2v.jobs.previews import LivePreview, read_live
from i2v.jobs.store import Job, JobStatus, JobStore, WorkerRow
from i2v.request import GenerationRequest
from i2v.settings import Settings

log = logging.getLogger(__name__)
NAMESPACE = "i2v"  # prefix of every Redis key, so i2v can share a Redis with other programs
ACTOR_NAME = "i2v_generate"  # the one actor every worker declares; its only argument is a job id
MAX_ATTEMPTS = 2  # as `JobStore.recover`: a job whose worker is lost twice is failed with the reason
REDIS_TIMEOUT_S = 5.0


def make_broker(url: str, *, heartbeat_timeout_s: float, maintenance_chance: int | None = None,
                middleware: list | None = None) -> RedisBroker:
    """A Dramatiq Redis broker for `url` (redis://, rediss:// for TLS; a password in the URL).

    `maintenance_chance` is how many of a million broker calls also run the dead-worker sweep
    (Dramatiq's default, 1000, when None). `heartbeat_timeout_s` is how long a worker may be silent
    before that sweep re-queues its unfinished messages; every side must use the same value."""
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S,
                                  health_check_interval=30)
    options = {} if maintenance_chance is None else {"maintenance_chance": maintenance_chance}
    return RedisBroker(client=client, namespace=NAMESPACE, heartbeat_timeout=int(heartbeat_timeout_s * 1000),
                       middleware=middleware if middleware is not None else [], **options)


def redacted(url: str) -> str:
    """The broker URL without its password, for health and logs."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, _credentials = head.partition("://")
    return f"{scheme}://***@{tail}"


@dataclass(frozen=True)
class BrokerState:
    """The broker as health reports it."""

    url: str  # without the password
    state: str  # "ok" or "unreachable"
    detail: str


class BrokerDispatcher:
    """Hands queued jobs to remote GPU workers through Redis (see the module doc); implements
    `i2v.jobs.dispatch.Dispatcher`."""

    def __init__(self, store: JobStore, archive: Archive, settings: Settings) -> None:
        assert settings.broker, "BrokerDispatcher needs I2V_BROKER"
        self.store = store
        self.archive = archive
        self.settings = settings
        self.broker = make_broker(settings.broker, heartbeat_timeout_s=settings.broker_heartbeat_timeout_s,
                                  maintenance_chance=MAINTENANCE_SCALE)  # the server sweeps on every call
        self._sent: dict[str, float] = {}  # job id → monotonic time of the last send from this process
        self._sent_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recover: Callable[[], object] | None = None
        self._broker_error: str | None = None

    # ---- Dispatcher --------------------------------------------------------------------------

    def start(self, recover: Callable[[], object] | None = None) -> None:
        self._recover = recover
        self._thread = threading.Thread(target=self._loop, name="i2v-broker-sweep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.broker.close()

    def dispatch(self, job: Job) -> None:
        """Send the committed job's id on its family's queue; if Redis is down the sweep sends it later."""
        try:
            self._send(job)
        except redis.RedisError as exc:
            self._broker_down(exc)

    def cancel(self, job_id: str) -> None:
        """Nothing to do here: the worker reads the recorded cancel with its next progress report."""

    def live(self, job_id: str) -> LivePreview | None:
        return read_live(self.store, job_id)

    def as_recorded(self, job: Job) -> Job:
        return job  # remote workers keep retrying their outcome; the table is always the truth here

    @property
    def unrecorded(self) -> int:
        return 0

    # ---- sending -------------------------------------------------------------------------------

    def _send(self, job: Job) -> None:
        family = job_family(job, self.settings.model)
        limit = time_limit_s(job.eta_s, floor_s=self.settings.job_time_limit_min_s,
                             ceiling_s=self.settings.job_time_limit_max_s)
        message = Message(queue_name=queue_name(family), actor_name=ACTOR_NAME, args=(job.id,), kwargs={},
                          options={"time_limit": int(limit * 1000)})
        self.broker.enqueue(message)
        with self._sent_lock:
            self._sent[job.id] = time.monotonic()
        log.info("job %s sent on %s (time limit %.0f s)", job.id, queue_name(family), limit)

    def _waiting(self, queue: str) -> set[str]:
        """Ids of the jobs whose messages wait on `queue` (not yet taken by a worker)."""
        client = self.broker.client
        ids = client.lrange(f"{NAMESPACE}:{queue}", 0, -1)
        if not ids:
            return set()
        waiting = set()
        for data in client.hmget(f"{NAMESPACE}:{queue}.msgs", ids):
            if data:
                try:
                    waiting.add(str(Message.decode(data).args[0]))
                except Exception:  # noqa: BLE001 - a message i2v did not write: not ours to judge
                    log.debug("a message on %s is not an i2v job id", queue)
        return waiting

    # ---- the sweep -----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.sweep_s):
            try:
                if self._recover is not None:
                    self._recover()
                    self._recover = None
                self.sweep()
            except Exception:
                log.exception("broker sweep failed; trying again in %.0f s", self.settings.sweep_s)

    def sweep(self) -> None:
        """One pass of the three repairs in the module doc."""
        for job, entry in self.store.leases.expire(max_attempts=MAX_ATTEMPTS):
            log.warning("job %s: its worker stopped renewing the lease; now %s", job.id, job.status)
            if entry:
                try:
                    for path in self.archive.discard(self.archive.entry_named(entry)):
                        log.warning("removed %s, left by the lost attempt", path)
                except ArchivePathError:
                    pass
        try:
            for spec in SPECS:
                self.broker.do_qsize(queue_name(spec.family))  # every call sweeps dead workers (maintenance)
            self.reconcile()
        except redis.RedisError as exc:
            self._broker_down(exc)
            return
        if self._broker_error is not None:
            log.warning("broker %s reachable again", redacted(self.settings.broker or ""))
            self._broker_error = None
        self.store.roster.forget_workers(seen_before=time.time() - 86_400)

    def reconcile(self) -> list[str]:
        """Send again every queued job whose id waits on no queue and was not sent in the last few
        sweeps (Redis lost it, or it was re-queued). Returns the ids sent."""
        queued = self.store.list(limit=1_000_000, statuses=[JobStatus.QUEUED])
        grace = max(3 * self.settings.sweep_s, 2.0)
        now = time.monotonic()
        with self._sent_lock:
            self._sent = {job.id: self._sent[job.id] for job in queued if job.id in self._sent}
            recent = {job_id for job_id, at in self._sent.items() if now - at < grace}
        waiting: dict[str, set[str]] = {}
        resent = []
        for job in queued:
            queue = queue_name(job_family(job, self.settings.model))
            if queue not in waiting:
                waiting[queue] = self._waiting(queue)
            if job.id in waiting[queue] or job.id in recent:
                continue
            self._send(job)
            resent.append(job.id)
        if resent:
            log.warning("re-sent %d queued job(s) that had no message on the broker: %s", len(resent), ", ".join(resent))
        return resent

    def _broker_down(self, exc: Exception) -> None:
        if self._broker_error is None:
            log.error("broker %s unreachable (%s); queued jobs wait and are sent when it is back",
                      redacted(self.settings.broker or ""), exc)
        self._broker_error = f"{type(exc).__name__}: {exc}"

    # ---- what health, the views and the estimate read --------------------------------------------

    def state(self) -> BrokerState:
        url = redacted(self.settings.broker or "")
        try:
            self.broker.client.ping()
        except redis.RedisError as exc:
            return BrokerState(url, "unreachable", f"The broker does not answer ({type(exc).__name__}): queued jobs "
                               "wait, running jobs go on; jobs are sent again once it is back.")
        return BrokerState(url, "ok", "")

    def live_workers(self) -> list[WorkerRow]:
        """Workers heard from within one lease period."""
        return self.store.roster.workers(seen_since=time.time() - self.settings.lease_s)

    def waiting_reason(self, job: Job, workers: list[WorkerRow] | None = None) -> str | None:
        """Why a queued job is not running yet, when no live worker can run it; None otherwise."""
        if job.status is not JobStatus.QUEUED:
            return None
        model = job.request.get("model") or self.settings.model
        family = job_family(job, self.settings.model)
        workers = self.live_workers() if workers is None else workers
        if any(worker.family == family for worker in workers):
            return None
        return (f"No worker for model {model} is connected (it needs a GPU worker for the {family} family); "
                "the job waits until one starts.")

    def estimate(self, request: GenerationRequest, width: int, height: int, *, after: str | None = None) -> float | None:
        """A job's seconds on the GPU of a live worker of its family, from the measured GPU figures;
        None for test models, without such a worker, or for a GPU never measured."""
        model = request.model or self.settings.model
        if is_test_model(model):
            return None
        spec = spec_for(model)
        gpus = [w.gpu for w in self.live_workers() if w.family == spec.family and w.gpu]
        if not gpus:
            return None
        request = spec.complete(request)
        w, h = spec.frame_size(request.resolution or spec.default_resolution, width, height)
        return gpu_seconds(spec, gpus[0], w, h, request.frames, request.steps, request.quality)
