"""Wan 2.2 I2V-A14B in numbers on this machine: sizes, compute per step, predicted memory per plan,
the Lightning Fast preset on the tiny model, and the cost of switching experts.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_wan_a14b.py [--skip-fast] [--skip-switch]

- Parameters of each full-size component, built on the meta device from the real checkpoint's
  configs (`i2v.engine.wan_a14b.test_model.full_size_configs`; two experts of one architecture).
- FLOPs of one guided step (two forwards of ONE expert: the pipeline runs the unconditional pass
  separately and only one expert computes a step) at 480p (832×480) and 720p (1280×720), 81 frames,
  counted by FlopCounterMode on meta tensors.
- Predicted peak memory per memory plan (`i2v.engine.memory_estimate.predict`, bf16, VAE fp32), and
  the same with fp8 layerwise storage of the experts (weights of the transformers halved; computed
  here, not a plan i2v applies yet).
- Fast (Lightning LoRA, 4 steps, guidance 1) against Standard (`--standard-steps`, guidance 3.5) on
  the tiny model: whole-job time, frame count and fps, and the deviation of the frames.
- The expert switch on the CPU at full width with 2 blocks (fp32): forward time of the high-noise
  expert, then of the low-noise expert right after the switch, then again; and the time to copy one
  expert's weights (what model offload moves per switch, at 2 of 40 blocks).

Prints figures; the last line is one JSON object. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from diffusers import WanTransformer3DModel
from torch.utils.flop_counter import FlopCounterMode

from i2v.engine.memory_estimate import GIB, predict
from i2v.engine.wan_a14b import SPEC
from i2v.engine.wan_a14b.test_model import full_size_configs

TEXT_TOKENS = 512


def inputs(width: int, height: int, frames: int, device: str, dtype: torch.dtype, text_dim: int = 4096) -> dict:
    latent = (1, 36, (frames - 1) // 4 + 1, height // 8, width // 8)
    return {"hidden_states": torch.randn(latent, device=device, dtype=dtype),
            "timestep": torch.full((1,), 950.0, device=device),
            "encoder_hidden_states": torch.randn(1, TEXT_TOKENS, text_dim, device=device, dtype=dtype)}


def parameters() -> dict[str, int]:
    config = full_size_configs()["transformer"]
    with torch.device("meta"):
        expert = WanTransformer3DModel(**config)
    return {"expert": sum(p.numel() for p in expert.parameters()), **SPEC.footprint.parameters}


def flops(width: int, height: int, frames: int) -> float:
    with torch.device("meta"):
        expert = WanTransformer3DModel(**full_size_configs()["transformer"]).to(torch.bfloat16)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        expert(**inputs(width, height, frames, "meta", torch.bfloat16), return_dict=False)
    return 2 * counter.get_total_flops()  # guided: conditional + unconditional pass


def peaks() -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    expert_bytes = 2 * SPEC.footprint.parameters["transformer"]
    for name, preset in (("480p", SPEC.preset("480p")), ("720p", SPEC.preset("720p"))):
        for offload in ("none", "model", "group", "sequential"):
            p = predict(SPEC, offload=offload, dtype="bf16", vae_dtype="fp32", width=preset.width, height=preset.height,
                        frames=81, vae_tiling=offload != "none")
            fp8 = p.peak - {"none": 2 * expert_bytes // 2, "model": expert_bytes // 2}.get(offload, 0)
            rows[f"{name}/{offload}"] = {"peak_gib": round(p.peak / GIB, 1), "fp8_peak_gib": round(fp8 / GIB, 1)}
    return rows


def fast_against_standard(standard_steps: int) -> dict:
    from i2v.engine.memory_plan import plan_for
    from i2v.engine.registry import complete_request, load_engine
    from i2v.request import GenerationRequest
    from i2v.samples import gradient_picture

    engine = load_engine(SPEC.test_model, plan_for("cpu"))
    picture = gradient_picture(320, 240)
    base = GenerationRequest(prompt="ice melting into water", model=SPEC.test_model, resolution="240p", frames=21,
                             steps=standard_steps, seed=3)
    results = {}
    for quality in ("standard", "fast", "standard"):  # standard twice: the second after Fast (LoRA loaded, off)
        request = complete_request(base.model_copy(update={"quality": quality}), SPEC.test_model)
        started = time.perf_counter()
        output = engine.generate(request, picture)
        results.setdefault(quality, []).append((time.perf_counter() - started, output.frames, request.fps))
    (s_time, s_frames, s_fps), (f_time, f_frames, f_fps) = results["standard"][0], results["fast"][0]
    deviation = float(np.linalg.norm(f_frames.astype(float) - s_frames) / np.linalg.norm(s_frames.astype(float)))
    return {"standard_steps": standard_steps, "standard_s": round(s_time, 1), "fast_s": round(f_time, 1),
            "speedup": round(s_time / f_time, 2), "frames": [len(s_frames), len(f_frames)], "fps": [s_fps, f_fps],
            "deviation_rel_l2": round(deviation, 3),
            "standard_again_identical": bool(np.array_equal(results["standard"][1][1], s_frames))}


def switch_cost() -> dict:
    config = {**full_size_configs()["transformer"], "num_layers": 2}
    torch.manual_seed(0)
    high = WanTransformer3DModel(**config).eval()
    low = WanTransformer3DModel(**config).eval()
    # One 128×128 frame (64 tokens) and the full 512 text tokens: at full width a 240p clip's forward
    # takes minutes on this CPU; the switch itself does not depend on the token count.
    x = inputs(128, 128, 1, "cpu", torch.float32)

    def forward(expert) -> float:
        started = time.perf_counter()
        with torch.inference_mode():
            expert(**x, return_dict=False)
        return time.perf_counter() - started

    forward(high)  # warm-up
    times = {"high": forward(high), "high_again": forward(high), "low_after_switch": forward(low), "low_again": forward(low)}
    weights = sum(p.numel() * p.element_size() for p in low.parameters())
    started = time.perf_counter()
    copy = {name: p.detach().clone() for name, p in low.state_dict().items()}
    copy_s = time.perf_counter() - started
    del copy
    return {"expert_parameters_2_blocks": sum(p.numel() for p in low.parameters()),
            **{k: round(v, 3) for k, v in times.items()},
            "copy_one_expert_s": round(copy_s, 3), "copy_gib": round(weights / GIB, 2),
            "copy_gib_per_s": round(weights / GIB / copy_s, 2)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--skip-switch", action="store_true")
    parser.add_argument("--standard-steps", type=int, default=20)
    parser.add_argument("--switch-only", action="store_true", help="only the expert switch (skips FLOPs, peaks, Fast)")
    args = parser.parse_args()
    result: dict = {"machine": f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"}
    if args.switch_only:
        result["switch"] = switch_cost()
        print("switch:", result["switch"])
        print(json.dumps(result))
        return 0
    result["parameters"] = parameters()
    print("parameters:", json.dumps(result["parameters"]))
    result["tflop_per_guided_step"] = {name: round(flops(*size, 81) / 1e12, 1)
                                       for name, size in (("480p", (832, 480)), ("720p", (1280, 720)))}
    print("TFLOP per guided step (81 frames):", result["tflop_per_guided_step"])
    result["predicted_peaks"] = peaks()
    for key, row in result["predicted_peaks"].items():
        print(f"{key}: {row['peak_gib']} GiB (fp8 experts: {row['fp8_peak_gib']} GiB)")
    if not args.skip_fast:
        result["fast"] = fast_against_standard(args.standard_steps)
        print("fast:", result["fast"])
    if not args.skip_switch:
        result["switch"] = switch_cost()
        print("switch:", result["switch"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
