"""LTX-Video's keyframe path: pictures at any frame through `LTXConditionPipeline` (0.9.5+), matched
against diffusers' own pipeline with the same tiny weights, pictures, seed and settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import LTXConditionPipeline
from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
from PIL import Image

from i2v.engine.ltx import SPEC
from i2v.engine.ltx.engine import DECODE_NOISE_SCALE, DECODE_TIMESTEP
from i2v.engine.ltx.test_model import tiny_pipeline
from i2v.engine.memory_plan import plan_for
from i2v.engine.registry import load_engine
from i2v.image_input import fit_image
from i2v.request import RequestError
from tests.conftest import gradient_picture
from tests.engine.ltx.conftest import request

START = gradient_picture(400, 300)
MIDDLE = Image.new("RGB", (400, 300), (240, 200, 30))
END = Image.new("RGB", (400, 300), (20, 40, 220))


def test_an_end_and_a_middle_picture_match_the_condition_pipeline(ltx_engine):
    req = SPEC.complete(request(frames=17, keyframes=(0.5, 1.0), negative_prompt="blurry"))
    width, height = SPEC.frame_size(req.resolution, START.width, START.height)
    fitted = [fit_image(p, width, height) for p in (START, MIDDLE, END)]
    assert SPEC.keyframe_frames(req.keyframes, req.frames) == [8, 16]  # on latent-frame starts; the end is the last frame
    mine = ltx_engine.sample(req, fitted[0], keyframes=fitted[1:])
    assert type(ltx_engine.keyframe_pipe()) is LTXConditionPipeline  # the test model's 0.9.5 layout
    theirs = tiny_pipeline(condition=True)(
        conditions=[LTXVideoCondition(image=fitted[0], frame_index=0), LTXVideoCondition(image=fitted[1], frame_index=8),
                    LTXVideoCondition(image=fitted[2], frame_index=16)],
        prompt=req.prompt, negative_prompt=req.negative_prompt, width=width, height=height, num_frames=req.frames,
        frame_rate=req.fps, num_inference_steps=req.steps, guidance_scale=req.guidance,
        generator=torch.Generator().manual_seed(req.seed), decode_timestep=DECODE_TIMESTEP,
        decode_noise_scale=DECODE_NOISE_SCALE, max_sequence_length=SPEC.text.max_tokens, output_type="np",
    ).frames[0]
    assert mine.shape == theirs.shape == (17, 288, 384, 3)
    assert np.abs(mine - theirs).max() < 1e-3


def test_two_end_pictures_give_different_last_frames_and_the_same_first(ltx_engine):
    req = request(keyframes=(1.0,), model=SPEC.test_model)
    a = ltx_engine.generate(req, START, keyframes=[END]).frames.astype(int)
    b = ltx_engine.generate(req, START, keyframes=[MIDDLE]).frames.astype(int)
    assert not np.array_equal(a[-1], b[-1])
    assert np.abs(a[-1] - b[-1]).mean() > np.abs(a[0] - b[0]).mean()


def test_pictures_that_fall_on_one_frame_are_refused():
    with pytest.raises(RequestError, match="fall on frames"):
        SPEC.complete(request(frames=9, keyframes=(0.2, 1.0)))  # 0.2 of 9 frames snaps to frame 0, the first picture's


def test_a_0_9_1_checkpoint_refuses_keyframes_naming_0_9_5(ltx_checkpoint):
    engine = load_engine(str(ltx_checkpoint), plan_for("cpu"))
    with pytest.raises(RequestError, match="LTX-Video 0.9.5 or later"):
        engine.generate(request(keyframes=(1.0,), model=str(ltx_checkpoint)), START, keyframes=[END])
