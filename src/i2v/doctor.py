"""`i2v doctor`: check the machine and say how to fix what is wrong, one line per check."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import psutil
import torch

from i2v.engine.base import ModelNotAvailable
from i2v.engine.memory import GIB, choose_plan
from i2v.settings import TINY_MODEL, Settings

MIN_DISK_GIB = 15


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings) -> list[Check]:
    return [_device(), _memory(settings), _weights(settings), _encoder(), _disk(settings)]


def _device() -> Check:
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        free, total = torch.cuda.mem_get_info()
        return Check("GPU", True, f"{name}: {free / GIB:.1f} of {total / GIB:.1f} GiB free; bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}")
    if torch.backends.mps.is_available():
        return Check("GPU", True, "Apple Metal (MPS)")
    build = "CPU-only build of PyTorch" if torch.version.cuda is None else f"PyTorch built for CUDA {torch.version.cuda}, but no GPU is visible"
    return Check(
        "GPU", False, f"none ({build}); CPU is only good for tests with --model tiny",
        "Install the NVIDIA driver, then: pip install torch==2.13.0 (Linux wheels on PyPI include CUDA).",
    )


def _memory(settings: Settings) -> Check:
    plan = choose_plan(device=settings.device, dtype=settings.dtype, offload=settings.offload, vae_chunk=settings.vae_chunk)
    ram = psutil.virtual_memory()
    detail = f"RAM {ram.available / GIB:.1f} of {ram.total / GIB:.1f} GiB free; plan: {plan.device} {plan.dtype}, offload={plan.offload} ({plan.reason})"
    ok = ram.available >= 12 * GIB or settings.model == TINY_MODEL
    return Check("Memory", ok, detail, "" if ok else "Close other programs: loading the model needs about 12 GiB of free RAM.")


def _weights(settings: Settings) -> Check:
    if settings.model == TINY_MODEL:
        return Check("Weights", True, "tiny test model (random weights, built in memory)")
    from i2v.engine.i2vgenxl import resolve_checkpoint

    try:
        folder, info = resolve_checkpoint(settings.model, settings.revision)
    except ModelNotAvailable as exc:
        return Check("Weights", False, str(exc).split(". ")[0], f"i2v download --model {settings.model}")
    from i2v.download import verify

    problems = verify(folder, "fp16" if any((folder / "unet").glob("*.fp16.*")) else None)
    if problems:
        return Check("Weights", False, f"{folder}: " + "; ".join(problems[:3]), f"i2v download --model {settings.model}")
    return Check("Weights", True, f"{info.id} at {folder} ({info.revision or info.fingerprint}); configs and tensor headers readable")


def _encoder() -> Check:
    import av

    try:
        av.codec.Codec("libx264", "w")
        return Check("Video encoder", True, f"H.264 (libx264) via PyAV {av.__version__}")
    except Exception as exc:  # noqa: BLE001
        return Check("Video encoder", False, f"libx264 unavailable ({exc})", "pip install --force-reinstall av")


def _disk(settings: Settings) -> Check:
    settings.home.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.home).free / GIB
    ok = free >= MIN_DISK_GIB
    return Check("Disk", ok, f"{free:.0f} GiB free at {settings.home.resolve()}", "" if ok else f"Free at least {MIN_DISK_GIB} GiB (weights take ~11 GB).")
