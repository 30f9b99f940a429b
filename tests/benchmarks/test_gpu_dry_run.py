"""benchmarks/gpu.py runs the same code on the CPU with the test models (`--dry-run`), so the script
is known to work before a GPU is ever lent, and its report renders from what it wrote."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("gpu") / "results_gpu.json"
    # A generous budget: the dry run takes well under a minute on a quiet 2-core machine; a loaded
    # machine must not turn measurements into "skipped". Each family gets a third of it (the first
    # family's share ran out at 900 s on a 2-core machine at load 16), so 3600.
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--dry-run", "--budget-s", "3600",
                           "--out", str(out)], capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())  # the last line is the whole result, also written to --out
    # The report reads only the file: rendered in this process (a second torch import costs seconds).
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert _gpu_module().main(["--report", "--out", str(out)]) == 0
    return last, printed.getvalue()


def test_every_family_is_measured_through_the_engine(dry_run):
    results, _ = dry_run
    assert results["dry_run"] and results["device"]["kind"] == "cpu"
    assert set(results["families"]) == {"i2vgenxl", "wan", "ltx"}
    for name, entry in results["families"].items():
        assert "error" not in entry, (name, entry)
        standard = entry["standard"]
        assert standard["steps_run"] >= 2 and standard["median_step_s"] > 0, name
        assert standard["first_preview_s"] is not None and standard["decode_s"] >= 0, name
        assert standard["job_s_at_recipe_steps"] > standard["total_s"], name  # 50 steps cost more than 3
        # the same request in the Fast preset runs half the steps (with the cache) and so differs
        assert entry["fast"]["steps_run"] == (standard["steps_run"] + 1) // 2 and entry["fast"]["frame_deviation"] > 0, name
        assert entry["flops_per_step"] > 0, name


def test_memory_plans_levers_and_fp16_sections_are_filled(dry_run):
    results, _ = dry_run
    for name, entry in results["families"].items():
        plans = entry["memory_plans"]
        assert plans and plans[0]["fits"] and plans[0]["offload"] == "none", name
        assert "sdpa_math" in entry["levers"] and "step_speedup" in entry["levers"]["sdpa_math"], name
    assert results["fp16"]["unet_finite"] in (True, False) and "size" in results["fp16"]
    assert results["skipped"] == []


def test_the_report_renders_the_benchmarks_section(dry_run):
    _, report = dry_run
    assert report.startswith("## GPU:") and "Dry run on the CPU" in report
    assert "| I2VGen-XL |" in report and "| Wan 2.2 TI2V-5B |" in report and "| LTX-Video 2B |" in report
    assert "Memory plans under simulated cards" in report and "fp16 check" in report


def test_the_measured_table_turns_fitting_plans_into_thresholds():
    gpu = _gpu_module()
    results = {
        "device": {"name": "NVIDIA H200", "dense_bf16_peak_tflops": 989.0, "dtype": "bf16"},
        "families": {"wan": {"size": "1280×704", "frames": 121,
                             "standard": {"median_step_s": 2.5, "first_step_s": 4.0, "decode_s": 12.0},
                             "memory_plans": [
                                 {"cap_gib": 8, "offload": "none", "vae_tiling": False, "fits": False},
                                 {"cap_gib": 8, "offload": "group", "vae_tiling": True, "fits": True},
                                 {"cap_gib": 24, "offload": "model", "vae_tiling": False, "fits": True},
                                 {"cap_gib": 12, "offload": "group", "vae_tiling": True, "fits": True},
                                 {"cap_gib": 16, "offload": "none", "vae_tiling": False, "fits": False,
                                  "fallback_fits": "model"}]}},
    }
    table = gpu.measured_table(results)
    wan = table["families"]["wan"]
    # the plan the engine fell back to at 16 GiB and completed on counts as fitting there
    assert wan["fits_from_gib"] == {"group+tiling": 8, "model": 16}
    assert wan["step_s"] == 2.5 and wan["before_first_step_s"] == 1.5 and table["peak_tflops"] == 989.0
    # the uncapped Standard run: no offload fits from its reserved peak, rounded up
    results["families"]["wan"]["standard"] |= {"reserved_gib": 38.3, "plan_changes": []}
    assert gpu.measured_table(results)["families"]["wan"]["fits_from_gib"]["none"] == 39


def test_a_sweep_cut_short_gives_no_tiers_but_keeps_the_step_figures(tmp_path):
    """Only the 8 GiB card was measured (the budget ran out): tiers from it would send every card,
    however large, to that card's slow plan, so the family gets none and the memory model decides."""
    gpu = _gpu_module()
    results = {
        "device": {"name": "NVIDIA H200", "dense_bf16_peak_tflops": 989.0, "dtype": "bf16"},
        "families": {"wan": {"size": "1280×704", "frames": 121,
                             "standard": {"median_step_s": 2.4, "first_step_s": 3.3, "decode_s": 7.6, "reserved_gib": 38.3},
                             "memory_plans": [{"cap_gib": 8, "offload": "group", "vae_tiling": True, "fits": True}]}},
    }
    wan = gpu.measured_table(results)["families"]["wan"]
    assert wan["fits_from_gib"] == {} and wan["step_s"] == 2.4 and wan["decode_s"] == 7.6
    from i2v.engine.measured import measured_tiers
    from i2v.engine.registry import family_spec

    path = tmp_path / "measured_gpu.json"
    path.write_text(json.dumps({"device": "NVIDIA H200", "peak_tflops": 989.0, "families": {"wan": wan}}), encoding="utf-8")
    assert measured_tiers(family_spec("wan"), path) is None


def _copy_of_the_script(folder: Path) -> Path:
    """benchmarks/gpu.py copied into `folder` with measured results beside it, so the real checkout's
    results are never at stake while the test checks what a dry run writes next to the script."""
    script = folder / "gpu.py"
    script.write_text((REPO / "benchmarks" / "gpu.py").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "flops.py").write_text((REPO / "benchmarks" / "flops.py").read_text(encoding="utf-8"), encoding="utf-8")
    return script


def test_a_dry_run_never_overwrites_the_measured_results(tmp_path):
    script = _copy_of_the_script(tmp_path)
    measured = tmp_path / "results_gpu.json"
    measured.write_text('{"device": {"name": "NVIDIA H200"}, "dry_run": false}\n', encoding="utf-8")
    before = measured.read_bytes()
    # budget 0: every measurement is skipped, so this checks only where the results go (seconds, not a minute)
    done = subprocess.run([sys.executable, str(script), "--dry-run", "--budget-s", "0"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert measured.read_bytes() == before  # the GPU figures are untouched
    beside = tmp_path / "results_gpu.dry-run.json"
    written = json.loads(beside.read_text(encoding="utf-8"))
    assert written["dry_run"] is True and written == json.loads(done.stdout.strip().splitlines()[-1])
    # and the report of a dry run reads the dry run's file by default, not the measured one
    report = subprocess.run([sys.executable, str(script), "--report", "--dry-run"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert report.returncode == 0 and "Dry run on the CPU" in report.stdout, report.stderr


def test_a_dry_run_with_out_writes_only_there(tmp_path):
    script = _copy_of_the_script(tmp_path)
    out = tmp_path / "elsewhere" / "mine.json"
    out.parent.mkdir()
    done = subprocess.run([sys.executable, str(script), "--dry-run", "--budget-s", "0", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(out.read_text(encoding="utf-8"))["dry_run"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "flops.py", "gpu.py"]  # nothing beside the script


def _gpu_module():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import gpu
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return gpu


def test_a_measurement_past_the_budget_is_interrupted_and_recorded():
    """A device loan's command is killed at its timeout: a measurement that overruns the budget must
    be stopped inside the script (and recorded), so the results of the others are still written."""
    import time

    gpu = _gpu_module()
    gpu.HARD_STOP["at"] = time.monotonic() + 0.5
    results: dict = {}
    started = time.monotonic()
    try:
        gpu.guarded(results, "slow")(lambda: time.sleep(30))
        after = gpu.guarded(results, "next")(lambda: "ran")  # the run goes on after the interruption
    finally:
        gpu.HARD_STOP.clear()
    assert time.monotonic() - started < 10
    assert results["slow"]["error"].startswith("OutOfTime") and after == "ran"


def test_each_family_gets_a_share_and_skips_are_kept_in_one_list():
    gpu = _gpu_module()
    budget = gpu.Budget(300)
    first = budget.share(3, keep_s=60)
    assert 75 <= first.left() <= 80  # (300 - 60) / 3
    assert not first.allows(100, "too big for the share")
    assert len(budget.skipped) == 1 and budget.skipped[0].startswith("too big for the share (needs ~100 s")
    whole = budget.left()
    assert budget.share(1).left() <= whole  # a share never outlasts the run


def test_the_sdpa_lever_restricts_the_denoiser_alone():
    """The first GPU run wrapped the whole generation in one SDPA backend and every fused backend
    failed on some attention outside the denoiser; the lever now binds only the denoiser's calls."""
    import torch
    from torch.nn.attention import SDPBackend

    gpu = _gpu_module()

    class Denoiser(torch.nn.Module):
        def forward(self, q):
            return torch.nn.functional.scaled_dot_product_attention(q, q, q)

    denoiser, q = Denoiser(), torch.randn(1, 2, 8, 16)
    # on the CPU the memory-efficient backend has no kernel: inside the denoiser it must be the only one
    with gpu._denoiser_attention(denoiser, SDPBackend.EFFICIENT_ATTENTION):
        with pytest.raises(RuntimeError, match="No (viable backend|available kernel)"):
            denoiser(q)
        outside = torch.nn.functional.scaled_dot_product_attention(q, q, q)  # the VAE's, the encoders': free
    assert outside.shape == q.shape
    assert "forward" not in denoiser.__dict__ and denoiser(q).shape == q.shape  # undone afterwards
    with gpu._denoiser_attention(denoiser, SDPBackend.MATH):
        assert torch.allclose(denoiser(q), outside, atol=1e-5)
