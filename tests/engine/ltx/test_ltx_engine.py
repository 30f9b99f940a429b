"""The LTX-Video engine on the tiny random-weight model: parity with diffusers' pipeline, seeds,
progress and preview, cancellation, the Fast preset and the NaN guard."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch

from i2v.engine.base import GenerationCancelled, NonFiniteError
from i2v.engine.ltx import SPEC
from i2v.engine.ltx.engine import DECODE_NOISE_SCALE, DECODE_TIMESTEP
from i2v.image_input import fit_image
from i2v.request import RequestError
from tests.conftest import gradient_picture
from tests.engine.ltx.conftest import request

PICTURE = gradient_picture(400, 300)


def plain_pipeline_call(pipe, req, width, height, seed=None):
    """diffusers' own call with the request's settings: what "standard" must equal."""
    seed = req.seed if seed is None else seed
    torch.manual_seed(seed)  # the 0.9.1-layout decoder injects noise drawn from the global RNG
    return pipe(
        image=fit_image(PICTURE, width, height), prompt=req.prompt, negative_prompt=req.negative_prompt,
        width=width, height=height, num_frames=req.frames, frame_rate=req.fps, num_inference_steps=req.steps,
        guidance_scale=req.guidance, generator=torch.Generator().manual_seed(seed),
        decode_timestep=DECODE_TIMESTEP, decode_noise_scale=DECODE_NOISE_SCALE,
        max_sequence_length=SPEC.text.max_tokens, output_type="np",
    ).frames[0]


@pytest.fixture(scope="module")
def standard(ltx_engine):
    """One standard job's frames, for the tests that check nothing leaks into the next job."""
    return ltx_engine.generate(request(), PICTURE).frames


def test_matches_a_plain_pipeline_call(ltx_engine):
    req = SPEC.complete(request(negative_prompt="blurry, static", steps=4))
    width, height = SPEC.frame_size(req.resolution, PICTURE.width, PICTURE.height)
    assert (width, height) == (384, 288)
    theirs = plain_pipeline_call(ltx_engine.pipe, req, width, height)
    ours = ltx_engine.sample(req, fit_image(PICTURE, width, height))
    assert ours.shape == theirs.shape == (9, 288, 384, 3)
    assert np.abs(ours - theirs).max() < 1e-3
    # Through the public entry (picture fitting, size, rounding to uint8) as well.
    frames = ltx_engine.generate(req, PICTURE).frames
    assert np.abs(frames.astype(int) - np.round(theirs * 255)).max() <= 1
    # The tolerance means something: another seed moves the frames far more than it.
    other = plain_pipeline_call(ltx_engine.pipe, req, width, height, seed=req.seed + 1)
    assert np.abs(other - theirs).max() > 0.05


def test_same_seed_same_frames_other_seed_other_frames(ltx_engine, standard):
    again = ltx_engine.generate(request(), PICTURE).frames
    other = ltx_engine.generate(request(seed=12), PICTURE).frames
    assert standard.dtype == np.uint8 and standard.shape == (9, 288, 384, 3)
    assert np.array_equal(standard, again)
    assert np.abs(standard.astype(int) - other.astype(int)).mean() > 1.0


def test_the_frame_rate_conditions_the_model(ltx_engine, standard):
    """LTX reads the frame rate (it scales the time axis of its position encoding)."""
    slower = ltx_engine.generate(request(fps=12), PICTURE).frames
    assert not np.array_equal(standard, slower)


def test_progress_counts_steps_with_eta_and_a_preview(ltx_engine, standard):
    seen = []
    frames = ltx_engine.generate(request(), PICTURE, on_progress=seen.append).frames
    assert [p.step for p in seen] == [1, 2, 3] and all(p.total == 3 for p in seen)
    assert seen[-1].eta_s == 0 and seen[0].eta_s > 0 and all(p.elapsed_s > 0 for p in seen)
    for progress in seen:  # the middle frame, scaled from latent pixels to about the video's size
        assert progress.preview.mode == "RGB" and progress.preview.size == (384, 288)
    assert len({p.preview.tobytes() for p in seen}) == 3  # it changes as the video forms
    assert np.array_equal(frames, standard)  # watching does not change the result


def test_cancel_stops_within_one_step_without_decoding_and_the_next_job_runs(ltx_engine, standard):
    cancel = threading.Event()
    transformer_calls, decoder_calls = [], []
    hooks = [
        ltx_engine.pipe.transformer.register_forward_pre_hook(lambda module, args: transformer_calls.append(1)),
        ltx_engine.pipe.vae.decoder.register_forward_pre_hook(lambda module, args: decoder_calls.append(1)),
    ]
    try:
        with pytest.raises(GenerationCancelled, match="after step 1 of 3"):
            ltx_engine.generate(request(), PICTURE, on_progress=lambda progress: cancel.set(), cancel=cancel)
    finally:
        for hook in hooks:
            hook.remove()
    assert len(transformer_calls) == 1  # one batched (guided) call per step
    assert decoder_calls == []  # a cancelled job never pays for the VAE decode
    assert np.array_equal(ltx_engine.generate(request(), PICTURE).frames, standard)


def test_a_cancel_before_the_start_runs_nothing(ltx_engine):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled, match="before the first step"):
        ltx_engine.generate(request(), PICTURE, cancel=cancel)


def test_fast_runs_fewer_steps_with_the_cache_and_standard_stays_exact(ltx_engine, standard):
    transformer = ltx_engine.pipe.transformer
    seen = []

    def watch(progress):
        seen.append((progress.step, progress.total, transformer.is_cache_enabled))

    fast = ltx_engine.generate(request(quality="fast", steps=4), PICTURE, on_progress=watch).frames
    assert seen == [(1, 2, True), (2, 2, True)]  # ceil(4 × 0.5) steps, first-block cache on
    assert not transformer.is_cache_enabled
    assert fast.shape == standard.shape and np.isfinite(fast).all()
    assert np.array_equal(ltx_engine.generate(request(), PICTURE).frames, standard)


def test_fast_at_the_fewest_steps_keeps_the_familys_minimum(ltx_engine):
    """Issue 26: fast halved 2 steps to 1, on which LTX's sampler fails (IndexError, a traceback)."""
    seen = []
    frames = ltx_engine.generate(request(quality="fast", steps=2), PICTURE, on_progress=lambda p: seen.append(p.total)).frames
    assert SPEC.fast_steps(2) == 2 and seen == [2, 2]
    assert np.isfinite(frames).all()


def _poison(module, args, output):
    return (output[0] * float("nan"), *output[1:])


def test_nan_is_caught_after_the_step_that_made_it(ltx_engine):
    handle = ltx_engine.pipe.transformer.register_forward_hook(_poison)
    try:
        with pytest.raises(NonFiniteError, match=r"NaN/inf\) in the latents after step 1\. .*ran in fp32.*I2V_DTYPE=fp32"):
            ltx_engine.generate(request(), PICTURE)
    finally:
        handle.remove()


def test_nan_under_fp16_names_half_precision_and_the_fix(ltx_engine):
    plan = ltx_engine.plan
    ltx_engine.plan = dataclasses.replace(plan, dtype="fp16")
    handle = ltx_engine.pipe.transformer.register_forward_hook(_poison)
    try:
        with pytest.raises(NonFiniteError, match=r"fp16\) can overflow in LTX-Video 2B.*I2V_DTYPE=bf16"):
            ltx_engine.generate(request(), PICTURE)
    finally:
        handle.remove()
        ltx_engine.plan = plan


def test_requests_are_checked_against_ltx_rules(ltx_engine, tmp_path):
    from i2v.archive import Archive
    from i2v.engine.host import EngineHost
    from i2v.generation import GenerationService
    from i2v.settings import Settings

    with pytest.raises(ValueError, match="seeded"):
        ltx_engine.generate(request(seed=None), PICTURE)
    with pytest.raises(RequestError, match=r"frames: must be 8k\+1 between 9 and 257, e\.g\. .* for LTX-Video 2B \(got 16\)"):
        ltx_engine.generate(request(frames=16), PICTURE)
    service = GenerationService(EngineHost(Settings(model="tiny-ltx", home=tmp_path)), Archive(tmp_path / "archive"))
    with pytest.raises(RequestError, match=r"frames: must be 8k\+1 .* for LTX-Video 2B \(got 120\)"):
        service.generate(request(frames=120, model=None), PICTURE)
    assert not list((tmp_path / "archive").rglob("*.mp4"))


def test_the_plan_records_the_vae_in_the_models_precision():
    """LTXImageToVideoPipeline hands the picture to the VAE in the model's dtype, so the VAE runs
    in it; the plan says so instead of claiming an fp32 VAE."""
    from i2v.engine.ltx.engine import _vae_in_model_dtype
    from i2v.engine.memory_plan import plan_for

    plan = plan_for("cuda", free_bytes=24 * 2**30, tiers=SPEC.memory_tiers, bf16=False)
    assert (plan.dtype, plan.vae_dtype) == ("fp16", "fp32")
    assert _vae_in_model_dtype(plan).vae_dtype == "fp16"
    assert _vae_in_model_dtype(plan_for("cpu")) == plan_for("cpu")


def test_one_step_is_refused_with_the_familys_rule():
    """The LTX scheduler cannot run a single step (its terminal shift divides by zero): the request
    is refused up front with a message, instead of failing inside diffusers."""
    from i2v.engine.registry import complete_request
    from i2v.request import GenerationRequest, RequestError

    with pytest.raises(RequestError, match="steps: must be between 2 and 100 for LTX-Video 2B"):
        complete_request(GenerationRequest(prompt="cells dividing", model="tiny-ltx", steps=1), "tiny")
