"""LTX-2 over diffusers' maintained pipelines, top to bottom: load → place → sample (frames and sound).

`LTX2ImageToVideoPipeline` for a first picture; `LTX2ConditionPipeline` (over the same weights) when
the request places pictures at other frames (keyframes `any`). The pipeline decodes both streams;
the engine returns the frames and the vocoder's sound as an `i2v.media.Audio` on `EngineOutput.audio`.
Progress and cancellation ride on `callback_on_step_end`. Fast = the distilled schedule (8 steps, guidance 1).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from diffusers import LTX2ConditionPipeline, LTX2ImageToVideoPipeline
from diffusers.pipelines.ltx2 import LTX2VideoCondition
from PIL import Image

from i2v.engine.base import EngineOutput, GenerationCancelled, ModelInfo, ModelNotAvailable, Progress, ProgressCallback
from i2v.engine.checkpoints import download_command, resolve_checkpoint
from i2v.engine.ltx2.spec import SPEC
from i2v.engine.memory_plan import MemoryPlan
from i2v.engine.placement import check_finite, free_accelerator_memory, generate_frames, place_pipeline
from i2v.image_input import fit_image
from i2v.media import Audio
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)


def load(model: str, plan: MemoryPlan, *, revision: str | None = None) -> LTX2Engine:
    """The engine for `model`: the test model, a local diffusers folder, or a downloaded hub id.
    Raises `ModelNotAvailable` (weights not here: the message holds the download command). Never downloads."""
    if model == SPEC.test_model:
        from i2v.engine.ltx2.test_model import tiny_info, tiny_pipeline

        pipe = tiny_pipeline()
        if plan.torch_dtype != torch.float32:
            pipe.to(dtype=plan.torch_dtype)
        return LTX2Engine(pipe, tiny_info(), plan)
    folder, info = resolve_checkpoint(model, SPEC, revision)
    started = time.perf_counter()
    try:
        pipe = LTX2ImageToVideoPipeline.from_pretrained(folder, torch_dtype=plan.torch_dtype, local_files_only=True,
                                                        use_safetensors=True)
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(f"{folder} could not be loaded as LTX-2 ({exc}). i2v reads only safetensors weights; "
                                f"download them with: {download_command(SPEC.hub_id)}") from None
    log.info("loaded %s in %.1f s with plan %s", info.id, time.perf_counter() - started, plan)
    return LTX2Engine(pipe, info, plan)


class LTX2Engine:
    """One loaded LTX-2. Load once, call `generate` for every job (one at a time)."""

    spec = SPEC

    def __init__(self, pipe: LTX2ImageToVideoPipeline, info: ModelInfo, plan: MemoryPlan) -> None:
        self.pipe = pipe
        self.info = info
        self.plan = plan
        self._condition: LTX2ConditionPipeline | None = None
        self.last_audio: Audio | None = None  # the last sample's sound, handed to its EngineOutput
        pipe.set_progress_bar_config(disable=True)
        self.place(plan)

    def place(self, plan: MemoryPlan) -> None:
        place_pipeline(self.pipe, plan)
        if self._condition is not None:
            place_pipeline(self._condition, plan)
        self.plan = plan

    def close(self) -> None:
        self.pipe.remove_all_hooks()
        self.pipe = None  # type: ignore[assignment]
        self._condition = None
        free_accelerator_memory()

    def estimate_seconds(self, request: GenerationRequest, image_width: int, image_height: int) -> float | None:
        return SPEC.estimate_request(request, image_width, image_height, f"{self.plan.device}-{self.plan.dtype}")

    def generate(self, request: GenerationRequest, image: Image.Image, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None, keyframes: Sequence[Image.Image] = ()) -> EngineOutput:
        """Frames and sound for a seeded request (`output.audio`: the vocoder's sound, or None with `sound` off)."""
        self.last_audio = None
        output = generate_frames(self, SPEC, request, image, lambda req, width, height: self.sample(
            req, fit_image(image, width, height), on_progress=on_progress, cancel=cancel,
            keyframes=[fit_image(k, width, height) for k in keyframes]), keyframes=keyframes)
        output.audio = self.last_audio if getattr(request, "sound", "on") != "off" else None
        return output

    def condition_pipe(self) -> LTX2ConditionPipeline:
        """`LTX2ConditionPipeline` over the loaded weights (built once): pictures at frame indices."""
        if self._condition is None:
            self._condition = LTX2ConditionPipeline(**self.pipe.components)
            self._condition.set_progress_bar_config(disable=True)
        return self._condition

    def steps_and_guidance(self, request: GenerationRequest) -> tuple[int, float]:
        if request.quality == "fast":
            return SPEC.fast_steps(request.steps), SPEC.fast.guidance or request.guidance
        return request.steps, request.guidance

    @torch.inference_mode()
    def sample(self, request: GenerationRequest, picture: Image.Image, *, on_progress: ProgressCallback | None = None,
               cancel: threading.Event | None = None, keyframes: Sequence[Image.Image] = ()) -> np.ndarray:
        """Float frames (T, H, W, 3) in [0, 1] for a picture already fitted to the output size; the
        sound is kept on `self.last_audio`."""
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled before the first step")
        width, height = picture.size
        if keyframes:
            pipe: Any = self.condition_pipe()
            indices = SPEC.keyframe_frames(request.keyframes, request.frames)
            inputs: dict[str, Any] = {"conditions": [LTX2VideoCondition(frames=picture, index=0)] + [
                LTX2VideoCondition(frames=k, index=i) for k, i in zip(keyframes, indices)]}
        else:
            pipe, inputs = self.pipe, {"image": picture}
        steps, guidance = self.steps_and_guidance(request)
        started = time.perf_counter()

        def watch(p: Any, i: int, t: torch.Tensor, tensors: dict[str, Any]) -> dict[str, Any]:
            check_finite(tensors["latents"], f"the latents after step {i + 1}", self.plan, SPEC)
            total = p.num_timesteps
            if on_progress is not None:
                elapsed = time.perf_counter() - started
                on_progress(Progress(i + 1, total, elapsed, elapsed / (i + 1) * (total - i - 1), None))
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled(f"cancelled after step {i + 1} of {total}")
            return {}

        generator = torch.Generator().manual_seed(request.seed)  # on the CPU: one seed, one clip on every device
        try:
            out = pipe(**inputs, **call_arguments(request, width, height, steps, guidance), generator=generator,
                       output_type="np", callback_on_step_end=watch, callback_on_step_end_tensor_inputs=["latents"])
        finally:
            pipe.maybe_free_model_hooks()
        frames = np.asarray(out.frames)[0]
        check_finite(torch.from_numpy(np.ascontiguousarray(frames)), "the decoded frames", self.plan, SPEC)
        self.last_audio = audio_of(out.audio, pipe)
        return frames


def call_arguments(request: GenerationRequest, width: int, height: int, steps: int, guidance: float) -> dict[str, Any]:
    """The pipeline arguments a request means (shared with the parity test, which calls diffusers directly)."""
    return dict(prompt=request.prompt, negative_prompt=request.negative_prompt, width=width, height=height,
                num_frames=request.frames, frame_rate=float(request.fps), num_inference_steps=steps,
                guidance_scale=guidance, max_sequence_length=SPEC.text.max_tokens)


def audio_of(audio: Any, pipe: Any) -> Audio | None:
    """The pipeline's sound (batch, channels, samples) → `Audio` at the vocoder's rate."""
    if audio is None:
        return None
    samples = audio[0] if not isinstance(audio, list) else audio[0]
    samples = samples.float().cpu().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples, np.float32)
    rate = int(pipe.vocoder.config.output_sampling_rate)
    return Audio(np.clip(samples, -1.0, 1.0), rate)
