from i2v.engine.i2vgenxl import SPEC
from i2v.engine.memory_plan import GIB, MemoryPlan, plan_for

TIERS = SPEC.memory_tiers


def test_cpu_uses_fp32_and_no_offload():
    plan = plan_for("cpu")
    assert (plan.dtype, plan.vae_dtype, plan.offload) == ("fp32", "fp32", "none")


def test_cuda_offload_follows_free_memory():
    assert plan_for("cuda", free_bytes=40 * GIB, bf16=True, tiers=TIERS).offload == "none"
    assert plan_for("cuda", free_bytes=12 * GIB, bf16=True, tiers=TIERS).offload == "model"
    assert plan_for("cuda", free_bytes=7 * GIB, bf16=True, tiers=TIERS).offload == "group"
    assert plan_for("cuda", free_bytes=4 * GIB, bf16=True, tiers=TIERS).offload == "sequential"


def test_dtype_prefers_bf16_and_keeps_the_vae_safe_under_fp16():
    assert plan_for("cuda", free_bytes=40 * GIB, bf16=True, tiers=TIERS).dtype == "bf16"
    old_gpu = plan_for("cuda", free_bytes=40 * GIB, bf16=False, tiers=TIERS)
    assert (old_gpu.dtype, old_gpu.vae_dtype) == ("fp16", "fp32")


def test_operator_overrides_win():
    plan = plan_for("cuda", dtype="fp32", offload="sequential", vae_chunk=3, free_bytes=80 * GIB, bf16=True, tiers=TIERS)
    assert (plan.dtype, plan.offload, plan.vae_chunk) == ("fp32", "sequential", 3)
    assert "operator" in plan.reason


def test_cheaper_walks_down_the_ladder_once_per_rung():
    plan = plan_for("cuda", free_bytes=40 * GIB, bf16=True, tiers=TIERS)
    rungs = []
    while plan is not None:
        rungs.append((plan.offload, plan.vae_chunk, plan.vae_tiling))
        plan = plan.cheaper()
    assert rungs == [("none", 8, False), ("model", 1, False), ("group", 1, False), ("sequential", 1, False),
                     ("sequential", 1, True)]
    assert plan_for("cpu").cheaper() is None


def test_plan_is_recordable():
    record = plan_for("cuda", free_bytes=12 * GIB, bf16=True, tiers=TIERS).as_dict()
    assert record["offload"] == "model" and "GiB free" in record["reason"]
    assert MemoryPlan(**record) == plan_for("cuda", free_bytes=12 * GIB, bf16=True, tiers=TIERS)


def test_each_family_brings_its_own_tiers():
    from i2v.engine.registry import family_spec

    wan = family_spec("wan").memory_tiers
    assert plan_for("cuda", free_bytes=24 * GIB, bf16=True, tiers=wan).offload == "model"
    assert plan_for("cuda", free_bytes=24 * GIB, bf16=True, tiers=TIERS).offload == "none"
    assert plan_for("cuda", free_bytes=24 * GIB, bf16=True, tiers=wan).vae_tiling


def test_every_rung_of_the_ladder_places_the_model_and_gives_the_same_frames(tiny_engine, picture):
    """Placement is reversible and exact: walking none → model → group → sequential (+ tiling) and
    back to none changes where weights live, never what the engine makes (CPU stands in for the GPU)."""
    import dataclasses

    import numpy as np

    from i2v.request import GenerationRequest

    request = SPEC.complete(GenerationRequest(prompt="cells dividing", seed=3, resolution="256p", frames=8, steps=1))
    start = tiny_engine.plan
    reference = tiny_engine.generate(request, picture).frames
    try:
        for offload in ("model", "group", "sequential", "none"):
            tiny_engine.place(dataclasses.replace(start, offload=offload))
            frames = tiny_engine.generate(request, picture).frames
            assert np.abs(frames.astype(int) - reference.astype(int)).max() <= 1, offload
        # VAE tiling decodes tile by tile and blends the seams: an approximation, the same video in outline.
        tiny_engine.place(dataclasses.replace(start, vae_tiling=True))
        tiled = tiny_engine.generate(request, picture).frames
        assert tiled.shape == reference.shape and np.abs(tiled.astype(int) - reference.astype(int)).mean() < 20
    finally:
        tiny_engine.place(start)


def test_the_memory_model_picks_the_fastest_plan_that_fits_and_says_why():
    """With a measured footprint the plan predicts the default job's peak instead of guessing tiers."""
    from i2v.engine.memory_estimate import predict

    none = predict(SPEC, offload="none", dtype="bf16", vae_dtype="bf16", width=512, height=512, frames=16, vae_chunk=8)
    model = predict(SPEC, offload="model", dtype="bf16", vae_dtype="bf16", width=512, height=512, frames=16)
    bigger = predict(SPEC, offload="none", dtype="bf16", vae_dtype="bf16", width=768, height=768, frames=16, vae_chunk=8)
    assert model.peak < none.peak < bigger.peak
    assert none.weights_denoise > 4.5 * GIB  # all four components in half precision (≈4.65 GiB)
    roomy = plan_for("cuda", free_bytes=int(none.peak / 0.85), bf16=True, tiers=TIERS, spec=SPEC)
    tight = plan_for("cuda", free_bytes=int(none.peak * 0.95), bf16=True, tiers=TIERS, spec=SPEC)
    assert roomy.offload == "none" and tight.offload == "model"
    assert "predicted at" in tight.reason and "512×512" in tight.reason


def test_each_phase_of_a_video_family_is_predicted_where_it_peaks():
    """Wan's causal VAE decodes 4 frames at a time, so its decode does not grow with the clip;
    LTX's decodes every frame at once, so it does. Under model offload the big text encoders sit
    on the card whole while the prompt is encoded: LTX's T5-XXL then sets the peak, not the denoiser."""
    from i2v.engine.ltx import SPEC as LTX
    from i2v.engine.memory_estimate import predict
    from i2v.engine.wan import SPEC as WAN

    def decode(spec, frames):
        return predict(spec, offload="model", dtype="bf16", vae_dtype="bf16", width=768, height=512, frames=frames).activations_decode

    assert decode(WAN, 121) == decode(WAN, 41)
    assert decode(LTX, 121) > 2.5 * decode(LTX, 41)
    ltx = predict(LTX, offload="model", dtype="bf16", vae_dtype="bf16", width=768, height=512, frames=121)
    assert ltx.weights_encode == LTX.footprint.parameters["text_encoder"] * 2 > max(ltx.denoise, ltx.decode)
    assert ltx.peak > ltx.weights_encode and "encode" in ltx.describe()
    assert predict(LTX, offload="sequential", dtype="bf16", vae_dtype="bf16", width=768, height=512,
                   frames=121).weights_encode < 0.3 * GIB  # one T5 layer at a time


def test_only_a_family_that_can_release_its_encoders_is_planned_to():
    from i2v.engine.memory_plan import with_encoder_release
    from i2v.engine.wan import SPEC as WAN

    plan = plan_for("cpu")
    assert with_encoder_release(plan, SPEC, "auto", ram_bytes=12 * GIB).release_encoders
    assert not with_encoder_release(plan, WAN, "auto", ram_bytes=12 * GIB).release_encoders
    assert not with_encoder_release(plan, SPEC, "auto", ram_bytes=64 * GIB).release_encoders


def test_released_encoders_come_back_for_the_next_job_with_the_same_video(tiny_engine, picture):
    """The RAM-saving mode drops the encoders after the embeddings and reads them again next job:
    memory changes, the video does not, and the reload time is recorded for the recipe."""
    import dataclasses

    import numpy as np

    from i2v.request import GenerationRequest

    request = SPEC.complete(GenerationRequest(prompt="cells dividing", seed=4, resolution="256p", frames=8, steps=1))
    start = tiny_engine.plan
    reference = tiny_engine.generate(request, picture).frames
    try:
        tiny_engine.place(dataclasses.replace(start, release_encoders=True))
        first = tiny_engine.generate(request, picture)
        assert tiny_engine.parts.text_encoder is None and tiny_engine.parts.image_encoder is None
        second = tiny_engine.generate(request, picture)
        assert "encoders_reload_s" not in first.timings and second.timings["encoders_reload_s"] >= 0
        assert np.array_equal(first.frames, reference) and np.array_equal(second.frames, reference)
    finally:
        tiny_engine.place(start)
        tiny_engine.generate(request, picture)  # leaves the encoders loaded for the other tests
        assert tiny_engine.parts.text_encoder is not None


def test_encoders_are_released_automatically_only_when_ram_is_short():
    from i2v.engine.memory_plan import with_encoder_release

    cpu = plan_for("cpu")
    weights = sum(SPEC.footprint.parameters.values()) * 4
    assert not with_encoder_release(cpu, SPEC, "auto", ram_bytes=weights * 3).release_encoders
    short = with_encoder_release(cpu, SPEC, "auto", ram_bytes=int(weights * 1.1))
    assert short.release_encoders and "RAM short" in short.reason
    assert not with_encoder_release(cpu, SPEC, "off", ram_bytes=weights).release_encoders
    assert with_encoder_release(cpu, SPEC, "on", ram_bytes=weights * 9).release_encoders
    gpu = plan_for("cuda", free_bytes=80 * GIB, bf16=True, tiers=TIERS)  # weights live in VRAM: RAM is not the limit
    assert not with_encoder_release(gpu, SPEC, "auto", ram_bytes=GIB).release_encoders
