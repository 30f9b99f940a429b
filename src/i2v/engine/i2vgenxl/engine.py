"""I2VGen-XL, readable top to bottom: load → check inputs → encode → prepare latents → denoise → decode.

We own the sampling loop rather than calling diffusers' `I2VGenXLPipeline`: that pipeline is
deprecated and frozen (0.33.1), crashes with transformers 5 on its default `clip_skip=1`, has no
step callback or cancellation, and decodes one frame at a time. The arithmetic below follows it
step for step (with `clip_skip=None`) and a test holds the two within 1e-3 on identical weights.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DDIMScheduler, DPMSolverMultistepScheduler
from diffusers.models.unets.unet_i2vgen_xl import I2VGenXLUNet
from PIL import Image

from i2v.engine.base import EngineOutput, GenerationCancelled, ModelInfo, Progress, ProgressCallback
from i2v.engine.checkpoints import resolve_checkpoint
from i2v.engine.i2vgenxl.components import Components, load_components, load_encoders
from i2v.engine.i2vgenxl.spec import SPEC
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.placement import check_finite, free_accelerator_memory, generate_frames, strip_offload_hooks
from i2v.image_input import fit_image
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)

FAMILY = "i2vgen-xl"
COMPONENTS = ("unet", "vae", "text_encoder", "tokenizer", "image_encoder", "feature_extractor", "scheduler")
# SD-2.1 VAE latent → RGB linear map (rows: latent channels), good enough for a live preview.
LATENT_RGB = torch.tensor(
    [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]]
)


def make_scheduler(name: str, config: dict) -> DDIMScheduler | DPMSolverMultistepScheduler:
    """A fresh scheduler per job (they hold per-run state). DDIM as the original recipe;
    DPM-Solver++ (2nd order) reaches similar quality in fewer steps."""
    if name == "ddim":
        return DDIMScheduler.from_config(config)
    if name == "dpmpp":
        return DPMSolverMultistepScheduler.from_config(
            config, algorithm_type="dpmsolver++", solver_order=2, final_sigmas_type="zero"
        )
    raise ValueError(f"unknown scheduler {name!r}; use ddim or dpmpp")


# --------------------------------------------------------------------------------------------
# Speed levers and the quality presets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Levers:
    """Training-free accelerations of the sampling loop. The defaults switch every one off, and
    off is the original arithmetic exactly (a test holds the output bit-identical).

    - `deep_cache_interval`: DeepCache (Ma et al., CVPR 2024): the UNet's deep features change
      slowly between adjacent steps, so a full pass every N steps refreshes them and the steps in
      between run only the outermost blocks (see `DeepFeatureCache`). 1 = off.
    - `cfg_stop_fraction`: classifier-free guidance only matters while the layout forms; the last
      fraction of steps runs the conditional half alone (Castillo et al. 2023, "Adaptive Guidance";
      Kynkäänniemi et al. 2024 find guidance at low noise even harms). 0 = off.
    """

    deep_cache_interval: int = 1
    cfg_stop_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.deep_cache_interval < 1:
            raise ValueError(f"deep_cache_interval must be ≥ 1 (1 = off), got {self.deep_cache_interval}")
        if not 0.0 <= self.cfg_stop_fraction < 1.0:
            raise ValueError(f"cfg_stop_fraction must be in [0, 1), got {self.cfg_stop_fraction}")

    def guided_at(self, step: int, total: int) -> bool:
        """Whether step `step` (0-based) of `total` still runs the unconditional half."""
        return step < total - int(total * self.cfg_stop_fraction)


OFF = Levers()
# The "fast" preset: DPM-Solver++ with half the steps, deep features reused every 3rd step,
# no guidance in the last 20% of steps. Speed-up and deviation measured in BENCHMARKS.md.
FAST_LEVERS = Levers(deep_cache_interval=3, cfg_stop_fraction=0.2)


def recipe_for(request: GenerationRequest) -> tuple[str, int, Levers]:
    """(scheduler, steps, levers) that a completed request's quality preset runs.

    "standard" is the request as given. "fast" runs DPM-Solver++ with half the steps (50 → 25),
    plus `FAST_LEVERS`."""
    request = SPEC.complete(request)
    if request.quality == "standard":
        return request.scheduler, request.steps, OFF
    if request.quality == "fast":
        return "dpmpp", SPEC.fast_steps(request.steps), FAST_LEVERS
    raise ValueError(f"unknown quality {request.quality!r}; use standard or fast")


class DeepFeatureCache:
    """DeepCache for `I2VGenXLUNet`, whose forward diffusers' cache hooks do not fit.

    On a full step every block runs and the deep blocks' outputs are kept. On a reuse step only
    `conv_in`, the first down block, the last up block and `conv_out` compute; the deep blocks
    (down 2–4, mid, up 1–3) hand back what they returned on the last full step. The last up block
    still gets fresh skip connections from the first down block, which is what keeps the result
    close (the paper's "shallow branch"). The blocks' `forward` is replaced on this UNet instance
    only while `attached` is active.
    """

    def __init__(self, interval: int) -> None:
        self.interval = interval
        self.reusing = False
        self._outputs: dict[int, Any] = {}
        self._last_full: int | None = None
        self._batch: int | None = None

    def begin_step(self, step: int, batch: int) -> None:
        """Decide whether step `step` reuses: only within `interval` of a full step of the same batch."""
        self.reusing = (
            self._last_full is not None and step - self._last_full < self.interval and batch == self._batch
        )
        if not self.reusing:
            self._last_full, self._batch = step, batch

    @contextlib.contextmanager
    def attached(self, unet: I2VGenXLUNet) -> Iterator[None]:
        deep = [*unet.down_blocks[1:], unet.mid_block, *unet.up_blocks[:-1]]
        for index, block in enumerate(deep):
            block.forward = self._wrap(index, block.forward)
        try:
            yield
        finally:
            for block in deep:
                del block.forward  # back to the class's method
            self._outputs.clear()

    def _wrap(self, index: int, forward):
        def cached_forward(*args, **kwargs):
            if self.reusing:
                return self._outputs[index]
            self._outputs[index] = output = forward(*args, **kwargs)
            return output

        return cached_forward


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


class I2VGenXLEngine:
    """One loaded I2VGen-XL. Load once, call `generate` for every job (one at a time)."""

    spec = SPEC

    def __init__(
        self, components: Components, info: ModelInfo, plan: MemoryPlan,
        reload_encoders: Callable[[MemoryPlan], tuple[torch.nn.Module, torch.nn.Module]] | None = None,
    ) -> None:
        self.parts = components
        self.info = info
        self.plan = plan
        self._reload_encoders = reload_encoders  # how released encoders come back (None: never released)
        self.last_reload_s: float | None = None
        self.vae_scale = 2 ** (len(components.vae.config.block_out_channels) - 1)
        for module in components.modules().values():
            module.eval().requires_grad_(False)
        self.place(plan)

    @classmethod
    def load(cls, folder: Path, info: ModelInfo, plan: MemoryPlan) -> I2VGenXLEngine:
        """Load the weights of a diffusers-format folder (see `engine.checkpoints.resolve_checkpoint`)."""
        started = time.perf_counter()
        engine = cls(load_components(folder, plan), info, plan, reload_encoders=lambda p: load_encoders(folder, p))
        log.info("loaded %s (%s) in %.1f s with plan %s", info.id, info.revision or info.fingerprint, time.perf_counter() - started, plan)
        return engine

    @classmethod
    def from_hub_or_folder(cls, model: str, plan: MemoryPlan, *, revision: str | None = None) -> I2VGenXLEngine:
        """Load from a hub id (already downloaded) or a local folder; `ModelNotAvailable` otherwise."""
        folder, info = resolve_checkpoint(model, SPEC, revision)
        return cls.load(folder, info, plan)

    def close(self) -> None:
        """Drop the weights (the host switches to another family)."""
        for module in self.parts.modules().values():
            module.to("cpu")
        self.parts = None  # type: ignore[assignment]
        free_accelerator_memory()

    # ---- placement ------------------------------------------------------------------------

    def place(self, plan: MemoryPlan) -> None:
        """Put weights where the plan says, removing what an earlier plan attached first."""
        modules = self.parts.modules()
        for module in modules.values():
            strip_offload_hooks(module)
        if plan.offload == "none":
            for module in modules.values():
                module.to(plan.device)
        elif plan.offload == "model":
            for module in modules.values():
                module.to("cpu")
        elif plan.offload == "group":
            device = torch.device(plan.device)
            for name, module in modules.items():
                module.to("cpu")
                if name in ("unet", "vae"):  # diffusers models: layers streamed, overlapped on a CUDA stream
                    module.enable_group_offload(device, offload_type="leaf_level", use_stream=device.type == "cuda")
                else:
                    from accelerate import cpu_offload

                    cpu_offload(module, execution_device=device)
        else:
            from accelerate import cpu_offload

            for module in modules.values():
                module.to("cpu")
                cpu_offload(module, execution_device=torch.device(plan.device))
        (self.parts.vae.enable_tiling if plan.vae_tiling else self.parts.vae.disable_tiling)()
        self.plan = plan

    @contextlib.contextmanager
    def _on_device(self, module: torch.nn.Module) -> Iterator[torch.nn.Module]:
        """With model offload, a component visits the GPU only while it computes."""
        if self.plan.offload != "model":
            yield module
            return
        module.to(self.plan.device)
        try:
            yield module
        finally:
            module.to("cpu")
            if self.plan.device == "cuda":
                torch.cuda.empty_cache()

    @property
    def device(self) -> torch.device:
        return torch.device(self.plan.device)

    # ---- public entry ---------------------------------------------------------------------

    def estimate_seconds(self, request: GenerationRequest, image_width: int, image_height: int) -> float | None:
        """The ETA to show before a job starts; None where this hardware was never measured."""
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
        """Frames for a seeded request. On CUDA OOM: free, retry once on the next cheaper plan;
        lower the resolution only when `request.allow_downgrade` and no cheaper plan is left.
        I2VGen-XL takes no keyframes (`SPEC.keyframes` is "none"): a request with any is refused."""
        return generate_frames(
            self, SPEC, request, image,
            lambda req, width, height: self.sample(req, image, width, height, on_progress=on_progress, cancel=cancel),
            timings=lambda: {} if self.last_reload_s is None else {"encoders_reload_s": self.last_reload_s},
            keyframes=keyframes,
        )

    # ---- the algorithm --------------------------------------------------------------------

    @torch.inference_mode()
    def sample(
        self,
        request: GenerationRequest,
        image: Image.Image,
        width: int,
        height: int,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> torch.Tensor:
        """Run the model; returns float frames in [0, 1] shaped (T, H, W, 3) on the CPU."""
        latents = self.sample_latents(request, image, width, height, on_progress=on_progress, cancel=cancel)
        return self.decode(latents)

    @torch.inference_mode()
    def sample_latents(
        self,
        request: GenerationRequest,
        image: Image.Image,
        width: int,
        height: int,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        levers: Levers | None = None,
    ) -> torch.Tensor:
        """Encode and denoise; returns the final latents (1, C, T, h, w). The request's quality
        preset picks scheduler, steps and levers (`recipe_for`); `levers` overrides the levers."""
        request = SPEC.complete(request)
        self.check_inputs(width, height, request.frames)
        guided = request.guidance > 1.0
        seed = request.seed if request.seed is not None else 0
        scheduler_name, steps, preset_levers = recipe_for(request)
        levers = preset_levers if levers is None else levers

        self._ensure_encoders()
        text = self.encode_prompt(request.prompt, request.negative_prompt, guided)
        image_embeddings = self.encode_image(image, width, guided)
        if self.plan.release_encoders:
            self._release_encoders()
        pixels = fit_image(image, width, height)
        image_latents = self.prepare_image_latents(pixels, request.frames, guided, seed, dtype=image_embeddings.dtype)
        fps = torch.tensor([request.fps] * (2 if guided else 1), device=self.device)

        scheduler = make_scheduler(scheduler_name, self.parts.scheduler_config)
        scheduler.set_timesteps(steps, device=self.device)
        latents = self.prepare_latents(request.frames, height, width, seed, text.dtype) * scheduler.init_noise_sigma
        return self.denoise(
            scheduler, latents, text, image_embeddings, image_latents, fps, request.guidance,
            on_progress=on_progress, cancel=cancel, levers=levers,
        )

    def _release_encoders(self) -> None:
        """Drop the encoders once this job's embeddings exist (the plan's RAM-saving mode)."""
        if self._reload_encoders is None or self.parts.text_encoder is None:
            return
        for module in (self.parts.text_encoder, self.parts.image_encoder):
            strip_offload_hooks(module)
        self.parts.text_encoder = self.parts.image_encoder = None
        free_accelerator_memory()

    def _ensure_encoders(self) -> None:
        """Bring released encoders back (read again from the checkpoint) before a job's embeddings."""
        self.last_reload_s = None
        if self.parts.text_encoder is not None:
            return
        started = time.perf_counter()
        self.parts.text_encoder, self.parts.image_encoder = (m.eval().requires_grad_(False) for m in self._reload_encoders(self.plan))
        self.place(self.plan)
        self.last_reload_s = round(time.perf_counter() - started, 3)
        log.info("encoders read again in %.1f s (memory plan releases them after each job)", self.last_reload_s)

    def check_inputs(self, width: int, height: int, frames: int) -> None:
        if width % self.vae_scale or height % self.vae_scale:
            raise ValueError(f"width and height must be multiples of {self.vae_scale}, got {width}×{height}")
        if frames < 2:
            raise ValueError(f"I2VGen-XL needs at least 2 frames, got {frames}")

    def encode_prompt(self, prompt: str, negative_prompt: str, guided: bool) -> torch.Tensor:
        """CLIP text states (last layer, final norm) — `[negative, positive]` when guiding."""
        texts = [negative_prompt, prompt] if guided else [prompt]
        tokens = self.parts.tokenizer(
            texts, padding="max_length", max_length=self.parts.tokenizer.model_max_length, truncation=True, return_tensors="pt"
        )
        with self._on_device(self.parts.text_encoder) as encoder:
            states = encoder(tokens.input_ids.to(self.device))[0]
        return states.to(dtype=self.plan.torch_dtype, device=self.device)

    def encode_image(self, image: Image.Image, width: int, guided: bool) -> torch.Tensor:
        """CLIP image embedding of a square centre crop; zeros stand for "no image" in the unguided half."""
        extractor = self.parts.feature_extractor
        square = fit_image(image, width, width).resize(
            (extractor.crop_size["width"], extractor.crop_size["height"]), Image.BILINEAR
        )
        pixels = torch.from_numpy(np.asarray(square, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
        pixels = extractor(
            images=pixels, do_normalize=True, do_center_crop=False, do_resize=False, do_rescale=False, return_tensors="pt"
        ).pixel_values
        with self._on_device(self.parts.image_encoder) as encoder:
            dtype = next(encoder.parameters()).dtype
            embeds = encoder(pixels.to(device=self.device, dtype=dtype)).image_embeds.unsqueeze(1)
        return torch.cat([torch.zeros_like(embeds), embeds]) if guided else embeds

    def prepare_image_latents(
        self, pixels: Image.Image, frames: int, guided: bool, seed: int, *, dtype: torch.dtype
    ) -> torch.Tensor:
        """VAE latent of the first frame plus a ramp channel telling each later frame its position.

        The reference samples the latent distribution with the global RNG; we use a generator
        seeded with the job's seed, which is the same draw when that RNG holds the same seed.
        """
        array = np.asarray(pixels, dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array).permute(2, 0, 1)[None] * 2.0 - 1.0
        generator = torch.Generator(device=self.device).manual_seed(seed)
        with self._on_device(self.parts.vae) as vae:
            posterior = vae.encode(tensor.to(device=self.device, dtype=vae.dtype)).latent_dist
            latents = posterior.sample(generator=generator) * vae.config.scaling_factor
        latents = latents.to(dtype).unsqueeze(2)
        ramp = [torch.ones_like(latents) * ((i + 1) / (frames - 1)) for i in range(frames - 1)]
        latents = torch.cat([latents, *ramp], dim=2)
        return torch.cat([latents] * 2) if guided else latents

    def prepare_latents(self, frames: int, height: int, width: int, seed: int, dtype: torch.dtype) -> torch.Tensor:
        """Initial noise, drawn on the CPU so one seed gives one video on every device."""
        shape = (1, self.parts.unet.config.in_channels, frames, height // self.vae_scale, width // self.vae_scale)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        return torch.randn(shape, generator=generator, dtype=torch.float32).to(device=self.device, dtype=dtype)

    def denoise(
        self,
        scheduler: DDIMScheduler | DPMSolverMultistepScheduler,
        latents: torch.Tensor,
        text: torch.Tensor,
        image_embeddings: torch.Tensor,
        image_latents: torch.Tensor,
        fps: torch.Tensor,
        guidance: float,
        *,
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
        levers: Levers = OFF,
    ) -> torch.Tensor:
        """The sampling loop: classifier-free guidance, one scheduler step per timestep,
        a cancellation check and a NaN check between steps. `levers` (off by default) may skip
        the unconditional half late in the loop and reuse the UNet's deep features."""
        timesteps = scheduler.timesteps
        started = time.perf_counter()
        cache = DeepFeatureCache(levers.deep_cache_interval) if levers.deep_cache_interval > 1 else None
        with self._on_device(self.parts.unet) as unet, cache.attached(unet) if cache else contextlib.nullcontext():
            for i, t in enumerate(timesteps):
                if cancel is not None and cancel.is_set():
                    raise GenerationCancelled(f"cancelled before step {i + 1} of {len(timesteps)}")
                guided = guidance > 1.0 and levers.guided_at(i, len(timesteps))
                conditions = (text, fps, image_latents, image_embeddings)
                if guidance > 1.0 and not guided:  # guidance switched off for this step: conditional half only
                    conditions = tuple(c[-1:] for c in conditions)
                model_input = torch.cat([latents] * 2) if guided else latents
                model_input = scheduler.scale_model_input(model_input, t)
                if cache is not None:
                    cache.begin_step(i, model_input.shape[0])
                prediction = unet(
                    model_input, t, encoder_hidden_states=conditions[0], fps=conditions[1],
                    image_latents=conditions[2], image_embeddings=conditions[3], return_dict=False,
                )[0]
                if guided:
                    uncond, cond = prediction.chunk(2)
                    prediction = uncond + guidance * (cond - uncond)
                preview = self._preview(scheduler, latents, prediction, t) if on_progress is not None else None
                latents = self._scheduler_step(scheduler, prediction, t, latents)
                self._check_finite(latents, f"the latents after step {i + 1}")
                if on_progress is not None:
                    elapsed = time.perf_counter() - started
                    eta = elapsed / (i + 1) * (len(timesteps) - i - 1)
                    on_progress(Progress(i + 1, len(timesteps), elapsed, eta, preview))
        return latents

    @staticmethod
    def _scheduler_step(scheduler, prediction: torch.Tensor, t: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Schedulers are 2-D: step on (B·F, C, h, w) and fold the frames back."""
        b, c, f, h, w = latents.shape
        flat = latents.permute(0, 2, 1, 3, 4).reshape(b * f, c, h, w)
        flat_pred = prediction.permute(0, 2, 1, 3, 4).reshape(b * f, c, h, w)
        kwargs = {"eta": 0.0} if isinstance(scheduler, DDIMScheduler) else {}
        stepped = scheduler.step(flat_pred, t, flat, **kwargs, return_dict=False)[0]
        return stepped.reshape(b, f, c, h, w).permute(0, 2, 1, 3, 4)

    def _preview(self, scheduler, latents: torch.Tensor, prediction: torch.Tensor, t: torch.Tensor) -> Image.Image:
        """The model's current guess of the clean middle frame, via a linear latent→RGB map (no VAE)."""
        alpha = scheduler.alphas_cumprod.to(latents.device)[int(t)].float()
        x_t, pred = latents.float(), prediction.float()
        if scheduler.config.prediction_type == "v_prediction":
            x0 = alpha.sqrt() * x_t - (1 - alpha).sqrt() * pred
        else:
            x0 = (x_t - (1 - alpha).sqrt() * pred) / alpha.sqrt().clamp(min=1e-4)
        middle = x0[0, :, x0.shape[2] // 2].permute(1, 2, 0).cpu()  # (h, w, 4)
        rgb = ((middle @ LATENT_RGB).clamp(-1, 1) + 1) * 127.5
        picture = Image.fromarray(rgb.nan_to_num(0).to(torch.uint8).numpy())
        return picture.resize((picture.width * self.vae_scale, picture.height * self.vae_scale), Image.BILINEAR)

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """VAE decode in chunks of `plan.vae_chunk` frames → float (T, H, W, 3) in [0, 1] on the CPU."""
        vae = self.parts.vae
        flat = (latents / vae.config.scaling_factor).permute(0, 2, 1, 3, 4)[0]  # (T, C, h, w)
        chunks = []
        with self._on_device(vae) as vae:
            for start in range(0, flat.shape[0], max(1, self.plan.vae_chunk)):
                piece = flat[start : start + self.plan.vae_chunk].to(device=self.device, dtype=vae.dtype)
                chunks.append(vae.decode(piece).sample.float().cpu())
        video = torch.cat(chunks)
        self._check_finite(video, "the decoded frames")
        return (video / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1)

    def _check_finite(self, tensor: torch.Tensor, what: str) -> None:
        check_finite(tensor, what, self.plan, SPEC)

