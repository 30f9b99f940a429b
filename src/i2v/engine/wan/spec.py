"""Wan 2.2 TI2V-5B's numbers, once (Wan-AI/Wan2.2-TI2V-5B model card and diffusers' Wan docs).

The 5 B text-image-to-video model: 1280×704 at 24 fps, 121 frames by default; its VAE compresses
16×16 pixels and 4 frames into one latent, so frames are 4k+1 and sides multiples of 32 (VAE 16 ×
transformer patch 2). UMT5-XXL reads English and Chinese prompts up to 512 tokens.
"""

from __future__ import annotations

from i2v.engine.spec import (
    FastPreset, Footprint, FrameRule, LatentGeometry, Licence, MemoryTier, ModelSpec, SizePreset, Span, TextEncoderSpec, WeightLayout,
)
from i2v.engine.tokenizers import load_t5_tokenizer

HUB_ID = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
TEST_MODEL = "tiny-wan"
MAX_TOKENS = 512
# The negative prompt of Wan's own examples (English translation of the model card's Chinese one).
NEGATIVE_PROMPT = (
    "bright tones, overexposed, static, blurred details, subtitles, style, artwork, painting, picture, still, "
    "overall grey, worst quality, low quality, JPEG artefacts, ugly, incomplete, extra fingers, poorly drawn hands, "
    "poorly drawn faces, deformed, disfigured, malformed limbs, fused fingers, motionless frame, cluttered "
    "background, three legs, many people in the background, walking backwards"
)


def load_tokenizer():
    return load_t5_tokenizer(MAX_TOKENS)


SPEC = ModelSpec(
    family="wan",
    title="Wan 2.2 TI2V-5B",
    hub_id=HUB_ID,
    known_hub_ids=(HUB_ID,),
    pipeline_classes=("WanPipeline", "WanImageToVideoPipeline"),
    denoiser_classes=("WanTransformer3DModel",),
    licence=Licence("Apache-2.0", "https://huggingface.co/Wan-AI/Wan2.2-TI2V-5B-Diffusers",
                    "Open weights under Apache-2.0; no use restrictions beyond the licence."),
    test_model=TEST_MODEL,
    frames=FrameRule(low=5, high=121, default=121, step=4),
    fps=Span(8, 30, 24),
    fps_conditions=False,
    resolutions=(SizePreset("480p", 832, 480), SizePreset("720p", 1280, 704)),
    default_resolution="720p",
    resolution_classes={"draft": "480p", "standard": "720p", "high": "720p"},
    side_multiple=32,
    steps=Span(1, 100, 50),
    guidance=Span(1.0, 10.0, 5.0),
    schedulers=("unipc",),
    negative_prompt=NEGATIVE_PROMPT,
    text=TextEncoderSpec("UMT5-XXL", max_tokens=MAX_TOKENS, special_tokens=1, languages=("en", "zh"),
                         load_tokenizer=load_tokenizer),
    weights=WeightLayout(
        components={"transformer": "diffusion_pytorch_model", "vae": "diffusion_pytorch_model", "text_encoder": "model"},
        configs=("model_index.json", "transformer/config.json", "vae/config.json", "text_encoder/config.json",
                 "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json"),
        variant=None,
        download_gb=34.0,
    ),
    # Half-precision weights: transformer 10 GB, UMT5-XXL 11.4 GB, VAE 1.4 GB; the 720p/121-frame
    # latent is 27,280 tokens. Estimates from those sizes until benchmarks/gpu.py measures them.
    memory_tiers=(
        MemoryTier(40, "none"),
        MemoryTier(22, "model", vae_tiling=True),
        MemoryTier(10, "group", vae_tiling=True),
        MemoryTier(0, "sequential", vae_tiling=True),
    ),
    # Wan 2.2 VAE: 16×16 pixels and 4 frames per latent, 48 channels; the transformer patches 2×2 and
    # diffusers' pipeline runs the conditional and unconditional passes one after the other.
    latent=LatentGeometry(spatial=16, temporal=4, patch=2, channels=48, guided_batch=1),
    # Parameters counted on the meta device from the released configs (benchmarks/bench_wan.py);
    # activations measured with benchmarks/activations.py --family wan (2-core CPU, fp32, full-width
    # random weights, 2 of the 30 blocks: the widest layer sets an inference peak, not the depth).
    # The VAE decodes one latent frame (4 frames) at a time with a small cache, hence decode_frames.
    footprint=Footprint(
        parameters={"transformer": 4_999_787_712, "text_encoder": 5_680_910_336, "vae": 704_688_668},
        denoiser="transformer", vae="vae", act_per_token=324_346, act_fixed=32_134_016, decode_per_pixel=5_152,
        largest_layer=56_641_536, source="benchmarks/activations.py --family wan (CPU, fp32)",
        decode_frames=4, encoders=("text_encoder",), encoder_largest_layer=1_050_148_864,
    ),
    # Measured with benchmarks/bench_wan.py (2-core CPU, random weights): transformer blocks computed
    # by the denoising loop fall 2.00× on a full-width 4-layer model (8 → 4 steps; the cache skipped
    # no block there) and 3.33× on the tiny model (20 → 10 steps, most tails skipped); latent
    # deviation 5.1 % and 2.8 % (rel. L2). So 2.0: the halved steps, which hold for any weights.
    # The cache's extra skips depend on the real weights, and the VAE decode (not sped up) makes the
    # whole job a little less than the loop; unmeasured on a GPU.
    fast=FastPreset("UniPC at half the steps with diffusers' first-block cache (residual threshold 0.1)",
                    speedup=2.0),
    notes="Frames are 4k+1 (121 = 5 s at 24 fps); prompts may be English or Chinese.",
)
