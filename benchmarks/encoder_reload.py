"""What the memory plan's "release encoders" mode saves and costs for I2VGen-XL (full size, random weights).

    .venv/bin/python benchmarks/encoder_reload.py          # ≈2 min on the 2-core CPU; last line JSON

The text and image encoders are saved once as safetensors (fp32, ~3.9 GB, under ~/.cache/i2v-bench),
then read back the way the engine reads them at the start of a job when the plan released them
(`components.load_encoders`). Saved: their resident memory; cost: the reload, per job.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from i2v.engine.i2vgenxl import SPEC  # noqa: E402
from i2v.engine.i2vgenxl.components import load_encoders  # noqa: E402
from i2v.engine.i2vgenxl.test_model import full_size_factories  # noqa: E402
from i2v.engine.memory_plan import plan_for  # noqa: E402

FOLDER = Path(os.environ.get("I2V_BENCH_DIR", Path.home() / ".cache" / "i2v-bench")) / "i2vgenxl-encoders"


def main() -> None:
    factories = full_size_factories()
    if not (FOLDER / "image_encoder" / "model.safetensors").is_file():
        torch.manual_seed(0)
        for name in ("text_encoder", "image_encoder"):
            factories[name]().save_pretrained(FOLDER / name)
    sizes = {name: sum(f.stat().st_size for f in (FOLDER / name).glob("*.safetensors")) for name in ("text_encoder", "image_encoder")}
    plan = plan_for("cpu")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        text, image = load_encoders(FOLDER, plan)
        times.append(time.perf_counter() - started)
        resident = sum(p.numel() * p.element_size() for m in (text, image) for p in m.parameters())
        del text, image
    result = {
        "family": SPEC.family, "machine": "2-core CPU, fp32, files in the page cache after the first read",
        "encoders_gib": round(resident / 2**30, 2), "files_gib": round(sum(sizes.values()) / 2**30, 2),
        "reload_s": [round(t, 2) for t in times], "reload_median_s": round(statistics.median(times), 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    print(f"encoders {result['encoders_gib']} GiB resident; reload {result['reload_s']} s (median {result['reload_median_s']} s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
