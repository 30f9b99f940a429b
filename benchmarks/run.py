"""Performance of the I2VGen-XL engine on the full-size architecture (random weights), issue #7.

    .venv/bin/python benchmarks/run.py --quick     # ≤ 10 min on the 2-core CPU; last line: one JSON object
    .venv/bin/python benchmarks/run.py             # the full run (50-step levers, 128 px reference, bigger grid)

The model is saved once as a diffusers folder (benchmarks/model_folder.py, ~/.cache/i2v-bench) and
loaded through `I2VGenXLEngine.load`, the engine's real loading code. Every comparison runs both
sides in this one process, alternating (A B B A), and reports the ratio: other processes sharing
the CPU slow both sides alike, so ratios are trustworthy where absolute seconds are not. The
weights are random, so deviations measure how far a lever moves the arithmetic, not picture quality.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402
from model_folder import DEFAULT_FOLDER, ensure_model_folder  # noqa: E402

from i2v.engine.i2vgenxl.engine import FAST_LEVERS, OFF, DeepFeatureCache, I2VGenXLEngine, Levers  # noqa: E402
from i2v.engine.i2vgenxl import SPEC  # noqa: E402
from i2v.engine.memory_plan import plan_for  # noqa: E402
from i2v.request import GenerationRequest  # noqa: E402

PROMPT = "chromosomes separating to opposite poles"
GIB = 2**30


def rss() -> int:
    return psutil.Process().memory_info().rss


def trim() -> None:
    """Give freed heap back to the OS so the next RSS reading starts from what is really held."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        trim()
        self.start = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


class Took(float):
    """Wall seconds, with `.cpu`: this process's CPU seconds (all threads) over the same span.
    On a CPU shared with other people's jobs wall time swings 3× between identical runs; CPU
    time does not, so ratios are computed on both and the CPU-time ratio is the headline."""

    cpu: float


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    took = Took(time.perf_counter() - wall)
    took.cpu = time.process_time() - cpu
    return took, out


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def picture(size: int):
    from i2v.samples import gradient_picture

    return gradient_picture(size * 2, size * 2)


def request(**fields) -> GenerationRequest:
    """A completed I2VGen-XL request (every default filled in by the family's spec)."""
    return SPEC.complete(GenerationRequest(**{"prompt": PROMPT, "seed": 7, "frames": 8, "fps": 8, **fields}))


def rel_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())


# ---- 1. engine vs the deprecated reference pipeline ------------------------------------------


def engine_vs_reference(engine: I2VGenXLEngine, size: int, frames: int, steps: int, rounds: int) -> dict:
    from diffusers import DDIMScheduler
    from diffusers.pipelines.deprecated.i2vgen_xl.pipeline_i2vgen_xl import I2VGenXLPipeline

    parts = engine.parts
    pipe = I2VGenXLPipeline(
        vae=parts.vae, text_encoder=parts.text_encoder, tokenizer=parts.tokenizer, image_encoder=parts.image_encoder,
        feature_extractor=parts.feature_extractor, unet=parts.unet, scheduler=DDIMScheduler.from_config(parts.scheduler_config),
    )
    pipe.set_progress_bar_config(disable=True)
    req = request(steps=steps, frames=frames)
    image = picture(size)

    def ours():
        return engine.sample(req, image, size, size)

    def theirs():
        torch.manual_seed(req.seed)
        return pipe(
            prompt=req.prompt, negative_prompt=req.negative_prompt, image=image, height=size, width=size,
            target_fps=req.fps, num_frames=frames, num_inference_steps=steps, guidance_scale=req.guidance,
            generator=torch.Generator().manual_seed(req.seed), output_type="np", clip_skip=None,
        ).frames[0]

    times = {"engine": [], "reference": []}
    cpu = {"engine": [], "reference": []}
    peaks = {"engine": [], "reference": []}
    deltas = {"engine": [], "reference": []}
    outputs = {}
    order = ["engine", "reference", "reference", "engine"] * ((rounds + 1) // 2)
    for side in order[: 2 * rounds]:
        with PeakRSS() as mem:
            took, out = timed(ours if side == "engine" else theirs)
        outputs[side] = np.asarray(out)
        times[side].append(took)
        cpu[side].append(took.cpu)
        peaks[side].append(mem.peak)
        deltas[side].append(mem.peak - mem.start)
        log(f"  {side:9s} {took:7.1f} s (CPU {took.cpu:7.1f} s)  peak RSS {mem.peak / GIB:.2f} GiB (+{(mem.peak - mem.start) / GIB:.2f})")
    del pipe
    t_e, t_r = np.median(times["engine"]), np.median(times["reference"])
    c_e, c_r = np.median(cpu["engine"]), np.median(cpu["reference"])
    return {
        "setting": f"{size}x{size} px, {frames} frames, {steps} DDIM steps, CFG 9, fp32",
        "engine_wall_s": round(float(t_e), 2), "reference_wall_s": round(float(t_r), 2),
        "wall_time_ratio": round(float(t_e / t_r), 3),
        "engine_cpu_s": round(float(c_e), 2), "reference_cpu_s": round(float(c_r), 2),
        "time_ratio": round(float(c_e / c_r), 3),
        "time_basis": "median process CPU time over A B B A runs (wall_time_ratio alongside)",
        "engine_peak_rss_gib": round(max(peaks["engine"]) / GIB, 2), "reference_peak_rss_gib": round(max(peaks["reference"]) / GIB, 2),
        "rss_ratio": round(max(peaks["engine"]) / max(peaks["reference"]), 3),
        "engine_rss_above_weights_gib": round(max(deltas["engine"]) / GIB, 2),
        "reference_rss_above_weights_gib": round(max(deltas["reference"]) / GIB, 2),
        "rss_above_weights_ratio": round(max(deltas["engine"]) / max(deltas["reference"]), 3),
        "max_abs_frame_difference": float(np.abs(outputs["engine"] - outputs["reference"]).max()),
        "rounds": rounds,
    }


# ---- 2. warm service vs reload ------------------------------------------------------------------


def warm_vs_reload(folder: Path, plan) -> tuple[I2VGenXLEngine, dict]:
    """Time to the second video: kept loaded (load, video, video) vs loaded per call (load, video,
    load, video). Safetensors are memory-mapped, so loading returns fast and the first video pays
    for paging the weights in; both count, exactly as for a user."""
    req, image, size = request(steps=2), picture(64), 64
    load_s, engine = timed(lambda: I2VGenXLEngine.from_hub_or_folder(str(folder), plan))
    gen1, _ = timed(lambda: engine.sample(req, image, size, size))
    gen2, _ = timed(lambda: engine.sample(req, image, size, size))
    del engine
    trim()
    reload_s, engine = timed(lambda: I2VGenXLEngine.from_hub_or_folder(str(folder), plan))
    gen3, _ = timed(lambda: engine.sample(req, image, size, size))
    warm, cold = load_s + gen1 + gen2, load_s + gen1 + reload_s + gen3
    log(f"  load {load_s:.1f} s, videos {gen1:.1f} / {gen2:.1f} s; reload {reload_s:.1f} s, video {gen3:.1f} s")
    log(f"  second video after {warm:.1f} s warm vs {cold:.1f} s reloading")
    return engine, {
        "setting": "64x64 px, 8 frames, 2 DDIM steps: a short job, where loading counts most",
        "load_s": round(load_s, 1), "reload_s": round(reload_s, 1),
        "video_s": {"first": round(gen1, 1), "second_warm": round(gen2, 1), "after_reload": round(gen3, 1)},
        "warm_second_video_s": round(warm, 1), "reload_second_video_s": round(cold, 1),
        "speedup": round(cold / warm, 3),
    }


# ---- 5. speed levers ----------------------------------------------------------------------------


def levers(engine: I2VGenXLEngine, size: int, steps: int) -> dict:
    """Each lever alone and the Fast preset, against the unaccelerated DDIM run at `steps`."""
    image = picture(size)
    standard = request(steps=steps)
    half = max(1, (steps + 1) // 2)
    cases = {
        "dpmpp_half_steps": (standard.model_copy(update={"scheduler": "dpmpp", "steps": half}), OFF),
        "deep_cache_2": (standard, Levers(deep_cache_interval=2)),
        "deep_cache_3": (standard, Levers(deep_cache_interval=3)),
        "cfg_stop_0.2": (standard, Levers(cfg_stop_fraction=0.2)),
        "fast_preset": (standard.model_copy(update={"quality": "fast"}), None),
    }
    baseline_times, baseline_cpu = [], []

    def run(req, lever):
        return timed(lambda: engine.sample_latents(req, image, size, size, levers=lever))

    results = {}
    for name, (req, lever) in cases.items():  # A B, A B, ...: each lever next to a fresh baseline run
        if name in ("dpmpp_half_steps", "cfg_stop_0.2", "fast_preset") or not baseline_times:
            took, reference = run(standard, OFF)
            baseline_times.append(took)
            baseline_cpu.append(took.cpu)
            log(f"  standard DDIM {steps}: {took:7.1f} s (CPU {took.cpu:7.1f} s)")
        took, out = run(req, lever)
        base, base_cpu = float(np.median(baseline_times)), float(np.median(baseline_cpu))
        results[name] = {
            "wall_s": round(took, 2), "cpu_s": round(took.cpu, 2), "speedup": round(base_cpu / took.cpu, 3),
            "wall_speedup": round(base / took, 3), "latent_rel_l2": round(rel_l2(out, reference), 4),
        }
        log(f"  {name:18s} {took:7.1f} s (CPU {took.cpu:7.1f} s)  ×{base_cpu / took.cpu:.2f} CPU, ×{base / took:.2f} wall  rel L2 {results[name]['latent_rel_l2']:.4f}")
    return {"setting": f"{size}x{size} px, 8 frames, CFG 9, standard = DDIM {steps} steps", "standard_wall_s": round(float(np.median(baseline_times)), 2),
            "standard_cpu_s": round(float(np.median(baseline_cpu)), 2), "speedup_basis": "process CPU time (wall alongside)",
            "fast_preset_is": f"DPM-Solver++ {half} steps + {FAST_LEVERS}", **results}


def step_costs(engine: I2VGenXLEngine, size: int, frames: int, repeats: int = 3) -> dict:
    """The four kinds of UNet call the levers make — guided or not, full or deep features reused —
    timed round-robin, fastest of `repeats` (the least disturbed by other processes)."""
    unet = engine.parts.unet
    lat = size // engine.vae_scale
    g = torch.Generator().manual_seed(0)
    inputs = {
        2: (torch.randn(2, 4, frames, lat, lat, generator=g), torch.randn(2, 77, 1024, generator=g),
            torch.tensor([8, 8]), torch.randn(2, 4, frames, lat, lat, generator=g), torch.randn(2, 1, 1024, generator=g)),
    }
    inputs[1] = tuple(t[-1:] for t in inputs[2])
    t = torch.tensor(500)

    def call(batch: int, reuse: bool) -> float:
        x, text, fps, image_latents, embeds = inputs[batch]

        def run():
            return unet(x, t, encoder_hidden_states=text, fps=fps, image_latents=image_latents, image_embeddings=embeds, return_dict=False)

        if not reuse:
            return timed(run)[0].cpu
        cache = DeepFeatureCache(2)
        with cache.attached(unet):
            cache.begin_step(0, batch)
            run()
            cache.begin_step(1, batch)
            return timed(run)[0].cpu

    kinds = {"guided_full": (2, False), "guided_reuse": (2, True), "unguided_full": (1, False), "unguided_reuse": (1, True)}
    seen = {k: [] for k in kinds}
    with torch.inference_mode():
        for _ in range(repeats):
            for name, (batch, reuse) in kinds.items():
                seen[name].append(call(batch, reuse))
    costs = {k: round(min(v), 3) for k, v in seen.items()}
    log(f"  step costs (CPU s, {size} px, {frames} frames): {costs}")
    return costs


def loop_cost(costs: dict, steps: int, levers: Levers) -> float:
    """CPU seconds of a denoising loop, from `step_costs`, following the loop's own decisions."""
    cache = DeepFeatureCache(levers.deep_cache_interval) if levers.deep_cache_interval > 1 else None
    total = 0.0
    for i in range(steps):
        guided = levers.guided_at(i, steps)
        reuse = False
        if cache is not None:
            cache.begin_step(i, 2 if guided else 1)
            reuse = cache.reusing
        total += costs[("guided" if guided else "unguided") + ("_reuse" if reuse else "_full")]
    return total


def modelled_levers(costs: dict, steps: int = 50) -> dict:
    """Speed-up of each lever's denoising loop at the real recipe's 50 steps, from the step costs."""
    half = (steps + 1) // 2
    standard = loop_cost(costs, steps, OFF)
    cases = {"dpmpp_half_steps": (half, OFF), "deep_cache_2": (steps, Levers(deep_cache_interval=2)),
             "deep_cache_3": (steps, Levers(deep_cache_interval=3)), "cfg_stop_0.2": (steps, Levers(cfg_stop_fraction=0.2)),
             "fast_preset": (half, FAST_LEVERS)}
    return {name: round(standard / loop_cost(costs, n, lever), 3) for name, (n, lever) in cases.items()}


# ---- 3. scaling ---------------------------------------------------------------------------------


def seconds_per_step(engine: I2VGenXLEngine, size: int, frames: int, repeats: int = 1) -> float:
    """One CFG UNet call (batch 2) on prepared inputs: the cost of one denoising step."""
    unet = engine.parts.unet
    lat = size // engine.vae_scale
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, frames, lat, lat, generator=g)
    image_latents = torch.randn(2, 4, frames, lat, lat, generator=g)
    text = torch.randn(2, 77, unet.config.cross_attention_dim, generator=g)
    embeds = torch.randn(2, 1, unet.config.cross_attention_dim, generator=g)
    fps = torch.tensor([8, 8])
    times = []
    with torch.inference_mode():
        for _ in range(repeats):
            took, _ = timed(lambda: unet(x, torch.tensor(500), encoder_hidden_states=text, fps=fps, image_latents=image_latents,
                                         image_embeddings=embeds, return_dict=False))
            times.append(took)
    return min(times)  # the least disturbed run


def fit_exponent(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def scaling(engine: I2VGenXLEngine, frame_grid, size_grid, base_size: int, base_frames: int, plot: Path) -> dict:
    by_frames = {}
    for frames in frame_grid:
        by_frames[frames] = seconds_per_step(engine, base_size, frames, repeats=2)
        log(f"  {base_size} px, {frames:2d} frames: {by_frames[frames]:6.2f} s/step")
    by_size = {base_size: by_frames[base_frames]} if base_frames in by_frames else {}
    for size in size_grid:
        if size not in by_size:
            by_size[size] = seconds_per_step(engine, size, base_frames, repeats=2)
            log(f"  {size} px, {base_frames:2d} frames: {by_size[size]:6.2f} s/step")
    by_size = dict(sorted(by_size.items()))
    result = {
        "frames_grid_s_per_step": {str(k): round(v, 2) for k, v in by_frames.items()},
        "size_grid_s_per_step": {str(k): round(v, 2) for k, v in by_size.items()},
        "frames_exponent": round(fit_exponent(list(by_frames), list(by_frames.values())), 2),
        "side_exponent": round(fit_exponent(list(by_size), list(by_size.values())), 2),
        "pixels_exponent": round(fit_exponent([s * s for s in by_size], list(by_size.values())), 2),
        "at": f"frames grid at {base_size} px, size grid at {base_frames} frames; CFG batch 2, fp32",
    }
    draw_plot(by_frames, by_size, base_size, base_frames, plot)
    result["plot"] = str(plot.relative_to(HERE.parent))
    return result


def draw_plot(by_frames: dict, by_size: dict, base_size: int, base_frames: int, path: Path) -> None:
    """Two log-log panels drawn with Pillow (no plotting library in the venv)."""
    from PIL import Image, ImageDraw

    width, height, pad = 900, 420, 60
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    all_y = list(by_frames.values()) + list(by_size.values())
    y_lo, y_hi = math.log(min(all_y) * 0.8), math.log(max(all_y) * 1.25)
    panels = [(by_frames, f"frames (at {base_size} px)", 0), (by_size, f"side in px (at {base_frames} frames)", 1)]
    for data, label, k in panels:
        x0, x1 = pad + k * width // 2, (k + 1) * width // 2 - 20
        y0, y1 = height - pad, 40
        draw.rectangle([x0, y1, x1, y0], outline="black")
        xs = list(data)
        x_lo, x_hi = math.log(min(xs) * 0.9), math.log(max(xs) * 1.1)

        def px(x, y):
            return (x0 + (math.log(x) - x_lo) / (x_hi - x_lo) * (x1 - x0), y0 - (math.log(y) - y_lo) / (y_hi - y_lo) * (y0 - y1))

        points = [px(x, y) for x, y in data.items()]
        draw.line(points, fill=(30, 90, 200), width=3)
        for (x, y), (u, v) in zip(data.items(), points):
            draw.ellipse([u - 5, v - 5, u + 5, v + 5], fill=(30, 90, 200))
            draw.text((u + 7, v - 14), f"{y:.1f} s", fill="black")
            draw.text((u - 8, y0 + 6), str(x), fill="black")
        draw.text((x0, y0 + 24), label, fill="black")
        slope = fit_exponent(xs, list(data.values()))
        draw.text((x0 + 8, y1 + 8), f"log-log slope {slope:.2f}", fill="black")
    draw.text((pad, 10), "I2VGen-XL full size (random weights), seconds per CFG denoising step, fp32, 2-core CPU", fill="black")
    img.save(path)


# ---- 4. memory, 6. encoding ---------------------------------------------------------------------


def memory_plan_figures(engine: I2VGenXLEngine) -> dict:
    """Resident memory of the weights: fp32, with the encoders released, and in bf16 (destroys the engine)."""
    trim()
    full = rss()
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in engine.parts.modules().items()}
    engine.parts.text_encoder = engine.parts.image_encoder = None
    trim()
    no_encoders = rss()
    engine.parts.unet.to(torch.bfloat16)
    engine.parts.vae.to(torch.bfloat16)
    trim()
    bf16_no_encoders = rss()
    encoder_params = params["text_encoder"] + params["image_encoder"]
    return {
        "params_millions": {k: round(v / 1e6) for k, v in params.items()},
        "fp32_all_rss_gib": round(full / GIB, 2),
        "fp32_encoders_released_rss_gib": round(no_encoders / GIB, 2),
        "bf16_encoders_released_rss_gib": round(bf16_no_encoders / GIB, 2),
        "bf16_all_rss_gib_estimated": round((bf16_no_encoders + encoder_params * 2) / GIB, 2),
    }


def encoding_fps(frames: int = 16, size: int = 512) -> dict:
    import tempfile

    from i2v.media import encode_mp4

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    clip = np.stack([np.roll(base, 4 * i, axis=1) for i in range(frames)])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("medium", "ultrafast"):
            times = [timed(lambda: encode_mp4(clip, 8, Path(tmp) / f"{preset}.mp4", preset=preset))[0] for _ in range(3)]
            out[f"{preset}_fps"] = round(frames / min(times), 1)
    out["setting"] = f"{frames} frames {size}x{size}, textured, libx264 via PyAV"
    return out


# ---- report -------------------------------------------------------------------------------------


def markdown(r: dict) -> str:
    """The tables of BENCHMARKS.md, from a result JSON (`--report FILE`)."""
    ref, lev, sc, mem, wr, enc = r["engine_vs_reference"], r["levers"], r["scaling"], r["memory"], r["warm_vs_reload"], r["encoding_512p"]
    out = [
        f"Command: `.venv/bin/python {r['command']}` — machine: {r['machine']}; load average {r['load_average_at_start']} at start, "
        f"{r['load_average_at_end']} at end; total {r['total_s']:.0f} s.",
        "",
        f"### 1. Engine vs diffusers' I2VGenXLPipeline ({ref['setting']})",
        "",
        "| | engine | reference | ratio (target) |",
        "|---|---|---|---|",
        f"| process CPU time (median of {ref['rounds']}) | {ref['engine_cpu_s']} s | {ref['reference_cpu_s']} s | **{ref['time_ratio']}** (≤ 1.03) |",
        f"| wall time (median of {ref['rounds']}) | {ref['engine_wall_s']} s | {ref['reference_wall_s']} s | {ref['wall_time_ratio']} |",
        f"| peak RSS | {ref['engine_peak_rss_gib']} GiB | {ref['reference_peak_rss_gib']} GiB | **{ref['rss_ratio']}** (≤ 1.0) |",
        f"| peak RSS above the resident weights | {ref['engine_rss_above_weights_gib']} GiB | {ref['reference_rss_above_weights_gib']} GiB | {ref['rss_above_weights_ratio']} |",
        "",
        f"Largest difference between the two videos' pixels (0–1 scale): {ref['max_abs_frame_difference']:.2e}.",
        "",
        f"### 2. Warm service vs reload per call ({wr['setting']})",
        "",
        "| | load | 1st video | 2nd video | time to 2nd video |",
        "|---|---|---|---|---|",
        f"| kept loaded | {wr['load_s']} s | {wr['video_s']['first']} s | {wr['video_s']['second_warm']} s | {wr['warm_second_video_s']} s |",
        f"| reloaded per call | {wr['load_s']} s + {wr['reload_s']} s | {wr['video_s']['first']} s | {wr['video_s']['after_reload']} s | {wr['reload_second_video_s']} s |",
        "",
        f"Speed-up of the warm service: **{r['warm_vs_reload_speedup']}×**.",
        "",
        f"### 3. Scaling: seconds per CFG denoising step ({sc['at']})",
        "",
        "| frames | " + " | ".join(sc["frames_grid_s_per_step"]) + " |",
        "|---|" + "---|" * len(sc["frames_grid_s_per_step"]),
        "| s/step | " + " | ".join(str(v) for v in sc["frames_grid_s_per_step"].values()) + " |",
        "",
        "| side (px) | " + " | ".join(sc["size_grid_s_per_step"]) + " |",
        "|---|" + "---|" * len(sc["size_grid_s_per_step"]),
        "| s/step | " + " | ".join(str(v) for v in sc["size_grid_s_per_step"].values()) + " |",
        "",
        f"Fitted exponents (log-log least squares): time ∝ frames^{sc['frames_exponent']}, ∝ side^{sc['side_exponent']} "
        f"(= pixels^{sc['pixels_exponent']}). Plot: `{sc['plot']}`.",
        "",
        "### 4. Memory (resident set of the loaded weights, fp32 on CPU)",
        "",
        "| configuration | RSS |",
        "|---|---|",
        f"| fp32, all components | {mem['fp32_all_rss_gib']} GiB |",
        f"| fp32, text + image encoders released after the embeddings | {mem['fp32_encoders_released_rss_gib']} GiB |",
        f"| bf16 UNet + VAE, encoders released | {mem['bf16_encoders_released_rss_gib']} GiB |",
        f"| bf16, all components (bf16 encoders added by size) | {mem['bf16_all_rss_gib_estimated']} GiB |",
        "",
        f"Parameters (millions): {mem['params_millions']}.",
        "",
        f"### 5. Speed levers ({lev['setting']})",
        "",
        f"Standard: {lev['standard_cpu_s']} s CPU ({lev['standard_wall_s']} s wall), median of the baseline runs interleaved with the levers.",
        "",
        "| lever | CPU s | speed-up (CPU time) | speed-up (wall) | deviation: rel. L2 of final latents |",
        "|---|---|---|---|---|",
    ]
    for name in ("dpmpp_half_steps", "deep_cache_2", "deep_cache_3", "cfg_stop_0.2", "fast_preset"):
        x = lev[name]
        out.append(f"| {name} | {x['cpu_s']} | **{x['speedup']}×** | {x['wall_speedup']}× | {x['latent_rel_l2']} |")
    out += [
        "",
        f"Fast preset = {lev['fast_preset_is']}.",
        "",
        f"### 6. MP4 encoding at 512p ({enc['setting']})",
        "",
        f"libx264 preset medium (the archive's default): **{enc['medium_fps']} frames/s**; ultrafast: {enc['ultrafast_fps']} frames/s.",
    ]
    return "\n".join(out) + "\n"


# ---- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fits in 10 minutes on the 2-core CPU")
    parser.add_argument("--model-folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--step-costs", action="store_true", help="only the lever step costs and the 50-step model (≈3 min at 64 px)")
    parser.add_argument("--size", type=int, default=64, help="frame side in px for --step-costs and --reference-only")
    parser.add_argument("--reference-only", action="store_true", help="only §1, engine vs reference, at --size")
    parser.add_argument("--report", type=Path, help="print BENCHMARKS.md tables from a result JSON and exit")
    args = parser.parse_args()
    if args.report:
        print(markdown(json.loads(args.report.read_text())), end="")
        return
    quick = args.quick
    started = time.perf_counter()
    result: dict = {
        "mode": "quick" if quick else "full",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {psutil.virtual_memory().total / GIB:.0f} GiB RAM, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), no GPU",
        "command": "benchmarks/run.py" + (" --quick" if quick else ""),
        "gpu": "not available in this task: no GPU figures measured",
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    folder = ensure_model_folder(args.model_folder)
    plan = plan_for("cpu")
    if args.reference_only:
        engine = I2VGenXLEngine.from_hub_or_folder(str(folder), plan)
        engine.sample(request(steps=1), picture(64), 64, 64)  # page the weights in before timing
        print(json.dumps({"engine_vs_reference": engine_vs_reference(engine, args.size, 8, 3, rounds=2)}), flush=True)
        return
    if args.step_costs:
        engine = I2VGenXLEngine.from_hub_or_folder(str(folder), plan)
        costs = step_costs(engine, args.size, 8, repeats=2)
        print(json.dumps({"size_px": args.size, "frames": 8, "step_costs_cpu_s": costs, "modelled_loop_speedup_50_steps": modelled_levers(costs)}), flush=True)
        return

    log("2. warm service vs reload per call (also pages every weight in before the comparisons)")
    engine, result["warm_vs_reload"] = warm_vs_reload(folder, plan)
    result["warm_vs_reload_speedup"] = result["warm_vs_reload"]["speedup"]
    result["rss_after_load_and_one_video_gib"] = round(rss() / GIB, 2)

    log("1. engine vs reference pipeline")
    ref = engine_vs_reference(engine, 64 if quick else 128, 8, 3, rounds=2)
    result["engine_vs_reference"] = ref
    result["engine_vs_reference_time_ratio"] = ref["time_ratio"]
    result["engine_vs_reference_rss_ratio"] = ref["rss_ratio"]

    log("5. speed levers")
    lev = levers(engine, 64, 8 if quick else 50)
    result["levers"] = lev
    result["fast_preset_speedup"] = lev["fast_preset"]["speedup"]
    result["fast_preset_latent_rel_l2"] = lev["fast_preset"]["latent_rel_l2"]
    costs = step_costs(engine, 64, 8, repeats=2 if quick else 3)
    result["step_costs_cpu_s"] = costs
    result["modelled_loop_speedup_50_steps"] = modelled_levers(costs)

    log("3. scaling")
    plot = HERE / ("scaling_quick.png" if quick else "scaling.png")
    if quick:
        result["scaling"] = scaling(engine, (8, 16), (64, 96, 128), 64, 8, plot)
    else:
        result["scaling"] = scaling(engine, (8, 16, 32), (64, 96, 128, 192, 256), 64, 8, plot)

    log("4. memory")
    result["memory"] = memory_plan_figures(engine)
    del engine
    trim()
    log("6. MP4 encoding")
    result["encoding_512p"] = encoding_fps()
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    line = json.dumps(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(line, flush=True)


if __name__ == "__main__":
    main()
