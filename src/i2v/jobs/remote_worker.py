"""A GPU worker on another machine: `i2v worker --server URL [--gpu N] [--model …] [--name …]`, its token
and Redis URL from I2V_WORKER_TOKEN / I2V_BROKER (or files; see `i2v.cli`), never from `ps`.

One process per GPU, one model family (its Dramatiq queue "i2v.<family>"), the model kept loaded by
its own `EngineHost`. It takes job ids from Redis one at a time (one thread, prefetch 1: a busy
worker never holds a second job) and talks to the server only over HTTP (`i2v.web.api_worker`):

claim (a job already running, finished or cancelled is skipped, so a redelivered message never
makes a second video) → download the picture → reserve the archive entry → generate with the same
`GenerationService` and worker step (`JobRunner`) as the one-machine server, reporting progress and
a small preview every step (the answer carries the cancel flag: a cancel stops it within one step)
→ deliver the MP4, thumbnail, input picture and recipe → the message is acknowledged.

Every worker process has a name unique while it lives: by default host, device and process id
(`lab-pc-gpu1-41233`), or `--name`. The server refuses a heartbeat under a name another live worker
holds; the worker then stops with a clear line and exit code 3 (`EXIT_NAME_TAKEN`). A default name is
never refused that way: on the rare clash (two containers with one host name and one pid) the worker
adds a random suffix.

Start-up asks Redis (is the password right?) and the server (is the token right, is the name free?)
before the model is imported and loaded, so a refused worker says why within seconds. The HTTP
client, identity and heartbeats are `i2v.jobs.worker_client`; what runs each job is
`i2v.jobs.remote_runner`.

A heartbeat thread keeps the job's lease and the worker's place in the roster. When the server is
unreachable (restarting) the job goes on, progress reports are dropped, and the delivery is retried
until the server answers, so a finished video is not lost. When Redis is unreachable, Dramatiq's
consumer reconnects by itself. A job whose lease the server gave away (the worker was silent too
long) is dropped at the next report: the server's answer says so, and its files are never delivered.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from pathlib import Path

from i2v.jobs.dispatch import family_of, queue_name
from i2v.jobs.worker_client import BrokerRefused, HeartbeatThread, Identity, NameTaken, ServerRefused, WorkerClient

log = logging.getLogger(__name__)
EXIT_REFUSED = 1  # the server refused the token, or Redis refused the password
EXIT_NAME_TAKEN = 3  # another live worker has this name (see README "Several GPU machines")


def device_label(gpu: int | None) -> str:
    """The device a worker computes on, for its default name: `gpu1` for `--gpu 1`, the visible devices
    when CUDA_VISIBLE_DEVICES pins them (`gpu0+1`; a GPU-/MIG- UUID shortened to 8 hex digits), `gpu0`
    when CUDA sees every GPU, `cpu` without one."""
    if gpu is not None:
        return f"gpu{gpu}"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")  # systemd units often pin a GPU this way instead of --gpu
    if visible is not None:
        devices = [d.strip() for d in visible.split(",") if d.strip()]
        if not devices or devices[0] == "-1":
            return "cpu"
        short = [re.sub(r"^(gpu|mig)-", "", d.lower())[:8] for d in devices[:4]]
        return "gpu" + "+".join(re.sub(r"[^0-9a-z]", "", d) or "x" for d in short)
    import torch

    return "gpu0" if torch.cuda.is_available() else "cpu"


def default_name(gpu: int | None, *, pid: int | None = None) -> str:
    """`host-device-pid`, e.g. `lab-pc-gpu1-41233`: unique among this host's live processes, and the
    pid is the one `ps` and `kill` take."""
    return f"{socket.gethostname()[:64]}-{device_label(gpu)}-{pid or os.getpid()}"


def _register(client: WorkerClient, identity: Identity, *, chosen: bool) -> dict:
    """The first heartbeat (it waits for the server and checks the token). A default name that clashes
    (two containers with one host name and one pid) gets a random suffix; a chosen one is refused."""
    try:
        return client.heartbeat(identity.report())
    except NameTaken:
        if chosen:
            raise
        identity.name = f"{identity.name}-{os.urandom(2).hex()}"
        log.warning("the default name was taken; this worker is %s", identity.name)
        return client.heartbeat(identity.report())


def _check_broker(url: str) -> None:
    """Fail now, with a clear line, when Redis refuses the password in `url`; an unreachable Redis is
    only logged (Dramatiq's consumer reconnects by itself once the worker runs)."""
    import redis

    from i2v.jobs.broker import REDIS_TIMEOUT_S, redacted

    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise BrokerRefused(f"Redis at {redacted(url)} refused this worker ({exc}); check the password in the "
                            "broker URL") from None
    except redis.RedisError as exc:
        log.warning("the broker %s does not answer yet (%s: %s); the worker keeps trying", redacted(url),
                    type(exc).__name__, exc)
    finally:
        client.close()


def run_worker(*, server: str, token: str, broker_url: str, models: list[str], gpu: int | None = None,
               name: str | None = None, settings_overrides: dict | None = None) -> int:
    """Run a worker until SIGTERM/SIGINT. Returns the exit code: 0 stopped, `EXIT_REFUSED`,
    `EXIT_NAME_TAKEN`. Redis and the server are asked first, so a refusal comes before the model loads."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)  # before anything touches CUDA
    families = {family_of(model) for model in models}
    if len(families) != 1:
        raise ValueError(f"one worker serves one model family (its queue); {', '.join(models)} are from "
                         f"{', '.join(sorted(families))}. Start one worker per family.")
    family = families.pop()
    stop = threading.Event()
    client = WorkerClient(server, token, stop=stop)
    runner = None
    scratch: Path | None = None

    def on_signal(signum, _frame) -> None:
        log.warning("signal %d: stopping after the current step", signum)
        stop.set()
        if runner is not None and runner.current is not None:
            runner.current[1].cancel.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        _check_broker(broker_url)  # before anything else: a wrong Redis password is said at once
        identity = Identity(worker_id=os.urandom(8).hex(), name=name or default_name(gpu), gpu=None, family=family,
                            models=list(models))
        reply = _register(client, identity, chosen=name is not None)  # waits for the server; also checks the token
        log.info("worker %s (id %s, pid %d, %s queue) registered with %s", identity.name, identity.worker_id,
                 os.getpid(), queue_name(family), server)
        # Heartbeats from now on: the roster shows the worker alive (no model yet) while it imports and
        # loads its model, and its name stays its own however long that takes.
        beat = HeartbeatThread(client, identity, float(reply["heartbeat_s"]))
        beat.start()
        import dramatiq
        from dramatiq.middleware import ShutdownNotifications, TimeLimit

        from i2v.engine.host import EngineHost
        from i2v.jobs.broker import ACTOR_NAME, make_broker
        from i2v.jobs.remote_runner import RemoteArchive, RemoteRunner
        from i2v.generation import GenerationService
        from i2v.settings import Settings

        scratch = Path(tempfile.mkdtemp(prefix="i2v-worker-"))
        settings = Settings(**{**(settings_overrides or {}), "model": models[0], "home": scratch})
        host = EngineHost(settings)
        runner = RemoteRunner(client, GenerationService(host, RemoteArchive(scratch / "archive", client)), identity)
        beat.runner = runner
        host.get(models[0])  # keep the model loaded between jobs
        identity.gpu = _gpu_name(host)
        if not stop.is_set():
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
            print(f"i2v worker {identity.name} ready: id {identity.worker_id}, pid {os.getpid()}, model {models[0]}, "
                  f"queue {queue_name(family)}, server {server}", flush=True)
            stop.wait()
            worker.stop(timeout=30_000)
            broker.close()
        if beat.name_taken:
            raise NameTaken(beat.name_taken)
        return 0
    except NameTaken as exc:
        print(f"error: the server refused this worker: {exc}", flush=True)
        return EXIT_NAME_TAKEN
    except BrokerRefused as exc:
        print(f"error: {exc}", flush=True)
        return EXIT_REFUSED
    except ServerRefused as exc:
        if exc.status == 0:
            return 0
        print(f"error: the server refused this worker ({exc.status}: {exc.detail})", flush=True)
        return EXIT_REFUSED
    finally:
        stop.set()
        client.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _gpu_name(host) -> str | None:
    """The loaded engine's device, as the roster shows it (the GPU's name on CUDA)."""
    import torch

    plan = host.plan_for(host.loaded_model) if host.loaded_model else None
    if plan is not None and plan.device == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return plan.device if plan is not None else None
