"""The memory plan: where the model runs, in which precision, and how much of it sits on the GPU.

Chosen once from the hardware (and operator overrides) and recorded with every video, so a
result can always be traced to the plan that made it. On CUDA out-of-memory the engine steps
down to `cheaper()` once; it never silently changes what the teacher asked for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import psutil
import torch

Device = Literal["cuda", "mps", "cpu"]
DType = Literal["bf16", "fp16", "fp32"]
Offload = Literal["none", "model", "sequential"]

TORCH_DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
GIB = 2**30
# Free-VRAM thresholds for the offload choice. Weights are ~4.65 GiB in half precision
# (shared/README); activations at 512p/16 frames need several GiB more. Published reports:
# 12 GB cards run with model offload, 8 GB cards run out of memory without sequential offload.
# These are estimates until measured on each card class (see README's hardware guide).
NO_OFFLOAD_MIN_FREE = 20 * GIB
MODEL_OFFLOAD_MIN_FREE = 10 * GIB
OFFLOAD_LADDER: tuple[Offload, ...] = ("none", "model", "sequential")


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

    @property
    def torch_dtype(self) -> torch.dtype:
        return TORCH_DTYPES[self.dtype]

    @property
    def torch_vae_dtype(self) -> torch.dtype:
        return TORCH_DTYPES[self.vae_dtype]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def cheaper(self) -> MemoryPlan | None:
        """The next plan down the ladder (more offload, smaller VAE chunks), or None at the bottom."""
        if self.device != "cuda":
            return None
        rung = OFFLOAD_LADDER.index(self.offload)
        if rung + 1 < len(OFFLOAD_LADDER):
            nxt = OFFLOAD_LADDER[rung + 1]
            return dataclasses.replace(self, offload=nxt, vae_chunk=1, reason=f"out of memory with offload={self.offload}; retried with offload={nxt}")
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


def choose_plan(*, device: str = "auto", dtype: str = "auto", offload: str = "auto", vae_chunk: int = 0) -> MemoryPlan:
    """Measure the hardware, then decide with `plan_for`."""
    dev = detect_device(device)
    bf16 = dev == "cuda" and torch.cuda.is_bf16_supported()
    return plan_for(dev, dtype=dtype, offload=offload, vae_chunk=vae_chunk, free_bytes=free_memory(dev), bf16=bf16)


def plan_for(
    device: Device,
    *,
    dtype: str = "auto",
    offload: str = "auto",
    vae_chunk: int = 0,
    free_bytes: int = 0,
    bf16: bool = False,
) -> MemoryPlan:
    """The decision itself, from facts only (so every branch is testable on any machine).

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
    if offload != "auto":
        mode: Offload = offload  # type: ignore[assignment]
        why = f"offload={offload} set by the operator"
    elif device != "cuda":
        mode, why = "none", f"{device}: weights stay in {'RAM' if device == 'cpu' else 'unified memory'}"
    elif free_bytes >= NO_OFFLOAD_MIN_FREE:
        mode, why = "none", f"{free_bytes / GIB:.1f} GiB free VRAM ≥ {NO_OFFLOAD_MIN_FREE // GIB} GiB: whole model on the GPU"
    elif free_bytes >= MODEL_OFFLOAD_MIN_FREE:
        mode, why = "model", f"{free_bytes / GIB:.1f} GiB free VRAM: one component on the GPU at a time"
    else:
        mode, why = "sequential", f"{free_bytes / GIB:.1f} GiB free VRAM < {MODEL_OFFLOAD_MIN_FREE // GIB} GiB: layers streamed to the GPU"
    chunk = vae_chunk or (8 if mode == "none" and device == "cuda" else 1 if device == "cuda" else 4)
    return MemoryPlan(device=device, dtype=dt, vae_dtype=vae_dt, offload=mode, vae_chunk=chunk, reason=why, free_bytes=free_bytes)


# Measured on the 2-core development CPU, full-size model, fp32 (BENCHMARKS.md, benchmarks/run.py):
# one CFG denoising step at 128×128 px and 8 frames, how it grows with pixels and frames, the VAE
# decode per frame at 128×128 px, and the resident weights.
CPU_STEP_S_128PX_8F = 11.5
CPU_STEP_PIXEL_EXPONENT = 1.13  # from the FLOP counts (512→768 px: 2.25× pixels, 2.50× compute)
CPU_STEP_FRAME_EXPONENT = 1.0
CPU_DECODE_S_PER_FRAME_128PX = 1.65
CPU_ENCODE_S = 3.0  # text + image encoders and the first frame's VAE latent
CPU_FP32_WEIGHTS_GIB = 9.6


def estimate_seconds(plan: MemoryPlan, width: int, height: int, frames: int, steps: int, *, speedup: float = 1.0) -> float | None:
    """Expected wall time of one generation before it starts, from the measured CPU figures.

    `speedup` divides the denoising part (the Fast preset's measured factor). Returns None where
    nothing was measured (GPUs, MPS, half precision): an honest "unknown" beats a made-up number.
    """
    if plan.device != "cpu" or plan.dtype != "fp32":
        return None
    pixels = width * height / (128 * 128)
    step = CPU_STEP_S_128PX_8F * pixels**CPU_STEP_PIXEL_EXPONENT * (frames / 8) ** CPU_STEP_FRAME_EXPONENT
    decode = CPU_DECODE_S_PER_FRAME_128PX * pixels * frames
    return CPU_ENCODE_S + steps * step / speedup + decode
