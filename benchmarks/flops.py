"""FLOPs of one guided denoising step per family, counted on the meta device (no memory, any size).

    .venv/bin/python benchmarks/flops.py        # every family at its default size; last line JSON

`torch.utils.flop_counter.FlopCounterMode` counts matrix multiplications and convolutions of one
forward on meta tensors; a guided step runs the unconditional half too (batched or sequential, 2×).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from i2v.engine.registry import SPECS, family_spec  # noqa: E402


def _count(module: torch.nn.Module, call: Callable[[torch.nn.Module], object]) -> int:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        call(module)
    return int(counter.get_total_flops())


def _i2vgenxl(width: int, height: int, frames: int, test_model: bool) -> int:
    if test_model:
        from i2v.engine.i2vgenxl.test_model import HIDDEN, UNET_CONFIG
        from diffusers.models.unets.unet_i2vgen_xl import I2VGenXLUNet

        factory, text_dim, text_len = (lambda: I2VGenXLUNet(**UNET_CONFIG)), HIDDEN, 77
    else:
        from i2v.engine.i2vgenxl.test_model import full_size_factories

        factory, text_dim, text_len = full_size_factories()["unet"], 1024, 77
    with torch.device("meta"):
        unet = factory()
        h, w = height // 8, width // 8
        inputs = {
            "sample": torch.empty(2, 4, frames, h, w), "timestep": torch.tensor(500),
            "encoder_hidden_states": torch.empty(2, text_len, text_dim), "fps": torch.tensor([8, 8]),
            "image_latents": torch.empty(2, 4, frames, h, w), "image_embeddings": torch.empty(2, 1, text_dim),
        }
        return _count(unet, lambda m: m(**inputs, return_dict=False))


def denoiser_flops(family: str, width: int, height: int, frames: int, *, test_model: bool = False) -> int:
    """FLOPs of one guided step of `family`'s denoiser at width×height×frames (full size, or the
    test model's when `test_model`). Families other than I2VGen-XL provide `step_flops(width, height,
    frames, test_model=…)` in their `test_model` module."""
    if family == "i2vgenxl":
        return _i2vgenxl(width, height, frames, test_model)
    module = importlib.import_module(f"i2v.engine.{family}.test_model")
    return int(module.step_flops(width, height, frames, test_model=test_model))


def main() -> int:
    rows = {}
    for spec in SPECS:
        preset = spec.preset(spec.default_resolution)
        frames = 16 if spec.family == "i2vgenxl" else spec.frames.default
        try:
            flops = denoiser_flops(spec.family, preset.width, preset.height, frames)
        except (ImportError, AttributeError) as exc:
            print(f"{spec.title}: not counted ({exc})", file=sys.stderr)
            continue
        rows[spec.family] = {"size": f"{preset.width}×{preset.height}", "frames": frames, "tflops_per_step": round(flops / 1e12, 1)}
        print(f"{spec.title} at {preset.width}×{preset.height}, {frames} frames: {flops / 1e12:.1f} TFLOP per guided step")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
