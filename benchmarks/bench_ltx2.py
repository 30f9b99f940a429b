"""LTX-2 in numbers on this machine: size, compute per step, predicted memory per plan, the Fast
(distilled) schedule on the tiny model, and what writing the sound costs.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_ltx2.py [--skip-fast]     # ≈1 min on the 2-core CPU

- Parameters of the full-size audio-video transformer, built on the meta device from diffusers'
  `LTX2VideoTransformer3DModel` defaults (48 layers, 32×128 video heads, 32×64 audio heads: the 19 B
  of LTX-2.0), and its bf16 weight size.
- FLOPs of one guided step (batch 2: conditional and unconditional together) at 512p (768×512) and
  720p (1280×704), 121 frames at 24 fps, 1024 text tokens, counted by FlopCounterMode on meta tensors.
- Predicted peak memory per plan: only where the family has a measured `Footprint` (LTX-2 has none
  yet: its memory tiers are estimates from weight sizes, so this prints "not measured").
- Fast (8 steps, guidance 1) against Standard (40 steps, guidance 4) on the tiny model: whole-job time.
- AAC encoding of the sound per second of video (48 kHz stereo, PyAV), and the same through a full
  MP4 (`media.encode_mp4`) against the silent MP4, at 512p-sized frames.

Prints figures; the last line is one JSON object. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from diffusers import LTX2VideoTransformer3DModel
from torch.utils.flop_counter import FlopCounterMode

from i2v.engine.ltx2.spec import SPEC
from i2v.engine.memory_estimate import GIB, predict
from i2v.media import Audio, aac_round_trip, encode_mp4

TEXT_TOKENS = 1024
FRAMES, FPS = 121, 24


def transformer() -> LTX2VideoTransformer3DModel:
    with torch.device("meta"):
        return LTX2VideoTransformer3DModel()


def flops(width: int, height: int) -> float:
    model = transformer()
    latent_frames, h, w = (FRAMES - 1) // 8 + 1, height // 32, width // 32
    audio_frames = round(FRAMES / FPS * 16_000 / 160 / 4)  # the audio VAE's latent rate: 25 per second
    with torch.device("meta"):
        inputs = dict(hidden_states=torch.empty(2, latent_frames * h * w, 128), audio_hidden_states=torch.empty(2, audio_frames, 128),
                      encoder_hidden_states=torch.empty(2, TEXT_TOKENS, 3840), audio_encoder_hidden_states=torch.empty(2, TEXT_TOKENS, 3840),
                      timestep=torch.full((2,), 500.0), num_frames=latent_frames, height=h, width=w, fps=float(FPS),
                      audio_num_frames=audio_frames)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(**inputs, return_dict=False)
    return counter.get_total_flops()


def peaks() -> dict[str, float] | str:
    if SPEC.footprint is None:
        return "not measured: no activation footprint for LTX-2 yet (benchmarks/activations.py has no LTX-2 probe)"
    rows = {}
    for name in ("512p", "720p"):
        preset = SPEC.preset(name)
        for offload in ("none", "model", "group", "sequential"):
            p = predict(SPEC, offload=offload, dtype="bf16", vae_dtype="fp32", width=preset.width, height=preset.height,
                        frames=FRAMES, vae_tiling=offload != "none")
            rows[f"{name}/{offload}"] = round(p.peak / GIB, 1)
    return rows


def fast_against_standard() -> dict:
    from i2v.engine.memory_plan import plan_for
    from i2v.engine.registry import complete_request, load_engine
    from i2v.request import GenerationRequest
    from i2v.samples import gradient_picture

    engine = load_engine(SPEC.test_model, plan_for("cpu"))
    picture = gradient_picture(384, 256)
    base = GenerationRequest(prompt="a bell ringing, the sound of the bell", model=SPEC.test_model, resolution="256p",
                             frames=17, seed=3)
    times = {}
    for quality in ("standard", "fast"):
        request = complete_request(base.model_copy(update={"quality": quality}), SPEC.test_model)
        started = time.perf_counter()
        engine.generate(request, picture)
        times[quality] = round(time.perf_counter() - started, 2)
    return {"standard_s": times["standard"], "standard_steps": SPEC.steps.default, "fast_s": times["fast"],
            "fast_steps": SPEC.fast.steps, "speedup": round(times["standard"] / times["fast"], 2)}


def sound_cost(seconds: float = 30.0) -> dict:
    rng = np.random.default_rng(0)
    sound = Audio((rng.standard_normal((2, int(seconds * 48_000))) * 0.1).astype(np.float32), 48_000)
    started = time.perf_counter()
    aac_round_trip(sound)  # encode and decode
    round_trip = time.perf_counter() - started
    frames = rng.integers(0, 255, (int(seconds * FPS) // 10, 512, 768, 3), dtype=np.uint8)  # a tenth of the frames: the sound's share shows
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        encode_mp4(frames, FPS / 10, Path(folder) / "silent.mp4")
        silent = time.perf_counter() - started
        started = time.perf_counter()
        encode_mp4(frames, FPS / 10, Path(folder) / "sound.mp4", audio=sound)
        loud = time.perf_counter() - started
    return {"seconds_of_sound": seconds, "aac_round_trip_s_per_s": round(round_trip / seconds, 4),
            "mp4_with_sound_extra_s_per_s": round((loud - silent) / seconds, 4), "mp4_silent_s": round(silent, 2)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-fast", action="store_true")
    args = parser.parse_args()
    result: dict = {"machine": f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"}
    count = sum(p.numel() for p in transformer().parameters())
    result["parameters"] = {"transformer": count, "transformer_bf16_gib": round(2 * count / GIB, 1)}
    print("parameters:", json.dumps(result["parameters"]))
    result["tflop_per_guided_step"] = {name: round(flops(*size) / 1e12, 1) for name, size in (("512p", (768, 512)), ("720p", (1280, 704)))}
    print(f"TFLOP per guided step ({FRAMES} frames):", result["tflop_per_guided_step"])
    result["predicted_peak_gib"] = peaks()
    print("predicted peak GiB:", result["predicted_peak_gib"])
    if not args.skip_fast:
        result["fast"] = fast_against_standard()
        print("fast:", result["fast"])
    result["sound"] = sound_cost()
    print("sound:", result["sound"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
