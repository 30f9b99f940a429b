"""Everything a GPU can show about i2v, in one prepared run that fits a short device loan.

    .venv/bin/python benchmarks/gpu.py                    # on a CUDA machine: ≤ --budget-s (450 s)
    .venv/bin/python benchmarks/gpu.py --dry-run          # the same code on the CPU with the test models (< 1 min)
    .venv/bin/python benchmarks/gpu.py --report           # BENCHMARKS.md's GPU section from results_gpu.json

Per family (I2VGen-XL, Wan 2.2 TI2V-5B, LTX-Video), the full-size architecture is built with random
weights straight onto the GPU in the production dtype (meta init, seeded fill — `engine.random_weights`),
then the product's own engine runs it:

1. Standard and Fast at the family's default size: seconds per denoising step (warm, synchronised,
   median), time to the first live preview, VAE decode, the whole job extrapolated to the recipe's
   steps, peak VRAM (allocated and reserved), and utilisation (FLOPs per step, counted on the meta
   device, over time, against the device's dense bf16 peak).
2. Memory plans under simulated cards: the process capped at 8, 12, 16 and 24 GiB
   (`torch.cuda.set_per_process_memory_fraction`), each plan down the ladder until one fits; with
   the memory model's prediction beside each measurement. `--write-tables` turns the result into
   src/i2v/engine/measured_gpu.json, which the memory plan and the ETA read.
3. Levers only a GPU can judge: SDPA backends, `torch.compile` of the denoiser (inductor's default
   mode; compile time apart), channels-last (I2VGen-XL's UNet), fp8 layerwise storage (Wan, LTX);
   each as a speed-up and a deviation of the frames against Standard.
4. fp16 against bf16: does I2VGen-XL make NaN/inf in fp16 at 512p, and does the guard name the fix?

Every section is time-boxed by --budget-s: each family gets a share of what is left (cheapest family
first, the last gets what the others leave), sections are costed from the family's own measured run,
what does not fit is skipped and said so; an error in one measurement is recorded and the run goes on;
a measurement still running 30 s past the budget is interrupted (SIGALRM) and recorded, and the results
are written after each family, so a run killed from outside still leaves what it measured. The last
line printed is one JSON object, also written to benchmarks/results_gpu.json — or, for a dry run, to
benchmarks/results_gpu.dry-run.json (ignored by git), so a dry run never overwrites measured GPU
results; `--out` names another file for either.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from i2v.engine.measured import TABLE as MEASURED_TABLE  # noqa: E402
from i2v.engine.measured import peak_tflops as lookup_peak  # noqa: E402
from i2v.engine.memory_plan import MemoryPlan, plan_for  # noqa: E402
from i2v.engine.memory_estimate import GIB, predict  # noqa: E402
from i2v.engine.registry import family_spec  # noqa: E402
from i2v.engine.spec import ModelSpec  # noqa: E402
from i2v.request import GenerationRequest  # noqa: E402
from i2v.samples import gradient_picture  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_gpu.json"
DRY_RUN_RESULTS = HERE / "results_gpu.dry-run.json"  # beside, never over, the measured file
CAPS_GIB = (8, 12, 16, 24)
LADDER: tuple[tuple[str, bool], ...] = (("none", False), ("model", False), ("model", True), ("group", True), ("sequential", True))
PROMPT = "chromosomes separating and moving to opposite poles, slow motion"


# ---- time budget ---------------------------------------------------------------------------------


class Budget:
    """Seconds left for the run; sections ask before starting and say what they skipped."""

    def __init__(self, seconds: float, skipped: list[str] | None = None) -> None:
        self.deadline = time.monotonic() + seconds
        self.skipped: list[str] = [] if skipped is None else skipped

    def share(self, parts: int, keep_s: float = 0.0) -> Budget:
        """A slice of what is left (1/parts of it, after keeping `keep_s` for later), so the first family
        cannot eat the others' time; what a slice leaves unused rolls over to the next. Skips are
        recorded in the run's one list."""
        seconds = max(self.left() - keep_s, 0.0) / max(parts, 1)
        return Budget(min(seconds, self.left()), self.skipped)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def allows(self, cost_s: float, what: str) -> bool:
        if self.left() >= cost_s:
            return True
        self.skipped.append(f"{what} (needs ~{cost_s:.0f} s, {max(self.left(), 0):.0f} s left)")
        log(f"skip: {what}")
        return False


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class OutOfTime(Exception):
    """A measurement still running when the run's budget (plus grace) ran out; it is recorded as an
    error like any other, and every later section then finds no time left."""


HARD_STOP: dict[str, float] = {}  # "at": the monotonic time no measurement may run past (set by `run`)
GRACE_S = 30.0  # a measurement may overrun the budget by this much before it is interrupted


@contextlib.contextmanager
def hard_stop() -> Iterator[None]:
    """Interrupt whatever runs past the run's end (SIGALRM raises OutOfTime between Python bytecodes):
    a device loan is short and its command is killed at its timeout, so one slow measurement (a
    compile, an offloaded plan) must not take the written results of all the others with it. Only the
    outermost measurement arms the timer; no-op off the main thread or without SIGALRM."""
    at = HARD_STOP.get("at")
    usable = at is not None and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def stop(_signum, _frame) -> None:
        raise OutOfTime(f"still running {GRACE_S:.0f} s after the budget ran out; interrupted")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, max(at - time.monotonic(), 0.5))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded(results: dict, key: str) -> Callable:
    """Run a measurement; an exception is recorded under `key` and the run goes on."""

    def wrap(work: Callable[[], Any]) -> Any:
        try:
            with hard_stop():
                results[key] = work()
        except Exception as exc:  # noqa: BLE001 - one failed measurement must not lose the others
            results[key] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            log(f"{key} failed: {type(exc).__name__}: {exc}")
            traceback.print_exc(limit=3)
        return results[key]

    return wrap


# ---- the device ------------------------------------------------------------------------------------


@dataclass
class Device:
    """Where the run happens and what it can do (the dry run stands a CPU in for the GPU)."""

    kind: str  # "cuda" | "cpu"
    dtype: str
    vae_dtype: str
    name: str
    total_bytes: int
    peak_tflops: float | None

    @classmethod
    def detect(cls, dry_run: bool) -> Device:
        if dry_run or not torch.cuda.is_available():
            import psutil

            return cls("cpu", "fp32", "fp32", f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
                       psutil.virtual_memory().total, None)
        name = torch.cuda.get_device_name()
        bf16 = torch.cuda.is_bf16_supported()
        peak = lookup_peak(name)
        return cls("cuda", "bf16" if bf16 else "fp16", "bf16" if bf16 else "fp32", name,
                   torch.cuda.get_device_properties(0).total_memory, peak)

    def sync(self) -> None:
        if self.kind == "cuda":
            torch.cuda.synchronize()

    def reset_peak(self) -> None:
        if self.kind == "cuda":
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    def peaks(self) -> dict[str, float | None]:
        if self.kind != "cuda":
            return {"allocated_gib": None, "reserved_gib": None}
        return {"allocated_gib": round(torch.cuda.max_memory_allocated() / GIB, 2),
                "reserved_gib": round(torch.cuda.max_memory_reserved() / GIB, 2)}

    @contextlib.contextmanager
    def capped(self, gib: float | None) -> Iterator[None]:
        """The process limited to `gib` of this GPU, as if it were a smaller card (no-op on the CPU)."""
        if self.kind != "cuda" or gib is None:
            yield
            return
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(min(1.0, gib * GIB / self.total_bytes))
        try:
            yield
        finally:
            torch.cuda.set_per_process_memory_fraction(1.0)
            torch.cuda.empty_cache()

    def plan(self, spec: ModelSpec, offload: str = "none", tiling: bool = False) -> MemoryPlan:
        plan = plan_for(self.kind, dtype=self.dtype, offload=offload, free_bytes=self.total_bytes, tiers=spec.memory_tiers)
        return dataclasses.replace(plan, vae_dtype=self.vae_dtype, vae_tiling=tiling)


# ---- one family -------------------------------------------------------------------------------------


@dataclass
class Family:
    """How the run builds and drives one family: full size on the GPU, the test model in a dry run."""

    spec: ModelSpec
    build: Callable[[Device, MemoryPlan], Any]  # → an engine of the product
    width: int
    height: int
    frames: int
    resolution: str  # the family's preset the engine runs at (the picture is width×height)
    steps_timed: int = 6
    extra: dict[str, Any] = field(default_factory=dict)

    def request(self, steps: int, quality: str = "standard", **overrides: Any) -> GenerationRequest:
        fields = {"prompt": PROMPT, "seed": 7, "steps": steps, "quality": quality, "frames": self.frames,
                  "resolution": self.resolution, "model": self.spec.test_model, **overrides}
        return self.spec.complete(GenerationRequest(**fields))

    def picture(self):
        return gradient_picture(self.width, self.height)


def _i2vgenxl_full(device: Device, plan: MemoryPlan):
    from i2v.engine.i2vgenxl.engine import I2VGenXLEngine
    from i2v.engine.i2vgenxl.test_model import full_size_components, full_size_info

    components = full_size_components(plan.torch_dtype, device.kind, on_device=True)
    components.vae.to(plan.torch_vae_dtype)
    return I2VGenXLEngine(components, full_size_info(), plan)


def _test_model(family: str) -> Callable[[Device, MemoryPlan], Any]:
    def build(_device: Device, plan: MemoryPlan):
        from i2v.engine.registry import load_engine

        return load_engine(family_spec(family).test_model, plan)

    return build


def families(device: Device, wanted: list[str]) -> list[Family]:
    """The families to measure: full size at the default size on a GPU; the test models small on the CPU."""
    chosen = []
    for name in wanted:
        spec = family_spec(name)
        if device.kind == "cpu":  # the test model at the family's smallest size
            smallest = spec.resolutions[0]
            chosen.append(Family(spec, _test_model(name), smallest.width, smallest.height, spec.frames.nearest(9),
                                 smallest.name, steps_timed=3))
            continue
        preset = spec.preset(spec.default_resolution)
        full = {"i2vgenxl": _i2vgenxl_full}.get(name) or _full_size_builder(name)
        if full is None:
            log(f"{spec.title}: no full-size builder in this version; skipped")
            continue
        chosen.append(Family(spec, full, preset.width, preset.height, spec.frames.default if name != "i2vgenxl" else 16,
                             preset.name))
    return chosen


def _full_size_builder(name: str) -> Callable[[Device, MemoryPlan], Any] | None:
    """The family package's full-size random-weight builder (`test_model.full_size_engine`), if any."""
    import importlib

    try:
        module = importlib.import_module(f"i2v.engine.{name}.test_model")
    except ImportError:
        return None
    builder = getattr(module, "full_size_engine", None)
    if builder is None:
        return None
    return lambda device, plan: builder(plan, device=device.kind)


# ---- measuring a generation -----------------------------------------------------------------------


def timed_generate(device: Device, engine, request: GenerationRequest, picture) -> dict[str, Any]:
    """One generation through the engine, with each step's time, the first preview and the decode."""
    marks: list[float] = []
    first_preview: list[float] = []
    device.reset_peak()
    started = time.perf_counter()

    def on_progress(progress) -> None:
        device.sync()
        now = time.perf_counter()
        marks.append(now)
        if progress.preview is not None and not first_preview:
            first_preview.append(now - started)

    output = engine.generate(request, picture, on_progress=on_progress)
    device.sync()
    ended = time.perf_counter()
    total = ended - started
    steps = [b - a for a, b in zip(marks, marks[1:])]
    return {
        "steps_run": len(marks),
        "step_s": [round(s, 4) for s in steps],
        "median_step_s": round(statistics.median(steps), 4) if steps else None,
        "first_step_s": round(marks[0] - started, 3) if marks else None,
        "first_preview_s": round(first_preview[0], 3) if first_preview else None,
        "decode_s": round(ended - marks[-1], 3) if marks else None,
        "total_s": round(total, 3),
        "frames": output.frames,
        "plan_changes": output.plan_changes,
        **device.peaks(),
    }


def extrapolate(run: dict[str, Any], steps: int) -> float | None:
    """The whole job at `steps` steps: what came before the first step, the steps, the decode."""
    if run.get("median_step_s") is None:
        return None
    before = run["first_step_s"] - run["median_step_s"]
    return round(before + steps * run["median_step_s"] + run["decode_s"], 1)


def frame_deviation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two clips' frames, in units of 255 (0 = identical)."""
    return round(float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean()), 3)


def flops_per_step(family: Family, device: Device) -> float | None:
    """FLOPs of one guided denoising step at the measured size, counted on the meta device."""
    from flops import denoiser_flops

    return denoiser_flops(family.spec.family, family.width, family.height, family.frames, test_model=device.kind == "cpu")


def measure_family(family: Family, device: Device, budget: Budget) -> dict[str, Any]:
    spec = family.spec
    result: dict[str, Any] = {"title": spec.title, "size": f"{family.width}×{family.height}", "frames": family.frames}
    plan = device.plan(spec)
    log(f"{spec.title}: building ({'test model' if device.kind == 'cpu' else 'full size, random weights'}) …")
    started = time.perf_counter()
    engine = family.build(device, plan)
    device.sync()
    result["build_s"] = round(time.perf_counter() - started, 1)
    result["weights_gib"] = round(sum(p.numel() * p.element_size() for p in _parameters(engine)) / GIB, 2)
    picture = family.picture()
    runs: dict[str, Any] = {}
    with torch.inference_mode():
        guarded(runs, "standard")(lambda: timed_generate(device, engine, family.request(family.steps_timed), picture))
        if budget.allows(max(30.0, 0.7 * (runs.get("standard") or {}).get("total_s", 0.0)), f"{spec.title} fast"):
            # the same request in the Fast preset: fewer steps with the family's cache, against Standard
            guarded(runs, "fast")(lambda: timed_generate(device, engine, family.request(family.steps_timed, "fast"), picture))
    standard, fast = runs.get("standard", {}), runs.get("fast", {})
    recipe_steps = int(spec.steps.default)
    result["standard"] = _public(standard) | {"job_s_at_recipe_steps": extrapolate(standard, recipe_steps)}
    if fast:
        result["fast"] = _public(fast) | {"job_s_at_recipe_steps": extrapolate(fast, spec.fast_steps(recipe_steps))}
        if "frames" in standard and "frames" in fast:
            result["fast"]["frame_deviation"] = frame_deviation(fast["frames"], standard["frames"])
        if result["standard"]["job_s_at_recipe_steps"] and result["fast"].get("job_s_at_recipe_steps"):
            result["fast"]["job_speedup"] = round(result["standard"]["job_s_at_recipe_steps"] / result["fast"]["job_s_at_recipe_steps"], 2)
    flops = guarded(result, "flops_per_step")(lambda: flops_per_step(family, device))
    if isinstance(flops, (int, float)) and standard.get("median_step_s"):
        achieved = flops / standard["median_step_s"] / 1e12
        result["tflops_per_s"] = float(f"{achieved:.3g}")
        if device.peak_tflops:
            result["utilisation"] = round(achieved / device.peak_tflops, 3)
    prediction = predict(spec, offload="none", dtype=plan.dtype, vae_dtype=plan.vae_dtype, width=family.width,
                         height=family.height, frames=family.frames, vae_chunk=plan.vae_chunk)
    if prediction is not None:
        result["predicted_peak_gib"] = round(prediction.peak / GIB, 2)
    family.extra["engine"], family.extra["standard"] = engine, standard
    return result


def _parameters(engine) -> Iterator[torch.nn.Parameter]:
    modules = engine.parts.modules().values() if hasattr(engine, "parts") else [
        m for m in getattr(engine, "pipe").components.values() if isinstance(m, torch.nn.Module)]
    for module in modules:
        yield from module.parameters()


def _public(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "frames"}


# ---- memory plans under simulated cards ---------------------------------------------------------


def measure_plans(family: Family, device: Device, budget: Budget) -> list[dict[str, Any]]:
    """For each simulated card, walk the ladder from the fastest plan until one fits (2 steps + decode)."""
    engine, spec = family.extra["engine"], family.spec
    standard = family.extra.get("standard") or {}
    row_cost = 20.0
    if standard.get("median_step_s") is not None:  # 2 steps + decode, as measured at full speed
        row_cost = max(row_cost, standard["first_step_s"] + standard["median_step_s"] + standard["decode_s"])
    caps: tuple[float | None, ...] = CAPS_GIB if device.kind == "cuda" else (None,)
    ladder = LADDER if device.kind == "cuda" else (("none", False),)
    rows = []
    picture = family.picture()
    for cap in caps:
        for offload, tiling in ladder:
            # an offloaded plan moves weights every step: count it twice the on-card cost
            cost = row_cost * (1 if offload == "none" else 2)
            if not budget.allows(cost, f"{spec.title} plan {offload}{'+tiling' if tiling else ''} at {cap} GiB"):
                return rows
            row: dict[str, Any] = {"cap_gib": cap, "offload": offload, "vae_tiling": tiling}
            plan = dataclasses.replace(device.plan(spec, offload, tiling), vae_chunk=1 if offload != "none" else 8)
            prediction = predict(spec, offload=offload, dtype=plan.dtype, vae_dtype=plan.vae_dtype, width=family.width,
                                 height=family.height, frames=family.frames, vae_chunk=plan.vae_chunk, vae_tiling=tiling)
            row["predicted_peak_gib"] = round(prediction.peak / GIB, 2) if prediction else None
            try:
                engine.place(plan)
                with device.capped(cap), torch.inference_mode():
                    run = timed_generate(device, engine, family.request(2), picture)
                if run["plan_changes"]:  # it ran out of memory and the engine fell back to a cheaper plan
                    row.update(fits=False, error="out of memory; the engine then fell back: " + "; ".join(run["plan_changes"])[:160],
                               fallback_fits=engine.plan.offload + ("+tiling" if engine.plan.vae_tiling else ""),
                               fallback_total_s=run["total_s"], fallback_peak_gib=run["allocated_gib"])
                else:
                    row.update(fits=True, total_s=run["total_s"], decode_s=run["decode_s"],
                               measured_peak_gib=run["allocated_gib"], reserved_gib=run["reserved_gib"])
            except torch.OutOfMemoryError as exc:
                row.update(fits=False, error=f"out of memory: {str(exc)[:120]}")
            except Exception as exc:  # noqa: BLE001
                row.update(fits=False, error=f"{type(exc).__name__}: {str(exc)[:200]}")
            finally:
                from i2v.engine.placement import free_accelerator_memory

                free_accelerator_memory()
            rows.append(row)
            log(f"{spec.title} cap {cap} GiB, {offload}{'+tiling' if tiling else ''}: "
                f"{'fits' if row['fits'] else row.get('error', 'does not fit')}"
                + (f", {row['total_s']:.1f} s, peak {row['measured_peak_gib']} GiB (predicted {row['predicted_peak_gib']})" if row.get("fits") else ""))
            if row["fits"]:
                break
    with contextlib.suppress(Exception):
        engine.place(device.plan(spec))
    return rows


# ---- levers only a GPU can judge -------------------------------------------------------------------


def measure_levers(family: Family, device: Device, budget: Budget) -> dict[str, Any]:
    engine, spec, base = family.extra["engine"], family.spec, family.extra.get("standard") or {}
    picture = family.picture()
    request = family.request(family.steps_timed)
    levers: dict[str, Any] = {}
    run_cost = max(25.0, base.get("total_s") or 0.0)  # one more Standard run

    def compare(name: str, context: Callable[[], contextlib.AbstractContextManager]) -> None:
        if not budget.allows(run_cost, f"{spec.title} lever {name}"):
            return

        def run() -> dict[str, Any]:
            with context(), torch.inference_mode():
                out = timed_generate(device, engine, request, picture)
            row = {"median_step_s": out["median_step_s"]}
            if base.get("median_step_s") and out["median_step_s"]:
                row["step_speedup"] = round(base["median_step_s"] / out["median_step_s"], 3)
            if "frames" in base:
                row["frame_deviation"] = frame_deviation(out["frames"], base["frames"])
            return row

        guarded(levers, name)(run)

    from torch.nn.attention import SDPBackend

    for name, backend in (("sdpa_flash", SDPBackend.FLASH_ATTENTION), ("sdpa_efficient", SDPBackend.EFFICIENT_ATTENTION),
                          ("sdpa_math", SDPBackend.MATH), ("sdpa_cudnn", SDPBackend.CUDNN_ATTENTION)):
        compare(name, lambda backend=backend: _denoiser_attention(_denoiser(engine), backend))
    denoiser = _denoiser(engine)
    if device.kind == "cuda" and budget.allows(max(120.0, 3 * run_cost), f"{spec.title} torch.compile"):
        guarded(levers, "torch_compile")(lambda: _compile_lever(engine, denoiser, device, request, picture, base))
    elif device.kind == "cpu":
        levers["torch_compile"] = {"skipped": "dry run: compiling on the CPU says nothing about the GPU"}
    if spec.family == "i2vgenxl":
        compare("channels_last", lambda: _swapped_memory_format(denoiser))
    elif device.kind == "cuda" and hasattr(denoiser, "enable_layerwise_casting"):
        compare("fp8_layerwise", lambda: _fp8_storage(denoiser, device))
    return levers


def _denoiser(engine) -> torch.nn.Module:
    return engine.parts.unet if hasattr(engine, "parts") else engine.pipe.transformer


@contextlib.contextmanager
def _denoiser_attention(denoiser: torch.nn.Module, backend) -> Iterator[None]:
    """One SDPA backend for the denoiser's attention only. Around the whole generation (the first GPU
    run) flash, memory-efficient and cuDNN each refused some call outside the denoiser ("No available
    kernel": the encoders' or the VAE's attention), so nothing was learnt about the denoiser."""
    from torch.nn.attention import sdpa_kernel

    had_own = "forward" in denoiser.__dict__
    original = denoiser.forward

    def forward(*args, **kwargs):
        with sdpa_kernel([backend]):
            return original(*args, **kwargs)

    denoiser.forward = forward
    try:
        yield
    finally:
        if had_own:
            denoiser.forward = original
        else:
            del denoiser.forward


@contextlib.contextmanager
def _swapped_memory_format(module: torch.nn.Module) -> Iterator[None]:
    """Channels-last for the 2-D convolutions only: I2VGen-XL's UNet also holds 3-D (temporal)
    convolutions, whose 5-D weights `Module.to(memory_format=channels_last)` refuses."""
    convs = [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    for conv in convs:
        conv.to(memory_format=torch.channels_last)
    try:
        yield
    finally:
        for conv in convs:
            conv.to(memory_format=torch.contiguous_format)


@contextlib.contextmanager
def _fp8_storage(module: torch.nn.Module, device: Device) -> Iterator[None]:
    """diffusers' layerwise casting: weights stored in fp8, cast to the compute dtype per layer.
    Casting is not undone in place, so the module is rebuilt afterwards by the caller's next build;
    here the lever runs last."""
    compute = torch.bfloat16 if device.dtype == "bf16" else torch.float16
    module.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute)
    yield


def _compile_lever(engine, denoiser: torch.nn.Module, device: Device, request, picture, base) -> dict[str, Any]:
    original = denoiser.forward
    # inductor's default mode: "max-autotune" benchmarks every GEMM shape and can take many minutes,
    # more than a short loan has; the default mode is what a user would switch on first
    compiled = torch.compile(denoiser.forward, dynamic=False)
    denoiser.forward = compiled
    try:
        with torch.inference_mode():
            first = timed_generate(device, engine, request, picture)  # compiles on its first step
            second = timed_generate(device, engine, request, picture)
    finally:
        denoiser.forward = original
    row = {"compile_and_first_run_s": first["total_s"], "compile_s": round(first["total_s"] - second["total_s"], 1),
           "median_step_s": second["median_step_s"]}
    if base.get("median_step_s") and second["median_step_s"]:
        row["step_speedup"] = round(base["median_step_s"] / second["median_step_s"], 3)
    if "frames" in base:
        row["frame_deviation"] = frame_deviation(second["frames"], base["frames"])
    return row


# ---- fp16 against bf16 ------------------------------------------------------------------------------


def measure_fp16(device: Device, budget: Budget) -> dict[str, Any]:
    """I2VGen-XL's UNet and VAE in fp16 at 512p (the test model on the CPU): finite or not, and what
    the product's guard says when they are not."""
    from i2v.engine.base import NonFiniteError

    spec = family_spec("i2vgenxl")
    if not budget.allows(60, "fp16 check"):
        return {"skipped": True}
    plan = dataclasses.replace(device.plan(spec), dtype="fp16", vae_dtype="fp16")
    if device.kind == "cuda":
        engine = _i2vgenxl_full(device, plan)
        width = height = 512
    else:
        engine = _test_model("i2vgenxl")(device, dataclasses.replace(plan, dtype="fp32", vae_dtype="fp32"))
        width = height = 128
    request = spec.complete(GenerationRequest(prompt=PROMPT, seed=7, steps=2, frames=16 if device.kind == "cuda" else 8,
                                              model=spec.test_model))
    row: dict[str, Any] = {"size": f"{width}×{height}", "dtype": engine.plan.dtype}
    try:
        with torch.inference_mode():
            latents = engine.sample_latents(request, gradient_picture(width, height), width, height)
            row["unet_finite"] = bool(torch.isfinite(latents).all())
            video = engine.decode(latents)
            row["vae_finite"] = bool(torch.isfinite(video).all())
    except NonFiniteError as exc:
        row["guard_message"] = str(exc)
        row["guard_names_fix"] = "I2V_DTYPE=bf16" in str(exc)
    del engine
    from i2v.engine.placement import free_accelerator_memory

    free_accelerator_memory()
    return row


# ---- the run ------------------------------------------------------------------------------------------


def versions(device: Device) -> dict[str, str | None]:
    """What the figures were measured with: they mean little without the driver and the libraries."""
    from importlib import metadata

    found: dict[str, str | None] = {"torch": torch.__version__, "python": platform.python_version(), "cuda": torch.version.cuda}
    for name in ("diffusers", "transformers", "accelerate", "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if device.kind == "cuda":
        try:
            query = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                   capture_output=True, text=True, timeout=20)
            found["driver"] = query.stdout.strip().splitlines()[0] if query.returncode == 0 and query.stdout.strip() else None
        except (OSError, subprocess.SubprocessError):
            found["driver"] = None
    return found


def run(args: argparse.Namespace, checkpoint: Callable[[dict[str, Any]], None] = lambda _results: None) -> dict[str, Any]:
    """Every section in order of worth; `checkpoint(results)` after each family, so a run stopped from
    outside (the loan's timeout) still leaves what it measured."""
    budget = Budget(args.budget_s)
    HARD_STOP["at"] = budget.deadline + GRACE_S
    device = Device.detect(args.dry_run)
    log(f"device: {device.name}, {device.total_bytes / GIB:.0f} GiB, {device.dtype}; dense bf16 peak "
        f"{device.peak_tflops or 'unknown'} TFLOP/s; budget {args.budget_s:.0f} s")
    results: dict[str, Any] = {
        "device": {"name": device.name, "kind": device.kind, "dtype": device.dtype, "vae_dtype": device.vae_dtype,
                   "total_gib": round(device.total_bytes / GIB, 1), "dense_bf16_peak_tflops": device.peak_tflops},
        "dry_run": device.kind == "cpu", "versions": versions(device), "families": {},
    }
    log(f"versions: {results['versions']}")
    chosen = families(device, args.families)
    keep_for_fp16 = 60.0 if device.kind == "cuda" else 5.0
    for index, family in enumerate(chosen):
        name = family.spec.family
        if not budget.allows(45 if device.kind == "cuda" else 5, f"{family.spec.title}"):
            continue
        share = budget.share(len(chosen) - index, keep_s=keep_for_fp16)
        log(f"{family.spec.title}: {share.left():.0f} s of {budget.left():.0f} s left")
        entry = guarded(results["families"], name)(lambda: measure_family(family, device, share))
        if "error" not in entry and "engine" in family.extra:
            checkpoint(results)
            guarded(entry, "memory_plans")(lambda: measure_plans(family, device, share))
            guarded(entry, "levers")(lambda: measure_levers(family, device, share))
        family.extra.clear()
        from i2v.engine.placement import free_accelerator_memory

        free_accelerator_memory()
        checkpoint(results)
    guarded(results, "fp16")(lambda: measure_fp16(device, budget))
    results["skipped"] = budget.skipped
    results["took_s"] = round(args.budget_s - budget.left(), 1)
    return results


def measured_table(results: dict[str, Any]) -> dict[str, Any]:
    """What the product reads back (src/i2v/engine/measured_gpu.json): per family, the smallest
    simulated card each plan fitted on, and the measured step cost with the device's peak.

    The tiers replace the memory model's choice on every card, so a family gets them only when every
    simulated card found a plan that fits (a sweep cut short by the budget would otherwise send every
    card, however large, to the one slow plan that was measured); its step figures are kept anyway.
    The uncapped Standard run counts as "no offload fits from its reserved peak, rounded up"; a plan
    the engine fell back to and completed on counts as fitting that cap."""
    table: dict[str, Any] = {"device": results["device"]["name"], "peak_tflops": results["device"]["dense_bf16_peak_tflops"],
                             "dtype": results["device"]["dtype"], "families": {}}
    for name, entry in results["families"].items():
        if not isinstance(entry, dict) or "error" in entry:
            continue
        tiers: dict[str, float] = {}
        covered: set[float] = set()
        for row in entry.get("memory_plans") or []:
            if not isinstance(row, dict) or not row.get("cap_gib"):
                continue
            key = row["offload"] + ("+tiling" if row.get("vae_tiling") else "") if row.get("fits") else row.get("fallback_fits")
            if key:
                tiers[key] = min(tiers.get(key, math.inf), row["cap_gib"])
                covered.add(row["cap_gib"])
        standard = entry.get("standard") or {}
        if standard.get("reserved_gib") and not standard.get("plan_changes"):
            tiers["none"] = min(tiers.get("none", math.inf), math.ceil(standard["reserved_gib"]))
        if not set(CAPS_GIB) <= covered:
            tiers = {}
        table["families"][name] = {
            "fits_from_gib": tiers,
            "step_s": standard.get("median_step_s"), "width": entry.get("size", "0×0").split("×")[0],
            "size": entry.get("size"), "frames": entry.get("frames"),
            "decode_s": standard.get("decode_s"), "before_first_step_s": (
                round(standard["first_step_s"] - standard["median_step_s"], 3)
                if standard.get("first_step_s") is not None and standard.get("median_step_s") else None),
        }
    return table


def report(results: dict[str, Any]) -> str:
    """BENCHMARKS.md's GPU section, rendered from the results."""
    device = results["device"]
    lines = [f"## GPU: {device['name']} ({device['total_gib']} GiB, {device['dtype']})", ""]
    found = results.get("versions") or {}
    lines += ["Measured with " + ", ".join(f"{name} {found[name]}" for name in
                                           ("driver", "cuda", "torch", "diffusers", "transformers", "python") if found.get(name))
              + f"; the run took {results.get('took_s')} s." + (" **Partial: the run was stopped before its end.**"
                                                               if results.get("partial") else ""), ""]
    if results.get("dry_run"):
        lines += ["**Dry run on the CPU with the test models: these are not GPU figures.**", ""]
    lines += ["| family | size × frames | s/step (std) | s/step (fast) | first preview s | decode s | job s (recipe steps) | "
              "fast job speed-up | peak GiB alloc / reserved | TFLOP/s | utilisation |", "|" + "---|" * 11]
    for name, entry in results["families"].items():
        if not isinstance(entry, dict) or "error" in entry:
            lines.append(f"| {name} | error: {entry.get('error', '?') if isinstance(entry, dict) else entry} |" + " |" * 9)
            continue
        std, fast = entry.get("standard") or {}, entry.get("fast") or {}
        lines.append(
            f"| {entry['title']} | {entry['size']} × {entry['frames']} | {std.get('median_step_s')} | {fast.get('median_step_s')} | "
            f"{std.get('first_preview_s')} | {std.get('decode_s')} | {std.get('job_s_at_recipe_steps')} | {fast.get('job_speedup')} | "
            f"{std.get('allocated_gib')} / {std.get('reserved_gib')} | {entry.get('tflops_per_s')} | {entry.get('utilisation')} |")
    lines += ["", "Memory plans under simulated cards (first plan down the ladder that fits):", "",
              "| family | cap GiB | plan | fits | s (2 steps + decode) | peak GiB measured | predicted | why not |", "|" + "---|" * 8]
    for name, entry in results["families"].items():
        for row in (entry.get("memory_plans") or []) if isinstance(entry, dict) else []:
            if isinstance(row, dict):
                plan = row["offload"] + (" + VAE tiling" if row.get("vae_tiling") else "")
                why = (row.get("error") or "").replace("|", "/")[:110]
                lines.append(f"| {name} | {row.get('cap_gib')} | {plan} | {'yes' if row.get('fits') else 'no'} | "
                             f"{row.get('total_s', '')} | {row.get('measured_peak_gib', '')} | {row.get('predicted_peak_gib')} | {why} |")
    lines += ["", "Levers (speed-up per step and frame deviation against Standard, mean |Δ| of 255):", "",
              "| family | lever | step speed-up | deviation | note |", "|---|---|---|---|---|"]
    for name, entry in results["families"].items():
        for lever, row in ((entry.get("levers") or {}) if isinstance(entry, dict) else {}).items():
            note = row.get("error") or row.get("skipped") or (f"compile + first run {row['compile_and_first_run_s']} s"
                                                               if "compile_and_first_run_s" in row else "")
            lines.append(f"| {name} | {lever} | {row.get('step_speedup', '')} | {row.get('frame_deviation', '')} | {note} |")
    fp16 = results.get("fp16") or {}
    lines += ["", f"fp16 check (I2VGen-XL, {fp16.get('size')}): UNet finite {fp16.get('unet_finite')}, VAE finite "
                  f"{fp16.get('vae_finite')}; guard message names the fix: {fp16.get('guard_names_fix', 'not triggered')}.", ""]
    if results.get("skipped"):
        lines += ["Skipped to stay within the budget: " + "; ".join(results["skipped"]), ""]
    return "\n".join(lines)


def default_out(dry_run: bool) -> Path:
    """Where results go when --out is not given: a dry run writes beside the measured file, so CPU
    figures can never replace GPU ones (issue 26)."""
    return DRY_RUN_RESULTS if dry_run else RESULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-s", type=float, default=450.0, help="stop starting new measurements after this (default 450)")
    parser.add_argument("--dry-run", action="store_true", help="the same code on the CPU with the test models")
    parser.add_argument("--families", default="i2vgenxl,ltx,wan",
                        help="comma-separated (default all, cheapest first: the last gets what the others leave)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results JSON (default {RESULTS.name}; {DRY_RUN_RESULTS.name} for a dry run)")
    parser.add_argument("--report", action="store_true", help="print BENCHMARKS.md's GPU section from --out, run nothing")
    parser.add_argument("--write-tables", action="store_true", help="write the measured tables the product reads")
    parser.add_argument("--tables-only", action="store_true",
                        help="write the measured tables from --out (a finished GPU run), run nothing")
    args = parser.parse_args(argv)
    args.families = [f.strip() for f in args.families.split(",") if f.strip()]
    if args.out is None:
        args.out = default_out(args.dry_run)
    if args.report:
        print(report(json.loads(args.out.read_text(encoding="utf-8"))))
        return 0
    if args.tables_only:
        measured = json.loads(args.out.read_text(encoding="utf-8"))
        if measured.get("dry_run"):
            print(f"{args.out} holds a dry run (CPU, test models): no tables written", file=sys.stderr)
            return 2
        MEASURED_TABLE.write_text(json.dumps(measured_table(measured), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MEASURED_TABLE}")
        return 0
    def checkpoint(partial: dict[str, Any]) -> None:
        args.out.write_text(json.dumps(partial | {"partial": True}, indent=1) + "\n", encoding="utf-8")

    results = run(args, checkpoint)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if args.write_tables and not results["dry_run"]:
        MEASURED_TABLE.write_text(json.dumps(measured_table(results), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
