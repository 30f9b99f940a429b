"""Wan 2.2 I2V-A14B over diffusers' maintained `WanImageToVideoPipeline`: two experts, an end picture,
and the 4-step Lightning LoRA as the Fast preset.

As for TI2V-5B, we drive the pipeline rather than own the loop; progress, the live preview, the NaN
guard and cancellation ride on `callback_on_step_end`. What differs is the checkpoint's shape: two
transformers switched at `boundary_ratio` (the pipeline picks the expert per step: timestep ≥
0.9 × 1000 → `transformer`, else `transformer_2`), no `expand_timesteps` (the picture's latent and a
mask are concatenated to the noise, 36 channels), so `last_image` fixes the last frame. Under model
offload only the expert computing is on the GPU (`model_cpu_offload_seq` moves `transformer` out when
`transformer_2` comes in), which is what lets one 14 B expert's weights, not two, set the peak.

Fast: lightx2v's Lightning LoRA, one file per expert, loaded once into both with diffusers' Wan LoRA
loader (peft), active only for a Fast job: 4 steps, guidance 1 (no unconditional pass). Its adapters
are switched off again afterwards, so "standard" stays the plain checkpoint.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKLWan, WanImageToVideoPipeline
from diffusers.utils.torch_utils import get_module_execution_device
from PIL import Image

from i2v.engine.base import EngineOutput, GenerationCancelled, ModelInfo, ModelNotAvailable, Progress, ProgressCallback
from i2v.engine.checkpoints import cached_snapshot, download_command, resolve_checkpoint
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.placement import check_finite, free_accelerator_memory, generate_frames, place_pipeline
from i2v.engine.preview import LatentRGB, fit_latent_rgb
from i2v.engine.wan.engine import _cast, _wan_plan  # the Wan family's casting and fp32-VAE rules
from i2v.engine.wan_a14b.spec import LIGHTNING_FILES, LIGHTNING_FOLDER, LIGHTNING_REPO, SPEC
from i2v.image_input import fit_image
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)

EXPERTS = ("transformer", "transformer_2")  # high noise, low noise
ADAPTERS = {"transformer": "lightning", "transformer_2": "lightning_2"}
LATENT_CHANNELS = 16  # the Wan 2.1 VAE
INPUT_CHANNELS = 36  # 16 noise + 4 mask + 16 picture latent


def load(model: str, plan: MemoryPlan, *, revision: str | None = None) -> WanA14BEngine:
    """The engine for `model`: the test model, a local diffusers folder, or a downloaded hub id.
    Raises `ModelNotAvailable` (weights not here: the message holds the download command; a folder
    of another Wan layout). Never downloads."""
    plan = _wan_plan(plan)
    if model == SPEC.test_model:
        from i2v.engine.wan_a14b.test_model import tiny_info, tiny_lightning_lora, tiny_pipeline

        pipe = tiny_pipeline()
        loras = tiny_lightning_lora(pipe)
        for name in ("text_encoder", *EXPERTS):
            _cast(getattr(pipe, name), plan.torch_dtype)
        _cast(pipe.vae, plan.torch_vae_dtype)
        return WanA14BEngine(pipe, tiny_info(), plan, lightning=lambda: loras)
    folder, info = resolve_checkpoint(model, SPEC, revision)
    _check_runnable(folder)
    started = time.perf_counter()
    weights = {"local_files_only": True, "use_safetensors": True}  # never unpickle
    vae = AutoencoderKLWan.from_pretrained(folder, subfolder="vae", torch_dtype=plan.torch_vae_dtype, **weights)
    pipe = WanImageToVideoPipeline.from_pretrained(folder, vae=vae, torch_dtype=plan.torch_dtype, image_encoder=None,
                                                   image_processor=None, **weights)
    engine = WanA14BEngine(pipe, info, plan, lightning=read_lightning)
    log.info("loaded %s (%s) in %.1f s with plan %s", info.id, info.revision or info.fingerprint,
             time.perf_counter() - started, plan)
    return engine


def _check_runnable(folder: Path) -> None:
    """Refuse, before loading 60 GB, a folder that is not the two-expert I2V layout."""
    def config(name: str) -> dict[str, Any]:
        try:
            value = json.loads((folder / name / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    reasons = [f"{name}/ with {config(name).get('in_channels', '?')} input channels (A14B I2V has {INPUT_CHANNELS})"
               for name in EXPERTS if config(name).get("in_channels") != INPUT_CHANNELS]
    if config("vae").get("z_dim", LATENT_CHANNELS) != LATENT_CHANNELS:
        reasons.append(f"a {config('vae').get('z_dim')}-channel VAE (A14B uses the 16-channel Wan 2.1 VAE)")
    if reasons:
        raise ModelNotAvailable(f"{folder} is not a Wan 2.2 I2V-A14B checkpoint: it has {'; '.join(reasons)}. "
                                f"Download it with: {download_command(SPEC.hub_id)}")


def lightning_command() -> str:
    """The command that fetches the two Lightning files (≈1.2 GB, rank 64) into the hub cache."""
    return f'huggingface-cli download {LIGHTNING_REPO} --include "{LIGHTNING_FOLDER}/*"'


def read_lightning() -> dict[str, dict[str, torch.Tensor]]:
    """The Lightning LoRA's two state dicts from the hub cache (safetensors only). Raises
    `ModelNotAvailable` with the download command when they are not here."""
    from safetensors.torch import load_file

    snapshot = cached_snapshot(LIGHTNING_REPO)
    paths = {name: snapshot / LIGHTNING_FOLDER / file for name, file in LIGHTNING_FILES.items()} if snapshot else {}
    if not paths or not all(path.is_file() for path in paths.values()):
        raise ModelNotAvailable(f"Fast for {SPEC.title} needs the 4-step Lightning LoRA, which is not on this machine. "
                                f"Fetch it with: {lightning_command()} (or choose Standard quality)")
    return {name: load_file(str(path)) for name, path in paths.items()}


class WanA14BEngine:
    """One loaded Wan 2.2 I2V-A14B. Load once, call `generate` for every job (one at a time)."""

    spec = SPEC

    def __init__(self, pipe: WanImageToVideoPipeline, info: ModelInfo, plan: MemoryPlan, *,
                 lightning: Any = None) -> None:
        self.pipe = pipe
        self.info = info
        self.plan = plan
        self._lightning_source = lightning  # () → {expert: LoRA state dict}, read on the first Fast job
        self._lightning_loaded = False
        self._latent_rgb: LatentRGB | None = None
        self.experts_used: list[str] = []  # which expert ran each step of the last job (tests, benchmarks)
        pipe.set_progress_bar_config(disable=True)
        for component in pipe.components.values():
            if isinstance(component, torch.nn.Module):
                component.eval().requires_grad_(False)
        self.place(plan)

    # ---- memory ---------------------------------------------------------------------------

    def place(self, plan: MemoryPlan) -> None:
        """Put the weights where `plan` says; both experts are denoisers (leaf-level group offload)."""
        plan = _wan_plan(plan)
        place_pipeline(self.pipe, plan, denoiser=EXPERTS)
        self.plan = plan

    def close(self) -> None:
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            pipe.remove_all_hooks()
        del pipe
        self._latent_rgb = None
        free_accelerator_memory()

    # ---- public entry ---------------------------------------------------------------------

    def estimate_seconds(self, request: GenerationRequest, image_width: int, image_height: int) -> float | None:
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
        """Frames for a seeded request: uint8 (T, H, W, 3); with an end picture (`keyframes`, the
        one picture at position 1) the clip ends on it. Both pictures are fitted to the frame by the
        same rule. Raises `GenerationCancelled`, `NonFiniteError`, `MemoryError`, `RequestError`,
        `ModelNotAvailable` (Fast without the Lightning files)."""
        return generate_frames(self, SPEC, request, image, lambda req, width, height: self.sample(
            req, fit_image(image, width, height), last=fit_image(keyframes[0], width, height) if keyframes else None,
            on_progress=on_progress, cancel=cancel), keyframes=keyframes)

    # ---- one run of the pipeline ----------------------------------------------------------

    def sample(
        self,
        request: GenerationRequest,
        pixels: Image.Image,
        *,
        last: Image.Image | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        output_type: str = "np",
    ) -> Any:
        """Run the pipeline once on pictures already fitted to the frame size. Returns float frames in
        [0, 1] shaped (T, H, W, 3), or the final latents with `output_type="latent"`."""
        fast = request.quality == "fast"
        steps = SPEC.fast_steps(request.steps) if fast else request.steps
        guidance = SPEC.fast.guidance if fast and SPEC.fast.guidance is not None else request.guidance
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled(f"cancelled before step 1 of {steps}")
        if fast:
            self._load_lightning()
        latent_rgb = self.latent_rgb() if on_progress is not None else None
        boundary = self.pipe.config.boundary_ratio * self.pipe.scheduler.config.num_train_timesteps
        self.experts_used = []
        started = time.perf_counter()

        def on_step_end(pipe: WanImageToVideoPipeline, i: int, t: torch.Tensor, tensors: dict) -> dict:
            self.experts_used.append(EXPERTS[0] if float(t) >= boundary else EXPERTS[1])  # as the pipeline chose
            check_finite(tensors["latents"], f"the latents after step {i + 1}", self.plan, SPEC)
            if on_progress is not None:
                elapsed = time.perf_counter() - started
                preview = self._preview(latent_rgb, tensors["latents"]) if latent_rgb is not None else None
                on_progress(Progress(i + 1, steps, elapsed, elapsed / (i + 1) * (steps - i - 1), preview))
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled(f"cancelled after step {i + 1} of {steps}")
            return {}

        self._use_lightning(fast)
        try:
            result = self.pipe(
                image=pixels, last_image=last, prompt=request.prompt, negative_prompt=request.negative_prompt,
                height=pixels.height, width=pixels.width, num_frames=request.frames, num_inference_steps=steps,
                guidance_scale=guidance, guidance_scale_2=guidance,
                generator=torch.Generator().manual_seed(request.seed),  # CPU: one seed, one video on every device
                output_type=output_type, callback_on_step_end=on_step_end,
                callback_on_step_end_tensor_inputs=["latents"], max_sequence_length=SPEC.text.max_tokens,
            )
        except BaseException:
            self.pipe.maybe_free_model_hooks()  # a cancel, NaN or OOM: every part back where the plan keeps it
            raise
        finally:
            self._use_lightning(False)
        if output_type == "latent":
            return result.frames
        video = result.frames[0]
        check_finite(torch.from_numpy(video), "the decoded frames", self.plan, SPEC)
        return video

    # ---- Fast: the Lightning LoRA ---------------------------------------------------------

    def _load_lightning(self) -> None:
        """Load the Lightning LoRA into both experts once (a Fast job asks first)."""
        if self._lightning_loaded:
            return
        if self._lightning_source is None:
            raise ModelNotAvailable(f"Fast is not available for {self.info.id}: no Lightning LoRA is known for it.")
        started = time.perf_counter()
        states = self._lightning_source()
        self.pipe.load_lora_weights(states["transformer"], adapter_name=ADAPTERS["transformer"])
        self.pipe.load_lora_weights(states["transformer_2"], adapter_name=ADAPTERS["transformer_2"],
                                    load_into_transformer_2=True)
        self._lightning_loaded = True
        log.info("loaded the Lightning LoRA into both experts in %.1f s", time.perf_counter() - started)

    def _use_lightning(self, active: bool) -> None:
        """Switch the LoRA's adapters on (a Fast job) or off (Standard), in both experts."""
        if not self._lightning_loaded:
            return
        for name in EXPERTS:
            expert = getattr(self.pipe, name)
            (expert.enable_adapters if active else expert.disable_adapters)()

    # ---- live preview ---------------------------------------------------------------------

    def latent_rgb(self) -> LatentRGB:
        """The latent→RGB map of this model's VAE, fitted once (a VAE encode of one 512² picture)."""
        if self._latent_rgb is None:
            vae = self.pipe.vae
            mean = torch.tensor(vae.config.latents_mean).view(-1, 1, 1)
            std = torch.tensor(vae.config.latents_std).view(-1, 1, 1)

            def encode(pixels: torch.Tensor) -> torch.Tensor:
                device = get_module_execution_device(vae)
                video = pixels[:, :, None].to(device=device, dtype=vae.dtype)
                latent = vae.encode(video).latent_dist.mode()[0, :, 0].float().cpu()
                return (latent - mean) / std

            with torch.no_grad():
                self._latent_rgb = fit_latent_rgb(encode, vae.config.scale_factor_spatial, size=(512, 512))
            self.pipe.maybe_free_model_hooks()
        return self._latent_rgb

    def _preview(self, latent_rgb: LatentRGB, latents: torch.Tensor) -> Image.Image:
        """The model's current guess of the clean middle frame (UniPC's latest x0 prediction)."""
        outputs = getattr(self.pipe.scheduler, "model_outputs", None)
        clean = outputs[-1] if outputs and outputs[-1] is not None else latents
        return latent_rgb.image(clean[0, :, clean.shape[2] // 2], self.pipe.vae.config.scale_factor_spatial)
