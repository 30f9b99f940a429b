"""What every family's engine shares about memory: putting weights where the plan says, the
out-of-memory ladder (and the `generate` built on it), freeing memory between jobs, and the NaN/inf guard.

Families differ in their parts (a UNet with encoders, or a diffusers pipeline), not in these rules,
so the rules live here once.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import torch
from PIL import Image

from i2v.engine.base import EngineOutput, NonFiniteError
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.spec import ModelSpec
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)
T = TypeVar("T")


class Placeable(Protocol):
    plan: MemoryPlan

    def place(self, plan: MemoryPlan) -> None:
        """Move weights to where `plan` says (only ever towards more offload)."""
        ...


def free_accelerator_memory() -> None:
    """Release cached blocks after a job or an OOM, so the next attempt starts clean."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def generate_frames(
    engine: Placeable, spec: ModelSpec, request: GenerationRequest, image: Image.Image,
    sample: Callable[[GenerationRequest, int, int], np.ndarray | torch.Tensor],
    timings: Callable[[], dict[str, float]] = dict,
    keyframes: Sequence[Image.Image] = (),
) -> EngineOutput:
    """Every family's `generate`: refuse an unseeded request, complete it with the family's
    defaults, then run `sample(request, width, height)` (float frames in [0, 1], (T, H, W, 3)) at
    the request's size through the out-of-memory ladder. `timings` adds what the engine itself
    measured (e.g. an encoder reload) to the attempt's own time. `keyframes` are the pictures the
    request's `keyframes` positions name, one each (the engine's `sample` fits them itself)."""
    if request.seed is None:
        raise ValueError("generate() needs a seeded request; call request.with_seed() first")
    if len(keyframes) != len(request.keyframes):
        raise ValueError(f"the request places {len(request.keyframes)} picture(s) after the first but "
                         f"{len(keyframes)} were given")
    request = spec.complete(request)

    def attempt(resolution: str) -> EngineOutput:
        width, height = spec.frame_size(resolution, image.width, image.height)
        started = time.perf_counter()
        frames = to_uint8(sample(request, width, height))
        measured = {"generate_s": round(time.perf_counter() - started, 3), **timings()}
        return EngineOutput(frames, width, height, resolution, engine.plan, [], measured)

    output, _, changes = run_with_memory_ladder(attempt, engine, spec, request.resolution,
                                                allow_downgrade=request.allow_downgrade)
    output.plan_changes = changes
    return output


def to_uint8(video: np.ndarray | torch.Tensor) -> np.ndarray:
    """[0, 1] floats → uint8 with rounding (as diffusers' `numpy_to_pil`)."""
    array = video.numpy() if isinstance(video, torch.Tensor) else video
    return (array * 255).round().astype(np.uint8)


def run_with_memory_ladder(
    attempt: Callable[[str], T], engine: Placeable, spec: ModelSpec, resolution: str, *, allow_downgrade: bool
) -> tuple[T, str, list[str]]:
    """`attempt(resolution)`; on CUDA out-of-memory free memory and retry once on the next cheaper
    plan, or — only when the request allows it and no cheaper plan is left — at the next smaller
    resolution. Returns (result, resolution used, what changed and why, for the recipe).

    Raises `MemoryError` with a plain-language tip when memory runs out again.
    """
    changes: list[str] = []
    retried = False
    while True:
        try:
            return attempt(resolution), resolution, changes
        except torch.OutOfMemoryError:
            pass  # leave the except block so the exception (and its frames' tensors) can be freed
        free_accelerator_memory()
        if retried:
            raise MemoryError(
                "The GPU ran out of memory again after switching to a cheaper memory plan "
                f"({engine.plan.offload} offload). Choose a smaller resolution or fewer frames"
                + ("" if allow_downgrade else ", or allow a lower resolution") + "."
            )
        retried = True
        cheaper = engine.plan.cheaper()
        if cheaper is not None:
            changes.append(cheaper.reason)
            log.warning("CUDA out of memory: %s", cheaper.reason)
            engine.place(cheaper)
            continue
        smaller = spec.lower_resolution(resolution) if allow_downgrade else None
        if smaller is None:
            raise MemoryError(
                "The GPU ran out of memory even with the most economical plan "
                "(layers streamed to the GPU, the video decoded in tiles, one frame at a time). "
                "Choose a smaller resolution or fewer frames."
            )
        changes.append(f"out of memory at {resolution}; lowered to {smaller} (allowed by the request)")
        resolution = smaller


def check_finite(tensor: torch.Tensor, what: str, plan: MemoryPlan, spec: ModelSpec) -> None:
    """Raise `NonFiniteError` naming the likely cause and the fix when `tensor` holds NaN/inf."""
    if torch.isfinite(tensor).all():
        return
    if plan.dtype == "fp16":
        known = f"This is {spec.fp16_issue}. " if spec.fp16_issue else f"Half precision (fp16) can overflow in {spec.title}. "
        hint = known + "Set I2V_DTYPE=bf16 if your GPU supports it (RTX 30xx and newer), otherwise I2V_DTYPE=fp32."
    else:
        hint = f"The model ran in {plan.dtype}; try I2V_DTYPE=fp32, and check the weights with `i2v doctor`."
    raise NonFiniteError(f"The model produced invalid numbers (NaN/inf) in {what}. {hint}")


def strip_offload_hooks(module: torch.nn.Module) -> None:
    """Remove what an earlier plan attached — accelerate's offload hooks and diffusers' group
    offloading — so a module can be placed again under another plan (the OOM ladder moves down it;
    the GPU benchmark also moves back up)."""
    from accelerate.hooks import remove_hook_from_module

    remove_hook_from_module(module, recurse=True)
    if getattr(module, "_diffusers_hook", None) is not None or any(
            getattr(m, "_diffusers_hook", None) is not None for m in module.modules()):
        from diffusers.hooks import HookRegistry
        from diffusers.hooks.group_offloading import (
            _GROUP_OFFLOADING, _LAYER_EXECUTION_TRACKER, _LAZY_PREFETCH_GROUP_OFFLOADING,
        )

        registry = HookRegistry.check_if_exists_or_initialize(module)
        for name in (_GROUP_OFFLOADING, _LAYER_EXECUTION_TRACKER, _LAZY_PREFETCH_GROUP_OFFLOADING):
            registry.remove_hook(name, recurse=True)


def place_pipeline(pipe: Any, plan: MemoryPlan, *, denoiser: str | tuple[str, ...] = "transformer") -> None:
    """Apply `plan` to a diffusers pipeline: whole on the device, model offload (one component on
    the GPU at a time), group offload (layers streamed with CUDA streams, overlapping compute), or
    sequential offload; VAE tiling when the plan asks. Hooks from an earlier plan are removed first.
    `denoiser` names the component (or, for two experts, the components) offloaded leaf by leaf.
    """
    denoisers = (denoiser,) if isinstance(denoiser, str) else denoiser
    pipe.remove_all_hooks()
    for component in pipe.components.values():
        if isinstance(component, torch.nn.Module):
            strip_offload_hooks(component)
    device = torch.device(plan.device)
    if plan.offload != "none":
        pipe.to("cpu")  # offload hooks move weights in from the CPU
    if plan.offload == "none":
        pipe.to(device)
    elif plan.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif plan.offload == "group":
        from diffusers.hooks import apply_group_offloading

        for name, component in pipe.components.items():
            if isinstance(component, torch.nn.Module):
                level = "leaf_level" if name in denoisers else "block_level"
                kwargs = {"num_blocks_per_group": 1} if level == "block_level" and hasattr(component, "enable_group_offload") else {}
                if hasattr(component, "enable_group_offload"):
                    component.enable_group_offload(device, offload_type=level, use_stream=device.type == "cuda", **kwargs)
                else:  # transformers models: diffusers' hook function works on any module
                    apply_group_offloading(component, onload_device=device, offload_type="leaf_level",
                                           use_stream=device.type == "cuda")
    else:
        pipe.enable_sequential_cpu_offload(device=device)
    vae = getattr(pipe, "vae", None)
    if vae is not None and hasattr(vae, "enable_tiling"):
        (vae.enable_tiling if plan.vae_tiling else vae.disable_tiling)()
