"""Measure activation memory of each family's denoiser and VAE decode on the CPU, and fit the
memory model's coefficients (`Footprint` in the family's spec; used by `i2v.engine.memory_estimate`).

    .venv/bin/python benchmarks/activations.py --family i2vgenxl   # ≈6 min on the 2-core CPU (wan ≈8, ltx ≈3)

Each point runs in a fresh subprocess: the full-width model is built (random weights, fp32), the
peak resident memory is read, one guided denoiser call (or one VAE decode) runs, and the peak is
read again; the difference is that call's activation peak. In inference mode nothing is kept for a
backward pass, so the peak is set by the widest layer, not by depth: families too large for this
machine in fp32 run with fewer layers at full width (said in the output). The fit is linear in
latent tokens (× the guided batch) and in decoded pixels; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_wan / bench_ltx: the families' input shapes

import torch

from i2v.engine.random_weights import materialize
from i2v.engine.registry import family_spec


def peak_rss() -> int:
    """The process's peak resident set since start or since the last `reset_peak()`."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> None:
    """Forget the build's transient peak (Linux: VmHWM restarts from the current resident set), so
    that a small call's activations are not hidden under the copies made while building. Freed heap
    is handed back first (`malloc_trim`); otherwise a call could reuse it without the peak moving."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


# ---- what each family's denoiser call and decode look like -------------------------------------


def i2vgenxl_denoise(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from i2v.engine.i2vgenxl.test_model import full_size_factories

    spec = family_spec("i2vgenxl")
    unet = materialize(full_size_factories()["unet"], "cpu", torch.float32)
    batch, h, w = spec.latent.guided_batch, height // 8, width // 8
    inputs = {
        "sample": torch.randn(batch, 4, frames, h, w), "timestep": torch.tensor(500),
        "encoder_hidden_states": torch.randn(batch, 77, 1024), "fps": torch.tensor([8] * batch),
        "image_latents": torch.randn(batch, 4, frames, h, w), "image_embeddings": torch.randn(batch, 1, 1024),
    }

    def call() -> object:
        return unet(**inputs, return_dict=False)[0]

    return unet, call, spec.latent.tokens(width, height, frames) * batch


def i2vgenxl_decode(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from i2v.engine.i2vgenxl.test_model import full_size_factories

    vae = materialize(full_size_factories()["vae"], "cpu", torch.float32)
    latents = torch.randn(frames, 4, height // 8, width // 8)

    def call() -> object:
        return vae.decode(latents).sample

    return vae, call, width * height * frames


REDUCED_LAYERS = 2  # the widest layer sets the inference peak, not the depth: 2 of the real blocks suffice


def wan_denoise(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from bench_wan import transformer_inputs
    from diffusers import WanTransformer3DModel

    from i2v.engine.wan.test_model import FULL_TRANSFORMER_CONFIG

    spec = family_spec("wan")
    config = {**FULL_TRANSFORMER_CONFIG, "num_layers": REDUCED_LAYERS}
    transformer = materialize(lambda: WanTransformer3DModel(**config), "cpu", torch.float32)
    inputs = transformer_inputs(width, height, frames, "cpu", torch.float32)

    def call() -> object:  # the pipeline runs the two guided halves one after the other: one call is the peak
        return transformer(**inputs, return_dict=False)[0]

    return transformer, call, spec.latent.tokens(width, height, frames) * spec.latent.guided_batch


def wan_decode(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from diffusers import AutoencoderKLWan

    from i2v.engine.wan.test_model import FULL_VAE_CONFIG

    vae = materialize(lambda: AutoencoderKLWan(**FULL_VAE_CONFIG), "cpu", torch.float32)
    latents = torch.randn(1, 48, (frames - 1) // 4 + 1, height // 16, width // 16)

    def call() -> object:
        return vae.decode(latents).sample

    return vae, call, width * height * frames


def ltx_denoise(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from bench_ltx import latent_grid, transformer_inputs
    from diffusers import LTXVideoTransformer3DModel

    from i2v.engine.ltx.test_model import FULL_TRANSFORMER_CONFIG

    spec = family_spec("ltx")
    config = {**FULL_TRANSFORMER_CONFIG, "num_layers": REDUCED_LAYERS}
    transformer = materialize(lambda: LTXVideoTransformer3DModel(**config), "cpu", torch.float32)
    inputs = transformer_inputs(spec.latent.guided_batch, latent_grid(width, height, frames), "cpu", torch.float32,
                                config["caption_channels"])

    def call() -> object:
        return transformer(**inputs)[0]

    return transformer, call, spec.latent.tokens(width, height, frames) * spec.latent.guided_batch


def ltx_decode(width: int, height: int, frames: int) -> tuple[torch.nn.Module, Callable[[], object], int]:
    from diffusers import AutoencoderKLLTXVideo

    from i2v.engine.ltx.test_model import FULL_VAE_CONFIG

    vae = materialize(lambda: AutoencoderKLLTXVideo(**FULL_VAE_CONFIG), "cpu", torch.float32)
    latents = torch.randn(1, 128, (frames - 1) // 8 + 1, height // 32, width // 32)

    def call() -> object:
        return vae.decode(latents).sample

    return vae, call, width * height * frames


PROBES: dict[str, dict[str, Callable]] = {
    "i2vgenxl": {"denoise": i2vgenxl_denoise, "decode": i2vgenxl_decode},
    "wan": {"denoise": wan_denoise, "decode": wan_decode},
    "ltx": {"denoise": ltx_denoise, "decode": ltx_decode},
}
SIZES: dict[str, dict[str, list[tuple[int, int, int]]]] = {
    "i2vgenxl": {"denoise": [(64, 64, 8), (128, 128, 8), (128, 128, 16), (256, 256, 8)], "decode": [(128, 128, 1), (256, 256, 1)]},
    "wan": {"denoise": [(384, 384, 9), (512, 512, 17), (640, 640, 17)], "decode": [(128, 128, 5), (256, 256, 5)]},
    "ltx": {"denoise": [(256, 256, 17), (512, 512, 17), (512, 512, 33)], "decode": [(128, 128, 9), (256, 256, 9)]},
}


# Every allocation above 64 KiB gets its own mapping, returned to the system when freed: the
# resident set then follows live tensors instead of glibc's recycled heap.
CHILD_ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 * 1024)}


def child(family: str, phase: str, width: int, height: int, frames: int) -> None:
    """Build, forget the build's transient peak, call once, read the peak again: the growth over
    the resident weights is this call's activation peak."""
    torch.set_grad_enabled(False)
    _module, call, units = PROBES[family][phase](width, height, frames)
    gc.collect()
    reset_peak()
    weights = peak_rss()
    with torch.inference_mode():
        call()
    print(json.dumps({"phase": phase, "width": width, "height": height, "frames": frames, "units": units,
                      "weights_rss": weights, "activation": peak_rss() - weights}))


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line y = a + b·x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points) or 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var
    return mean_y - slope * mean_x, slope


def largest_layer(factory: Callable[[], torch.nn.Module]) -> int:
    with torch.device("meta"):
        module = factory()
    return max(sum(p.numel() for p in m.parameters(recurse=False)) for m in module.modules())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="i2vgenxl", choices=sorted(PROBES))
    parser.add_argument("--child", nargs=5, metavar=("FAMILY", "PHASE", "W", "H", "F"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        family, phase, w, h, f = args.child
        child(family, phase, int(w), int(h), int(f))
        return
    started = time.perf_counter()
    result: dict = {"family": args.family, "machine": "2-core CPU, fp32, random full-width weights", "points": {}}
    for phase, sizes in SIZES[args.family].items():
        rows = []
        for size in sizes:
            out = subprocess.run([sys.executable, __file__, "--child", args.family, phase, *map(str, size)],
                                 capture_output=True, text=True, check=True, env=CHILD_ENV)
            point = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(point)
            print(f"{phase} {size[0]}×{size[1]}×{size[2]}: {point['units']} units, activation "
                  f"{point['activation'] / 2**20:.0f} MiB (weights {point['weights_rss'] / 2**30:.2f} GiB RSS)", flush=True)
        fixed, per_unit = fit([(r["units"], r["activation"]) for r in rows])
        result["points"][phase] = rows
        result[phase] = {"fixed_bytes": round(fixed), "bytes_per_unit": round(per_unit, 1)}
        print(f"{phase}: activation ≈ {fixed / 2**20:.0f} MiB + {per_unit:.0f} B × units", flush=True)
    print(json.dumps(result))
    print(f"took {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
