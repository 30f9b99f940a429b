"""Speed levers on the tiny model: each one runs and changes the work done; off is the original loop bit for bit."""

import pytest
import torch

from i2v.engine.i2vgenxl import SPEC
from i2v.engine.i2vgenxl.engine import FAST_LEVERS, OFF, Levers, make_scheduler, recipe_for
from i2v.image_input import fit_image
from i2v.request import GenerationRequest


def request(**overrides) -> GenerationRequest:
    fields = {"prompt": "a cell dividing", "seed": 5, "resolution": "256p", "frames": 8, "steps": 6, **overrides}
    return SPEC.complete(GenerationRequest(**fields))


SIZE = 64  # pixels; small enough that the whole file runs in seconds


def latents(engine, picture, req, levers=None):
    return engine.sample_latents(req, picture, SIZE, SIZE, levers=levers)


class UNetCalls:
    """Records the batch of every UNet call and how often the deep (mid) block really computed."""

    def __init__(self, unet):
        self.batches, self.mid_computed = [], 0
        self.handles = [
            unet.register_forward_pre_hook(lambda m, args: self.batches.append(args[0].shape[0])),
            unet.mid_block.resnets[0].register_forward_pre_hook(lambda m, args: self._mid()),
        ]

    def _mid(self):
        self.mid_computed += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()


def original_loop(engine, req, picture):
    """The sampling loop as it was before the levers existed, kept here as the yardstick."""
    width = height = SIZE
    with torch.inference_mode():
        text = engine.encode_prompt(req.prompt, req.negative_prompt, True)
        embeds = engine.encode_image(picture, width, True)
        image_latents = engine.prepare_image_latents(fit_image(picture, width, height), req.frames, True, req.seed, dtype=embeds.dtype)
        fps = torch.tensor([req.fps] * 2)
        scheduler = make_scheduler(req.scheduler, engine.parts.scheduler_config)
        scheduler.set_timesteps(req.steps)
        x = engine.prepare_latents(req.frames, height, width, req.seed, text.dtype) * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            model_input = scheduler.scale_model_input(torch.cat([x] * 2), t)
            pred = engine.parts.unet(model_input, t, encoder_hidden_states=text, fps=fps, image_latents=image_latents,
                                     image_embeddings=embeds, return_dict=False)[0]
            uncond, cond = pred.chunk(2)
            x = engine._scheduler_step(scheduler, uncond + req.guidance * (cond - uncond), t, x)
    return x


def rel_l2(a, b):
    return float((a - b).norm() / b.norm())


def test_levers_off_is_the_original_loop_bit_for_bit(tiny_engine, picture):
    for scheduler in ("ddim", "dpmpp"):
        req = request(scheduler=scheduler)
        assert torch.equal(latents(tiny_engine, picture, req), original_loop(tiny_engine, req, picture))


def test_deep_cache_skips_deep_blocks_and_restores_the_unet(tiny_engine, picture):
    req = request()
    before = latents(tiny_engine, picture, req)
    with UNetCalls(tiny_engine.parts.unet) as calls:
        cached = latents(tiny_engine, picture, req, Levers(deep_cache_interval=3))
    assert calls.batches == [2] * 6 and calls.mid_computed == 2  # full passes at steps 1 and 4
    assert torch.isfinite(cached).all() and not torch.equal(cached, before)
    assert rel_l2(cached, before) < 0.5
    blocks = [*tiny_engine.parts.unet.down_blocks, tiny_engine.parts.unet.mid_block, *tiny_engine.parts.unet.up_blocks]
    assert not any("forward" in vars(block) for block in blocks)  # the patched forwards are gone
    assert torch.equal(latents(tiny_engine, picture, req), before)  # off again: exactly as before


def test_cfg_stop_runs_the_last_steps_unguided(tiny_engine, picture):
    req = request()
    before = latents(tiny_engine, picture, req)
    with UNetCalls(tiny_engine.parts.unet) as calls:
        late = latents(tiny_engine, picture, req, Levers(cfg_stop_fraction=0.34))
    assert calls.batches == [2, 2, 2, 2, 1, 1]
    assert torch.isfinite(late).all() and not torch.equal(late, before)
    assert torch.equal(latents(tiny_engine, picture, req), before)


def test_levers_together_refresh_the_cache_when_guidance_stops(tiny_engine, picture):
    with UNetCalls(tiny_engine.parts.unet) as calls:
        out = latents(tiny_engine, picture, request(), Levers(deep_cache_interval=2, cfg_stop_fraction=0.34))
    assert calls.batches == [2, 2, 2, 2, 1, 1]
    assert calls.mid_computed == 3  # steps 1, 3 full; step 5 full again because the batch changed
    assert torch.isfinite(out).all()


def test_fast_preset_halves_steps_with_dpm_solver_and_standard_is_unchanged(tiny_engine, picture):
    assert recipe_for(request(steps=50)) == ("ddim", 50, OFF)
    assert recipe_for(request(steps=50, quality="fast")) == ("dpmpp", 25, FAST_LEVERS)
    seen = []
    fast = tiny_engine.sample_latents(request(quality="fast"), picture, SIZE, SIZE, on_progress=seen.append)
    assert [p.total for p in seen] == [3, 3, 3]
    assert torch.isfinite(fast).all() and not torch.equal(fast, latents(tiny_engine, picture, request()))


@pytest.mark.parametrize("bad", [{"deep_cache_interval": 0}, {"cfg_stop_fraction": 1.0}, {"cfg_stop_fraction": -0.1}])
def test_levers_refuse_values_outside_their_range(bad):
    with pytest.raises(ValueError):
        Levers(**bad)


def test_eta_before_start_scales_with_work_and_credits_the_fast_preset(tiny_engine):
    import dataclasses

    small = tiny_engine.estimate_seconds(request(resolution="256p", steps=50), 640, 480)
    big = tiny_engine.estimate_seconds(request(resolution="512p", steps=50), 640, 480)
    fast = tiny_engine.estimate_seconds(request(resolution="512p", steps=50, quality="fast"), 640, 480)
    assert 0 < small < big and fast < big
    gpu = dataclasses.replace(tiny_engine.plan, device="cuda", dtype="bf16")
    engine_plan, tiny_engine.plan = tiny_engine.plan, gpu
    try:
        assert tiny_engine.estimate_seconds(request(), 640, 480) is None  # never measured there: no made-up ETA
    finally:
        tiny_engine.plan = engine_plan
