"""Random-weight Wan 2.2 I2V-A14B models of the real architecture, built in-process (no download).

- `tiny_pipeline`: toy size with the real structure: two `WanTransformer3DModel` experts (36 input
  channels: noise, mask and the pictures' latents; 16 out), the Wan 2.1 `AutoencoderKLWan` (16
  latent channels, 8×8×4 compression), `UMT5EncoderModel` with the real `T5Tokenizer` class over a
  vocabulary that exists offline (`engine.tokenizers`, as "tiny-wan"), UniPC with the checkpoint's
  config and the real `boundary_ratio` 0.9, so the expert switch happens where it does on the real
  model. The experts are seeded differently, so a test can tell which one ran. What it makes is
  noise, labelled TEST MODEL everywhere.
- `tiny_lightning_lora`: a LoRA for each tiny expert in the Lightning files' key layout (Wan's own
  module names under `diffusion_model.`, `lora_down`/`lora_up`/`alpha`), built in memory.
- `full_size_configs`: the real checkpoint's component configs, for benchmarks (meta-device FLOPs,
  activations at full width).
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
from i2v.engine.wan.test_model import FULL_TEXT_CONFIG, TINY_TEXT_CONFIG
from i2v.engine.wan_a14b.spec import BOUNDARY_RATIO, SPEC

# ---- the real checkpoint ---------------------------------------------------------------------
# diffusers' scripts/convert_wan_to_diffusers.py, model type "Wan2.2-I2V-14B-720p" (both experts
# share it): 40 heads of 128 (dim 5120), 40 layers, ffn 13824; 16 noise + 4 mask + 16 picture
# latent channels in, 16 out; no CLIP image encoder (image_dim None).
FULL_TRANSFORMER_CONFIG: dict[str, Any] = {
    "added_kv_proj_dim": None,
    "attention_head_dim": 128,
    "cross_attn_norm": True,
    "eps": 1e-06,
    "ffn_dim": 13824,
    "freq_dim": 256,
    "in_channels": 36,
    "num_attention_heads": 40,
    "num_layers": 40,
    "out_channels": 16,
    "patch_size": [1, 2, 2],
    "qk_norm": "rms_norm_across_heads",
    "text_dim": 4096,
}
# The Wan 2.1 VAE: AutoencoderKLWan's defaults (base_dim 96, z_dim 16, its latent statistics).
FULL_VAE_CONFIG: dict[str, Any] = {}
# The script gives non-TI2V Wan 2.2 checkpoints UniPC on flow sigmas with a shift of 3.0.
REAL_SCHEDULER_CONFIG: dict[str, Any] = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "num_train_timesteps": 1000,
    "flow_shift": 3.0,
}

# ---- the tiny model ----------------------------------------------------------------------------
TINY_TRANSFORMER_CONFIG: dict[str, Any] = {
    **FULL_TRANSFORMER_CONFIG,
    "attention_head_dim": 12,
    "num_attention_heads": 2,
    "ffn_dim": 32,
    "num_layers": 2,
    "text_dim": TINY_TEXT_CONFIG["d_model"],
}
TINY_VAE_CONFIG: dict[str, Any] = {"base_dim": 3, "z_dim": 16, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1,
                                   "temperal_downsample": [False, True, True]}
HIGH_NOISE_SEED_OFFSET, LOW_NOISE_SEED_OFFSET = 0, 1  # the experts differ, as the real ones do
LORA_RANK = 4


def _seeded(seed: int, build):
    torch.manual_seed(seed)
    return build().eval().requires_grad_(False)


def tiny_pipeline(seed: int = 0) -> WanImageToVideoPipeline:
    """The tiny A14B as its diffusers pipeline, on the CPU in fp32; the same `seed`, the same weights."""
    tokenizer = load_t5_tokenizer(SPEC.text.max_tokens)
    text_config = UMT5Config(**{**TINY_TEXT_CONFIG, "vocab_size": len(tokenizer)})
    return WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=_seeded(seed, lambda: UMT5EncoderModel(text_config)),
        vae=_seeded(seed, lambda: AutoencoderKLWan(**TINY_VAE_CONFIG)),
        transformer=_seeded(seed + HIGH_NOISE_SEED_OFFSET, lambda: WanTransformer3DModel(**TINY_TRANSFORMER_CONFIG)),
        transformer_2=_seeded(seed + 1000 + LOW_NOISE_SEED_OFFSET, lambda: WanTransformer3DModel(**TINY_TRANSFORMER_CONFIG)),
        scheduler=UniPCMultistepScheduler(**REAL_SCHEDULER_CONFIG),
        image_encoder=None,
        image_processor=None,
        boundary_ratio=BOUNDARY_RATIO,
        expand_timesteps=False,
    )


def tiny_info(seed: int = 0) -> ModelInfo:
    """What a video of the tiny model records: its id and a fingerprint of its configs."""
    configs = json.dumps([TINY_TRANSFORMER_CONFIG, TINY_VAE_CONFIG, TINY_TEXT_CONFIG, REAL_SCHEDULER_CONFIG,
                          BOUNDARY_RATIO], sort_keys=True)
    digest = hashlib.sha256(configs.encode()).hexdigest()[:16]
    return ModelInfo(id=SPEC.test_model, source="tiny", revision=None, fingerprint=f"tiny-seed{seed}-{digest}",
                     family=SPEC.family, is_test_model=True)


def lightning_lora_state(transformer: WanTransformer3DModel, seed: int, rank: int = LORA_RANK,
                         scale: float = 0.05) -> dict[str, torch.Tensor]:
    """A random LoRA for `transformer` in the layout of lightx2v's Lightning files: Wan's original
    module names (`blocks.N.self_attn.q`, `cross_attn.o`, `ffn.0`, `ffn.2`) under `diffusion_model.`,
    `lora_down.weight` (rank × in), `lora_up.weight` (out × rank) and an `alpha` each — the layout
    diffusers' `_convert_non_diffusers_wan_lora_to_diffusers` reads. Up weights are not zero (a
    trained LoRA's are not), so loading it changes what the expert computes."""
    generator = torch.Generator().manual_seed(seed)
    names = {"self_attn": "attn1", "cross_attn": "attn2"}
    projections = {"q": "to_q", "k": "to_k", "v": "to_v", "o": "to_out.0"}
    state: dict[str, torch.Tensor] = {}

    def add(wan_name: str, module: torch.nn.Linear) -> None:
        state[f"diffusion_model.{wan_name}.lora_down.weight"] = scale * torch.randn(rank, module.in_features, generator=generator)
        state[f"diffusion_model.{wan_name}.lora_up.weight"] = scale * torch.randn(module.out_features, rank, generator=generator)
        state[f"diffusion_model.{wan_name}.alpha"] = torch.tensor(float(rank))

    for index, block in enumerate(transformer.blocks):
        for wan, ours in names.items():
            attention = getattr(block, ours)
            for short, attribute in projections.items():
                module = attention.to_out[0] if attribute == "to_out.0" else getattr(attention, attribute)
                add(f"blocks.{index}.{wan}.{short}", module)
        add(f"blocks.{index}.ffn.0", block.ffn.net[0].proj)
        add(f"blocks.{index}.ffn.2", block.ffn.net[2])
    return state


def tiny_lightning_lora(pipe: WanImageToVideoPipeline, seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """The tiny model's Fast LoRA: one state dict per expert (`transformer`, `transformer_2`)."""
    return {"transformer": lightning_lora_state(pipe.transformer, seed + 7),
            "transformer_2": lightning_lora_state(pipe.transformer_2, seed + 8)}


def full_size_configs() -> dict[str, dict[str, Any]]:
    """The real checkpoint's component configs (copies): transformer (each expert), vae, text_encoder, scheduler."""
    return json.loads(json.dumps({
        "transformer": FULL_TRANSFORMER_CONFIG, "vae": FULL_VAE_CONFIG, "text_encoder": FULL_TEXT_CONFIG,
        "scheduler": REAL_SCHEDULER_CONFIG,
    }))
