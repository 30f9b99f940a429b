"""Random-weight Wan 2.2 TI2V models of the real architecture, built in-process (no download).

- `tiny_pipeline`: toy size. The same component classes as Wan-AI/Wan2.2-TI2V-5B-Diffusers
  (`UMT5EncoderModel`, the 2.2 `AutoencoderKLWan` with 48 latent channels, residual blocks and
  2×2 pixel patching, `WanTransformer3DModel`), its scheduler with its config, and a real
  `T5Tokenizer` over a vocabulary that exists offline (`engine.tokenizers`), so every code path
  runs in tests and demos on a plain CPU. What it makes is noise, labelled TEST MODEL everywhere.
- `full_size_configs`: the real checkpoint's component configs, for benchmarks that build the
  full-size architecture (on the meta device for FLOP counts; with random weights on a GPU).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch
from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel
from transformers import UMT5Config, UMT5EncoderModel

from i2v.engine.base import ModelInfo
from i2v.engine.tokenizers import load_t5_tokenizer
from i2v.engine.wan.spec import SPEC

# ---- the real checkpoint ---------------------------------------------------------------------
# Wan-AI/Wan2.2-TI2V-5B-Diffusers was made by diffusers' scripts/convert_wan_to_diffusers.py
# (model type "Wan2.2-TI2V-5B"); the numbers below are that script's, checked against Wan's own
# config `wan/configs/wan_ti2v_5B.py` (dim 3072, ffn 14336, 24 heads, 30 layers, shift 5.0).

# The scheduler: UniPC on flow sigmas with the TI2V models' shift of 5.0 (the script's
# `flow_shift = 5.0` for "TI2V"; Wan's `sample_shift = 5.0`).
REAL_SCHEDULER_CONFIG: dict[str, Any] = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "num_train_timesteps": 1000,
    "flow_shift": 5.0,
}

# The script's `vae22_diffusers_config`: the Wan 2.2 VAE's per-channel latent statistics, by which
# the pipeline normalises latents (latent - mean) / std.
LATENTS_MEAN = [
    -0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174, 0.1838, 0.1557, -0.1382, 0.0542, 0.2813, 0.0891,
    0.1570, -0.0098, 0.0375, -0.1825, -0.2246, -0.1207, -0.0698, 0.5109, 0.2665, -0.2108, -0.2158, 0.2502,
    -0.2055, -0.0322, 0.1109, 0.1567, -0.0729, 0.0899, -0.2799, -0.1230, -0.0313, -0.1649, 0.0117, 0.0723,
    -0.2839, -0.2083, -0.0520, 0.3748, 0.0152, 0.1957, 0.1433, -0.2944, 0.3573, -0.0548, -0.1681, -0.0667,
]
LATENTS_STD = [
    0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013, 0.8158, 1.0344, 0.5894, 1.0901,
    0.6885, 0.6165, 0.8454, 0.4978, 0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
    0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093, 0.5709, 0.6065, 0.6415, 0.4944,
    0.5726, 1.2042, 0.5458, 1.6887, 0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744,
]
# The options that make AutoencoderKLWan the 2.2 VAE (16×16×4 compression, 48 channels): shared by
# the tiny and the full-size model, so the tiny one runs the same code paths.
VAE_22_OPTIONS: dict[str, Any] = {
    "z_dim": 48,
    "in_channels": 12,  # 3 colours × 2×2 pixel patches
    "out_channels": 12,
    "is_residual": True,
    "patch_size": 2,
    "scale_factor_spatial": 16,
    "scale_factor_temporal": 4,
    "temperal_downsample": [False, True, True],
    "latents_mean": LATENTS_MEAN,
    "latents_std": LATENTS_STD,
}

FULL_TRANSFORMER_CONFIG: dict[str, Any] = {  # the script's "Wan2.2-TI2V-5B" diffusers_config
    "added_kv_proj_dim": None,
    "attention_head_dim": 128,
    "cross_attn_norm": True,
    "eps": 1e-06,
    "ffn_dim": 14336,
    "freq_dim": 256,
    "in_channels": 48,
    "num_attention_heads": 24,
    "num_layers": 30,
    "out_channels": 48,
    "patch_size": [1, 2, 2],
    "qk_norm": "rms_norm_across_heads",
    "text_dim": 4096,
}
# (The script also sets `clip_output=False`, an option newer than diffusers 0.42's AutoencoderKLWan.)
FULL_VAE_CONFIG: dict[str, Any] = {**VAE_22_OPTIONS, "base_dim": 160, "decoder_base_dim": 256}
# google/umt5-xxl (the script loads it as the text encoder): the mT5-XXL shape (d_model 4096,
# 64 heads of 64, 24 layers, gated-GELU feed-forward of 10240) with UMT5's 256,384-piece vocabulary.
FULL_TEXT_CONFIG: dict[str, Any] = {
    "vocab_size": 256384, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 24, "num_heads": 64,
    "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
    "feed_forward_proj": "gated-gelu", "dropout_rate": 0.0, "layer_norm_epsilon": 1e-6,
    "tie_word_embeddings": False,
}

# ---- the tiny model ----------------------------------------------------------------------------
TEXT_WIDTH = 32  # UMT5's d_model = the transformer's text_dim

TINY_TRANSFORMER_CONFIG: dict[str, Any] = {
    **FULL_TRANSFORMER_CONFIG,
    "attention_head_dim": 12,
    "num_attention_heads": 2,
    "ffn_dim": 32,
    "num_layers": 2,
    "text_dim": TEXT_WIDTH,
}
TINY_VAE_CONFIG: dict[str, Any] = {**VAE_22_OPTIONS, "base_dim": 3, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1}
TINY_TEXT_CONFIG: dict[str, Any] = {
    **FULL_TEXT_CONFIG, "d_model": TEXT_WIDTH, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4,
}


def _seeded(seed: int, build):
    torch.manual_seed(seed)
    return build().eval().requires_grad_(False)


def tiny_pipeline(seed: int = 0) -> WanImageToVideoPipeline:
    """The tiny Wan 2.2 TI2V as its diffusers pipeline, on the CPU in fp32. The same `seed` always
    gives the same weights. Like the real checkpoint: one transformer, no image encoder, the
    first frame's latent stands in for the noise and gets timestep 0 (`expand_timesteps`)."""
    tokenizer = load_t5_tokenizer(SPEC.text.max_tokens)
    text_config = UMT5Config(**{**TINY_TEXT_CONFIG, "vocab_size": len(tokenizer)})
    return WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=_seeded(seed, lambda: UMT5EncoderModel(text_config)),
        vae=_seeded(seed, lambda: AutoencoderKLWan(**TINY_VAE_CONFIG)),
        transformer=_seeded(seed, lambda: WanTransformer3DModel(**TINY_TRANSFORMER_CONFIG)),
        scheduler=UniPCMultistepScheduler(**REAL_SCHEDULER_CONFIG),
        transformer_2=None,
        image_encoder=None,
        image_processor=None,
        boundary_ratio=None,
        expand_timesteps=True,
    )


def tiny_info(seed: int = 0) -> ModelInfo:
    """What a video of the tiny model records: its id and a fingerprint of its configs."""
    configs = json.dumps([TINY_TRANSFORMER_CONFIG, TINY_VAE_CONFIG, TINY_TEXT_CONFIG, REAL_SCHEDULER_CONFIG],
                         sort_keys=True)
    digest = hashlib.sha256(configs.encode()).hexdigest()[:16]
    return ModelInfo(id=SPEC.test_model, source="tiny", revision=None, fingerprint=f"tiny-seed{seed}-{digest}",
                     family=SPEC.family, is_test_model=True)


def full_size_configs() -> dict[str, dict[str, Any]]:
    """The real checkpoint's component configs (copies): transformer, vae, text_encoder, scheduler."""
    return json.loads(json.dumps({
        "transformer": FULL_TRANSFORMER_CONFIG,
        "vae": FULL_VAE_CONFIG,
        "text_encoder": FULL_TEXT_CONFIG,
        "scheduler": REAL_SCHEDULER_CONFIG,
    }))


def full_size_engine(plan, device: str = "cuda"):
    """The full-size 5 B architecture with random weights, built straight onto `device` in the plan's
    precisions (meta init, seeded fill: `engine.random_weights`), driven by the product's engine —
    for benchmarks/gpu.py. The VAE keeps the plan's VAE precision (fp32 under half precision)."""
    from i2v.engine.random_weights import materialize
    from i2v.engine.wan.engine import WanEngine

    configs = full_size_configs()
    transformer = materialize(lambda: WanTransformer3DModel(**configs["transformer"]), device, plan.torch_dtype)
    text_encoder = materialize(lambda: UMT5EncoderModel(UMT5Config(**configs["text_encoder"])), device, plan.torch_dtype)
    vae = materialize(lambda: AutoencoderKLWan(**configs["vae"]), device, plan.torch_vae_dtype)
    pipe = WanImageToVideoPipeline(
        tokenizer=load_t5_tokenizer(SPEC.text.max_tokens), text_encoder=text_encoder, vae=vae, transformer=transformer,
        scheduler=UniPCMultistepScheduler(**REAL_SCHEDULER_CONFIG), transformer_2=None, image_encoder=None,
        image_processor=None, boundary_ratio=None, expand_timesteps=True,
    )
    info = ModelInfo(id="random-full-size", source="random", revision=None, fingerprint="random-seed0",
                     family=SPEC.family, is_test_model=True)
    return WanEngine(pipe, info, plan)
