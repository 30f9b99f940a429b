"""The Wan 2.2 I2V-A14B engine on its tiny test model against diffusers' own pipeline: the end
picture, the expert switch at the real boundary, the Lightning Fast preset in both experts, and
what the product layers on it (progress, cancel, request rules)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from i2v.engine.base import GenerationCancelled
from i2v.engine.registry import complete_request, spec_for
from i2v.engine.wan_a14b import SPEC
from i2v.engine.wan_a14b.test_model import tiny_lightning_lora, tiny_pipeline
from i2v.image_input import fit_image
from i2v.request import GenerationRequest, RequestError
from tests.engine.wan_a14b.conftest import REQUEST, end_request


def direct_call(pipe, request: GenerationRequest, start, end, *, steps=None, guidance=None):
    """diffusers' pipeline called as its documentation shows, with the same seed and settings."""
    width, height = SPEC.frame_size(request.resolution, start.width, start.height)
    return pipe(
        image=fit_image(start, width, height), last_image=fit_image(end, width, height) if end is not None else None,
        prompt=request.prompt, negative_prompt=request.negative_prompt, height=height, width=width,
        num_frames=request.frames, num_inference_steps=steps or request.steps,
        guidance_scale=guidance or request.guidance, generator=torch.Generator().manual_seed(request.seed),
        output_type="np", max_sequence_length=SPEC.text.max_tokens,
    ).frames[0]


def ours(engine, request, start, end, **kwargs):
    request = complete_request(request.model_copy(update={"model": SPEC.test_model}), SPEC.test_model)
    width, height = SPEC.frame_size(request.resolution, start.width, start.height)
    return engine.sample(request, fit_image(start, width, height),
                         last=fit_image(end, width, height) if end is not None else None, **kwargs)


def test_the_test_model_is_the_real_two_expert_layout(a14b_engine):
    pipe = a14b_engine.pipe
    assert spec_for("tiny-wan-a14b") is SPEC and a14b_engine.info.is_test_model
    assert type(pipe.transformer) is type(pipe.transformer_2)
    assert pipe.transformer.config.in_channels == 36 and pipe.transformer.config.out_channels == 16
    assert pipe.config.boundary_ratio == 0.9 and pipe.config.expand_timesteps is False
    assert pipe.vae.config.z_dim == 16 and type(pipe.tokenizer).__name__ == "T5Tokenizer"
    first = next(pipe.transformer.parameters())
    assert not torch.equal(first, next(pipe.transformer_2.parameters()))  # two different experts


def test_the_end_picture_path_matches_the_pipeline_and_switches_experts(a14b_engine, start_picture, end_picture):
    reports = []
    mine = ours(a14b_engine, end_request(), start_picture, end_picture, on_progress=reports.append)
    theirs = direct_call(tiny_pipeline(), end_request(), start_picture, end_picture)
    assert mine.shape == theirs.shape == (5, 272, 368, 3)
    assert np.abs(mine - theirs).max() < 1e-3
    # 2 steps on flow sigmas shifted by 3: t = 999 (≥ 900, the high-noise expert), then 750 (the low-noise one)
    assert a14b_engine.experts_used == ["transformer", "transformer_2"]
    assert [r.step for r in reports] == [1, 2] and reports[-1].preview is not None


def test_the_switch_step_is_where_the_timestep_crosses_the_boundary(a14b_engine, start_picture, end_picture):
    """At 4 steps the second timestep is exactly 900 = 0.9 × 1000: it stays with the high-noise expert
    (t ≥ boundary), as in the pipeline; the result still matches the direct call."""
    request = end_request(steps=4)
    mine = ours(a14b_engine, request, start_picture, end_picture)
    assert a14b_engine.experts_used == ["transformer", "transformer", "transformer_2", "transformer_2"]
    pipe = tiny_pipeline()
    pipe.scheduler.set_timesteps(4)
    assert [round(float(t)) for t in pipe.scheduler.timesteps] == [999, 900, 750, 500]
    assert np.abs(mine - direct_call(pipe, request, start_picture, end_picture)).max() < 1e-3


def test_the_low_noise_expert_matters(a14b_engine, start_picture, end_picture):
    """Without transformer_2 (boundary off) the pipeline gives another clip: the switch is real."""
    pipe = tiny_pipeline()
    pipe.register_to_config(boundary_ratio=None)
    single = direct_call(pipe, end_request(), start_picture, end_picture)
    both = ours(a14b_engine, end_request(), start_picture, end_picture)
    assert np.abs(single - both).max() > 1e-3


def test_the_end_picture_moves_the_last_frame_more_than_the_first(a14b_engine, start_picture, end_picture):
    other = end_picture.copy()
    other.paste((240, 200, 20), (0, 0, 320, 240))
    a = ours(a14b_engine, end_request(), start_picture, end_picture)
    b = ours(a14b_engine, end_request(), start_picture, other)
    last, first = np.abs(a[-1] - b[-1]).mean(), np.abs(a[0] - b[0]).mean()
    assert last > 0 and last > 5 * first, (last, first)


def test_without_an_end_picture_the_family_still_works(a14b_engine, start_picture):
    output = a14b_engine.generate(REQUEST.model_copy(update={"model": SPEC.test_model}), start_picture)
    assert output.frames.shape == (5, 272, 368, 3) and output.frames.dtype == np.uint8
    theirs = direct_call(tiny_pipeline(), REQUEST, start_picture, None)
    assert np.abs(output.frames.astype(int) - np.round(theirs * 255)).max() <= 1


def test_fast_runs_the_lightning_lora_in_both_experts_at_four_steps_and_guidance_one(a14b_engine, start_picture, end_picture):
    fast = end_request(quality="fast")
    mine = ours(a14b_engine, fast, start_picture, end_picture)
    assert a14b_engine.experts_used == ["transformer", "transformer", "transformer_2", "transformer_2"]
    pipe = tiny_pipeline()
    loras = tiny_lightning_lora(pipe)
    theirs_without = direct_call(pipe, fast, start_picture, end_picture, steps=4, guidance=1.0)
    pipe.load_lora_weights(loras["transformer"], adapter_name="lightning")
    pipe.load_lora_weights(loras["transformer_2"], adapter_name="lightning_2", load_into_transformer_2=True)
    theirs = direct_call(pipe, fast, start_picture, end_picture, steps=4, guidance=1.0)
    assert np.abs(mine - theirs).max() < 1e-3
    assert np.abs(mine - theirs_without).max() > 1e-3  # the LoRA changed what both experts compute
    # same frames, same size: Fast changes the steps, never the clip's length or timing
    assert mine.shape == ours(a14b_engine, end_request(), start_picture, end_picture).shape


def test_standard_after_fast_is_the_plain_checkpoint_again(a14b_engine, start_picture, end_picture):
    ours(a14b_engine, end_request(quality="fast"), start_picture, end_picture)
    again = ours(a14b_engine, end_request(), start_picture, end_picture)
    assert np.abs(again - direct_call(tiny_pipeline(), end_request(), start_picture, end_picture)).max() < 1e-3


def test_cancel_stops_within_a_step(a14b_engine, start_picture, end_picture):
    cancel = threading.Event()
    seen = []

    def on_progress(progress):
        seen.append(progress.step)
        cancel.set()

    with pytest.raises(GenerationCancelled):
        a14b_engine.generate(end_request(model=SPEC.test_model), start_picture, keyframes=[end_picture],
                             on_progress=on_progress, cancel=cancel)
    assert seen == [1]


def test_the_family_takes_an_end_picture_only():
    assert SPEC.keyframes == "last"
    with pytest.raises(RequestError, match=r"keyframes: Wan 2\.2 I2V-A14B takes an end picture only.*LTX-Video 2B"):
        complete_request(GenerationRequest(prompt="x", model=SPEC.test_model, keyframes=(0.5, 1.0)), SPEC.test_model)
    done = complete_request(GenerationRequest(prompt="x", model=SPEC.test_model, keyframes=(1.0,)), SPEC.test_model)
    assert (done.frames, done.fps, done.steps, done.guidance, done.resolution) == (81, 16, 40, 3.5, "480p")
