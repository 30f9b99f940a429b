"""Time from Generate to the first live preview, per model family.

    .venv/bin/python benchmarks/first_preview.py               # test models, real queue (≈1 min)
    .venv/bin/python benchmarks/first_preview.py --full-size   # + full-size I2VGen-XL on the CPU (≈4 min, ~10 GiB RAM)

Test models go through the real service stack in-process: the SQLite job table, the worker thread
that owns the model, the engine host switching family per job. The clock starts when
`JobService.submit` returns (the job is queued, as after the studio's Generate) and stops when the
first preview is stored with the job's progress (what the studio and `GET /api/v1/jobs/ID/preview`
show). Each family is timed twice: right after another family ran (the switch, a model load,
counts) and again with its model resident.

The full-size I2VGen-XL (random weights, fp32, 128×128 px, 8 frames: a real video size would take
hours here) is built in-process and timed from `generate()` to its first preview callback: prompt
and picture encoding, the first guided UNet step and the latent→RGB preview. The queue's own share
is the test model's warm figure. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from i2v.engine.registry import spec_for
from i2v.request import GenerationRequest
from i2v.samples import gradient_picture
from i2v.settings import Settings
from i2v.web.services import Services

ORDER = ("tiny", "tiny-wan", "tiny-wan", "tiny-ltx", "tiny-ltx", "tiny", "tiny")
PROMPT = "a cell dividing slowly under a microscope"


def picture_bytes() -> bytes:
    buffer = io.BytesIO()
    gradient_picture(400, 300).save(buffer, format="PNG")
    return buffer.getvalue()


def fields_for(model: str) -> dict[str, str]:
    """The family's smallest size and frame count near 9, a few steps: the first preview comes after step 1."""
    spec = spec_for(model)
    return {"prompt": PROMPT, "model": model, "resolution": spec.resolutions[0].name,
            "frames": str(spec.frames.nearest(9)), "steps": "4", "seed": "1"}


def wait(services: Services, job_id: str, timeout: float = 300.0) -> tuple[float | None, str]:
    """Seconds until the job's first stored preview (None if it never had one) and its final status."""
    started, first = time.perf_counter(), None
    while time.perf_counter() - started < timeout:
        if first is None and services.store.preview(job_id)[0] is not None:
            first = time.perf_counter() - started
        status = services.store.get(job_id).status
        if status in ("succeeded", "failed", "cancelled"):
            return first, status
        time.sleep(0.01)
    raise TimeoutError(f"job {job_id} did not finish in {timeout:.0f} s")


def test_models() -> list[dict]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), model="tiny", models="tiny-wan,tiny-ltx")
        services = Services.build(settings)
        services.start()
        try:
            while services.host.status.state != "ready":
                time.sleep(0.1)
            image, rows, previous = picture_bytes(), [], None
            for model in ORDER:
                job = services.jobs.submit(image, fields_for(model), client="bench")
                first, status = wait(services, job.id)
                rows.append({"model": model, "after": "switch" if previous not in (None, model) else "warm",
                             "first_preview_s": round(first, 3) if first is not None else None, "status": status})
                print(f"{model:9s} {rows[-1]['after']:6s} first preview after {first:.2f} s ({status})", flush=True)
                previous = model
        finally:
            services.stop()
    return rows


def full_size(size: int, frames: int) -> dict:
    import torch

    from i2v.engine.base import GenerationCancelled
    from i2v.engine.i2vgenxl import SPEC
    from i2v.engine.i2vgenxl.engine import I2VGenXLEngine
    from i2v.engine.i2vgenxl.test_model import full_size_components, full_size_info
    from i2v.engine.memory_plan import detect_device, plan_for

    started = time.perf_counter()
    plan = plan_for(detect_device("cpu"))
    engine = I2VGenXLEngine(full_size_components(torch.float32, on_device=True), full_size_info(), plan)
    built = time.perf_counter() - started
    request = SPEC.complete(GenerationRequest(prompt=PROMPT, frames=frames, fps=8, steps=2, seed=1))
    first: list[float] = []
    cancel = threading.Event()

    def on_progress(progress) -> None:
        if progress.preview is not None and not first:
            first.append(time.perf_counter() - clock)
            cancel.set()  # the rest of the job is not what this measures

    runs = []
    for _ in range(2):
        first.clear()
        cancel.clear()
        clock = time.perf_counter()
        try:
            engine.sample_latents(request, gradient_picture(2 * size, 2 * size), size, size,
                                  on_progress=on_progress, cancel=cancel)
        except GenerationCancelled:  # stopped after the first preview: the rest is not what this measures
            pass
        runs.append(round(first[0], 2))
        print(f"full-size I2VGen-XL {size}×{size}×{frames}: first preview after {first[0]:.1f} s", flush=True)
    return {"size": [size, size], "frames": frames, "build_s": round(built, 1), "first_preview_s": runs,
            "best_s": min(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full-size", action="store_true", help="also the full-size I2VGen-XL (≈10 GiB RAM)")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    rows = test_models()
    result: dict = {"machine": f"{os.cpu_count()}-core CPU, fp32", "load_average": os.getloadavg()[0], "test_models": rows}
    summary = {}
    for row in rows:
        if row["first_preview_s"] is not None:
            summary.setdefault(row["model"], {}).setdefault(row["after"], []).append(row["first_preview_s"])
    result["summary"] = {m: {k: statistics.median(v) for k, v in d.items()} for m, d in summary.items()}
    if args.full_size:
        result["full_size_i2vgenxl"] = full_size(args.size, args.frames)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
