"""LTX-Video 2B in numbers, on this machine: sizes, compute, one block's CPU time, and the Fast preset.

    .venv/bin/python benchmarks/bench_ltx.py [--block-tokens 6144] [--skip-block] [--skip-reduced]

- Parameters and bf16 weight memory of each full-size component, built on the meta device (no RAM).
- FLOPs (torch.utils.flop_counter on meta tensors) per denoising step at the family's default size,
  768×512 px and 121 frames (16 latent frames × 16 × 24 = 6,144 tokens), with guidance (CFG batch 2),
  plus the once-per-video text encoding and VAE decode.
- Measured CPU time (fp32) of ONE full-width transformer block at the default token count, on this
  machine. The whole model does not fit here in fp32 (T5-XXL alone is ≈ 19 GB); it is not guessed.
- The Fast preset (half the steps + diffusers' first-block cache) against standard: speed-up of the
  denoising loop and relative L2 deviation of the final latents, on the tiny model and on a
  reduced-depth (2 blocks) but full-width transformer. Random weights: how often the cache skips
  says little about real weights, where consecutive steps are far more alike.
Prints figures; the last line is one JSON object. Imports the product, never the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from diffusers import AutoencoderKLLTXVideo, LTXImageToVideoPipeline, LTXVideoTransformer3DModel  # noqa: E402
from PIL import Image  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from transformers import T5Config, T5EncoderModel  # noqa: E402

from i2v.engine.ltx import SPEC  # noqa: E402
from i2v.engine.ltx.engine import FAST_CACHE  # noqa: E402
from i2v.engine.ltx.test_model import FULL_TRANSFORMER_CONFIG, full_size_configs, tiny_pipeline  # noqa: E402

WIDTH, HEIGHT, FRAMES, FPS = 768, 512, 121, 24  # SPEC's 512p preset and default frames
TEXT_TOKENS = SPEC.text.max_tokens
GIB = 2**30


def latent_grid(width: int, height: int, frames: int) -> tuple[int, int, int]:
    return (frames - 1) // 8 + 1, height // 32, width // 32


def transformer_inputs(batch: int, grid: tuple[int, int, int], device: str, dtype: torch.dtype, caption: int) -> dict:
    """What LTXImageToVideoPipeline hands the transformer in one step (per-token timesteps included)."""
    frames, h, w = grid
    tokens = frames * h * w
    return {
        "hidden_states": torch.randn(batch, tokens, 128, device=device, dtype=dtype),
        "encoder_hidden_states": torch.randn(batch, TEXT_TOKENS, caption, device=device, dtype=dtype),
        "timestep": torch.full((batch, tokens), 500.0, device=device, dtype=dtype),
        "encoder_attention_mask": torch.ones(batch, TEXT_TOKENS, device=device, dtype=dtype),
        "num_frames": frames, "height": h, "width": w,
        "rope_interpolation_scale": (8 / FPS, 32, 32), "return_dict": False,
    }


def count_flops(fn) -> float:
    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def full_size_on_meta() -> dict[str, torch.nn.Module]:
    configs = full_size_configs()
    with torch.device("meta"):
        models = {
            "transformer": LTXVideoTransformer3DModel(**configs["transformer"]),
            "vae": AutoencoderKLLTXVideo(**configs["vae"]),
            "text_encoder": T5EncoderModel(T5Config(**configs["text_encoder"])),
        }
    return {name: model.to(torch.bfloat16).eval() for name, model in models.items()}  # as a GPU runs them


def sizes_and_flops() -> dict:
    models = full_size_on_meta()
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
    for name, n in params.items():
        print(f"{name:13s} {n / 1e9:6.3f} B parameters, {n * 2 / GIB:5.2f} GiB in bf16, {n * 4 / GIB:5.2f} GiB in fp32")
    total = sum(params.values())
    print(f"{'all':13s} {total / 1e9:6.3f} B parameters, {total * 2 / GIB:5.2f} GiB in bf16, {total * 4 / GIB:5.2f} GiB in fp32")

    grid = latent_grid(WIDTH, HEIGHT, FRAMES)
    tokens = math.prod(grid)
    transformer, vae, text = models["transformer"], models["vae"], models["text_encoder"]
    with torch.no_grad():
        forward = count_flops(lambda: transformer(**transformer_inputs(1, grid, "meta", torch.bfloat16, 4096)))
        cfg_step = count_flops(lambda: transformer(**transformer_inputs(2, grid, "meta", torch.bfloat16, 4096)))
        text_flops = count_flops(lambda: text(torch.zeros(2, TEXT_TOKENS, dtype=torch.long, device="meta")))
        decode = count_flops(lambda: vae.decode(torch.randn(1, 128, *grid, device="meta", dtype=torch.bfloat16)))
        encode = count_flops(lambda: vae.encode(torch.randn(1, 3, 1, HEIGHT, WIDTH, device="meta", dtype=torch.bfloat16)))
    steps = int(SPEC.steps.default)
    loop = steps * cfg_step
    once = text_flops + decode + encode
    print(f"FLOPs at {WIDTH}x{HEIGHT}, {FRAMES} frames = {tokens} tokens: transformer forward {forward / 1e12:.1f} TFLOP, "
          f"CFG step {cfg_step / 1e12:.1f} TFLOP, {steps} steps {loop / 1e15:.2f} PFLOP; "
          f"T5 (prompt + negative) {text_flops / 1e12:.2f} TFLOP, VAE encode of the picture {encode / 1e12:.2f} TFLOP, "
          f"VAE decode of the clip {decode / 1e12:.1f} TFLOP; the loop is {loop / (loop + once):.1%} of the job")
    return {
        "parameters": params, "parameters_total": total,
        "bf16_weights_gib": {name: round(n * 2 / GIB, 2) for name, n in params.items()},
        "tokens": tokens, "transformer_forward_tflop": round(forward / 1e12, 2),
        "cfg_step_tflop": round(cfg_step / 1e12, 2), "steps": steps, "loop_pflop": round(loop / 1e15, 3),
        "t5_tflop": round(text_flops / 1e12, 3), "vae_encode_tflop": round(encode / 1e12, 3),
        "vae_decode_tflop": round(decode / 1e12, 2), "loop_share": loop / (loop + once),
    }


def block_seconds(tokens: int) -> dict:
    """CPU time (fp32) of one full-width transformer block on `tokens` video tokens (one half of a
    CFG pair); a 1-block transformer is run and its block is timed alone with hooks."""
    torch.manual_seed(0)
    model = LTXVideoTransformer3DModel(**{**FULL_TRANSFORMER_CONFIG, "num_layers": 1}).eval()
    block = model.transformer_blocks[0]
    marks: list[float] = []
    block.register_forward_pre_hook(lambda module, args: marks.append(time.perf_counter()))
    block.register_forward_hook(lambda module, args, output: marks.append(time.perf_counter()))
    frames = max(1, tokens // (16 * 24))
    with torch.inference_mode():
        model(**transformer_inputs(1, (1, 4, 6), "cpu", torch.float32, 4096))  # warm the kernels
        marks.clear()
        model(**transformer_inputs(1, (frames, 16, 24), "cpu", torch.float32, 4096))
        # One block's FLOPs on the meta device (there attention is counted; the CPU flash kernel is
        # not): the difference between a 2-block and a 1-block model.
        with torch.device("meta"):
            one, two = (LTXVideoTransformer3DModel(**{**FULL_TRANSFORMER_CONFIG, "num_layers": n}) for n in (1, 2))
        inputs = transformer_inputs(1, (frames, 16, 24), "meta", torch.float32, 4096)
        flops = count_flops(lambda: two(**inputs)) - count_flops(lambda: one(**inputs))
    seconds = marks[1] - marks[0]
    layers = FULL_TRANSFORMER_CONFIG["num_layers"]
    print(f"one full-width block, {frames * 384} tokens, fp32, {torch.get_num_threads()} threads: {seconds:.1f} s "
          f"({flops / 1e12:.2f} TFLOP, {flops / seconds / 1e9:.0f} GFLOP/s); ×{layers} blocks ×2 (CFG) ≈ "
          f"{seconds * layers * 2 / 60:.0f} min per denoising step on this CPU (extrapolated, not run)")
    return {"block_tokens": frames * 384, "block_s": round(seconds, 2), "block_tflop": round(flops / 1e12, 3),
            "block_gflops_per_s": round(flops / seconds / 1e9, 1), "cfg_step_min_extrapolated": round(seconds * layers * 2 / 60, 1)}


class LoopWatch:
    """Times the denoising loop (first transformer call to the last step's end) and counts the steps
    on which the cache let the tail block run."""

    def __init__(self, transformer: LTXVideoTransformer3DModel) -> None:
        self.first = self.last = 0.0
        self.steps = self.tail_runs = 0
        self._hooks = [
            transformer.register_forward_pre_hook(self._started),
            transformer.transformer_blocks[-1].attn1.register_forward_pre_hook(self._tail),
        ]

    def _started(self, module, args) -> None:
        if not self.first:
            self.first = time.perf_counter()

    def _tail(self, module, args) -> None:
        self.tail_runs += 1

    def __call__(self, pipe, i, t, tensors) -> dict:
        self.last = time.perf_counter()
        self.steps += 1
        return {}

    @property
    def seconds(self) -> float:
        return self.last - self.first

    def remove(self) -> None:
        for hook in self._hooks:
            hook.remove()


def run_latents(pipe: LTXImageToVideoPipeline, steps: int, fast: bool, call: dict) -> tuple[torch.Tensor, LoopWatch]:
    watch = LoopWatch(pipe.transformer)
    if fast:
        pipe.transformer.enable_cache(FAST_CACHE)
    try:
        latents = pipe(**call, num_inference_steps=steps, generator=torch.Generator().manual_seed(0), output_type="latent",
                       callback_on_step_end=watch).frames
    finally:
        if fast:
            pipe.transformer.disable_cache()
        watch.remove()
    return latents.float(), watch


def fastest(pipe: LTXImageToVideoPipeline, steps: int, fast: bool, call: dict, repeats: int) -> tuple[torch.Tensor, LoopWatch]:
    """The faster of `repeats` identical runs: other jobs share this CPU, and noise only ever adds time."""
    runs = [run_latents(pipe, steps, fast, call) for _ in range(repeats)]
    return min(runs, key=lambda run: run[1].seconds)


def compare_fast(name: str, pipe: LTXImageToVideoPipeline, steps: int, call: dict, repeats: int = 2) -> dict:
    fast_steps = SPEC.fast_steps(steps)
    run_latents(pipe, 2, False, call)  # warm-up: first calls pay for lazy initialisation
    standard, s_watch = fastest(pipe, steps, False, call, repeats)
    fast, f_watch = fastest(pipe, fast_steps, True, call, repeats)
    deviation = float((fast - standard).norm() / standard.norm())
    speedup = s_watch.seconds / f_watch.seconds
    print(f"{name}: standard {steps} steps {s_watch.seconds:.2f} s, fast {fast_steps} steps {f_watch.seconds:.2f} s "
          f"(tail block ran on {f_watch.tail_runs} of {f_watch.steps} steps): loop speed-up {speedup:.2f}×, "
          f"latent deviation (rel. L2) {deviation:.3f}")
    return {"steps": steps, "fast_steps": fast_steps, "standard_loop_s": round(s_watch.seconds, 3),
            "fast_loop_s": round(f_watch.seconds, 3), "loop_speedup": round(speedup, 2),
            "tail_block_runs": f_watch.tail_runs, "latent_rel_l2": round(deviation, 4)}


def picture(width: int, height: int) -> Image.Image:
    """A smooth colourful picture (the benchmark needs some structure, not a photo)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([255 * x / width, 255 * y / height, 128 + 100 * np.sin(x / 17.0) * np.cos(y / 23.0)], axis=-1)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def fast_on_tiny(steps: int) -> dict:
    pipe = tiny_pipeline()
    pipe.set_progress_bar_config(disable=True)
    call = {"image": picture(384, 288), "prompt": "a leaf swaying in the wind", "negative_prompt": SPEC.negative_prompt,
            "width": 384, "height": 288, "num_frames": 17, "frame_rate": FPS, "guidance_scale": SPEC.guidance.default,
            "max_sequence_length": TEXT_TOKENS}
    return compare_fast("tiny model, 384x288, 17 frames", pipe, steps, call)


def fast_on_reduced(steps: int, layers: int) -> dict:
    """Full-width transformer with `layers` blocks (random weights), fed random prompt embeddings of
    T5-XXL's width, with the tiny VAE (same 128 latent channels) for the picture's latent."""
    tiny = tiny_pipeline()
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(**{**FULL_TRANSFORMER_CONFIG, "num_layers": layers}).eval()
    pipe = LTXImageToVideoPipeline(scheduler=tiny.scheduler, vae=tiny.vae, text_encoder=tiny.text_encoder,
                                   tokenizer=tiny.tokenizer, transformer=transformer)
    pipe.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(1)
    embeds = [torch.randn(1, TEXT_TOKENS, 4096, generator=generator) for _ in range(2)]
    mask = torch.ones(1, TEXT_TOKENS)
    width, height = 512, 352
    call = {"image": picture(width, height), "prompt_embeds": embeds[0], "prompt_attention_mask": mask,
            "negative_prompt_embeds": embeds[1], "negative_prompt_attention_mask": mask,
            "width": width, "height": height, "num_frames": 9, "frame_rate": FPS, "guidance_scale": SPEC.guidance.default}
    tokens = math.prod(latent_grid(width, height, 9))
    return {"layers": layers, "tokens": tokens,
            **compare_fast(f"full-width {layers}-block transformer, {tokens} tokens, fp32", pipe, steps, call, repeats=1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--block-tokens", type=int, default=6144, help="tokens for the one-block CPU timing (a multiple of 384)")
    parser.add_argument("--skip-block", action="store_true")
    parser.add_argument("--skip-reduced", action="store_true")
    parser.add_argument("--tiny-steps", type=int, default=50)
    parser.add_argument("--reduced-steps", type=int, default=20)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict = {"machine": f"{os.cpu_count()}-core CPU", "sizes_flops": sizes_and_flops()}
    if not args.skip_block:
        results["block"] = block_seconds(args.block_tokens)
    results["fast_tiny"] = fast_on_tiny(args.tiny_steps)
    if not args.skip_reduced:
        results["fast_reduced"] = fast_on_reduced(args.reduced_steps, layers=2)
    # The whole job: encoders and decode are unchanged by Fast, so its speed-up is the loop's,
    # diluted by the loop's share of the compute at the default size.
    loop = results.get("fast_reduced", results["fast_tiny"])["loop_speedup"]
    share = results["sizes_flops"]["loop_share"]
    job = 1 / ((1 - share) + share / loop)
    print(f"Fast preset, whole job at {WIDTH}x{HEIGHT}x{FRAMES} (loop {share:.1%} of the FLOPs): ≈{job:.2f}× "
          f"(SPEC.fast.speedup is {SPEC.fast.speedup:g})")
    results["fast_job_speedup_estimate"] = round(job, 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
