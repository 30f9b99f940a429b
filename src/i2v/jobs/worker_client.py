"""A remote worker's side of the worker API (`i2v.web.api_worker`): the HTTP client, who the worker is,
and its heartbeat thread. Light on purpose (no torch): `i2v worker` registers with this before it
imports and loads its model, so a worker the server or Redis refuses is told within seconds."""

from __future__ import annotations

import base64
import io
import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import httpx
from PIL import Image

from i2v.jobs.worker_gateway import WorkerReport

if TYPE_CHECKING:
    from i2v.archive import Entry
    from i2v.jobs.remote_runner import RemoteRunner
    from i2v.jobs.worker import Outcome

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


class BrokerRefused(Exception):
    """Redis refused the password in the broker URL: trying again will not change that."""


class NameTaken(Exception):
    """The server refused the heartbeat: another live worker goes by this worker's name."""


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
        """Report; raises NameTaken when another live worker has this name, ServerRefused for a bad token."""
        response = self.call("POST", "/heartbeat", json=asdict(report), retry=retry)
        if response.status_code == 409:
            raise NameTaken(_detail(response))
        reply = self._json(response)
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


@dataclass
class Identity:
    """Who this worker is, as the roster shows it."""

    worker_id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]

    def report(self, loaded_model: str | None = None, job_id: str | None = None,
               lease: str | None = None) -> WorkerReport:
        return WorkerReport(worker_id=self.worker_id, name=self.name, gpu=self.gpu, family=self.family,
                            models=self.models, loaded_model=loaded_model, job_id=job_id, lease=lease)


class HeartbeatThread(threading.Thread):
    """Reports every few seconds (the server may change the interval) from registration until the
    worker stops: from the identity alone while the worker imports its engine; once `runner` is set,
    with the model loaded and the job it runs, and a job the server cancelled or gave away is stopped. When the
    server gives this worker's name to another (this one was silent longer than a lease), it stops
    the worker and keeps the server's words in `name_taken`."""

    def __init__(self, client: WorkerClient, identity: Identity, interval_s: float) -> None:
        super().__init__(name="i2v-worker-heartbeat", daemon=True)
        self.client = client
        self.identity = identity
        self.interval_s = interval_s
        self.runner: RemoteRunner | None = None  # set once the runner exists (before the model loads)
        self.name_taken: str | None = None

    def report(self) -> WorkerReport:
        return self.runner.report() if self.runner is not None else self.identity.report()

    def run(self) -> None:
        while not self.client.stop.wait(self.interval_s):
            try:
                reply = self.client.heartbeat(self.report(), retry=False)
                self.interval_s = float(reply.get("heartbeat_s", self.interval_s))
            except NameTaken as exc:
                log.error("the server refused this worker: %s", exc)
                self.name_taken = str(exc)
                self.client.stop.set()
                current = self.runner.current if self.runner is not None else None
                if current is not None:
                    current[1].cancel.set()
                return
            except (httpx.TransportError, ServerRefused, Skip, ValueError) as exc:
                log.debug("heartbeat not delivered: %s", exc)
                continue
            current = self.runner.current if self.runner is not None else None
            if current is not None and self.client.is_cancel_requested(current[0]):
                current[1].cancel.set()
