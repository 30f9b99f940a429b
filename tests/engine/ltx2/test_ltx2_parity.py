"""The product's LTX-2 engine against diffusers' `LTX2ImageToVideoPipeline` called directly on the
same tiny weights, seed and settings: frames and audio samples agree within 1e-3."""

from __future__ import annotations

import numpy as np
import torch

from i2v.engine.ltx2.engine import call_arguments, load
from i2v.engine.ltx2.spec import SPEC
from i2v.engine.ltx2.test_model import tiny_pipeline
from i2v.engine.memory_plan import choose_plan
from i2v.image_input import fit_image
from i2v.request import GenerationRequest
from tests.conftest import gradient_picture


def test_engine_matches_the_diffusers_pipeline_on_the_same_weights():
    request = SPEC.complete(GenerationRequest(prompt="a bell ringing", model=SPEC.test_model, resolution="256p",
                                              frames=9, steps=2, seed=3))
    engine = load(SPEC.test_model, choose_plan(SPEC, device="cpu"))
    width, height = SPEC.frame_size(request.resolution, 400, 300)
    picture = fit_image(gradient_picture(400, 300), width, height)
    ours = engine.sample(request, picture)
    sound = engine.last_audio
    assert ours.shape == (9, height, width, 3) and sound is not None and sound.rate == 16000
    pipe = tiny_pipeline()
    pipe.set_progress_bar_config(disable=True)
    direct = pipe(image=picture, **call_arguments(request, width, height, request.steps, request.guidance),
                  generator=torch.Generator().manual_seed(3), output_type="np")
    assert np.abs(ours - np.asarray(direct.frames)[0]).max() <= 1e-3
    theirs = direct.audio[0].float().numpy()
    assert theirs.shape == sound.samples.shape and np.abs(theirs).max() > 0  # a real, non-silent track
    assert np.abs(sound.samples - np.clip(theirs, -1, 1)).max() <= 1e-3
