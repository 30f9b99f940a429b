"""`i2v doctor`: check the machine and say how to fix what is wrong, one line per check."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import psutil
import torch

from i2v.download import download_command, i2v_program
from i2v.engine.base import ModelNotAvailable
from i2v.engine.memory_plan import GIB, choose_plan
from i2v.engine.registry import UnknownModel, is_test_model, spec_for
from i2v.settings import DEFAULT_MODEL, Settings

MIN_DISK_GIB = 15
CUDA_INDEX_URL = "https://download.pytorch.org/whl/cu128"  # PyTorch's CUDA 12.8 wheels


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
    return Check("GPU", False, f"none ({_torch_build()}); CPU is only good for tests with --model tiny", gpu_fix(torch.version.cuda))


def _torch_build() -> str:
    if torch.version.cuda is None:
        return f"CPU-only build of PyTorch {torch.__version__}"
    return f"PyTorch built for CUDA {torch.version.cuda}, but no GPU is visible"


def gpu_fix(cuda_build: str | None, version: str | None = None) -> str:
    """What to do when no GPU is visible. With the CPU build installed, a plain
    `pip install torch==X` does nothing (that version is already there): the CUDA build has to
    come from PyTorch's own index, replacing the installed one."""
    if cuda_build is not None:
        return "Install or update the NVIDIA driver (`nvidia-smi` must list the card), then start i2v again."
    version = version or torch.__version__.split("+")[0]
    return ("Install the NVIDIA driver, then replace the CPU build of PyTorch with the CUDA one, from the app's folder: "
            f".venv/bin/pip install --force-reinstall torch=={version} --index-url {CUDA_INDEX_URL}")


def _memory(settings: Settings) -> Check:
    try:
        spec = spec_for(settings.model, settings.revision)
    except UnknownModel as exc:
        return Check("Memory", False, str(exc), "Set I2V_MODEL to a model i2v knows (see README: the model families).")
    plan = choose_plan(spec, device=settings.device, dtype=settings.dtype, offload=settings.offload, vae_chunk=settings.vae_chunk)
    ram = psutil.virtual_memory()
    # Loading reads the weights into RAM first: about their half-precision size (twice that in fp32).
    need_gib = spec.weights.download_gb * (1 if plan.dtype != "fp32" else 2) * 0.5 + 2
    detail = (f"RAM {ram.available / GIB:.1f} of {ram.total / GIB:.1f} GiB free; {spec.title} plan: {plan.device} "
              f"{plan.dtype}, offload={plan.offload} ({plan.reason})")
    ok = ram.available >= need_gib * GIB or is_test_model(settings.model)
    return Check("Memory", ok, detail, "" if ok else f"Close other programs: loading {spec.title} needs about {need_gib:.0f} GiB of free RAM.")


def _weights(settings: Settings) -> Check:
    if is_test_model(settings.model):
        return Check("Weights", True, f"{settings.model}: test model (random weights, built in memory)")
    from i2v.download import verify
    from i2v.engine.checkpoints import resolve_checkpoint

    try:
        spec = spec_for(settings.model, settings.revision)
        folder, info = resolve_checkpoint(settings.model, spec, settings.revision)
    except UnknownModel as exc:
        return Check("Weights", False, str(exc), f"Set I2V_MODEL to a model i2v knows ({i2v_program()} models lists them), "
                                                  f"or download the default one: {download_command(DEFAULT_MODEL)}")
    except ModelNotAvailable as exc:
        return Check("Weights", False, str(exc).split(". ")[0], download_command(settings.model, settings.revision))
    wanted = spec.weights.variant
    variant = wanted if wanted and any((folder / name).glob(f"*.{wanted}.*") for name in spec.weights.components) else None
    problems = verify(folder, spec, variant)
    if problems:
        return Check("Weights", False, f"{folder}: " + "; ".join(problems[:3]), download_command(settings.model, settings.revision))
    return Check("Weights", True, f"{spec.title}: {info.id} at {folder} ({info.revision or info.fingerprint}); "
                                  "configs and tensor headers readable")


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
    return Check("Disk", ok, f"{free:.0f} GiB free at {settings.home.resolve()}", "" if ok else f"Free at least {MIN_DISK_GIB} GiB for videos (downloads of weights need more: see README).")
