"""What `benchmarks/gpu.py --write-tables` measured on a real GPU, read back by the product.

`measured_gpu.json` (beside this module, committed after a GPU run) holds, per family, the smallest
simulated card each memory plan fitted on, and the measured seconds per step at the family's default
size. The memory plan then prefers measured tiers to estimated ones, and the ETA scales the measured
step time to this machine's GPU by the two devices' dense bf16 peaks — a first-order estimate, said
so in the README. Without the file (no GPU run yet) nothing here changes anything.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from i2v.engine.spec import MemoryTier, ModelSpec

TABLE = Path(__file__).with_name("measured_gpu.json")
# Dense (no sparsity) bf16 tensor-core peaks in TFLOP/s, from the vendors' data sheets; the first name
# found in a device's name wins, so specific names come before general ones.
DENSE_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H200", 989.0), ("H100 PCIe", 756.0), ("H100", 989.0), ("GH200", 989.0), ("B200", 2250.0),
    ("A100", 312.0), ("L40S", 362.0), ("L40", 181.0), ("RTX 6000 Ada", 364.0), ("A6000", 155.0),
    ("RTX 5090", 209.0), ("RTX 4090", 165.0), ("RTX 4080", 97.0), ("RTX 4070", 58.0), ("RTX 3090", 71.0),
    ("RTX 3080", 60.0), ("RTX 3060", 25.0), ("A10G", 70.0), ("A10", 125.0), ("L4", 121.0), ("T4", 65.0),
)


def peak_tflops(device_name: str) -> float | None:
    """The dense bf16 peak of a GPU by its name, or None when it is not in the table."""
    return next((tflops for key, tflops in DENSE_BF16_TFLOPS if key in device_name), None)


@functools.lru_cache(maxsize=4)
def load_table(path: Path = TABLE) -> dict[str, Any] | None:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return table if isinstance(table, dict) and isinstance(table.get("families"), dict) else None


def measured_tiers(spec: ModelSpec, path: Path = TABLE) -> tuple[MemoryTier, ...] | None:
    """The family's tiers from the GPU run: each plan from the smallest card it fitted on, fastest
    plan first; None without measurements."""
    table = load_table(path)
    entry = (table or {}).get("families", {}).get(spec.family)
    fits = (entry or {}).get("fits_from_gib") or {}
    if not fits:
        return None
    ladder = ("none", "model", "model+tiling", "group", "group+tiling", "sequential", "sequential+tiling")
    source = f"measured on {table['device']} capped at that size"
    tiers = [MemoryTier(float(fits[key]), key.split("+")[0], vae_tiling=key.endswith("+tiling"), source=source)
             for key in ladder if key in fits]
    tiers.sort(key=lambda tier: -tier.min_free_gib)
    return (*tiers[:-1], MemoryTier(0.0, tiers[-1].offload, tiers[-1].vae_tiling, source)) if tiers else None


def gpu_seconds(spec: ModelSpec, device_name: str, width: int, height: int, frames: int, steps: int,
                quality: str, path: Path = TABLE) -> float | None:
    """A job's seconds on this GPU from the measured run: steps scaled by latent tokens and by the
    two GPUs' peaks, plus the measured time before the first step and the decode (scaled by pixels).
    None when the family or either GPU's peak is unknown."""
    table = load_table(path)
    entry = (table or {}).get("families", {}).get(spec.family)
    here, there = peak_tflops(device_name), (table or {}).get("peak_tflops")
    if not entry or not entry.get("step_s") or not here or not there or spec.latent is None:
        return None
    ref_w, ref_h = (int(x) for x in str(entry["size"]).split("×"))
    ratio = spec.latent.tokens(width, height, frames) / max(spec.latent.tokens(ref_w, ref_h, int(entry["frames"])), 1)
    fixed = (entry.get("before_first_step_s") or 0.0) + (entry.get("decode_s") or 0.0) * ratio
    seconds = (fixed + steps * entry["step_s"] * ratio) * there / here
    return round(seconds / spec.fast.speedup if quality == "fast" else seconds, 1)
