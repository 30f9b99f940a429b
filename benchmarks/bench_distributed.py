"""Several GPU machines on one computer: jobs per minute with 1, 2 and 3 `i2v worker` processes,
and what the distributed path costs per job against the in-process worker, in milliseconds.

Real parts, as in tests/distributed: Debian's redis-server on a free loopback port, `i2v serve`
with I2V_BROKER, `i2v worker` processes on the tiny model (256p, 8 frames, 3 steps). On a 2-core
CPU the workers share the same two cores, so more workers cannot make more videos per minute
here; what the figures show is what the coordination costs, not GPU scaling.

    .venv/bin/python benchmarks/bench_distributed.py [--jobs 12]

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

from i2v.samples import gradient_picture

TEACHER, WORKER = "bench-teacher", "bench-worker"
FIELDS = {"prompt": "a cell dividing slowly", "resolution": "256p", "frames": "8", "steps": "3", "fps": "8"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    gradient_picture(320, 240).save(buffer, format="PNG")
    return buffer.getvalue()


def wait_finished(client: httpx.Client, ids: list[str], timeout: float = 900) -> list[dict]:
    deadline, done = time.monotonic() + timeout, {}
    while len(done) < len(ids):
        assert time.monotonic() < deadline, "jobs did not finish"
        for job_id in ids:
            if job_id not in done:
                job = client.get(f"/api/v1/jobs/{job_id}").json()
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    done[job_id] = job
        time.sleep(0.05)
    return [done[i] for i in ids]


class Cluster:
    def __init__(self, folder: Path, broker: bool) -> None:
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_port()
        self.processes: list[subprocess.Popen] = []
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "I2V_MODEL": "tiny", "I2V_AUTH": TEACHER,
                    "I2V_MAX_QUEUED": "200", "I2V_MAX_QUEUED_PER_CLIENT": "200", "OMP_NUM_THREADS": "1"}
        if broker:
            self.env.update(I2V_BROKER=f"redis://127.0.0.1:{self.redis_port}/0", I2V_WORKER_TOKEN=WORKER)
            self.spawn([shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port), "--bind",
                        "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)], "redis")
        self.spawn([sys.executable, "-m", "i2v.cli", "serve", "--port", str(self.port)], "server",
                   I2V_HOME=str(folder / "home"))
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {TEACHER}"})
        self.wait(lambda: self.client.get("/api/v1/health").json()["model"]["state"] == "ready" or broker)

    def spawn(self, argv: list[str], name: str, **env: str) -> Path:
        log = self.folder / f"{name}-{len(self.processes)}.log"
        self.processes.append(subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                               env={**self.env, **env}))
        return log

    def worker(self, name: str) -> None:
        log = self.spawn([sys.executable, "-m", "i2v.cli", "worker", "--server", self.url, "--token", WORKER,
                          "--broker", self.env["I2V_BROKER"], "--model", "tiny", "--name", name], name)
        self.wait(lambda: "ready" in log.read_text(errors="replace"))

    @staticmethod
    def wait(condition, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("timed out")

    def submit(self, png: bytes, **fields: str) -> str:
        response = self.client.post("/api/v1/jobs", files={"image": ("p.png", png, "image/png")}, data={**FIELDS, **fields})
        response.raise_for_status()
        return response.json()["id"]

    def close(self) -> None:
        self.client.close()
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def sequential_latency(cluster: Cluster, png: bytes, n: int) -> list[float]:
    """Seconds from submission to succeeded, one job at a time (nothing else queued)."""
    seconds = []
    for seed in range(n):
        started = time.perf_counter()
        wait_finished(cluster.client, [cluster.submit(png, seed=str(1000 + seed))])
        seconds.append(time.perf_counter() - started)
    return seconds


def protocol_costs(cluster: Cluster, png: bytes, video_job: dict, rounds: int) -> dict[str, float]:
    """Median ms of each worker-API call on loopback, made by a stand-in worker (no generation):
    claim, picture download, entry reservation, one progress report with a preview, and the
    delivery of a real finished video (MP4, thumbnail, input, recipe)."""
    home = cluster.folder / "home"
    mp4 = (home / video_job["video"]).read_bytes()
    thumb = (home / video_job["video"]).with_suffix(".jpg").read_bytes()
    preview = io.BytesIO()
    Image.new("RGB", (256, 192), "gray").save(preview, format="PNG", compress_level=1)
    preview_b64 = base64.b64encode(preview.getvalue()).decode()
    api = httpx.Client(base_url=cluster.url + "/api/v1/worker", timeout=60, headers={"Authorization": f"Bearer {WORKER}"})
    worker_id = "bench0000000000"
    api.post("/heartbeat", json={"worker_id": worker_id, "name": "stand-in", "family": "wan", "models": ["tiny-wan"]})
    timings: dict[str, list[float]] = {k: [] for k in ("claim", "picture", "entry", "progress", "deliver")}
    for n in range(rounds):
        job_id = cluster.submit(png, seed=str(5000 + n), model="tiny-wan", resolution="480p", frames="9")  # no wan worker runs it

        def timed(name: str, call):
            started = time.perf_counter()
            response = call()
            timings[name].append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            return response

        lease = timed("claim", lambda: api.post(f"/jobs/{job_id}/claim", json={"worker_id": worker_id})).json()["lease"]
        headers = {"X-I2V-Lease": lease}
        timed("picture", lambda: api.get(f"/jobs/{job_id}/picture", headers=headers))
        entry = timed("entry", lambda: api.post(f"/jobs/{job_id}/entry", headers=headers)).json()["entry"]
        for step in range(1, 4):
            timed("progress", lambda: api.post(f"/jobs/{job_id}/progress", headers=headers,
                                               json={"step": step, "total": 3, "eta_s": 1.0, "preview": preview_b64}))
        recipe = {**video_job["recipe"], "video": entry + ".mp4"}
        # The MP4 embeds its own name; a re-muxed copy is not needed to time the transfer, so the
        # server refuses it after receiving it (422) — the cost up to that check is what is timed.
        files = {"video": ("v.mp4", mp4, "video/mp4"), "thumbnail": ("t.jpg", thumb, "image/jpeg"),
                 "input": ("i.png", png, "image/png"), "recipe": ("r.json", json.dumps(recipe).encode(), "application/json")}
        started = time.perf_counter()
        answer = api.post(f"/jobs/{job_id}/result", headers=headers, files=files)
        timings["deliver"].append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 422, answer.text
        api.post(f"/jobs/{job_id}/outcome", headers=headers, json={"status": "failed", "error": "benchmark"})
    api.close()
    return {name: round(statistics.median(values), 1) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=12, help="jobs per throughput run (default 12)")
    parser.add_argument("--latency-jobs", type=int, default=5, help="sequential jobs per latency run (default 5)")
    args = parser.parse_args()
    png = png_bytes()
    figures: dict = {"machine": f"{os.cpu_count()} CPU cores", "request": FIELDS, "jobs": args.jobs}

    with tempfile.TemporaryDirectory(prefix="i2v-bench-") as tmp:
        local = Cluster(Path(tmp) / "local", broker=False)
        try:
            local_latency = sequential_latency(local, png, args.latency_jobs)
        finally:
            local.close()

    with tempfile.TemporaryDirectory(prefix="i2v-bench-") as tmp:
        folder = Path(tmp)
        cluster = Cluster(folder, broker=True)
        try:
            cluster.worker("w1")
            remote_latency = sequential_latency(cluster, png, args.latency_jobs)
            throughput = {}
            for count in (1, 2, 3):
                if count > 1:
                    cluster.worker(f"w{count}")
                started = time.perf_counter()
                jobs = wait_finished(cluster.client, [cluster.submit(png, seed=str(count * 100 + n)) for n in range(args.jobs)])
                minutes = (time.perf_counter() - started) / 60
                assert all(j["status"] == "succeeded" for j in jobs), [j["error"] for j in jobs]
                throughput[count] = {"jobs_per_min": round(args.jobs / minutes, 1),
                                     "workers_used": sorted({j["worker"] for j in jobs})}
                print(f"{count} worker(s): {throughput[count]['jobs_per_min']} jobs/min "
                      f"({args.jobs} jobs in {minutes * 60:.1f} s)", flush=True)
            costs = protocol_costs(cluster, png, jobs[-1], rounds=5)
        finally:
            cluster.close()

    figures["throughput"] = throughput
    figures["latency_s"] = {"in_process_median": round(statistics.median(local_latency), 3),
                            "distributed_median": round(statistics.median(remote_latency), 3)}
    figures["overhead_ms_per_job"] = round((statistics.median(remote_latency) - statistics.median(local_latency)) * 1000)
    figures["worker_api_ms"] = costs
    figures["worker_api_ms_per_job"] = round(costs["claim"] + costs["picture"] + costs["entry"] + 3 * costs["progress"]
                                             + costs["deliver"], 1)
    print(f"one job, submitted to finished: in-process {figures['latency_s']['in_process_median']} s, "
          f"distributed (1 worker) {figures['latency_s']['distributed_median']} s: "
          f"{figures['overhead_ms_per_job']} ms more per job")
    print(f"worker API per call (median ms): {costs}; per 3-step job {figures['worker_api_ms_per_job']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
