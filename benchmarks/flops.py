"""FLOPs of one guided denoising step per family, counted on the meta device (no memory, any size).

    .venv/bin/python benchmarks/flops.py        # every family at its default size; last line JSON

`torch.utils.flop_counter.FlopCounterMode` counts matrix multiplications and convolutions of one
forward on meta tensors; a guided step runs the unconditional half too (batched or sequential, 2×).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from i2v.engine.registry import SPECS  # noqa: E402


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


def _ltx(width: int, height: int, frames: int, test_model: bool) -> int:
    from bench_ltx import latent_grid, transformer_inputs
    from diffusers import LTXVideoTransformer3DModel

    from i2v.engine.ltx.test_model import FULL_TRANSFORMER_CONFIG, TRANSFORMER_CONFIG

    config = TRANSFORMER_CONFIG if test_model else FULL_TRANSFORMER_CONFIG
    with torch.device("meta"):
        transformer = LTXVideoTransformer3DModel(**config)
        inputs = transformer_inputs(2, latent_grid(width, height, frames), "meta", torch.float32, config["caption_channels"])
        return _count(transformer, lambda m: m(**inputs))


def _wan(width: int, height: int, frames: int, test_model: bool) -> int:
    from bench_wan import transformer_inputs
    from diffusers import WanTransformer3DModel

    from i2v.engine.wan.test_model import FULL_TRANSFORMER_CONFIG, TINY_TRANSFORMER_CONFIG

    config = TINY_TRANSFORMER_CONFIG if test_model else FULL_TRANSFORMER_CONFIG
    with torch.device("meta"):
        transformer = WanTransformer3DModel(**config)
        inputs = transformer_inputs(width, height, frames, "meta", torch.float32)
        inputs["encoder_hidden_states"] = inputs["encoder_hidden_states"][..., : config["text_dim"]]
        # diffusers' Wan pipeline runs the unconditional pass separately: a guided step is two forwards
        return 2 * _count(transformer, lambda m: m(**inputs, return_dict=False))


PROBES: dict[str, Callable[[int, int, int, bool], int]] = {"i2vgenxl": _i2vgenxl, "wan": _wan, "ltx": _ltx}


def denoiser_flops(family: str, width: int, height: int, frames: int, *, test_model: bool = False) -> int:
    """FLOPs of one guided step of `family`'s denoiser at width×height×frames (full size, or the
    test model's when `test_model`)."""
    return PROBES[family](width, height, frames, test_model)


def main() -> int:
    rows = {}
    for spec in SPECS:
        preset = spec.preset(spec.default_resolution)
        frames = 16 if spec.family == "i2vgenxl" else spec.frames.default
        try:
            flops = denoiser_flops(spec.family, preset.width, preset.height, frames)
        except KeyError as exc:
            print(f"{spec.title}: not counted ({exc})", file=sys.stderr)
            continue
        rows[spec.family] = {"size": f"{preset.width}×{preset.height}", "frames": frames, "tflops_per_step": round(flops / 1e12, 1)}
        print(f"{spec.title} at {preset.width}×{preset.height}, {frames} frames: {flops / 1e12:.1f} TFLOP per guided step")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
