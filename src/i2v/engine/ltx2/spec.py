"""LTX-2's numbers, once (Lightricks/LTX-2 model card, diffusers 0.42's LTX2 pipelines).

LTX-2 makes video and sound together: a 19 B audio-video transformer (22 B for 2.3/2.5) over a video
VAE that compresses 32×32 pixels and 8 frames into one latent (frames 8k+1, sides multiples of 32),
an audio VAE and a vocoder (sound at the vocoder's rate; i2v writes it as 48 kHz AAC), and Gemma-3 12B
as the text encoder (the pipeline reads up to 1024 tokens). The distilled checkpoint is Fast: 8 steps
at guidance 1. Licence: the LTX-2 Community License, which asks that AI-generated output be marked.
"""

from __future__ import annotations

from i2v.engine.spec import (
    FastPreset, FrameRule, Licence, MemoryTier, ModelSpec, SizePreset, Span, TextEncoderSpec, WeightLayout,
)

HUB_ID = "Lightricks/LTX-2"
TEST_MODEL = "tiny-ltx2"
MAX_TOKENS = 1024  # diffusers' LTX2 pipelines: max_sequence_length=1024
NEGATIVE_PROMPT = "worst quality, inconsistent motion, blurry, jittery, distorted, muffled sound, noise"
# What the licence's marking duty puts in every file this family makes (MP4 metadata and recipe).
AI_MARKING = "AI-generated with LTX-2 (LTX-2 Community License)"


def load_tokenizer():
    from i2v.engine.ltx2.tokenizer import load_gemma_tokenizer

    return load_gemma_tokenizer()


SPEC = ModelSpec(
    family="ltx2",
    title="LTX-2 (video + sound)",
    hub_id=HUB_ID,
    known_hub_ids=(HUB_ID, "Lightricks/LTX-2.3", "Lightricks/LTX-2.5"),
    pipeline_classes=("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"),
    denoiser_classes=("LTX2VideoTransformer3DModel",),
    licence=Licence(
        "LTX-2 Community License",
        "https://huggingface.co/Lightricks/LTX-2",
        "Free to use below the licence's annual-revenue threshold (a commercial licence above it); use "
        "restrictions apply; output must be marked as AI-generated (i2v writes the marking into every file's "
        "metadata and recipe). Read the licence file of the version you download."),
    test_model=TEST_MODEL,
    frames=FrameRule(low=9, high=257, default=121, step=8),
    fps=Span(8, 50, 24),
    fps_conditions=True,
    resolutions=(SizePreset("256p", 384, 256), SizePreset("480p", 704, 480), SizePreset("512p", 768, 512),
                 SizePreset("720p", 1280, 704)),
    default_resolution="512p",
    resolution_classes={"draft": "480p", "standard": "512p", "high": "720p"},
    side_multiple=32,
    steps=Span(2, 100, 40),
    guidance=Span(1.0, 10.0, 4.0),
    schedulers=("flow_euler",),
    negative_prompt=NEGATIVE_PROMPT,
    text=TextEncoderSpec("Gemma-3 12B", max_tokens=MAX_TOKENS, special_tokens=1, languages=("en", "zh"),
                         load_tokenizer=load_tokenizer),
    weights=WeightLayout(
        components={"transformer": "diffusion_pytorch_model", "vae": "diffusion_pytorch_model",
                    "audio_vae": "diffusion_pytorch_model", "vocoder": "diffusion_pytorch_model",
                    "connectors": "diffusion_pytorch_model", "text_encoder": "model"},
        configs=("model_index.json", "transformer/config.json", "vae/config.json", "audio_vae/config.json",
                 "vocoder/config.json", "connectors/config.json", "text_encoder/config.json",
                 "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json"),
        variant=None,
        download_gb=80.0,
    ),
    # bf16 weights: transformer 19 B ≈ 38 GB, Gemma-3 12B ≈ 24 GB, VAEs and vocoder ≈ 1 GB. Whole on
    # 80 GB cards; model offload needs the transformer whole (≈ 38 GB + activations) → 48 GB cards;
    # group offload (layer streaming) fits 24–32 GB; below that, sequential. Estimates from the
    # weight sizes until benchmarks/gpu.py measures them.
    memory_tiers=(
        MemoryTier(72, "none", vae_tiling=True),
        MemoryTier(44, "model", vae_tiling=True),
        MemoryTier(14, "group", vae_tiling=True),
        MemoryTier(0, "sequential", vae_tiling=True),
    ),
    # The distilled checkpoint (8 steps, no guidance) stands for Fast; on a full checkpoint Fast runs 8
    # steps at guidance 1 (what the distilled model was trained for; quality is the full model's at 8 steps).
    fast=FastPreset("the distilled schedule: 8 steps at guidance 1", speedup=10.0, steps=8, guidance=1.0),
    notes="Video and sound together; frames are 8k+1 (121 = 5 s at 24 fps).",
    keyframes="any",
    keyframe_note="LTX-2 (LTX2ConditionPipeline)",
    makes_sound=True,
    ai_marking=AI_MARKING,
)
