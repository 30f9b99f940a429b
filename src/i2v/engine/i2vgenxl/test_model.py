"""Random-weight I2VGen-XL models of the real architecture, built in-process (no download).

- `tiny_components`: toy size. Same component classes, block types, scheduler algorithm and real
  CLIP tokenizer as the hub checkpoint, so every code path runs in tests and UI demos on a plain
  CPU. What it makes is noise from a test model, and is labelled so everywhere.
- `full_size_components`: the real sizes (UNet 1.42 B parameters, ViT-H/14 encoders, SD-2.1 VAE)
  for benchmarks: compute and memory are faithful, the pictures are noise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import torch
from diffusers import AutoencoderKL
from diffusers.models.unets.unet_i2vgen_xl import I2VGenXLUNet
from transformers import CLIPImageProcessorPil, CLIPTextConfig, CLIPTextModel, CLIPVisionConfig, CLIPVisionModelWithProjection

from i2v.engine.base import ModelInfo
from i2v.engine.i2vgenxl.components import Components
from i2v.engine.i2vgenxl.spec import SPEC
from i2v.engine.tokenizers import load_clip_tokenizer
HIDDEN = 32  # text/image embedding width = the UNet's cross-attention width

# The real checkpoint's scheduler (ali-vilab/i2vgen-xl scheduler_config.json).
REAL_SCHEDULER_CONFIG = {
    "_class_name": "DDIMScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "squaredcos_cap_v2",
    "clip_sample": False,
    "prediction_type": "v_prediction",
    "rescale_betas_zero_snr": True,
    "set_alpha_to_one": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
}

UNET_CONFIG = {
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "sample_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("CrossAttnDownBlock3D", "DownBlock3D"),
    "up_block_types": ("UpBlock3D", "CrossAttnUpBlock3D"),
    "cross_attention_dim": HIDDEN,
    "attention_head_dim": 8,
    "norm_num_groups": 8,
}
# Four blocks as in SD-2.1's VAE: latents are 1/8 of the frame, as with the real model.
VAE_CONFIG = {
    "block_out_channels": (8, 16, 16, 16),
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "latent_channels": 4,
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}
TEXT_CONFIG = {
    "hidden_size": HIDDEN, "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
    "vocab_size": 49408, "max_position_embeddings": 77, "projection_dim": HIDDEN,
    "bos_token_id": 49406, "eos_token_id": 49407, "pad_token_id": 49407, "hidden_act": "gelu",
}
VISION_CONFIG = {
    "hidden_size": HIDDEN, "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
    "image_size": 64, "patch_size": 8, "projection_dim": HIDDEN,
}


def tiny_components(seed: int = 0) -> Components:
    """Build the tiny model; the same `seed` always gives the same weights."""
    torch.manual_seed(seed)
    unet = I2VGenXLUNet(**UNET_CONFIG)
    torch.manual_seed(seed)
    vae = AutoencoderKL(**VAE_CONFIG)
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_CONFIG))
    torch.manual_seed(seed)
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**VISION_CONFIG))
    extractor = CLIPImageProcessorPil(crop_size=VISION_CONFIG["image_size"], size=VISION_CONFIG["image_size"])
    return Components(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=load_clip_tokenizer(),
        image_encoder=image_encoder, feature_extractor=extractor, scheduler_config=dict(REAL_SCHEDULER_CONFIG),
    )


def tiny_info() -> ModelInfo:
    configs = json.dumps([UNET_CONFIG, VAE_CONFIG, TEXT_CONFIG, VISION_CONFIG, REAL_SCHEDULER_CONFIG], sort_keys=True)
    digest = hashlib.sha256(configs.encode()).hexdigest()[:16]
    return ModelInfo(id=SPEC.test_model, source="tiny", revision=None, fingerprint=f"tiny-seed0-{digest}",
                     family=SPEC.family, is_test_model=True)


def full_size_factories() -> dict[str, Callable[[], torch.nn.Module]]:
    """How to build each full-size component (the released model's configs), for `random_weights`."""
    return {
        "unet": lambda: I2VGenXLUNet(),  # the default config is the released model's
        "vae": lambda: AutoencoderKL(
            block_out_channels=(128, 256, 512, 512), down_block_types=["DownEncoderBlock2D"] * 4,
            up_block_types=["UpDecoderBlock2D"] * 4, latent_channels=4, layers_per_block=2,
            sample_size=768, scaling_factor=0.18215,
        ),
        "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(
            hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=23,
            projection_dim=1024, hidden_act="gelu", vocab_size=49408, max_position_embeddings=77,
            bos_token_id=49406, eos_token_id=49407, pad_token_id=49407,
        )),
        "image_encoder": lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=1280, intermediate_size=5120, num_attention_heads=16, num_hidden_layers=32,
            image_size=224, patch_size=14, projection_dim=1024, hidden_act="gelu",
        )),
    }


def full_size_components(dtype: torch.dtype = torch.float32, device: str = "cpu", *, on_device: bool = False) -> Components:
    """The real architecture at its real size with random weights (~9.6 GiB RSS in fp32 on the CPU).

    `on_device=True` builds each component straight onto `device` in `dtype` (meta init, seeded fill;
    see `engine.random_weights`) — how the GPU benchmark builds it without a trip through the CPU."""
    factories = full_size_factories()
    if on_device:
        from i2v.engine.random_weights import materialize

        modules = {name: materialize(factory, device, dtype) for name, factory in factories.items()}
    else:
        torch.manual_seed(0)
        modules = {name: factory().to(device=device, dtype=dtype) for name, factory in factories.items()}
    return Components(
        **modules, tokenizer=load_clip_tokenizer(), feature_extractor=CLIPImageProcessorPil(crop_size=224, size=224),
        scheduler_config=dict(REAL_SCHEDULER_CONFIG),
    )


def full_size_info() -> ModelInfo:
    return ModelInfo(id="random-full-size", source="random", revision=None, fingerprint="random-seed0",
                     family=SPEC.family, is_test_model=True)
