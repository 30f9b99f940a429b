"""What a GPU run measured (benchmarks/gpu.py --write-tables) is what the memory plan and the ETA use."""

import json

from i2v.engine.measured import gpu_seconds, measured_tiers, peak_tflops
from i2v.engine.memory_plan import GIB, plan_for
from i2v.engine.registry import family_spec

WAN = family_spec("wan")


def _table(tmp_path, **wan):
    path = tmp_path / "measured_gpu.json"
    entry = {"fits_from_gib": {"none": 40, "model+tiling": 16, "group+tiling": 8}, "step_s": 2.0, "size": "1280×704",
             "frames": 121, "decode_s": 10.0, "before_first_step_s": 3.0, **wan}
    path.write_text(json.dumps({"device": "NVIDIA H200", "peak_tflops": 989.0, "dtype": "bf16", "families": {"wan": entry}}))
    return path


def test_measured_tiers_replace_the_estimates_fastest_plan_first(tmp_path):
    tiers = measured_tiers(WAN, _table(tmp_path))
    assert [(t.min_free_gib, t.offload, t.vae_tiling) for t in tiers] == [(40, "none", False), (16, "model", True), (0, "group", True)]
    assert "measured on NVIDIA H200" in tiers[0].source
    plan = plan_for("cuda", free_bytes=20 * GIB, bf16=True, tiers=WAN.memory_tiers, spec=WAN, measured=tiers)
    assert (plan.offload, plan.vae_tiling) == ("model", True) and "measured on NVIDIA H200" in plan.reason
    assert measured_tiers(family_spec("ltx"), _table(tmp_path)) is None  # not measured: the estimates stay


def test_the_eta_scales_the_measured_run_to_this_gpu(tmp_path):
    table = _table(tmp_path)
    same = gpu_seconds(WAN, "NVIDIA H200", 1280, 704, 121, 50, "standard", table)
    assert same == 3.0 + 10.0 + 50 * 2.0
    slower = gpu_seconds(WAN, "NVIDIA GeForce RTX 4090", 1280, 704, 121, 50, "standard", table)
    assert slower == round(same * 989.0 / 165.0, 1)
    assert gpu_seconds(WAN, "NVIDIA H200", 832, 480, 49, 50, "standard", table) < same / 4  # fewer tokens
    assert gpu_seconds(WAN, "NVIDIA H200", 1280, 704, 121, 50, "fast", table) == round(same / WAN.fast.speedup, 1)
    assert gpu_seconds(WAN, "Some Unknown GPU", 1280, 704, 121, 50, "standard", table) is None
    assert peak_tflops("NVIDIA H100 PCIe") == 756.0 and peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
