"""I2VGen-XL's numbers, once: the original recipe (ali-vilab/i2vgen-xl, diffusers docs) and our measurements."""

from __future__ import annotations

from i2v.engine.spec import (
    FastPreset, Footprint, FrameRule, LatentGeometry, Licence, MeasuredCost, MemoryTier, ModelSpec, SizePreset, Span, TextEncoderSpec, WeightLayout,
)
from i2v.engine.tokenizers import CLIP_MAX_TOKENS, load_clip_tokenizer

HUB_ID = "ali-vilab/i2vgen-xl"
TEST_MODEL = "tiny"
# The negative prompt of the original recipe (diffusers docs example).
NEGATIVE_PROMPT = (
    "Distorted, discontinuous, Ugly, blurry, low resolution, motionless, static, disfigured, "
    "disconnected limbs, Ugly faces, incomplete arms"
)

SPEC = ModelSpec(
    family="i2vgenxl",
    title="I2VGen-XL",
    hub_id=HUB_ID,
    known_hub_ids=(HUB_ID,),
    pipeline_classes=("I2VGenXLPipeline",),
    denoiser_classes=("I2VGenXLUNet",),
    licence=Licence(
        "MIT (model card)", "https://huggingface.co/ali-vilab/i2vgen-xl",
        "Research model from Alibaba; the card states the MIT licence.",
    ),
    test_model=TEST_MODEL,
    frames=FrameRule(low=8, high=32, default=16),
    fps=Span(4, 30, 8),
    fps_conditions=True,
    resolutions=(
        SizePreset("256p", 256, 256), SizePreset("512p", 512, 512),
        SizePreset("768p", 768, 768), SizePreset("1024p", 1024, 1024),
    ),
    default_resolution="512p",
    resolution_classes={"draft": "256p", "standard": "512p", "high": "768p"},
    side_multiple=64,
    steps=Span(1, 150, 50),
    guidance=Span(1.0, 20.0, 9.0),
    schedulers=("ddim", "dpmpp"),
    negative_prompt=NEGATIVE_PROMPT,
    text=TextEncoderSpec(
        "CLIP ViT-H/14 text encoder", max_tokens=CLIP_MAX_TOKENS, special_tokens=2, languages=("en",),
        load_tokenizer=load_clip_tokenizer,
    ),
    weights=WeightLayout(
        components={"unet": "diffusion_pytorch_model", "vae": "diffusion_pytorch_model",
                    "text_encoder": "model", "image_encoder": "model"},
        configs=("model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
                 "image_encoder/config.json", "scheduler/scheduler_config.json",
                 "feature_extractor/preprocessor_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt"),
        variant="fp16",
        download_gb=11.0,
    ),
    # Weights are ~4.65 GiB in half precision (shared/README); activations at 512p/16 frames need
    # several GiB more. Published reports: 12 GB cards run with model offload, 8 GB cards run out
    # of memory without streaming layers. Estimates until benchmarks/gpu.py measures them.
    memory_tiers=(
        MemoryTier(20, "none"),
        MemoryTier(10, "model"),
        MemoryTier(6, "group"),
        MemoryTier(0, "sequential"),
    ),
    # DPM-Solver++ at half the steps, DeepCache every 3rd step, no guidance in the last 20 %:
    # the loop measures 3.8–4.0× at 50 steps on the full-size model (BENCHMARKS.md §5b); encoders
    # and VAE decode are unchanged, hence 3.5× for a whole job.
    fast=FastPreset("DPM-Solver++ at half the steps, DeepCache (interval 3), no guidance in the last 20 % of steps",
                    speedup=3.5),
    # Measured on the 2-core development CPU, full-size model, fp32 (BENCHMARKS.md, benchmarks/run.py):
    # one CFG step at 128×128 px and 8 frames; growth with pixels from the FLOP counts (512→768 px:
    # 2.25× pixels, 2.50× compute); VAE decode per frame at 128×128 px.
    costs={"cpu-fp32": MeasuredCost(step_s=11.5, width=128, height=128, frames=8, pixel_exponent=1.13,
                                    frame_exponent=1.0, decode_s_per_frame=1.65, encode_s=3.0,
                                    source="2-core CPU, full-size random weights, fp32 (BENCHMARKS.md)")},
    # SD-2.1's VAE: 8×8 pixels per latent, 4 channels, each frame apart; the UNet batches the guided halves.
    latent=LatentGeometry(spatial=8, temporal=1, patch=1, channels=4, guided_batch=2),
    # Parameters counted on the meta device from the released configs; activations measured with
    # benchmarks/activations.py (2-core CPU, fp32, full-size random weights; 4 denoiser and 2 decode points,
    # peak reset after the build; the first measurement, 92 KB/token, counted the build's transients).
    footprint=Footprint(
        parameters={"unet": 1_420_469_224, "vae": 83_653_863, "text_encoder": 340_387_840, "image_encoder": 632_076_800},
        denoiser="unet", vae="vae", act_per_token=37_251, act_fixed=102_808_000, decode_per_pixel=3_861,
        largest_layer=29_492_480, source="benchmarks/activations.py --family i2vgenxl (CPU, fp32)",
        encoders=("text_encoder", "image_encoder"), encoder_largest_layer=50_593_792,
    ),
    fp16_issue="a known problem of I2VGen-XL in fp16 (diffusers issue 8655)",
    keeps_trained_frames=True,
    releases_encoders=True,
    notes="Trained on 16-frame clips; prompts must be English (CLIP text encoder).",
)
