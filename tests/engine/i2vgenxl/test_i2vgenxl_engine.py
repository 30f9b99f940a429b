"""The sampling loop on the tiny random-weight I2VGen-XL (real architecture, real scheduler config)."""

import threading

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler
from diffusers.pipelines.deprecated.i2vgen_xl.pipeline_i2vgen_xl import I2VGenXLPipeline

from i2v.engine.base import GenerationCancelled, NonFiniteError
from i2v.engine.i2vgenxl import SPEC
from i2v.request import GenerationRequest

SMALL = {"resolution": "256p", "frames": 8, "steps": 3, "fps": 8}


def request(**overrides) -> GenerationRequest:
    return GenerationRequest(**{"prompt": "chromosomes separating to opposite poles", "seed": 11, **SMALL, **overrides})


def test_matches_the_reference_pipeline(tiny_engine, picture):
    """Our loop and diffusers' I2VGenXLPipeline (clip_skip=None) on identical weights, seed and DDIM."""
    parts = tiny_engine.parts
    req = request(negative_prompt="blurry, static", guidance=9.0, steps=4)
    width, height = SPEC.frame_size(req.resolution, picture.width, picture.height)
    ours = tiny_engine.sample(req, picture, width, height).numpy()

    reference = I2VGenXLPipeline(
        vae=parts.vae, text_encoder=parts.text_encoder, tokenizer=parts.tokenizer,
        image_encoder=parts.image_encoder, feature_extractor=parts.feature_extractor, unet=parts.unet,
        scheduler=DDIMScheduler.from_config(parts.scheduler_config),
    )
    reference.set_progress_bar_config(disable=True)
    torch.manual_seed(req.seed)  # the reference samples the image latent with the global RNG
    theirs = reference(
        prompt=req.prompt, negative_prompt=req.negative_prompt, image=picture, height=height, width=width,
        target_fps=req.fps, num_frames=req.frames, num_inference_steps=req.steps, guidance_scale=req.guidance,
        generator=torch.Generator().manual_seed(req.seed), output_type="np", clip_skip=None,
    ).frames[0]

    assert ours.shape == theirs.shape == (req.frames, height, width, 3)
    assert np.abs(ours - theirs).max() < 1e-3
    # The tolerance is meaningful: another seed moves the frames far more than it.
    other = tiny_engine.sample(req.model_copy(update={"seed": 12}), picture, width, height).numpy()
    assert np.abs(other - theirs).max() > 0.05


def test_same_seed_same_frames_different_seed_different_frames(tiny_engine, picture):
    first = tiny_engine.generate(request(seed=3), picture).frames
    again = tiny_engine.generate(request(seed=3), picture).frames
    other = tiny_engine.generate(request(seed=4), picture).frames
    assert first.dtype == np.uint8 and first.shape == (8, 192, 256, 3)
    assert np.array_equal(first, again)
    assert np.abs(first.astype(int) - other.astype(int)).mean() > 1.0


def test_dpm_solver_runs_and_differs_from_ddim(tiny_engine, picture):
    ddim = tiny_engine.generate(request(), picture).frames
    dpm = tiny_engine.generate(request(scheduler="dpmpp"), picture).frames
    assert np.isfinite(dpm).all() and dpm.shape == ddim.shape
    assert not np.array_equal(ddim, dpm)


def test_progress_reports_every_step_with_eta_and_preview(tiny_engine, picture):
    seen = []
    tiny_engine.generate(request(steps=4), picture, on_progress=seen.append)
    assert [p.step for p in seen] == [1, 2, 3, 4]
    assert all(p.total == 4 for p in seen)
    assert seen[-1].eta_s == 0 and seen[0].eta_s > 0
    assert all(p.elapsed_s > 0 for p in seen)
    assert seen[0].preview is not None and seen[0].preview.mode == "RGB"


def test_cancel_stops_between_steps(tiny_engine, picture):
    cancel = threading.Event()
    steps = []

    def on_progress(progress):
        steps.append(progress.step)
        if progress.step == 2:
            cancel.set()

    with pytest.raises(GenerationCancelled, match="before step 3 of 6"):
        tiny_engine.generate(request(steps=6), picture, on_progress=on_progress, cancel=cancel)
    assert steps == [1, 2]


def test_nan_is_reported_with_cause_and_fix(tiny_engine, picture):
    def poison(module, args, output):
        return (output[0] * float("nan"),) + tuple(output[1:]) if isinstance(output, tuple) else output * float("nan")

    handle = tiny_engine.parts.unet.register_forward_hook(poison)
    try:
        with pytest.raises(NonFiniteError, match=r"NaN/inf\) in the latents after step 1.*I2V_DTYPE=fp32"):
            tiny_engine.generate(request(), picture)
    finally:
        handle.remove()


def test_fp16_nan_message_names_the_known_issue(tiny_engine):
    import dataclasses

    engine_plan = tiny_engine.plan
    tiny_engine.plan = dataclasses.replace(engine_plan, dtype="fp16")
    try:
        with pytest.raises(NonFiniteError, match="fp16 \\(diffusers issue 8655\\).*I2V_DTYPE=bf16"):
            tiny_engine._check_finite(torch.tensor([float("inf")]), "the decoded frames")
    finally:
        tiny_engine.plan = engine_plan


class _OutOfMemoryOnce:
    """Makes the UNet raise CUDA's out-of-memory error on its first call, as a full GPU does."""

    def __init__(self, unet):
        self.calls = 0
        self.handle = unet.register_forward_pre_hook(self)

    def __call__(self, module, args):
        self.calls += 1
        if self.calls == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_never_lowers_resolution_unless_allowed(tiny_engine, picture):
    hook = _OutOfMemoryOnce(tiny_engine.parts.unet)
    try:
        with pytest.raises(MemoryError, match="most economical plan.*smaller resolution"):
            tiny_engine.generate(request(resolution="512p", steps=1), picture)
    finally:
        hook.handle.remove()


def test_out_of_memory_lowers_resolution_when_allowed_and_records_it(tiny_engine, picture):
    hook = _OutOfMemoryOnce(tiny_engine.parts.unet)
    try:
        output = tiny_engine.generate(request(resolution="512p", steps=1, allow_downgrade=True), picture)
    finally:
        hook.handle.remove()
    assert output.resolution == "256p"
    assert (output.width, output.height) == SPEC.frame_size("256p", picture.width, picture.height)
    assert output.plan_changes == ["out of memory at 512p; lowered to 256p (allowed by the request)"]
