"""LTX-Video 2B over diffusers' maintained pipelines, readable top to bottom: load → place → sample → decode.

Two pipelines, picked by the checkpoint folder's `model_index.json`: `LTXImageToVideoPipeline` for
the 0.9.0/0.9.1 layout (`_class_name` LTXPipeline or LTXImageToVideoPipeline) and
`LTXConditionPipeline` for 0.9.5 and later (LTXConditionPipeline). The pipeline runs the denoising
loop; progress, the live preview, the NaN check and cancellation ride on its `callback_on_step_end`.

We decode the final latents ourselves (the pipeline returns them with `output_type="latent"`),
step for step as the pipelines do, for two reasons a plain call cannot meet:
- one seed, one video on every device: we hand the pipeline a CPU generator, and
  `LTXImageToVideoPipeline` draws its decode noise with `torch.randn(..., generator, device=cuda)`,
  which fails for a CPU generator on a GPU (the condition pipeline uses `randn_tensor`, which works);
- the 0.9.1 decoder injects noise from the global RNG, so a plain call gives a different clip for
  the same seed every time; we decode under a forked global RNG seeded with the job's seed.
A test holds our frames equal to a plain pipeline call with the same weights, seed and settings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import LTXConditionPipeline, LTXImageToVideoPipeline
from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
from diffusers.hooks import FirstBlockCacheConfig
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image

from i2v.engine.base import EngineOutput, GenerationCancelled, ModelInfo, ModelNotAvailable, Progress, ProgressCallback
from i2v.engine.checkpoints import download_command, pipeline_class, resolve_checkpoint
from i2v.engine.ltx.spec import SPEC
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.placement import check_finite, free_accelerator_memory, generate_frames, place_pipeline
from i2v.engine.preview import LatentRGB, fit_latent_rgb
from i2v.image_input import fit_image
from i2v.request import GenerationRequest, RequestError

log = logging.getLogger(__name__)

LTXPipelines = LTXImageToVideoPipeline | LTXConditionPipeline
PIPELINES: dict[str, type[LTXImageToVideoPipeline | LTXConditionPipeline]] = {
    "LTXPipeline": LTXImageToVideoPipeline,  # the 0.9.0/0.9.1 text-to-video folders carry the same parts
    "LTXImageToVideoPipeline": LTXImageToVideoPipeline,
    "LTXConditionPipeline": LTXConditionPipeline,
}
# Timestep-conditioned decoders (0.9.1 and later) denoise the last bit while decoding: diffusers'
# LTX notes and Lightricks' own configs decode at timestep 0.05 with 2.5 % fresh noise. The 0.9.0
# decoder has no timestep input and ignores both.
DECODE_TIMESTEP = 0.05
DECODE_NOISE_SCALE = 0.025
# The Fast preset's cache (see SPEC.fast): skip the remaining blocks while the first block's
# residual changes by less than 5 % between steps (diffusers' default threshold).
FAST_CACHE = FirstBlockCacheConfig(threshold=0.05)
# The preview's latent→RGB map is fitted on a 512×512 picture: 16×16 latent pixels, enough samples
# for 128 channels.
PREVIEW_FIT_SIZE = (512, 512)
# The 2 B transformer's depth and width (test_model.FULL_TRANSFORMER_CONFIG); larger is LTX-Video 13B.
LARGEST_TRANSFORMER = (28, 2048)


def load(model: str, plan: MemoryPlan, *, revision: str | None = None) -> LTXEngine:
    """The engine for `model`: the test model's id, a local diffusers folder or a downloaded hub id.

    Raises `ModelNotAvailable` (weights not here, with the download command; a folder this engine
    cannot run, saying which checkpoint to use). Never downloads.
    """
    started = time.perf_counter()
    if model == SPEC.test_model:
        from i2v.engine.ltx.test_model import tiny_info, tiny_pipeline

        pipe, info = tiny_pipeline(), tiny_info()
        if plan.torch_dtype != torch.float32:  # built in fp32
            pipe.to(dtype=plan.torch_dtype)
    else:
        folder, info = resolve_checkpoint(model, SPEC, revision)
        pipe = load_pipeline(folder, plan)
    engine = LTXEngine(pipe, info, plan)
    log.info("loaded %s (%s, %s) in %.1f s with plan %s", info.id, type(pipe).__name__, info.revision or info.fingerprint,
             time.perf_counter() - started, engine.plan)
    return engine


def load_pipeline(folder: Path, plan: MemoryPlan) -> LTXPipelines:
    """Read a diffusers-format LTX-Video folder in the plan's precision, on the CPU (safetensors only)."""
    name = pipeline_class(folder)
    pipeline = PIPELINES.get(name or "")
    if pipeline is None:
        raise ModelNotAvailable(f"{folder} holds a {name or 'non-diffusers'} checkpoint; i2v runs LTX-Video folders "
                                f"whose model_index.json names {', '.join(PIPELINES)}.")
    _refuse_larger_than_2b(folder)
    try:
        # Every component in the plan's precision, the VAE too: LTXImageToVideoPipeline feeds the
        # picture to the VAE in the text encoder's dtype, and diffusers' LTX notes allow a half-precision VAE.
        return pipeline.from_pretrained(folder, dtype=plan.torch_dtype, local_files_only=True, use_safetensors=True)
    except (OSError, ValueError) as exc:  # e.g. only pickled `.bin` weights, which can run code when loaded
        raise ModelNotAvailable(
            f"{folder} could not be loaded as LTX-Video ({exc}). i2v reads only safetensors weights; "
            f"download them with: {download_command(SPEC.hub_id)}"
        ) from None


def _refuse_larger_than_2b(folder: Path) -> None:
    """LTX-Video 13B (0.9.7/0.9.8 13B) runs through the same pipelines, but this family's memory
    tiers, ETA and defaults are the 2 B model's; refuse it rather than run it out of memory."""
    try:
        config = json.loads((folder / "transformer" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # from_pretrained reports a missing or broken config in its own words
    layers = int(config.get("num_layers", 0))
    width = int(config.get("num_attention_heads", 0)) * int(config.get("attention_head_dim", 0))
    if layers > LARGEST_TRANSFORMER[0] or width > LARGEST_TRANSFORMER[1]:
        raise ModelNotAvailable(
            f"{folder} holds a larger LTX-Video transformer ({layers} layers, width {width}) than the 2 B model "
            f"i2v runs ({LARGEST_TRANSFORMER[0]} layers, width {LARGEST_TRANSFORMER[1]}). Use a 2 B checkpoint: "
            f"{download_command(SPEC.hub_id)}"
        )


def _vae_in_model_dtype(plan: MemoryPlan) -> MemoryPlan:
    """The plan as this family runs it: the VAE in the model's precision (see `load_pipeline`)."""
    return plan if plan.vae_dtype == plan.dtype else dataclasses.replace(plan, vae_dtype=plan.dtype)


@contextlib.contextmanager
def _seeded_global_rng(device: torch.device, seed: int) -> Iterator[None]:
    """The global RNG seeded with `seed` inside, restored afterwards: the 0.9.1 decoder draws its
    injected noise from it, and other users of the process's RNG must not see our seed."""
    if device.type == "cpu":
        forked = torch.random.fork_rng(devices=[])
    else:
        forked = torch.random.fork_rng(devices=[device.index or 0], device_type=device.type)
    with forked:
        torch.manual_seed(seed)
        yield


@dataclasses.dataclass
class _StepWatch:
    """The pipeline's step callback for one run: NaN check, progress with preview, cancellation."""

    engine: LTXEngine
    latent_shape: tuple[int, int, int]  # latent frames, height, width
    on_progress: ProgressCallback | None
    cancel: threading.Event | None
    started: float = dataclasses.field(default_factory=time.perf_counter)
    previous: torch.Tensor | None = None

    def __call__(self, pipe: LTXPipelines, i: int, t: torch.Tensor, tensors: dict[str, Any]) -> dict[str, Any]:
        latents = tensors["latents"]
        total = pipe.num_timesteps
        self.engine._check_finite(latents, f"the latents after step {i + 1}")
        if self.on_progress is not None:
            elapsed = time.perf_counter() - self.started
            preview = self.engine._preview(pipe, latents, self.previous, i, self.latent_shape)
            self.on_progress(Progress(i + 1, total, elapsed, elapsed / (i + 1) * (total - i - 1), preview))
            self.previous = latents
        if self.cancel is not None and self.cancel.is_set():
            # Raising leaves the pipeline before its VAE decode (a set `_interrupt` would still decode).
            raise GenerationCancelled(f"cancelled after step {i + 1} of {total}")
        return {}


class LTXEngine:
    """One loaded LTX-Video. Load once, call `generate` for every job (one at a time)."""

    spec = SPEC

    def __init__(self, pipe: LTXPipelines, info: ModelInfo, plan: MemoryPlan) -> None:
        self.pipe = pipe
        self.info = info
        self.plan = plan
        self._preview_map: LatentRGB | None = None
        self._keyframe_pipe: LTXConditionPipeline | None = None  # the test model's 0.9.5 layout, built on first use
        pipe.set_progress_bar_config(disable=True)
        for module in (pipe.transformer, pipe.vae, pipe.text_encoder):
            module.eval().requires_grad_(False)
        self.place(plan)

    # ---- placement ------------------------------------------------------------------------

    def place(self, plan: MemoryPlan) -> None:
        """Put weights where the plan says (whole, model offload, group offload, sequential; VAE tiling)."""
        plan = _vae_in_model_dtype(plan)
        place_pipeline(self.pipe, plan)
        if self._keyframe_pipe is not None:
            place_pipeline(self._keyframe_pipe, plan)
        self.plan = plan

    def close(self) -> None:
        """Drop the weights (the host switches to another family)."""
        self.pipe.remove_all_hooks()
        self.pipe = None  # type: ignore[assignment]
        if self._keyframe_pipe is not None:
            self._keyframe_pipe.remove_all_hooks()
            self._keyframe_pipe = None
        self._preview_map = None
        free_accelerator_memory()

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
        `keyframes`: the pictures at `request.keyframes`, fitted to the frame like the first."""
        return generate_frames(self, SPEC, request, image, lambda req, width, height: self.sample(
            req, fit_image(image, width, height), on_progress=on_progress, cancel=cancel,
            keyframes=[fit_image(k, width, height) for k in keyframes]), keyframes=keyframes)

    # ---- the algorithm --------------------------------------------------------------------

    def steps_for(self, request: GenerationRequest) -> int:
        """Denoising steps a completed request runs: its own, or fewer under the Fast preset."""
        return SPEC.fast_steps(request.steps) if request.quality == "fast" else request.steps

    @torch.inference_mode()
    def sample(
        self,
        request: GenerationRequest,
        picture: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        keyframes: Sequence[Image.Image] = (),
    ) -> np.ndarray:
        """Run the pipeline on a picture already fitted to the output size; float frames in [0, 1]
        shaped (T, H, W, 3).

        "standard" is a plain pipeline call; "fast" runs `steps_for` steps with the first-block
        cache, which is switched off again afterwards, whatever happens, so "standard" stays exact.
        With `keyframes` (pictures at `request.keyframes`, fitted like the first) the condition
        pipeline gets every picture as an `LTXVideoCondition` at its frame index, the first at 0.
        """
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled before the first step")
        width, height = picture.size
        pipe = self.keyframe_pipe() if keyframes else self.pipe
        if keyframes:
            indices = SPEC.keyframe_frames(request.keyframes, request.frames)
            inputs: dict[str, Any] = {"conditions": [LTXVideoCondition(image=picture, frame_index=0)] + [
                LTXVideoCondition(image=k, frame_index=i) for k, i in zip(keyframes, indices)]}
        else:
            inputs = {"image": picture}
        latent_shape = (
            (request.frames - 1) // pipe.vae_temporal_compression_ratio + 1,
            height // pipe.vae_spatial_compression_ratio,
            width // pipe.vae_spatial_compression_ratio,
        )
        if on_progress is not None and self._preview_map is None:
            self._preview_map = self._fit_preview()
        generator = torch.Generator().manual_seed(request.seed)  # on the CPU: one seed, one video on every device
        watch = _StepWatch(self, latent_shape, on_progress, cancel)
        fast = request.quality == "fast"
        if fast:
            pipe.transformer.enable_cache(FAST_CACHE)
        try:
            latents = pipe(
                **inputs, prompt=request.prompt, negative_prompt=request.negative_prompt,
                width=width, height=height, num_frames=request.frames, frame_rate=request.fps,
                num_inference_steps=self.steps_for(request), guidance_scale=request.guidance, generator=generator,
                max_sequence_length=SPEC.text.max_tokens, output_type="latent",
                callback_on_step_end=watch, callback_on_step_end_tensor_inputs=["latents"],
            ).frames
            return self.decode(latents, latent_shape, generator, request.seed, pipe)
        finally:
            if fast:
                pipe.transformer.disable_cache()
            pipe.maybe_free_model_hooks()  # with model offload: every part back to the CPU, even after a cancel

    def decode(self, latents: torch.Tensor, latent_shape: tuple[int, int, int], generator: torch.Generator,
               seed: int, pipe: LTXPipelines | None = None) -> np.ndarray:
        """Final latents → float frames (T, H, W, 3) in [0, 1], as the pipelines' own decode does it
        (see the module docstring for why we do it here): unpack, undo the normalisation, mix in the
        decode noise of a timestep-conditioned decoder, decode."""
        pipe = pipe or self.pipe
        vae = pipe.vae
        if latents.ndim == 3:  # LTXImageToVideoPipeline returns packed tokens (B, F·h·w, C)
            latents = pipe._unpack_latents(latents, *latent_shape, pipe.transformer_spatial_patch_size,
                                           pipe.transformer_temporal_patch_size)
        latents = pipe._denormalize_latents(latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor)
        latents = latents.to(vae.dtype)
        timestep = None
        if vae.config.timestep_conditioning:
            noise = randn_tensor(latents.shape, generator=generator, device=latents.device, dtype=latents.dtype)
            timestep = torch.tensor([DECODE_TIMESTEP], device=latents.device, dtype=latents.dtype)
            scale = torch.tensor([DECODE_NOISE_SCALE], device=latents.device, dtype=latents.dtype)[:, None, None, None, None]
            latents = (1 - scale) * latents + scale * noise
        with _seeded_global_rng(latents.device, seed):
            video = vae.decode(latents, timestep, return_dict=False)[0]
        self._check_finite(video, "the decoded frames")
        return pipe.video_processor.postprocess_video(video, output_type="np")[0]

    def keyframe_pipe(self) -> LTXConditionPipeline:
        """The pipeline that takes pictures at frame indices: the loaded one when it is
        `LTXConditionPipeline` (a 0.9.5+ folder); for the test model, its 0.9.5 layout (built once,
        placed like the rest). A 0.9.0/0.9.1 checkpoint cannot: `RequestError` says what to use."""
        if isinstance(self.pipe, LTXConditionPipeline):
            return self.pipe
        if self.info.id == SPEC.test_model:
            if self._keyframe_pipe is None:
                from i2v.engine.ltx.test_model import tiny_pipeline

                pipe = tiny_pipeline(condition=True)
                if self.plan.torch_dtype != torch.float32:
                    pipe.to(dtype=self.plan.torch_dtype)
                pipe.set_progress_bar_config(disable=True)
                place_pipeline(pipe, self.plan)
                self._keyframe_pipe = pipe
            return self._keyframe_pipe
        raise RequestError(
            f"keyframes: {self.info.id} is an LTX-Video 0.9.0/0.9.1 checkpoint ({type(self.pipe).__name__}), which takes "
            f"only the first picture; end and middle pictures need {SPEC.keyframe_note} (LTXConditionPipeline), e.g. "
            f"{download_command('Lightricks/LTX-Video-0.9.5')}"
        )

    # ---- live preview ---------------------------------------------------------------------

    def _fit_preview(self) -> LatentRGB:
        """Fit the latent→RGB map to this model's VAE, normalised as the transformer sees latents."""
        pipe, vae = self.pipe, self.pipe.vae
        device = pipe._execution_device

        def encode(pixels: torch.Tensor) -> torch.Tensor:
            latent = vae.encode(pixels[:, :, None].to(device=device, dtype=vae.dtype)).latent_dist.mode()
            latent = pipe._normalize_latents(latent, vae.latents_mean, vae.latents_std, vae.config.scaling_factor)
            return latent[0, :, 0]

        started = time.perf_counter()
        mapping = fit_latent_rgb(encode, vae.spatial_compression_ratio, size=PREVIEW_FIT_SIZE)
        pipe.maybe_free_model_hooks()
        log.info("fitted the live-preview colour map to the VAE in %.1f s", time.perf_counter() - started)
        return mapping

    def _preview(self, pipe: LTXPipelines, latents: torch.Tensor, previous: torch.Tensor | None, i: int,
                 latent_shape: tuple[int, int, int]) -> Image.Image | None:
        """The middle frame of the model's current guess of the clean video, via the fitted linear map.

        Flow matching moves x along x_σ = (1−σ)·x₀ + σ·ε, so two consecutive latents give the velocity
        and x₀ ≈ x − σ·v. On the first step (no earlier latents) the latents are shown as they are.
        """
        if self._preview_map is None:
            return None
        frames, height, width = latent_shape
        tokens = latents[:, -frames * height * width:].float()  # the condition pipeline may prepend condition tokens
        sigmas = pipe.scheduler.sigmas
        if previous is not None and i + 1 < len(sigmas):
            sigma, sigma_before = float(sigmas[i + 1]), float(sigmas[i])
            if sigma_before != sigma:
                velocity = (tokens - previous[:, -tokens.shape[1]:].float()) / (sigma - sigma_before)
                tokens = tokens - sigma * velocity
        video = pipe._unpack_latents(tokens, frames, height, width, pipe.transformer_spatial_patch_size,
                                     pipe.transformer_temporal_patch_size)
        return self._preview_map.image(video[0, :, frames // 2], scale=pipe.vae_spatial_compression_ratio)

    def _check_finite(self, tensor: torch.Tensor, what: str) -> None:
        check_finite(tensor, what, self.plan, SPEC)
