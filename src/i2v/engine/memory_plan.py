"""The memory plan: where the model runs, in which precision, and how much of it sits on the GPU.

Chosen from the hardware, the model family's memory tiers (its spec) and operator overrides, and
recorded with every video, so a result can always be traced to the plan that made it. On CUDA
out-of-memory the engine steps down to `cheaper()` once; it never silently changes what the teacher
asked for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import psutil
import torch

from i2v.engine.memory_estimate import cheapest_fitting
from i2v.engine.spec import MemoryTier, ModelSpec, Offload

Device = Literal["cuda", "mps", "cpu"]
DType = Literal["bf16", "fp16", "fp32"]

TORCH_DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
GIB = 2**30
OFFLOAD_LADDER: tuple[Offload, ...] = ("none", "model", "group", "sequential")
OFFLOAD_WORDS: dict[str, str] = {
    "none": "whole model on the GPU",
    "model": "one component on the GPU at a time",
    "group": "groups of layers streamed to the GPU, overlapped with compute",
    "sequential": "layers streamed to the GPU one by one",
}


@dataclass(frozen=True)
class MemoryPlan:
    """How one generation uses memory. `reason` says in words why it was chosen."""

    device: Device
    dtype: DType
    vae_dtype: DType
    offload: Offload
    vae_chunk: int
    reason: str
    free_bytes: int | None = None
    vae_tiling: bool = False
    release_encoders: bool = False  # drop the text/image encoders after each job's embeddings; reload next job

    @property
    def torch_dtype(self) -> torch.dtype:
        return TORCH_DTYPES[self.dtype]

    @property
    def torch_vae_dtype(self) -> torch.dtype:
        return TORCH_DTYPES[self.vae_dtype]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def cheaper(self) -> MemoryPlan | None:
        """The next plan down the ladder (more offload, then VAE tiling, then one frame per decode),
        or None at the bottom. Only CUDA has a ladder: elsewhere memory is the machine's RAM."""
        if self.device != "cuda":
            return None
        rung = OFFLOAD_LADDER.index(self.offload)
        if rung + 1 < len(OFFLOAD_LADDER):
            nxt = OFFLOAD_LADDER[rung + 1]
            return dataclasses.replace(self, offload=nxt, vae_chunk=1, reason=f"out of memory with offload={self.offload}; retried with offload={nxt}")
        if not self.vae_tiling:
            return dataclasses.replace(self, vae_tiling=True, vae_chunk=1, reason="out of memory; retried decoding in tiles")
        if self.vae_chunk > 1:
            return dataclasses.replace(self, vae_chunk=1, reason="out of memory; retried decoding one frame at a time")
        return None


def detect_device(preference: str = "auto") -> Device:
    """`preference` if given, else the best present: CUDA, then Apple MPS, then CPU."""
    if preference != "auto":
        if preference == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("I2V_DEVICE=cuda but no CUDA GPU is visible to PyTorch (check the driver and the CUDA build of torch: `i2v doctor`).")
        if preference == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError("I2V_DEVICE=mps but Apple's Metal backend is not available.")
        return preference  # type: ignore[return-value]
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def free_memory(device: Device) -> int:
    """Free bytes where the model's tensors would live (VRAM on CUDA, RAM otherwise)."""
    if device == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    return int(psutil.virtual_memory().available)


def choose_plan(
    spec: ModelSpec, *, device: str = "auto", dtype: str = "auto", offload: str = "auto", vae_chunk: int = 0,
    release_encoders: str = "auto",
) -> MemoryPlan:
    """Measure the hardware, then decide with `plan_for` for the family `spec`."""
    dev = detect_device(device)
    bf16 = dev == "cuda" and torch.cuda.is_bf16_supported()
    from i2v.engine.measured import measured_tiers

    plan = plan_for(dev, dtype=dtype, offload=offload, vae_chunk=vae_chunk, free_bytes=free_memory(dev), bf16=bf16,
                    tiers=spec.memory_tiers, spec=spec, measured=measured_tiers(spec))
    return with_encoder_release(plan, spec, release_encoders, ram_bytes=int(psutil.virtual_memory().available))


def with_encoder_release(plan: MemoryPlan, spec: ModelSpec, setting: str, *, ram_bytes: int) -> MemoryPlan:
    """Release the encoders after each job's embeddings (`setting` "on"), never ("off"), or — "auto" —
    when the weights the plan keeps in RAM would leave less than a quarter of the free RAM: the
    encoders (≈3.45 GiB of I2VGen-XL's fp32 weights) are then read again at the next job's start,
    a cost measured in BENCHMARKS.md and recorded in each recipe's timings."""
    if setting == "off" or spec.footprint is None or not spec.releases_encoders:
        return plan
    if setting == "on":
        return dataclasses.replace(plan, release_encoders=True, reason=plan.reason + "; encoders released after each job's embeddings (operator)")
    in_ram = plan.device == "cpu" or plan.offload != "none"
    if not in_ram:
        return plan
    size = 4 if plan.dtype == "fp32" else 2
    weights = sum(spec.footprint.parameters.values()) * size
    if ram_bytes - weights >= 0.25 * ram_bytes:
        return plan
    return dataclasses.replace(plan, release_encoders=True, reason=(
        plan.reason + f"; RAM short ({ram_bytes / GIB:.1f} GiB free for {weights / GIB:.1f} GiB of weights): "
        "encoders released after each job's embeddings"))


def plan_for(
    device: Device,
    *,
    dtype: str = "auto",
    offload: str = "auto",
    vae_chunk: int = 0,
    free_bytes: int = 0,
    bf16: bool = False,
    tiers: tuple[MemoryTier, ...] = (),
    spec: ModelSpec | None = None,
    measured: tuple[MemoryTier, ...] | None = None,
) -> MemoryPlan:
    """The decision itself, from facts only (so every branch is testable on any machine).

    On CUDA the offload mode comes from, in this order: tiers measured on a real GPU
    (`engine.measured`), the fastest mode whose predicted peak for the family's default job fits
    (`engine.memory_estimate`, when `spec` has a measured footprint), the family's estimated tiers.

    Precision: bf16 where the GPU supports it (fp16 gives black/NaN frames with I2VGen-XL,
    diffusers #8655), fp16 on older GPUs and MPS, fp32 on CPU (bf16 there is ~20× slower).
    The VAE decodes in fp32 under fp16: its upsampling convolutions overflow half range.
    """
    if dtype != "auto":
        dt: DType = dtype  # type: ignore[assignment]
    elif device == "cuda":
        dt = "bf16" if bf16 else "fp16"
    else:
        dt = "fp16" if device == "mps" else "fp32"
    vae_dt: DType = "fp32" if dt == "fp16" else dt
    tiling = False
    if offload != "auto":
        mode: Offload = offload  # type: ignore[assignment]
        why = f"offload={offload} set by the operator"
    elif device != "cuda":
        mode, why = "none", f"{device}: weights stay in {'RAM' if device == 'cpu' else 'unified memory'}"
    elif measured:
        mode, tiling, why = _by_tiers(measured, free_bytes)
    elif (fit := _predicted_fit(spec, free_bytes, dt, vae_dt)) is not None:
        mode, tiling, why = fit
    elif not tiers:
        raise ValueError("a CUDA plan needs the model family's memory tiers (its spec's memory_tiers)")
    else:
        mode, tiling, why = _by_tiers(tiers, free_bytes)
    chunk = vae_chunk or (8 if mode == "none" and device == "cuda" else 1 if device == "cuda" else 4)
    return MemoryPlan(device=device, dtype=dt, vae_dtype=vae_dt, offload=mode, vae_chunk=chunk, reason=why,
                      free_bytes=free_bytes, vae_tiling=tiling)


def _predicted_fit(spec: ModelSpec | None, free_bytes: int, dtype: str, vae_dtype: str) -> tuple[Offload, bool, str] | None:
    """(offload, VAE tiling, reason) from the memory model for the family's default job, or None."""
    if spec is None:
        return None
    preset = spec.preset(spec.default_resolution)
    fit = cheapest_fitting(spec, free_bytes, dtype=dtype, vae_dtype=vae_dtype, width=preset.width,
                           height=preset.height, frames=spec.frames.default)
    if fit is None:
        return None
    offload, tiling, prediction = fit
    why = (f"{free_bytes / GIB:.1f} GiB free VRAM; a default {spec.title} job ({preset.width}×{preset.height}, "
           f"{spec.frames.default} frames) is predicted at {prediction.describe()} with {OFFLOAD_WORDS[offload]}"
           + (", VAE decoded in tiles" if tiling else ""))
    return offload, tiling, why  # type: ignore[return-value]


def _by_tiers(tiers: tuple[MemoryTier, ...], free_bytes: int) -> tuple[Offload, bool, str]:
    tier = next((t for t in tiers if free_bytes >= t.min_free_gib * GIB), tiers[-1])
    why = (f"{free_bytes / GIB:.1f} GiB free VRAM ≥ {tier.min_free_gib:g} GiB ({tier.source}): {OFFLOAD_WORDS[tier.offload]}"
           + (", VAE decoded in tiles" if tier.vae_tiling else ""))
    return tier.offload, tier.vae_tiling, why
