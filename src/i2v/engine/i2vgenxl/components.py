"""The parts of an I2VGen-XL checkpoint and how they are read from a diffusers folder.

Kept apart from the engine so that the engine and the test model both import this module and never
each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DDIMScheduler
from diffusers.models.unets.unet_i2vgen_xl import I2VGenXLUNet
from transformers import CLIPImageProcessorPil, CLIPTextModel, CLIPTokenizer, CLIPVisionModelWithProjection

from i2v.engine.memory_plan import MemoryPlan


@dataclass
class Components:
    """The parts of an I2VGen-XL checkpoint, as diffusers/transformers model objects."""

    unet: I2VGenXLUNet
    vae: AutoencoderKL
    text_encoder: CLIPTextModel | None  # None while released (MemoryPlan.release_encoders)
    tokenizer: CLIPTokenizer
    image_encoder: CLIPVisionModelWithProjection | None
    feature_extractor: CLIPImageProcessorPil
    scheduler_config: dict

    def modules(self) -> dict[str, torch.nn.Module]:
        """The loaded weights by component (released encoders are absent)."""
        parts = {"text_encoder": self.text_encoder, "image_encoder": self.image_encoder, "unet": self.unet, "vae": self.vae}
        return {name: module for name, module in parts.items() if module is not None}

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per component, for `i2v doctor` and benchmarks."""
        return {name: sum(p.numel() for p in m.parameters()) for name, m in self.modules().items()}


def _variant(folder: Path, plan: MemoryPlan) -> str | None:
    """Use the fp16 files when running in half precision and they were downloaded (the hub's default)."""
    if plan.dtype == "fp32":
        return None
    return "fp16" if any((folder / "unet").glob("*.fp16.*")) else None


def load_encoders(folder: Path, plan: MemoryPlan) -> tuple[CLIPTextModel, CLIPVisionModelWithProjection]:
    """Only the text and image encoders, as `load_components` reads them (for a plan that releases them)."""
    variant, weights = _variant(folder, plan), {"local_files_only": True, "use_safetensors": True}
    return (
        CLIPTextModel.from_pretrained(folder, subfolder="text_encoder", dtype=plan.torch_dtype, variant=variant, **weights),
        CLIPVisionModelWithProjection.from_pretrained(folder, subfolder="image_encoder", dtype=plan.torch_dtype,
                                                      variant=variant, **weights),
    )


def load_components(folder: Path, plan: MemoryPlan) -> Components:
    """Read each component from a diffusers-format folder, in the plan's precisions, on the CPU."""
    variant = _variant(folder, plan)
    dtype, vae_dtype = plan.torch_dtype, plan.torch_vae_dtype
    common = {"local_files_only": True}
    weights = {**common, "use_safetensors": True}  # never unpickle a .bin: a pickle can run code
    return Components(
        unet=I2VGenXLUNet.from_pretrained(folder, subfolder="unet", torch_dtype=dtype, variant=variant, **weights),
        vae=AutoencoderKL.from_pretrained(folder, subfolder="vae", torch_dtype=vae_dtype, variant=variant, **weights),
        text_encoder=CLIPTextModel.from_pretrained(folder, subfolder="text_encoder", dtype=dtype, variant=variant, **weights),
        tokenizer=CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer", **common),
        image_encoder=CLIPVisionModelWithProjection.from_pretrained(
            folder, subfolder="image_encoder", dtype=dtype, variant=variant, **weights
        ),
        feature_extractor=CLIPImageProcessorPil.from_pretrained(folder, subfolder="feature_extractor", **common),
        scheduler_config=dict(DDIMScheduler.load_config(folder, subfolder="scheduler", **common)),
    )
