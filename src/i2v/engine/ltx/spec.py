"""LTX-Video 2B's numbers, once (Lightricks/LTX-Video model card and diffusers' LTX docs).

The fast tier: a 2 B transformer over a VAE that compresses 32×32 pixels and 8 frames into one
latent, so frames are 8k+1 and sides multiples of 32. It reads the frame rate (RoPE scaling), so fps
conditions the model. T5-XXL reads English prompts up to 128 tokens.
"""

from __future__ import annotations

from i2v.engine.spec import (
    FastPreset, Footprint, FrameRule, LatentGeometry, Licence, MemoryTier, ModelSpec, SizePreset, Span, TextEncoderSpec, WeightLayout,
)
from i2v.engine.tokenizers import load_t5_tokenizer

HUB_ID = "Lightricks/LTX-Video"
TEST_MODEL = "tiny-ltx"
MAX_TOKENS = 128
NEGATIVE_PROMPT = "worst quality, inconsistent motion, blurry, jittery, distorted"


def load_tokenizer():
    return load_t5_tokenizer(MAX_TOKENS)


SPEC = ModelSpec(
    family="ltx",
    title="LTX-Video 2B",
    hub_id=HUB_ID,
    known_hub_ids=(HUB_ID, "Lightricks/LTX-Video-0.9.1", "Lightricks/LTX-Video-0.9.5"),
    pipeline_classes=("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
    denoiser_classes=("LTXVideoTransformer3DModel",),
    licence=Licence("LTX-Video licence by version: OpenRAIL-M (earliest releases) / LTXV Open Weights License (later)",
                    "https://huggingface.co/Lightricks/LTX-Video",
                    "Open weights, not Apache-2.0: use-based restrictions, and for the later licence a revenue threshold "
                    "for commercial use. Read the licence file of the version you download."),
    test_model=TEST_MODEL,
    frames=FrameRule(low=9, high=257, default=121, step=8),
    fps=Span(8, 30, 24),
    fps_conditions=True,
    # 256p (384×256, 96 latent pixels a frame) is the draft size: a quick look on the smallest cards
    # and the size the test model runs at in the test suite; LTX reads any multiple of 32.
    resolutions=(SizePreset("256p", 384, 256), SizePreset("480p", 704, 480), SizePreset("512p", 768, 512),
                 SizePreset("720p", 1216, 704)),
    default_resolution="512p",
    resolution_classes={"draft": "480p", "standard": "512p", "high": "720p"},
    side_multiple=32,
    # At least 2: with one step the scheduler's terminal shift (shift_terminal 0.1) divides by zero
    # and diffusers' LTX pipeline fails (found by benchmarks/gpu.py --dry-run).
    steps=Span(2, 100, 50),
    guidance=Span(1.0, 10.0, 3.0),
    schedulers=("flow_euler",),
    negative_prompt=NEGATIVE_PROMPT,
    text=TextEncoderSpec("T5-XXL", max_tokens=MAX_TOKENS, special_tokens=1, languages=("en",),
                         load_tokenizer=load_tokenizer),
    weights=WeightLayout(
        components={"transformer": "diffusion_pytorch_model", "vae": "diffusion_pytorch_model", "text_encoder": "model"},
        configs=("model_index.json", "transformer/config.json", "vae/config.json", "text_encoder/config.json",
                 "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json"),
        variant=None,
        download_gb=28.0,
    ),
    # Half-precision weights: transformer 3.8 GB, T5-XXL 9.5 GB, VAE 0.8 GB. Model offload must hold
    # T5-XXL whole, so 8 GB cards stream layers. Estimates until benchmarks/gpu.py measures them.
    memory_tiers=(
        MemoryTier(20, "none"),
        MemoryTier(12, "model", vae_tiling=True),
        MemoryTier(6, "group", vae_tiling=True),
        MemoryTier(0, "sequential", vae_tiling=True),
    ),
    # LTX VAE: 32×32 pixels and 8 frames per latent, 128 channels, patch 1; the pipeline batches guidance.
    latent=LatentGeometry(spatial=32, temporal=8, patch=1, channels=128, guided_batch=2),
    # Parameters counted on the meta device from the released configs (benchmarks/bench_ltx.py);
    # activations measured with benchmarks/activations.py --family ltx (2-core CPU, fp32, full-width
    # random weights, 2 of the 28 blocks). The VAE decodes every frame in one call.
    footprint=Footprint(
        parameters={"transformer": 1_923_385_472, "text_encoder": 4_762_310_656, "vae": 419_193_649},
        denoiser="transformer", vae="vae", act_per_token=221_492, act_fixed=25_824_553, decode_per_pixel=189,
        largest_layer=56_627_200, source="benchmarks/activations.py --family ltx (CPU, fp32)",
        encoders=("text_encoder",), encoder_largest_layer=131_596_288,
    ),
    # Measured by benchmarks/bench_ltx.py on the 2-core CPU (random weights): the denoising loop runs
    # 2.05× faster on a full-width 2-block transformer (the cache never skipped there: half the steps
    # alone) and 2.0–3.0× on the tiny model in two runs on a busy machine (the cache skipped 12 of 25
    # steps); the loop is 98.5 % of a job's FLOPs at 768×512×121, so ≈ 2.0× for a whole job. Real
    # weights may let the cache skip more steps.
    fast=FastPreset("half the steps with diffusers' first-block cache (residual threshold 0.05)", speedup=2.0),
    notes="Frames are 8k+1 (121 = 5 s at 24 fps); the fast tier for 8–12 GB cards.",
    # LTXConditionPipeline (0.9.5 and later) places a picture at any frame index; the 0.9.0/0.9.1
    # LTXImageToVideoPipeline takes only the first picture, and the engine says so.
    keyframes="any",
    keyframe_note="LTX-Video 0.9.5 or later",
)
