"""A GPU worker on another machine: `i2v worker --server URL --token T --broker redis://… [--gpu N] [--model …]`.

One process per GPU, one model family (its Dramatiq queue "i2v.<family>"), the model kept loaded by
its own `EngineHost`. It takes job ids from Redis one at a time (one thread, prefetch 1: a busy
worker never holds a second job) and talks to the server only over HTTP (`i2v.web.api_worker`):

claim (a job already running, finished or cancelled is skipped, so a redelivered message never
makes a second video) → download the picture → reserve the archive entry → generate with the same
`GenerationService` and worker step (`JobRunner`) as the one-machine server, reporting progress and
a small preview every step (the answer carries the cancel flag: a cancel stops it within one step)
→ deliver the MP4, thumbnail, input picture and recipe → the message is acknowledged.

A heartbeat thread keeps the job's lease and the worker's place in the roster. When the server is
unreachable (restarting) the job goes on, progress reports are dropped, and the delivery is retried
until the server answers, so a finished video is not lost. When Redis is unreachable, Dramatiq's
consumer reconnects by itself. A job whose lease the server gave away (the worker was silent too
long) is dropped at the next report: the server's answer says so, and its files are never delivered.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import httpx
from PIL import Image

from i2v.archive import Archive, Entry
from i2v.jobs.desk import WorkerReport
from i2v.jobs.dispatch import family_of, queue_name
from i2v.jobs.store import JobStatus
from i2v.jobs.worker import JobRunner, LiveJob, Outcome

log = logging.getLogger(__name__)
WORKER_API = "/api/v1/worker"
RETRYABLE = frozenset({502, 503, 504})  # a proxy in front of a restarting server, or the server busy
RETRY_MAX_S = 5.0
PROGRESS_TIMEOUT_S = 5.0  # a progress report that takes longer is dropped; the job does not wait for it


class Skip(Exception):
    """The server says this job is not (or no longer) this worker's: acknowledge and move on."""


class ServerRefused(Exception):
    """The server answered a call with an error that trying again will not change."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))[:500]
    except ValueError:
        return response.text[:500]


class WorkerClient:
    """The server's worker API over HTTP, with the worker token. Calls about a job send the lease
    the claim returned (header `X-I2V-Lease`). Implements `ProgressBoard` for `JobRunner`."""

    def __init__(self, server: str, token: str, *, stop: threading.Event | None = None, timeout_s: float = 60.0) -> None:
        self.http = httpx.Client(base_url=server.rstrip("/"), timeout=timeout_s,
                                 headers={"Authorization": f"Bearer {token}"})
        self.stop = stop or threading.Event()
        self.leases: dict[str, str] = {}  # job id → lease token
        self.cancelled: set[str] = set()  # jobs the server asked to stop
        self.lost: set[str] = set()  # jobs whose lease the server gave away
        self._unreachable_since: float | None = None

    def close(self) -> None:
        self.http.close()

    # ---- transport -----------------------------------------------------------------------

    def call(self, method: str, path: str, *, retry: bool = True, job_id: str | None = None, **kwargs) -> httpx.Response:
        """One API call. With `retry`, connection failures and 502/503/504 are retried (backing off
        up to RETRY_MAX_S) until the server answers or the worker stops. Other answers are returned."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if job_id is not None and job_id in self.leases:
            headers["X-I2V-Lease"] = self.leases[job_id]
        delay = 0.25
        while True:
            try:
                response = self.http.request(method, WORKER_API + path, headers=headers, **kwargs)
                if response.status_code not in RETRYABLE:
                    if self._unreachable_since is not None:
                        log.warning("server reachable again after %.0f s", time.monotonic() - self._unreachable_since)
                        self._unreachable_since = None
                    return response
                problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                if not retry:
                    raise
                problem = f"{type(exc).__name__}: {exc}"
            if not retry:
                return response
            if self._unreachable_since is None:
                self._unreachable_since = time.monotonic()
                log.warning("server unreachable (%s); retrying %s %s", problem, method, path)
            if self.stop.wait(delay):
                raise ServerRefused(0, "the worker is stopping")
            delay = min(RETRY_MAX_S, delay * 2)

    def _json(self, response: httpx.Response) -> dict:
        if response.status_code in (404, 409):
            raise Skip(_detail(response))
        if response.status_code >= 400:
            raise ServerRefused(response.status_code, _detail(response))
        return response.json()

    # ---- the protocol ----------------------------------------------------------------------

    def heartbeat(self, report: WorkerReport, *, retry: bool = True) -> dict:
        reply = self._json(self.call("POST", "/heartbeat", json=asdict(report), retry=retry))
        if report.job_id:
            if reply.get("cancel"):
                self.cancelled.add(report.job_id)
            if reply.get("lost"):
                self.lost.add(report.job_id)
        return reply

    def claim(self, job_id: str, worker_id: str) -> dict:
        """The claimed job ({id, request, attempts, lease, lease_s}). Raises Skip when it is not claimable."""
        job = self._json(self.call("POST", f"/jobs/{job_id}/claim", json={"worker_id": worker_id}))
        self.leases[job_id] = job["lease"]
        return job

    def picture(self, job_id: str, keyframe: int = 0) -> Image.Image:
        """The job's picture; with `keyframe` N ≥ 1 its Nth picture after the first."""
        response = self.call("GET", f"/jobs/{job_id}/picture" + (f"?keyframe={keyframe}" if keyframe else ""), job_id=job_id)
        if response.status_code >= 400:
            self._json(response)
        with Image.open(io.BytesIO(response.content)) as stored:
            return stored.convert("RGB")

    def reserve_entry(self, job_id: str) -> str:
        return self._json(self.call("POST", f"/jobs/{job_id}/entry", job_id=job_id))["entry"]

    def update_progress(self, job_id: str, step: int, total: int, eta_s: float | None, *,
                        preview: bytes | None = None) -> None:
        """Best effort: a report the server does not take in PROGRESS_TIMEOUT_S is dropped (the job
        goes on). The answer's cancel flag is kept for `is_cancel_requested`."""
        body = {"step": step, "total": total, "eta_s": eta_s,
                "preview": base64.b64encode(preview).decode() if preview else None}
        try:
            response = self.call("POST", f"/jobs/{job_id}/progress", json=body, job_id=job_id, retry=False,
                                 timeout=PROGRESS_TIMEOUT_S)
        except httpx.TransportError:
            return
        if response.status_code in (404, 409):
            log.warning("job %s: the server no longer has it for this worker (%s); stopping it", job_id, _detail(response))
            self.lost.add(job_id)
        elif response.status_code < 300 and response.json().get("cancel"):
            self.cancelled.add(job_id)

    def is_cancel_requested(self, job_id: str) -> bool:
        return job_id in self.cancelled or job_id in self.lost or self.stop.is_set()

    def deliver(self, job_id: str, entry: Entry) -> dict:
        """Send the finished files; retried until the server answers (they are read into memory
        once, so every retry sends them whole)."""
        files = {"video": ("video.mp4", entry.video.read_bytes(), "video/mp4"),
                 "thumbnail": ("thumbnail.jpg", entry.thumbnail.read_bytes(), "image/jpeg"),
                 "input": ("input.png", entry.input_image.read_bytes(), "image/png"),
                 "recipe": ("recipe.json", entry.recipe.read_bytes(), "application/json")}
        number = 1
        while entry.keyframe_image(number).is_file():  # the pictures after the first, stored by the generation
            files[f"key{number}"] = (f"key{number}.png", entry.keyframe_image(number).read_bytes(), "image/png")
            number += 1
        return self._json(self.call("POST", f"/jobs/{job_id}/result", files=files, job_id=job_id))

    def finish(self, job_id: str, outcome: Outcome) -> dict:
        return self._json(self.call("POST", f"/jobs/{job_id}/outcome", job_id=job_id,
                                    json={"status": str(outcome.status), "error": outcome.error}))

    def forget(self, job_id: str) -> None:
        self.leases.pop(job_id, None)
        self.cancelled.discard(job_id)
        self.lost.discard(job_id)


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


@dataclass
class Identity:
    """Who this worker is, as the roster shows it."""

    worker_id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]


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
        return WorkerReport(worker_id=self.identity.worker_id, name=self.identity.name, gpu=self.identity.gpu,
                            family=self.identity.family, models=self.identity.models,
                            loaded_model=self.generator.host.loaded_model, job_id=job_id,
                            lease=self.client.leases.get(job_id) if job_id else None)

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


def heartbeat_loop(runner: RemoteRunner, client: WorkerClient, interval: list[float]) -> None:
    """Report every `interval[0]` seconds (the server may change it); stop a job the server cancelled or gave away."""
    while not client.stop.wait(interval[0]):
        try:
            reply = client.heartbeat(runner.report(), retry=False)
            interval[0] = float(reply.get("heartbeat_s", interval[0]))
        except (httpx.TransportError, ServerRefused, Skip, ValueError) as exc:
            log.debug("heartbeat not delivered: %s", exc)
            continue
        current = runner.current
        if current is not None and client.is_cancel_requested(current[0]):
            current[1].cancel.set()


def default_name(gpu: int | None) -> str:
    return f"{socket.gethostname()}-gpu{gpu if gpu is not None else 'cpu'}"


def run_worker(*, server: str, token: str, broker_url: str, models: list[str], gpu: int | None = None,
               name: str | None = None, settings_overrides: dict | None = None) -> int:
    """Run a worker until SIGTERM/SIGINT. Returns the exit code."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)  # before anything touches CUDA
    import dramatiq
    from dramatiq.middleware import ShutdownNotifications, TimeLimit

    from i2v.engine.host import EngineHost
    from i2v.jobs.broker import ACTOR_NAME, make_broker
    from i2v.service import GenerationService
    from i2v.settings import Settings

    families = {family_of(model) for model in models}
    if len(families) != 1:
        raise ValueError(f"one worker serves one model family (its queue); {', '.join(models)} are from "
                         f"{', '.join(sorted(families))}. Start one worker per family.")
    family = families.pop()
    scratch = Path(tempfile.mkdtemp(prefix="i2v-worker-"))
    settings = Settings(**{**(settings_overrides or {}), "model": models[0], "home": scratch})
    stop = threading.Event()
    client = WorkerClient(server, token, stop=stop)
    identity = Identity(worker_id=os.urandom(8).hex(), name=name or default_name(gpu), gpu=None, family=family,
                        models=list(models))
    host = EngineHost(settings)
    runner = RemoteRunner(client, GenerationService(host, RemoteArchive(scratch / "archive", client)), identity)

    def on_signal(signum, _frame) -> None:
        log.warning("signal %d: stopping after the current step", signum)
        stop.set()
        if runner.current is not None:
            runner.current[1].cancel.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        reply = client.heartbeat(runner.report())  # waits for the server; also checks the token
        log.info("worker %s (%s queue) registered with %s", identity.name, queue_name(family), server)
        host.get(models[0])  # keep the model loaded between jobs
        identity.gpu = _gpu_name(host)
        client.heartbeat(runner.report())
        broker = make_broker(broker_url, heartbeat_timeout_s=float(reply["broker_heartbeat_timeout_s"]),
                             middleware=[TimeLimit(), ShutdownNotifications()])
        broker.declare_queue(queue_name(family))
        dramatiq.actor(runner.handle, actor_name=ACTOR_NAME, queue_name=queue_name(family), broker=broker)
        worker = dramatiq.Worker(broker, queues={queue_name(family)}, worker_threads=1, worker_timeout=1000)
        worker.queue_prefetch = 1  # a busy worker must not hold a second job
        worker.delay_prefetch = 1
        broker.emit_after("process_boot")  # starts the time-limit timer, as Dramatiq's own CLI does
        worker.start()
        beat = threading.Thread(target=heartbeat_loop, args=(runner, client, [float(reply["heartbeat_s"])]),
                                name="i2v-worker-heartbeat", daemon=True)
        beat.start()
        print(f"i2v worker {identity.name} ready: model {models[0]}, queue {queue_name(family)}, server {server}",
              flush=True)
        stop.wait()
        worker.stop(timeout=30_000)
        broker.close()
        return 0
    except ServerRefused as exc:
        if exc.status == 0:
            return 0
        print(f"error: the server refused this worker ({exc.status}: {exc.detail})", flush=True)
        return 1
    finally:
        stop.set()
        client.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _gpu_name(host) -> str | None:
    """The loaded engine's device, as the roster shows it (the GPU's name on CUDA)."""
    import torch

    plan = host.plan_for(host.loaded_model) if host.loaded_model else None
    if plan is not None and plan.device == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return plan.device if plan is not None else None
