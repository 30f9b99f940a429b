"""Engine timings on this machine: one tiny-model generation, and one full-size-architecture step.

    .venv/bin/python benchmarks/bench_engine.py [--skip-full] [--frames 8] [--size 128]

The full-size model has the released architecture and sizes with random weights: compute and
memory are faithful, the pictures are noise. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from i2v.engine.i2vgenxl import SPEC, load_engine  # noqa: E402
from i2v.engine.i2vgenxl.engine import I2VGenXLEngine  # noqa: E402
from i2v.engine.memory_plan import plan_for  # noqa: E402
from i2v.engine.i2vgenxl.test_model import full_size_components, full_size_info  # noqa: E402
from i2v.request import GenerationRequest  # noqa: E402


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def picture(width: int, height: int):
    from i2v.samples import gradient_picture

    return gradient_picture(width, height)


def bench_tiny() -> None:
    engine = load_engine("tiny", plan_for("cpu"))
    for resolution, frames, steps in (("256p", 16, 10), ("512p", 16, 50)):
        request = GenerationRequest(prompt="a cell dividing", resolution=resolution, frames=frames, steps=steps, seed=1)
        image = picture(640, 480)
        started = time.perf_counter()
        output = engine.generate(request, image)
        took = time.perf_counter() - started
        print(f"tiny  {resolution} {output.width}x{output.height} {frames} frames {steps} steps: {took:6.2f} s  ({took / steps * 1000:.0f} ms/step incl. decode)")


def bench_full(frames: int, size: int) -> None:
    started = time.perf_counter()
    engine = I2VGenXLEngine(full_size_components(), full_size_info(), plan_for("cpu"))
    built = time.perf_counter() - started
    params = {name: sum(p.numel() for p in m.parameters()) / 1e6 for name, m in engine.parts.modules().items()}
    print(f"full-size build: {built:.1f} s, peak RSS {rss_gib():.1f} GiB, params (M): " + ", ".join(f"{k} {v:.0f}" for k, v in params.items()))
    request = SPEC.complete(GenerationRequest(prompt="a cell dividing", frames=frames, steps=1, seed=1))
    image = picture(size * 2, size * 2)
    width = height = size
    with torch.inference_mode():
        t0 = time.perf_counter()
        text = engine.encode_prompt(request.prompt, request.negative_prompt, True)
        t1 = time.perf_counter()
        embeds = engine.encode_image(image, width, True)
        t2 = time.perf_counter()
        from i2v.image_input import fit_image

        latents_img = engine.prepare_image_latents(fit_image(image, width, height), frames, True, 1, dtype=torch.float32)
        t3 = time.perf_counter()
    steps_seen = []
    video = engine.sample(request, image, width, height, on_progress=lambda p: steps_seen.append(p.elapsed_s))
    total = time.perf_counter() - t3
    step = steps_seen[0]
    decode = total - step - (t3 - t0)  # the sample() call repeats the encoders once
    print(f"full-size {width}x{height}, {frames} frames, CFG, fp32 on CPU:")
    print(f"  text encoder {t1 - t0:6.2f} s | image encoder {t2 - t1:6.2f} s | VAE encode {t3 - t2:6.2f} s")
    print(f"  one UNet step {step:6.2f} s | VAE decode ≈ {decode:6.2f} s ({decode / frames:.2f} s/frame) | peak RSS {rss_gib():.1f} GiB")
    print(f"  ratio to the shared README's ~14 s/step at 128 px/8 frames: {step / 14:.2f}×  (frames shape {tuple(video.shape)})")
    del latents_img, embeds, text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_tiny()
    if not args.skip_full:
        bench_full(args.frames, args.size)


if __name__ == "__main__":
    main()
