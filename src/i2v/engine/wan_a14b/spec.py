"""Wan 2.2 I2V-A14B's numbers, once (Wan-AI/Wan2.2-I2V-A14B model card, Wan's `wan/configs/wan_i2v_A14B.py`,
and diffusers' `scripts/convert_wan_to_diffusers.py`, which made the Diffusers checkpoint).

A mixture of two 14 B experts of one architecture: `transformer` denoises the high-noise steps and
`transformer_2` the low-noise ones, switched where the timestep falls below `boundary_ratio` × 1000
(0.9 for this checkpoint). The picture is encoded by the Wan 2.1 VAE (8×8 pixels and 4 frames per
latent, 16 channels) and concatenated to the noise with a mask (36 input channels), so a second
picture can fix the last frame (`last_image`). 480p and 720p, 81 frames at 16 fps; UMT5-XXL reads
English and Chinese prompts up to 512 tokens.
"""

from __future__ import annotations

from i2v.engine.spec import (
    FastPreset, Footprint, FrameRule, LatentGeometry, Licence, MemoryTier, ModelSpec, SizePreset, Span, TextEncoderSpec,
    WeightLayout,
)
from i2v.engine.tokenizers import load_t5_tokenizer

HUB_ID = "Wan-AI/Wan2.2-I2V-A14B-Diffusers"
TEST_MODEL = "tiny-wan-a14b"
MAX_TOKENS = 512
BOUNDARY_RATIO = 0.9  # the checkpoint's model_index.json (diffusers' conversion script; Wan's `boundary = 0.900`)
# The Fast preset: lightx2v's 4-step Lightning LoRA, one file per expert, guidance 1 (no CFG pass).
LIGHTNING_REPO = "lightx2v/Wan2.2-Lightning"
LIGHTNING_FOLDER = "Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1"
LIGHTNING_FILES = {"transformer": "high_noise_model.safetensors", "transformer_2": "low_noise_model.safetensors"}
LIGHTNING_STEPS = 4
# What was found about the LoRA's licence (a stored copy of its hub page, 2026-12): the repository's
# metadata names no licence, unlike lightx2v's other repositories (Apache-2.0). i2v never downloads
# it on its own; the operator decides.
LIGHTNING_LICENCE = ("lightx2v/Wan2.2-Lightning states no licence on its hub page (checked 2026-12); "
                     "without one, ask its authors before using it beyond trying it out")
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
    family="wan_a14b",
    title="Wan 2.2 I2V-A14B",
    hub_id=HUB_ID,
    known_hub_ids=(HUB_ID,),
    pipeline_classes=("WanImageToVideoPipeline",),
    denoiser_classes=(),  # the same transformer class as TI2V-5B: a folder is told apart by its transformer_2
    licence=Licence("Apache-2.0", "https://huggingface.co/Wan-AI/Wan2.2-I2V-A14B-Diffusers",
                    "Open weights under Apache-2.0. The Fast preset's Lightning LoRA is a separate download: "
                    + LIGHTNING_LICENCE + "."),
    test_model=TEST_MODEL,
    frames=FrameRule(low=5, high=121, default=81, step=4),
    fps=Span(8, 30, 16),
    fps_conditions=False,
    # 240p (416×240) is a draft size beyond the model card's 480p and 720p: a rough first look on a
    # small card, and the size the test model runs at in the test suite (the Wan 2.1 VAE at 480p
    # takes 40 s a run on this 2-core CPU even at toy width).
    resolutions=(SizePreset("240p", 416, 240), SizePreset("480p", 832, 480), SizePreset("720p", 1280, 720)),
    default_resolution="480p",
    resolution_classes={"draft": "480p", "standard": "480p", "high": "720p"},
    side_multiple=16,  # VAE 8 × transformer patch 2
    steps=Span(1, 100, 40),  # Wan's sample_steps for i2v-A14B
    guidance=Span(1.0, 10.0, 3.5),  # Wan's sample_guide_scale (3.5, 3.5): both experts
    schedulers=("unipc",),
    negative_prompt=NEGATIVE_PROMPT,
    text=TextEncoderSpec("UMT5-XXL", max_tokens=MAX_TOKENS, special_tokens=1, languages=("en", "zh"),
                         load_tokenizer=load_tokenizer),
    weights=WeightLayout(
        components={"transformer": "diffusion_pytorch_model", "transformer_2": "diffusion_pytorch_model",
                    "vae": "diffusion_pytorch_model", "text_encoder": "model"},
        configs=("model_index.json", "transformer/config.json", "transformer_2/config.json", "vae/config.json",
                 "text_encoder/config.json", "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json"),
        variant=None,
        # 2 × 14.29 B transformer parameters and 5.68 B of UMT5-XXL in bf16, the 0.13 B VAE in fp32:
        # ≈ 69 GB (from the parameter counts below; the hub's file sizes were not readable here).
        download_gb=69.0,
    ),
    # From the memory model's predictions (benchmarks/bench_wan_a14b.py; BENCHMARKS.md "Wan 2.2
    # I2V-A14B"), 480p, 81 frames, bf16 with the VAE in fp32, 10 % margin: whole on the device 72.5 GiB
    # (an 80 GB card is not enough with the margin); model offload 33.8 GiB (one expert resident: the
    # pipeline's offload sequence moves `transformer` out when `transformer_2` comes in) — 48 GB cards;
    # group offload 7.8 GiB — 24 GB cards and smaller. Estimates until a GPU measures them.
    memory_tiers=(
        MemoryTier(81, "none"),
        MemoryTier(38, "model", vae_tiling=True),
        MemoryTier(9, "group", vae_tiling=True),
        MemoryTier(0, "sequential", vae_tiling=True),
    ),
    # Wan 2.1 VAE: 8×8 pixels and 4 frames per latent, 16 channels; patch 2×2; the pipeline runs the
    # conditional and unconditional passes one after the other.
    latent=LatentGeometry(spatial=8, temporal=4, patch=2, channels=16, guided_batch=1),
    # Parameters counted on the meta device from the released configs (diffusers' conversion script
    # "Wan2.2-I2V-14B-720p": dim 5120, 40 layers, ffn 13824, 36 input channels; AutoencoderKLWan's
    # defaults are the 2.1 VAE). Activations: see BENCHMARKS.md (benchmarks/activations.py --family wan_a14b).
    footprint=Footprint(
        parameters={"transformer": 14_288_901_184, "transformer_2": 14_288_901_184, "text_encoder": 5_680_910_336,
                    "vae": 126_892_531},
        denoiser="transformer", vae="vae", act_per_token=430_000, act_fixed=60_000_000, decode_per_pixel=5_152,
        largest_layer=157_317_120, source="estimate: TI2V-5B's measured coefficients scaled by width (5120/3072)",
        decode_frames=4, encoders=("text_encoder",), encoder_largest_layer=1_050_148_864,
    ),
    # 20×: 4 unguided transformer calls instead of 40 guided steps' 80 (FLOPs per step in BENCHMARKS.md);
    # at full size the transformer is nearly all of a job, the VAE decode (not sped up) the rest. On the
    # tiny model, where the VAE dominates, the whole job is measured faster by less (BENCHMARKS.md).
    fast=FastPreset(
        f"lightx2v's 4-step Lightning LoRA in both experts, guidance 1 (no second pass): about 20× fewer transformer "
        f"calls than 40 guided steps; motion can come out slower and details softer ({LIGHTNING_LICENCE})",
        speedup=20.0, steps_factor=0.1, steps=LIGHTNING_STEPS, guidance=1.0),
    notes="Two 14 B experts (high noise, then low noise); frames are 4k+1 (81 = 5 s at 16 fps); takes an end picture; "
          "prompts may be English or Chinese.",
    keyframes="last",
)
