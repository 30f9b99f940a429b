"""Wan 2.2 TI2V-5B in numbers on this machine: sizes, compute, one block's CPU time, the Fast preset.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_wan.py [--block-frames 5] [--skip-block] [--skip-fast]

- Parameters and bf16 weight memory of each full-size component, built on the meta device from the
  real checkpoint's configs (`i2v.engine.wan.test_model.full_size_configs`).
- FLOPs of one transformer forward at the family's default 1280×704, 121 frames (27,280 tokens),
  counted by `torch.utils.flop_counter.FlopCounterMode` on meta tensors in bf16; guidance doubles it.
- CPU time (fp32, this machine) of ONE full-width transformer block at 1280×704 and a stated small
  frame count: the whole full-size model (≈11 B parameters with UMT5-XXL, ≈45 GB in fp32) does not
  fit this machine's RAM, so no full step is timed here.
- The Fast preset (half the steps + First Block Cache): speed-up of the denoising loop and latent
  deviation (relative L2 against standard) on the tiny model, and on a reduced-depth transformer of
  the real width. Random weights make any cache's skip rate say little about the real weights.

Prints figures; the last line is one JSON object. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from typing import Any


import numpy as np
import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel
from diffusers.utils import logging as diffusers_logging
from diffusers.models.transformers.transformer_wan import WanTransformerBlock
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode
from transformers import UMT5Config, UMT5EncoderModel

from i2v.engine.memory_plan import plan_for
from i2v.engine.wan import SPEC
from i2v.engine.wan.engine import WanEngine, load
from i2v.engine.wan.test_model import TINY_TRANSFORMER_CONFIG, full_size_configs, tiny_info, tiny_pipeline
from i2v.request import GenerationRequest

GIB = 2**30
WIDTH, HEIGHT, FRAMES = 1280, 704, 121  # the family's default
TEXT_TOKENS = 512


def picture(width: int, height: int) -> Image.Image:
    """A deterministic picture with structure (colour ramps and a disc); its content does not matter
    to the timings. (Main has `i2v.samples` for this; the benchmarks never import the test suite.)"""
    y, x = np.mgrid[0:height, 0:width]
    disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 4) ** 2
    rgb = np.stack([255 * x / width, 255 * y / height, np.where(disc, 230, 40)], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8))


def latent_shape(width: int, height: int, frames: int) -> tuple[int, int, int, int, int]:
    """(1, 48, latent frames, h, w) of the Wan 2.2 VAE: 16×16 pixels and 4 frames per latent."""
    return (1, 48, (frames - 1) // 4 + 1, height // 16, width // 16)


def tokens(width: int, height: int, frames: int) -> int:
    _, _, t, h, w = latent_shape(width, height, frames)
    return t * (h // 2) * (w // 2)  # the transformer's 1×2×2 patches


def build_meta() -> dict[str, torch.nn.Module]:
    configs = full_size_configs()
    with torch.device("meta"):
        return {
            "transformer": WanTransformer3DModel(**configs["transformer"]),
            "text_encoder (UMT5-XXL)": UMT5EncoderModel(UMT5Config(**configs["text_encoder"])),
            "vae": AutoencoderKLWan(**configs["vae"]),
        }


def sizes() -> dict[str, Any]:
    rows = {}
    for name, module in build_meta().items():
        params = sum(p.numel() for p in module.parameters())
        rows[name] = {"params_b": round(params / 1e9, 3), "bf16_gib": round(params * 2 / GIB, 2), "fp32_gib": round(params * 4 / GIB, 2)}
        print(f"{name:24s} {params / 1e9:6.3f} B parameters   bf16 {params * 2 / GIB:6.2f} GiB   fp32 {params * 4 / GIB:6.2f} GiB")
    total = sum(r["params_b"] for r in rows.values())
    print(f"{'all':24s} {total:6.3f} B parameters   bf16 {total * 2e9 / GIB:6.2f} GiB   fp32 {total * 4e9 / GIB:6.2f} GiB")
    return rows


def transformer_inputs(width: int, height: int, frames: int, device: str, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    shape = latent_shape(width, height, frames)
    return {
        "hidden_states": torch.randn(shape, device=device, dtype=dtype),
        # Wan 2.2 TI2V: one timestep per token (0 for the first frame's tokens)
        "timestep": torch.full((1, tokens(width, height, frames)), 500.0, device=device),
        "encoder_hidden_states": torch.randn(1, TEXT_TOKENS, 4096, device=device, dtype=dtype),
    }


def flops_per_step() -> dict[str, Any]:
    with torch.device("meta"):
        transformer = WanTransformer3DModel(**full_size_configs()["transformer"]).to(torch.bfloat16)
    inputs = transformer_inputs(WIDTH, HEIGHT, FRAMES, "meta", torch.bfloat16)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        transformer(**inputs, return_dict=False)
    forward = counter.get_total_flops()
    steps = int(SPEC.steps.default)
    print(f"FLOPs at {WIDTH}x{HEIGHT}, {FRAMES} frames ({tokens(WIDTH, HEIGHT, FRAMES):,} tokens): "
          f"{forward / 1e12:,.0f} TFLOP per forward, {2 * forward / 1e12:,.0f} TFLOP per CFG step, "
          f"{2 * forward * steps / 1e15:,.1f} PFLOP for {steps} steps")
    return {"tokens": tokens(WIDTH, HEIGHT, FRAMES), "tflop_forward": round(forward / 1e12, 1),
            "tflop_cfg_step": round(2 * forward / 1e12, 1), "pflop_default_job": round(2 * forward * steps / 1e15, 1)}


def block_cpu_time(frames: int, repeats: int = 2) -> dict[str, Any]:
    """One full-width `WanTransformerBlock` in fp32 at 1280×704 and `frames` frames, with the inputs
    the model hands it (per-token modulation, RoPE, 512 text tokens)."""
    config = full_size_configs()["transformer"]
    torch.manual_seed(0)
    one_layer = WanTransformer3DModel(**{**config, "num_layers": 1}).eval()
    block: WanTransformerBlock = one_layer.blocks[0]
    captured: dict[str, Any] = {}
    handle = block.register_forward_pre_hook(lambda module, args: captured.setdefault("args", args))
    inputs = transformer_inputs(WIDTH, HEIGHT, frames, "cpu", torch.float32)
    with torch.no_grad():
        one_layer(**inputs, return_dict=False)
    handle.remove()
    args = captured["args"]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        block(*args)
    flops = counter.get_total_flops()
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            started = time.perf_counter()
            block(*args)
            times.append(time.perf_counter() - started)
    best = min(times)
    n = tokens(WIDTH, HEIGHT, frames)
    print(f"one full-width block, fp32 CPU ({torch.get_num_threads()} threads), {WIDTH}x{HEIGHT} {frames} frames = {n:,} tokens: "
          f"{best:.2f} s (best of {repeats}: {', '.join(f'{t:.2f}' for t in times)}), {flops / 1e12:.2f} TFLOP, "
          f"{flops / best / 1e9:.0f} GFLOP/s")
    return {"frames": frames, "tokens": n, "seconds_best": round(best, 3), "seconds_all": [round(t, 3) for t in times],
            "tflop": round(flops / 1e12, 3), "gflops_per_s": round(flops / best / 1e9, 1), "threads": torch.get_num_threads()}


def _loop_run(engine: WanEngine, request: GenerationRequest, image: Image.Image) -> tuple[torch.Tensor, float, int]:
    """Final latents, the denoising loop's time (first transformer call → last step's callback) and
    how many transformer blocks really computed (a block skipped by the cache never calls its
    feed-forward), for a picture already at the frame size."""
    marks: dict[str, float] = {}
    computed = [0]

    def start(module, args) -> None:  # a pre-hook's return value would replace the arguments
        marks.setdefault("start", time.perf_counter())

    def count(module, args) -> None:
        computed[0] += 1

    handles = [engine.pipe.transformer.register_forward_pre_hook(start)]
    handles += [block.ffn.register_forward_pre_hook(count) for block in engine.pipe.transformer.blocks]

    def note(progress) -> None:
        marks["end"] = time.perf_counter()

    try:
        latents = engine.sample(SPEC.complete(request), image, on_progress=note, output_type="latent")
    finally:
        for handle in handles:
            handle.remove()
    return latents.float(), marks["end"] - marks["start"], computed[0]


def fast_preset(engine: WanEngine, label: str, steps: int, size: tuple[int, int], frames: int, repeats: int = 1) -> dict[str, Any]:
    """Standard vs Fast on one engine, as `WanEngine.sample` runs them (the picture is given at the
    frame size, so sizes below the spec's presets are possible here). Wall time on a shared CPU is
    noisy; the count of computed blocks is not."""
    image = picture(*size)
    base = GenerationRequest(prompt="a paper boat drifting on a pond", seed=5, frames=frames, steps=steps)
    engine.latent_rgb()  # fitted once per model, outside the timed runs
    runs = {}
    for quality in ("standard", "fast"):
        best = math.inf
        for _ in range(repeats):
            latents, seconds, blocks = _loop_run(engine, base.model_copy(update={"quality": quality}), image)
            best = min(best, seconds)
        runs[quality] = (latents, best, blocks)
    (std, std_s, std_blocks), (fast, fast_s, fast_blocks) = runs["standard"], runs["fast"]
    deviation = float((fast - std).norm() / std.norm())
    n = tokens(size[0], size[1], frames)
    print(f"Fast preset, {label}, {size[0]}x{size[1]} {frames} frames ({n} tokens), {steps} → {SPEC.fast_steps(steps)} steps: "
          f"blocks computed {std_blocks} → {fast_blocks} ({std_blocks / fast_blocks:.2f}×), "
          f"loop {std_s:.2f} s → {fast_s:.2f} s = {std_s / fast_s:.2f}× faster, latent deviation (rel. L2) {deviation:.3f}")
    return {"model": label, "size": list(size), "frames": frames, "tokens": n, "steps": steps,
            "fast_steps": SPEC.fast_steps(steps), "standard_blocks": std_blocks, "fast_blocks": fast_blocks,
            "block_ratio": round(std_blocks / fast_blocks, 2), "standard_loop_s": round(std_s, 3),
            "fast_loop_s": round(fast_s, 3), "loop_speedup": round(std_s / fast_s, 2), "latent_rel_l2": round(deviation, 4)}


def reduced_depth_engine(layers: int) -> WanEngine:
    """The tiny pipeline with a transformer of the real width (24 heads of 128, FFN 14336) and
    `layers` blocks. Its text projection reads the tiny text encoder's 32 features instead of 4096:
    a 512-token input layer, negligible beside the blocks, which are exactly the real ones."""
    pipe = tiny_pipeline()
    config = {**full_size_configs()["transformer"], "num_layers": layers, "text_dim": TINY_TRANSFORMER_CONFIG["text_dim"]}
    torch.manual_seed(0)
    pipe.transformer = WanTransformer3DModel(**config).eval().requires_grad_(False)
    pipe.register_modules(transformer=pipe.transformer)
    return WanEngine(pipe, tiny_info(), plan_for("cpu"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--block-frames", type=int, default=5, help="frames (4k+1) for the one-block CPU timing at 1280x704")
    parser.add_argument("--skip-block", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--fast-steps", type=int, default=20, help="standard steps of the Fast comparison (tiny model)")
    parser.add_argument("--wide-layers", type=int, default=4, help="depth of the full-width model in the Fast comparison (0 = skip)")
    parser.add_argument("--wide-steps", type=int, default=10, help="standard steps of the full-width comparison")
    parser.add_argument("--wide-size", type=int, default=256, help="square side (px) of the full-width comparison")
    args = parser.parse_args()
    diffusers_logging.set_verbosity_error()  # the meta-device bf16 cast warns about fp32-kept modules

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads()}}
    result["sizes"] = sizes()
    result["flops"] = flops_per_step()
    if not args.skip_block:
        result["block_cpu"] = block_cpu_time(args.block_frames)
    if not args.skip_fast:
        tiny = load(SPEC.test_model, plan_for("cpu"))
        result["fast_tiny"] = fast_preset(tiny, "tiny", args.fast_steps, (736, 544), 9, repeats=2)
        tiny.close()
        if args.wide_layers:
            wide = reduced_depth_engine(args.wide_layers)
            side = args.wide_size
            result["fast_wide"] = fast_preset(wide, f"full width, {args.wide_layers} layers", args.wide_steps, (side, side), 5)
            wide.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
