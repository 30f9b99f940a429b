"""Random-weight LTX-Video models of the real architecture, built in-process (no download).

- `tiny_pipeline`: toy size. The real component classes (`T5EncoderModel`, `AutoencoderKLLTXVideo`,
  `LTXVideoTransformer3DModel`), the real scheduler class and config, a real tokenizer class over a
  vocabulary that exists offline, and the real compression (32×32 pixels and 8 frames per latent,
  128 latent channels), so frame and size rules, packing, the timestep-conditioned decoder and the
  first-block cache all run as with the hub weights. Two flavours, like the hub: the 0.9.1 layout
  for `LTXImageToVideoPipeline` (the "tiny-ltx" test model) and the 0.9.5 layout for
  `LTXConditionPipeline`. What it makes is noise, and is labelled so everywhere.
- `full_size_configs`: the real checkpoint's component configs, for benchmarks that build the
  full-size architecture with random weights (on the meta device for FLOP counts).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch
from diffusers import (
    AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXConditionPipeline, LTXImageToVideoPipeline,
    LTXVideoTransformer3DModel,
)
from transformers import T5Config, T5EncoderModel

from i2v.engine.base import ModelInfo
from i2v.engine.ltx.spec import SPEC
from i2v.engine.tokenizers import load_t5_tokenizer

# ---- the real checkpoints' numbers -----------------------------------------------------------

# Lightricks/LTX-Video scheduler/scheduler_config.json (0.9.0 and 0.9.1; the same numbers are in
# diffusers' scripts/convert_ltx_to_diffusers.py): resolution-dependent shift of the flow sigmas.
REAL_SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "use_dynamic_shifting": True,
    "base_shift": 0.95,
    "max_shift": 2.05,
    "base_image_seq_len": 1024,
    "max_image_seq_len": 4096,
    "shift_terminal": 0.1,
    "invert_sigmas": False,
    "use_karras_sigmas": False,
    "use_exponential_sigmas": False,
    "use_beta_sigmas": False,
}
# 0.9.5 and later (LTXConditionPipeline): no dynamic shift; the pipeline passes its own
# linear-quadratic timesteps (convert_ltx_to_diffusers.py: FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False)).
REAL_CONDITION_SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "use_dynamic_shifting": False,
}

# The 2 B transformer (0.9.0, 0.9.1, 0.9.5 and the 2 B 0.9.6+ share it): diffusers'
# LTXVideoTransformer3DModel defaults, which are Lightricks/LTX-Video transformer/config.json and
# get_transformer_config() in convert_ltx_to_diffusers.py.
FULL_TRANSFORMER_CONFIG: dict[str, Any] = {
    "in_channels": 128, "out_channels": 128, "patch_size": 1, "patch_size_t": 1,
    "num_attention_heads": 32, "attention_head_dim": 64, "cross_attention_dim": 2048, "num_layers": 28,
    "activation_fn": "gelu-approximate", "qk_norm": "rms_norm_across_heads", "norm_elementwise_affine": False,
    "norm_eps": 1e-6, "caption_channels": 4096, "attention_bias": True, "attention_out_bias": True,
}
# The 0.9.0 video VAE (Lightricks/LTX-Video vae/config.json; get_vae_config("0.9.0") in the
# conversion script): 32×32 pixels and 8 frames per latent, 128 channels.
FULL_VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 128,
    "block_out_channels": [128, 256, 512, 512], "decoder_block_out_channels": [128, 256, 512, 512],
    "layers_per_block": [4, 3, 3, 3, 4], "decoder_layers_per_block": [4, 3, 3, 3, 4],
    "spatio_temporal_scaling": [True, True, True, False], "decoder_spatio_temporal_scaling": [True, True, True, False],
    "decoder_inject_noise": [False, False, False, False, False], "upsample_residual": [False, False, False, False],
    "upsample_factor": [1, 1, 1, 1], "timestep_conditioning": False, "patch_size": 4, "patch_size_t": 1,
    "resnet_norm_eps": 1e-6, "scaling_factor": 1.0, "encoder_causal": True, "decoder_causal": False,
}
# google/t5-v1_1-xxl config.json, the text encoder every LTX-Video checkpoint ships (encoder only).
FULL_TEXT_CONFIG: dict[str, Any] = {
    "vocab_size": 32128, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 24, "num_heads": 64,
    "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128, "dropout_rate": 0.1,
    "layer_norm_epsilon": 1e-6, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False,
    "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
}


def full_size_configs() -> dict[str, dict[str, Any]]:
    """The real 2 B checkpoint's component configs (see the comments above for their sources)."""
    return {"transformer": dict(FULL_TRANSFORMER_CONFIG), "vae": dict(FULL_VAE_CONFIG), "text_encoder": dict(FULL_TEXT_CONFIG)}


def full_size_factories() -> dict[str, Any]:
    """How to build each full-size component, for `engine.random_weights`."""
    configs = full_size_configs()
    return {
        "transformer": lambda: LTXVideoTransformer3DModel(**configs["transformer"]),
        "vae": lambda: AutoencoderKLLTXVideo(**configs["vae"]),
        "text_encoder": lambda: T5EncoderModel(T5Config(**configs["text_encoder"])),
    }


def full_size_engine(plan, device: str = "cuda"):
    """The full-size 2 B architecture with random weights, built straight onto `device` in the plan's
    precisions (no trip through the CPU), driven by the product's engine — for benchmarks/gpu.py."""
    from i2v.engine.ltx.engine import LTXEngine
    from i2v.engine.random_weights import materialize

    factories = full_size_factories()
    parts = {name: materialize(factory, device, plan.torch_vae_dtype if name == "vae" else plan.torch_dtype)
             for name, factory in factories.items()}
    tokenizer = load_t5_tokenizer(SPEC.text.max_tokens, vocab_size=FULL_TEXT_CONFIG["vocab_size"])
    scheduler = FlowMatchEulerDiscreteScheduler.from_config(REAL_SCHEDULER_CONFIG)
    pipe = LTXImageToVideoPipeline(scheduler=scheduler, tokenizer=tokenizer, **parts)
    info = ModelInfo(id="random-full-size", source="random", revision=None, fingerprint="random-seed0",
                     family=SPEC.family, is_test_model=True)
    return LTXEngine(pipe, info, plan)


# ---- the tiny model ----------------------------------------------------------------------------

HIDDEN = 32  # T5 width = the transformer's caption and cross-attention width
LATENT_CHANNELS = 128  # as the real VAE, so the preview fit and packing see real shapes

TRANSFORMER_CONFIG: dict[str, Any] = {
    "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS, "patch_size": 1, "patch_size_t": 1,
    "num_attention_heads": 2, "attention_head_dim": 16, "cross_attention_dim": HIDDEN,
    "num_layers": 2,  # the first-block cache needs a head block and a tail block
    "caption_channels": HIDDEN,
}
# The 0.9.1 layout at toy width: timestep-conditioned decoder with noise injection and residual
# 2× upsampling, patch 4 and three down/up scalings → 32×32×8 compression like the real one.
VAE_CONFIG: dict[str, Any] = {
    "latent_channels": LATENT_CHANNELS,
    "block_out_channels": [8, 16, 32, 32], "decoder_block_out_channels": [8, 16, 32],
    "layers_per_block": [1, 1, 1, 1, 1], "decoder_layers_per_block": [1, 1, 1, 1],
    "spatio_temporal_scaling": [True, True, True, False], "decoder_spatio_temporal_scaling": [True, True, True],
    "decoder_inject_noise": [True, True, True, False], "upsample_residual": [True, True, True],
    "upsample_factor": [2, 2, 2], "timestep_conditioning": True, "patch_size": 4, "patch_size_t": 1,
    "encoder_causal": True, "decoder_causal": False,
}
# The 0.9.5 layout at toy width: the newer encoder blocks with separate spatial/temporal downsampling.
CONDITION_VAE_CONFIG: dict[str, Any] = {
    "latent_channels": LATENT_CHANNELS,
    "block_out_channels": [8, 16, 32, 64, 128], "down_block_types": ["LTXVideo095DownBlock3D"] * 4,
    "decoder_block_out_channels": [8, 16, 32],
    "layers_per_block": [1, 1, 1, 1, 1], "decoder_layers_per_block": [1, 1, 1, 1],
    "spatio_temporal_scaling": [True, True, True, True], "decoder_spatio_temporal_scaling": [True, True, True],
    "decoder_inject_noise": [False, False, False, False],
    "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
    "upsample_residual": [True, True, True], "upsample_factor": [2, 2, 2], "timestep_conditioning": True,
    "patch_size": 4, "patch_size_t": 1, "encoder_causal": True, "decoder_causal": False,
    "spatial_compression_ratio": 32, "temporal_compression_ratio": 8,
}
TEXT_CONFIG: dict[str, Any] = {
    "d_model": HIDDEN, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4,
    "relative_attention_num_buckets": 8, "relative_attention_max_distance": 32,
    "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False,
    "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
}


def tiny_pipeline(seed: int = 0, *, condition: bool = False) -> LTXImageToVideoPipeline | LTXConditionPipeline:
    """Build the tiny model; the same `seed` always gives the same weights.

    `condition=False`: the 0.9.1 layout as `LTXImageToVideoPipeline` (what "tiny-ltx" loads).
    `condition=True`: the 0.9.5 layout as `LTXConditionPipeline`.
    """
    tokenizer = load_t5_tokenizer(SPEC.text.max_tokens)
    torch.manual_seed(seed)
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(tokenizer), **TEXT_CONFIG))
    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(**TRANSFORMER_CONFIG)
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(**(CONDITION_VAE_CONFIG if condition else VAE_CONFIG))
    # Real checkpoints carry per-channel latent statistics; non-trivial ones make the tests see the
    # normalisation the pipeline applies (a zero mean and unit std would hide a mistake).
    generator = torch.Generator().manual_seed(seed)
    vae.latents_mean.copy_(0.1 * torch.randn(LATENT_CHANNELS, generator=generator))
    vae.latents_std.copy_(0.5 + torch.rand(LATENT_CHANNELS, generator=generator))
    for module in (text_encoder, transformer, vae):
        module.eval().requires_grad_(False)
    if condition:
        scheduler = FlowMatchEulerDiscreteScheduler.from_config(REAL_CONDITION_SCHEDULER_CONFIG)
        return LTXConditionPipeline(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                    transformer=transformer)
    scheduler = FlowMatchEulerDiscreteScheduler.from_config(REAL_SCHEDULER_CONFIG)
    return LTXImageToVideoPipeline(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   transformer=transformer)


def tiny_info() -> ModelInfo:
    """What a video made by "tiny-ltx" records about its model."""
    configs = json.dumps([TRANSFORMER_CONFIG, VAE_CONFIG, TEXT_CONFIG, REAL_SCHEDULER_CONFIG], sort_keys=True)
    digest = hashlib.sha256(configs.encode()).hexdigest()[:16]
    return ModelInfo(id=SPEC.test_model, source="tiny", revision=None, fingerprint=f"tiny-seed0-{digest}",
                     family=SPEC.family, is_test_model=True)
