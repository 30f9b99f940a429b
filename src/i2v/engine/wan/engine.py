"""Wan 2.2 TI2V-5B over diffusers' maintained `WanImageToVideoPipeline`.

We drive the pipeline rather than owning the loop: it is maintained, and everything the product
needs fits through its `callback_on_step_end` — progress and a live preview each step, the NaN
guard on the latents, and cancellation (raising `GenerationCancelled` from the callback stops the
job within one denoising step and before the VAE decode, which is a minute of GPU time at 720p).
The checkpoint is loaded as Wan-AI/Wan2.2-TI2V-5B-Diffusers is meant to be: one transformer
(`transformer_2=None`), no image encoder, the picture's latent in the first latent frame with
timestep 0 (`expand_timesteps=True`), UniPC on flow sigmas with the checkpoint's shift.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKLWan, WanImageToVideoPipeline
from diffusers.hooks import FirstBlockCacheConfig
from diffusers.utils.torch_utils import get_module_execution_device
from PIL import Image

from i2v.engine.base import EngineOutput, GenerationCancelled, ModelInfo, ModelNotAvailable, Progress, ProgressCallback
from i2v.engine.checkpoints import download_command, resolve_checkpoint
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.placement import check_finite, free_accelerator_memory, generate_frames, place_pipeline
from i2v.engine.preview import LatentRGB, fit_latent_rgb
from i2v.engine.wan.spec import SPEC
from i2v.image_input import fit_image
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)

# The Fast preset's cache: a step whose first transformer block changes its residual by less than
# this fraction (relative mean absolute difference) reuses the other blocks' residual from the
# last full step. 0.1 is the middle of what ParaAttention's First Block Cache suggests for video
# (0.05–0.2); see benchmarks/bench_wan.py for the measured speed-up and deviation.
FAST_CACHE = FirstBlockCacheConfig(threshold=0.1)
LATENT_CHANNELS = 48  # the Wan 2.2 VAE (z_dim); Wan 2.1 checkpoints have 16
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def load(model: str, plan: MemoryPlan, *, revision: str | None = None) -> WanEngine:
    """The engine for `model`: the tiny test model, a local diffusers folder, or a downloaded hub id.

    Raises `ModelNotAvailable` when the weights are not here (the message holds the download
    command), are pickled, or are a Wan checkpoint this engine cannot run. Never downloads.
    """
    plan = _wan_plan(plan)
    if model == SPEC.test_model:
        from i2v.engine.wan.test_model import tiny_info, tiny_pipeline

        pipe = tiny_pipeline()
        _cast(pipe.text_encoder, plan.torch_dtype)
        _cast(pipe.transformer, plan.torch_dtype)
        _cast(pipe.vae, plan.torch_vae_dtype)
        return WanEngine(pipe, tiny_info(), plan)
    folder, info = resolve_checkpoint(model, SPEC, revision)
    _check_runnable(folder)
    started = time.perf_counter()
    weights = {"local_files_only": True, "use_safetensors": True}  # never unpickle: a pickle can run code
    vae = AutoencoderKLWan.from_pretrained(folder, subfolder="vae", torch_dtype=plan.torch_vae_dtype, **weights)
    pipe = WanImageToVideoPipeline.from_pretrained(
        folder, vae=vae, torch_dtype=plan.torch_dtype, transformer_2=None, image_encoder=None, image_processor=None,
        boundary_ratio=None, expand_timesteps=True, **weights,
    )
    engine = WanEngine(pipe, info, plan)
    log.info("loaded %s (%s) in %.1f s with plan %s", info.id, info.revision or info.fingerprint,
             time.perf_counter() - started, plan)
    return engine


def _cast(module: torch.nn.Module, dtype: torch.dtype) -> None:
    """Cast an fp32 in-memory model as `from_pretrained(torch_dtype=…)` would load it: the modules
    the class keeps in fp32 (the Wan transformer's norms, time embedding, RoPE) stay fp32."""
    if dtype == torch.float32:
        return
    module.to(dtype)
    keep = getattr(module, "_keep_in_fp32_modules", None) or []
    for name, child in module.named_modules():
        if any(part in keep for part in name.split(".")):
            child.to(torch.float32)


def _wan_plan(plan: MemoryPlan) -> MemoryPlan:
    """The plan with the VAE in fp32 whenever the rest runs in half precision.

    diffusers' Wan examples load `AutoencoderKLWan` in float32 beside a bf16 pipeline: the 2.2
    VAE's decoder loses visible detail (and can overflow in fp16) at half precision, and at 0.7 B
    parameters fp32 costs 2.6 GiB (1.3 GiB more than bf16; benchmarks/bench_wan.py). The recorded
    plan says so, so a video's recipe is true.
    """
    if plan.dtype == "fp32" or plan.vae_dtype == "fp32":
        return plan
    return dataclasses.replace(plan, vae_dtype="fp32")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _check_runnable(folder: Path) -> None:
    """Refuse, before loading gigabytes, a folder this engine cannot run: another Wan checkpoint
    (2.1 with its CLIP image encoder, 2.2 A14B with two transformers, 16-channel latents) or
    weights stored only as pickles."""
    index = _read_json(folder / "model_index.json")
    transformer = _read_json(folder / "transformer" / "config.json")
    vae = _read_json(folder / "vae" / "config.json")

    def present(name: str) -> bool:
        entry = index.get(name)
        return isinstance(entry, list) and any(part is not None for part in entry)

    reasons = []
    if present("transformer_2") or index.get("boundary_ratio") is not None:
        reasons.append("two transformers (a Wan 2.2 A14B checkpoint)")
    if present("image_encoder") or transformer.get("image_dim") is not None:
        reasons.append("a CLIP image encoder (a Wan 2.1 image-to-video checkpoint)")
    if transformer.get("in_channels") != LATENT_CHANNELS or vae.get("z_dim") != LATENT_CHANNELS:
        reasons.append(f"{vae.get('z_dim', '?')}-channel latents and a {transformer.get('in_channels', '?')}-channel "
                       f"transformer input (Wan 2.2 TI2V-5B has {LATENT_CHANNELS} and {LATENT_CHANNELS})")
    if reasons:
        raise ModelNotAvailable(
            f"{folder} holds a Wan checkpoint i2v cannot run: it has {' and '.join(reasons)}. i2v runs "
            f"{SPEC.title}; download it with: {download_command(SPEC.hub_id)}"
        )
    for name in SPEC.weights.components:
        files = [p for p in (folder / name).iterdir() if p.is_file()]
        if not any(p.name.endswith(".safetensors") for p in files) and any(p.suffix in PICKLE_SUFFIXES for p in files):
            raise ModelNotAvailable(
                f"{folder / name} holds only pickled weights ({', '.join(p.name for p in files if p.suffix in PICKLE_SUFFIXES)}); "
                "i2v loads only .safetensors files, because unpickling a file can run code. "
                f"Download the safetensors weights with: {download_command(SPEC.hub_id)}"
            )


class WanEngine:
    """One loaded Wan 2.2 TI2V-5B. Load once, call `generate` for every job (one at a time)."""

    spec = SPEC

    def __init__(self, pipe: WanImageToVideoPipeline, info: ModelInfo, plan: MemoryPlan) -> None:
        self.pipe = pipe
        self.info = info
        self.plan = plan
        self._latent_rgb: LatentRGB | None = None  # fitted on the first job that wants previews
        pipe.set_progress_bar_config(disable=True)
        for component in pipe.components.values():
            if isinstance(component, torch.nn.Module):
                component.eval().requires_grad_(False)
        self.place(plan)

    # ---- memory ---------------------------------------------------------------------------

    def place(self, plan: MemoryPlan) -> None:
        """Put the weights where `plan` says (the OOM ladder calls this with a cheaper plan).
        `plan.vae_chunk` does not apply: the Wan VAE decodes one latent frame at a time anyway,
        carrying its causal convolution cache; `plan.vae_tiling` does."""
        plan = _wan_plan(plan)
        place_pipeline(self.pipe, plan)
        self.plan = plan

    def close(self) -> None:
        """Drop the weights so another family can load. Offload hooks are removed (they hold
        references); nothing is copied back to RAM first, since the weights are being let go."""
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            pipe.remove_all_hooks()
        del pipe
        self._latent_rgb = None
        free_accelerator_memory()

    # ---- public entry ---------------------------------------------------------------------

    def estimate_seconds(self, request: GenerationRequest, image_width: int, image_height: int) -> float | None:
        """The ETA before a job starts; None where this hardware was never measured."""
        return SPEC.estimate_request(request, image_width, image_height, f"{self.plan.device}-{self.plan.dtype}")

    def generate(
        self,
        request: GenerationRequest,
        image: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        keyframes: Sequence[Image.Image] = (),
    ) -> EngineOutput:
        """Frames for a seeded request: uint8 (T, H, W, 3). On CUDA OOM: free, retry once on the next
        cheaper plan; lower the resolution only when `request.allow_downgrade` and no cheaper plan is
        left. Raises `GenerationCancelled`, `NonFiniteError`, `MemoryError`, `RequestError`.
        TI2V-5B takes no keyframes: its `expand_timesteps` path ignores `last_image`."""
        if request.quality not in (None, "standard", "fast"):
            raise ValueError(f"unknown quality {request.quality!r}; use standard or fast")
        return generate_frames(self, SPEC, request, image, lambda req, width, height: self.sample(
            req, fit_image(image, width, height), on_progress=on_progress, cancel=cancel), keyframes=keyframes)

    # ---- one run of the pipeline ----------------------------------------------------------

    def sample(
        self,
        request: GenerationRequest,
        pixels: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        output_type: str = "np",
    ) -> Any:
        """Run the pipeline once on a picture already fitted to the frame size. Returns float frames
        in [0, 1] shaped (T, H, W, 3), or with `output_type="latent"` the final latents (benchmarks).

        "fast" runs `SPEC.fast_steps(steps)` steps with diffusers' First Block Cache on the
        transformer, switched off again afterwards so "standard" stays the plain pipeline call.
        """
        fast = request.quality == "fast"
        steps = SPEC.fast_steps(request.steps) if fast else request.steps
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled(f"cancelled before step 1 of {steps}")
        latent_rgb = self.latent_rgb() if on_progress is not None else None
        started = time.perf_counter()

        def on_step_end(pipe: WanImageToVideoPipeline, i: int, t: torch.Tensor, tensors: dict) -> dict:
            check_finite(tensors["latents"], f"the latents after step {i + 1}", self.plan, SPEC)
            if on_progress is not None:
                elapsed = time.perf_counter() - started
                preview = self._preview(latent_rgb, tensors["latents"]) if latent_rgb is not None else None
                on_progress(Progress(i + 1, steps, elapsed, elapsed / (i + 1) * (steps - i - 1), preview))
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled(f"cancelled after step {i + 1} of {steps}")
            return {}

        transformer = self.pipe.transformer
        if fast:
            transformer.enable_cache(FAST_CACHE)
        try:
            result = self.pipe(
                image=pixels,
                prompt=request.prompt,
                negative_prompt=request.negative_prompt,
                height=pixels.height,
                width=pixels.width,
                num_frames=request.frames,
                num_inference_steps=steps,
                guidance_scale=request.guidance,
                generator=torch.Generator().manual_seed(request.seed),  # CPU: one seed, one video on every device
                output_type=output_type,
                callback_on_step_end=on_step_end,
                callback_on_step_end_tensor_inputs=["latents"],
                max_sequence_length=SPEC.text.max_tokens,
            )
        except BaseException:
            # The pipeline frees its offload hooks only when it returns; after a cancel, NaN or OOM
            # put every component back where the plan keeps it, so the next job starts clean.
            self.pipe.maybe_free_model_hooks()
            raise
        finally:
            if fast:
                transformer.disable_cache()
        if output_type == "latent":
            return result.frames
        video = result.frames[0]
        check_finite(torch.from_numpy(video), "the decoded frames", self.plan, SPEC)
        return video

    # ---- live preview ---------------------------------------------------------------------

    def latent_rgb(self) -> LatentRGB:
        """The latent→RGB map of this model's VAE, fitted once (a VAE encode of one 512² picture)."""
        if self._latent_rgb is None:
            vae = self.pipe.vae
            mean = torch.tensor(vae.config.latents_mean).view(-1, 1, 1)
            std = torch.tensor(vae.config.latents_std).view(-1, 1, 1)

            def encode(pixels: torch.Tensor) -> torch.Tensor:
                device = get_module_execution_device(vae)
                video = pixels[:, :, None].to(device=device, dtype=vae.dtype)  # (1, 3, 1, H, W)
                latent = vae.encode(video).latent_dist.mode()[0, :, 0].float().cpu()
                return (latent - mean) / std  # normalised as the pipeline feeds the transformer

            started = time.perf_counter()
            with torch.no_grad():
                self._latent_rgb = fit_latent_rgb(encode, vae.config.scale_factor_spatial, size=(512, 512))
            self.pipe.maybe_free_model_hooks()  # with model offload, send the VAE back to the CPU
            log.info("fitted the latent preview map in %.1f s", time.perf_counter() - started)
        return self._latent_rgb

    def _preview(self, latent_rgb: LatentRGB, latents: torch.Tensor) -> Image.Image:
        """The model's current guess of the clean middle frame. UniPC keeps its latest prediction of
        the clean latents (`model_outputs[-1]`, x0 for flow prediction); before that exists, the
        noisy latents themselves."""
        outputs = getattr(self.pipe.scheduler, "model_outputs", None)
        clean = outputs[-1] if outputs and outputs[-1] is not None else latents
        middle = clean[0, :, clean.shape[2] // 2]
        return latent_rgb.image(middle, self.pipe.vae.config.scale_factor_spatial)

