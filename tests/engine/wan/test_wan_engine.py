"""The Wan engine on the tiny Wan 2.2 TI2V (real classes, real scheduler config) against diffusers'
own pipeline, and everything the product layers on it: seeds, progress and preview, cancel, the
Fast preset, the NaN guard, the memory ladder and the family's request rules."""

from __future__ import annotations

import dataclasses
import threading
from typing import Self

import numpy as np
import pytest
import torch
from diffusers import UniPCMultistepScheduler, WanImageToVideoPipeline

from i2v.engine.base import GenerationCancelled, NonFiniteError
from i2v.engine.registry import complete_request
from i2v.engine.wan import SPEC
from i2v.image_input import fit_image
from i2v.request import GenerationRequest, RequestError
from tests.engine.wan.conftest import REQUEST


class CallCounter:
    """Counts forward calls of a module (and removes its hook on exit)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.calls = 0
        self.handle = module.register_forward_pre_hook(self._count)

    def _count(self, module, args) -> None:
        self.calls += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.remove()


def test_matches_the_diffusers_pipeline_called_directly(wan_engine, wan_picture, baseline):
    """Same tiny weights, seed, prompt, size, frames, steps and guidance: the frames agree within 1e-3,
    while another seed moves them far more than that."""
    width, height = SPEC.frame_size(REQUEST.resolution, wan_picture.width, wan_picture.height)
    pixels = fit_image(wan_picture, width, height)
    parts = {k: v for k, v in wan_engine.pipe.components.items() if k != "scheduler"}
    reference = WanImageToVideoPipeline(
        **parts, scheduler=UniPCMultistepScheduler.from_config(wan_engine.pipe.scheduler.config),
        boundary_ratio=None, expand_timesteps=True,
    )
    reference.set_progress_bar_config(disable=True)
    theirs = reference(
        image=pixels, prompt=REQUEST.prompt, negative_prompt=REQUEST.negative_prompt, height=height, width=width,
        num_frames=REQUEST.frames, num_inference_steps=REQUEST.steps, guidance_scale=REQUEST.guidance,
        generator=torch.Generator().manual_seed(REQUEST.seed), output_type="np",
    ).frames[0]

    ours = wan_engine.sample(SPEC.complete(REQUEST), pixels)
    assert (width, height) == (736, 544)  # 480p's pixel budget at the picture's 4:3, sides multiples of 32
    assert ours.shape == theirs.shape == (5, height, width, 3)
    assert np.abs(ours - theirs).max() < 1e-3
    # generate() is the same run, rounded to uint8 (and reporting progress changes nothing)
    assert np.abs(baseline["frames"].astype(int) - np.round(theirs * 255).astype(int)).max() <= 1
    other = wan_engine.sample(SPEC.complete(REQUEST.model_copy(update={"seed": 4})), pixels)
    assert np.abs(other - theirs).max() > 0.05


def test_the_scheduler_is_the_checkpoints_unipc_flow_scheduler(wan_engine):
    config = wan_engine.pipe.scheduler.config
    assert isinstance(wan_engine.pipe.scheduler, UniPCMultistepScheduler)
    assert (config.prediction_type, config.use_flow_sigmas, config.flow_shift) == ("flow_prediction", True, 5.0)
    assert wan_engine.pipe.config.expand_timesteps is True and wan_engine.pipe.transformer_2 is None


def test_progress_counts_steps_with_eta_and_a_preview_of_the_video_size(baseline):
    reports = baseline["progress"]
    assert [p.step for p in reports] == [1, 2] and all(p.total == 2 for p in reports)
    assert reports[0].eta_s > 0 and reports[-1].eta_s == 0
    assert all(p.elapsed_s > 0 for p in reports)
    preview = reports[-1].preview
    assert preview is not None and preview.mode == "RGB" and preview.size == (736, 544)


def test_the_preview_map_is_fitted_once_to_the_models_own_vae(wan_engine):
    """The map is fitted through this model's VAE, normalised as the pipeline normalises latents, and
    explains the calibration picture's patch colours better than their average colour does. (How good
    a linear map is depends on the VAE: this tiny random one is only weakly linear in colour, so the
    bar here is low; tests/core/test_preview.py holds the method to a high bar on a known mixing.)"""
    from i2v.engine.preview import calibration_picture

    vae = wan_engine.pipe.vae
    mapping = wan_engine.latent_rgb()
    assert wan_engine.latent_rgb() is mapping  # once per loaded model
    assert mapping.weights.shape == (48, 3) and torch.isfinite(mapping.weights).all()
    pixels = calibration_picture(512, 512, 16)
    mean = torch.tensor(vae.config.latents_mean).view(-1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(-1, 1, 1)
    with torch.no_grad():
        latent = (vae.encode(pixels[None, :, None]).latent_dist.mode()[0, :, 0] - mean) / std
    rgb = torch.einsum("chw,cd->dhw", latent, mapping.weights) + mapping.bias[:, None, None]
    target = torch.nn.functional.avg_pool2d(pixels[None], 16)[0]
    error = (rgb - target).abs().mean()
    flat = (target - target.mean(dim=(1, 2), keepdim=True)).abs().mean()
    assert error < 0.9 * flat, (error, flat)


def test_cancel_stops_within_one_step_without_decoding_and_the_next_job_runs(wan_engine, wan_picture, baseline):
    cancel = threading.Event()
    steps = []

    def on_progress(progress):
        steps.append(progress.step)
        cancel.set()

    with (
        CallCounter(wan_engine.pipe.transformer) as transformer,
        CallCounter(wan_engine.pipe.vae.decoder) as decoder,
        pytest.raises(GenerationCancelled, match="after step 1 of 3"),
    ):
        wan_engine.generate(REQUEST.model_copy(update={"steps": 3}), wan_picture, on_progress=on_progress, cancel=cancel)
    assert steps == [1]
    assert transformer.calls == 2  # one step: the conditional and the unconditional pass
    assert decoder.calls == 0  # a cancelled job never pays for the VAE decode

    with CallCounter(wan_engine.pipe.transformer) as transformer, pytest.raises(GenerationCancelled, match="before step 1 of 2"):
        wan_engine.generate(REQUEST, wan_picture, cancel=cancel)  # cancelled while queued
    assert transformer.calls == 0

    again = wan_engine.generate(REQUEST, wan_picture).frames  # the pipeline is fine afterwards
    assert np.array_equal(again, baseline["frames"])


def test_fast_runs_half_the_steps_with_the_cache_then_standard_is_unchanged(wan_engine, wan_picture, baseline):
    transformer = wan_engine.pipe.transformer
    cache_seen = []

    def on_progress(progress):
        cache_seen.append((progress.step, progress.total, transformer.is_cache_enabled))

    fast = REQUEST.model_copy(update={"quality": "fast", "steps": 4})
    with CallCounter(transformer) as calls:
        frames = wan_engine.generate(fast, wan_picture, on_progress=on_progress).frames
    assert SPEC.fast_steps(4) == 2
    assert cache_seen == [(1, 2, True), (2, 2, True)]
    assert calls.calls == 4  # 2 steps × (conditional + unconditional)
    assert frames.shape == baseline["frames"].shape and np.isfinite(frames).all()
    assert not transformer.is_cache_enabled
    assert np.array_equal(wan_engine.generate(REQUEST, wan_picture).frames, baseline["frames"])


def _poison(module, args, output):
    return (output[0] * float("nan"),) + tuple(output[1:]) if isinstance(output, tuple) else output * float("nan")


def test_nan_in_the_latents_stops_the_job_with_cause_and_fix(wan_engine, wan_picture):
    handle = wan_engine.pipe.transformer.register_forward_hook(_poison)
    try:
        with (
            CallCounter(wan_engine.pipe.vae.decoder) as decoder,
            pytest.raises(NonFiniteError, match=r"NaN/inf\) in the latents after step 1.*ran in fp32.*I2V_DTYPE=fp32"),
        ):
            wan_engine.generate(REQUEST, wan_picture)
        assert decoder.calls == 0
        plan = wan_engine.plan
        wan_engine.plan = dataclasses.replace(plan, dtype="fp16")
        try:
            with pytest.raises(NonFiniteError, match=r"fp16\) can overflow in Wan 2.2 TI2V-5B.*I2V_DTYPE=bf16"):
                wan_engine.generate(REQUEST, wan_picture)
        finally:
            wan_engine.plan = plan
    finally:
        handle.remove()


class _OutOfMemoryOnce:
    """Makes the transformer raise CUDA's out-of-memory error on its first call, as a full GPU does."""

    def __init__(self, module):
        self.calls = 0
        self.handle = module.register_forward_pre_hook(self)

    def __call__(self, module, args):
        self.calls += 1
        if self.calls == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_out_of_memory_lowers_the_resolution_only_when_allowed(wan_engine, wan_picture):
    hook = _OutOfMemoryOnce(wan_engine.pipe.transformer)
    try:
        with pytest.raises(MemoryError, match="most economical plan.*smaller resolution"):
            wan_engine.generate(REQUEST.model_copy(update={"resolution": "720p"}), wan_picture)
    finally:
        hook.handle.remove()
    hook = _OutOfMemoryOnce(wan_engine.pipe.transformer)
    try:
        output = wan_engine.generate(
            REQUEST.model_copy(update={"resolution": "720p", "allow_downgrade": True, "steps": 1}), wan_picture
        )
    finally:
        hook.handle.remove()
    assert output.resolution == "480p" and (output.width, output.height) == (736, 544)
    assert output.plan_changes == ["out of memory at 720p; lowered to 480p (allowed by the request)"]


def test_a_frame_count_wan_cannot_make_is_refused_in_its_words():
    with pytest.raises(RequestError, match=r"frames: must be 4k\+1 between 5 and 121, e.g. 81 or 121 for Wan 2.2 TI2V-5B \(got 16\)"):
        complete_request(GenerationRequest(prompt="a leaf", model="tiny-wan", frames=16), default_model="tiny")
    completed = complete_request(GenerationRequest(prompt="a leaf", model="tiny-wan"), default_model="tiny")
    assert (completed.frames, completed.fps, completed.steps, completed.resolution) == (121, 24, 50, "720p")


def test_an_unseeded_request_is_refused(wan_engine, wan_picture):
    with pytest.raises(ValueError, match="seeded"):
        wan_engine.generate(REQUEST.model_copy(update={"seed": None}), wan_picture)
