"""Post-processing quality and speed on this machine (CPU only), on a synthetic clip with known motion.

    .venv/bin/python benchmarks/bench_post.py [--size 512] [--frames 16] [--write benchmarks/POST_RESULTS.md]

Quality: a textured star translating and rotating over a textured background is rendered at any
time t (i2v.samples.MovingShape, shared with tests/post), so the true in-between frames exist; interpolated frames are
scored by PSNR against them, next to frame duplication (nearest frame) and a linear cross-fade.
Speed: frames per second at size×size (default 512×512), best of `--repeats` runs. Prints figures and
ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np

from i2v.media import encode_mp4, read_video
from i2v.post import export, interpolate, smooth
from i2v.files import write_bytes_atomic
from i2v.post.archive_io import recipe_bytes
from i2v.post.exports import export_path, render_gif
from i2v.post.flow import FlowSettings

REPO = Path(__file__).resolve().parents[1]


def load_synthetic():
    """The synthetic moving-star clip the post tests also use (i2v.samples)."""
    from i2v.samples import MovingShape

    return MovingShape


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def quality(shape, frames: np.ndarray, factor: int, flow: FlowSettings) -> dict[str, float]:
    """Mean PSNR (dB) over every in-between frame for each method."""
    out = interpolate(frames, factor, flow=flow)
    scores: dict[str, list[float]] = {"flow": [], "duplicate": [], "crossfade": []}
    for pair in range(len(frames) - 1):
        for step in range(1, factor):
            t = step / factor
            truth = shape.frame(pair + t)
            fade = (1 - t) * frames[pair].astype(np.float64) + t * frames[pair + 1]
            scores["flow"].append(psnr(out[pair * factor + step], truth))
            scores["duplicate"].append(psnr(frames[pair] if t <= 0.5 else frames[pair + 1], truth))
            scores["crossfade"].append(psnr(np.round(fade).astype(np.uint8), truth))
    return {name: float(np.mean(values)) for name, values in scores.items()}


@dataclass(frozen=True)
class Motion:
    """Per-frame motion of the star at 512 px; scaled with the frame so it stays in view at any size."""

    name: str
    shift: tuple[float, float]  # px per frame at 512 px
    spin: float  # degrees per frame

    def shape(self, MovingShape, side: int):
        scale = side / 512
        return MovingShape(side, side, (self.shift[0] * scale, self.shift[1] * scale), self.spin)

    def label(self, side: int) -> str:
        scale = side / 512
        return f"{self.name} ({self.shift[0] * scale:g}, {self.shift[1] * scale:g}) px + {self.spin:g}° per frame"


MOTIONS = (Motion("moderate", (12, 5), 5), Motion("fast", (24, 10), 10), Motion("very fast", (48, 20), 20))
PRESETS = (
    ("ULTRAFAST", cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, 2),
    ("ULTRAFAST", cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, 1),
    ("FAST", cv2.DISOPTICAL_FLOW_PRESET_FAST, 2),
    ("MEDIUM", cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 1),
)


class Report:
    """Lines printed as they come and kept for the Markdown file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, header: list[str], rows: list[list[str]] | None = None) -> None:
        self.say("| " + " | ".join(header) + " |")
        self.say("|" + "---|" * len(header))
        for row in rows or []:
            self.say("| " + " | ".join(row) + " |")


def interpolation_quality(report: Report, MovingShape, side: int) -> dict[str, dict[str, float]]:
    """PSNR table for every motion and factor; returns the ×2 scores by motion name."""
    report.say("## Quality: PSNR of in-between frames against the true frames (dB, higher is better)")
    report.say()
    report.table(["motion", "factor", "flow interpolation", "cross-fade", "duplication", "gain vs cross-fade", "gain vs duplication", "MSE ratio cross-fade / flow"])
    doubled = {}
    for motion in MOTIONS:
        shape = motion.shape(MovingShape, side)
        frames = shape.clip(5)
        for factor in (2, 4):
            q = quality(shape, frames, factor, FlowSettings())
            if factor == 2:
                doubled[motion.name] = q
            mse_ratio = 10 ** ((q["flow"] - q["crossfade"]) / 10)
            report.say(f"| {motion.label(side)} | ×{factor} | {q['flow']:.2f} | {q['crossfade']:.2f} | {q['duplicate']:.2f} | "
                       f"{q['flow'] - q['crossfade']:+.2f} dB | {q['flow'] - q['duplicate']:+.2f} dB | {mse_ratio:.2f}× |")
    report.say()
    return doubled


def smoothing_quality(report: Report, MovingShape, side: int) -> None:
    clean = MOTIONS[0].shape(MovingShape, side).clip(8)
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 8, clean.shape), 0, 255).astype(np.uint8)
    inner = slice(1, -1)
    plain = np.round((noisy[:-2].astype(np.float64) + noisy[1:-1] + noisy[2:]) / 3).astype(np.uint8)
    report.say("## Quality: temporal smoothing of a flickering clip (per-frame noise σ = 8), PSNR against the clean clip (dB)")
    report.say()
    report.table(
        ["input", "plain 3-frame average (ghosts)", "smooth 0.5", "smooth 1", "smooth 1 on the clean clip (should change nothing)"],
        [[f"{psnr(noisy[inner], clean[inner]):.2f}", f"{psnr(plain, clean[inner]):.2f}", f"{psnr(smooth(noisy, 0.5)[inner], clean[inner]):.2f}",
          f"{psnr(smooth(noisy, 1.0)[inner], clean[inner]):.2f}", f"{psnr(smooth(clean, 1.0), clean):.2f}"]],
    )
    report.say()


def preset_choice(report: Report, MovingShape, side: int, repeats: int) -> None:
    """Why `FlowSettings()` is the default: quality and speed of the candidate DIS variants."""
    shape = MOTIONS[0].shape(MovingShape, side)
    frames = shape.clip(5)
    grays = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames]
    report.say(f"## Choice of DIS preset (×2, {MOTIONS[0].name} motion, {len(frames) - 1} frame pairs)")
    report.say()
    report.table(["DIS preset", "finest scale", "PSNR (dB)", "flow alone (ms per flow)", "interpolation ×2 (output frames/s)"])
    for name, preset, finest in PRESETS:
        flow = FlowSettings(preset, finest)
        estimator = flow.estimator()
        per_flow = best_of(repeats, lambda: [estimator.calc(a, b, None) for a, b in zip(grays[:-1], grays[1:])]) / (len(grays) - 1)
        seconds = best_of(repeats, lambda: interpolate(frames, 2, flow=flow))
        mark = " (default)" if flow == FlowSettings() else ""
        report.say(f"| {name}{mark} | {finest} | {quality(shape, frames, 2, flow)['flow']:.2f} | {per_flow * 1000:.1f} | "
                   f"{(2 * (len(frames) - 1) + 1) / seconds:.1f} |")
    report.say()


def speeds(report: Report, clip: np.ndarray, fps: float, repeats: int) -> dict[int, float]:
    """Time every step on `clip`; returns the interpolation seconds by factor."""
    count, side = len(clip), clip.shape[2]
    duration = count / fps
    jittery = np.clip(clip + np.random.default_rng(0).normal(0, 6, clip.shape), 0, 255).astype(np.uint8)
    report.say(f"## Speed at {side}×{clip.shape[1]}, {count}-frame clip at {fps:g} fps ({duration:g} s), best of {repeats}")
    report.say()
    report.table(["step", "seconds", "frames/s", "× real time"])

    def row(label: str, seconds: float, produced: int) -> None:
        report.say(f"| {label} | {seconds:.2f} | {produced / seconds:.1f} | {duration / seconds:.1f}× |")

    interp_seconds = {}
    for factor in (2, 4):
        interp_seconds[factor] = best_of(repeats, lambda: interpolate(clip, factor))
        row(f"interpolate ×{factor} ({(count - 1) * factor + 1} frames out)", interp_seconds[factor], (count - 1) * factor + 1)
    for strength, neighbours in ((0.5, "1 neighbour"), (1.0, "2 neighbours")):
        row(f"smooth {strength:g} ({neighbours} each side)", best_of(repeats, lambda: smooth(jittery, strength)), count)
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "101500-bench-00000000.mp4"
        recipe = {"prompt": "a red star spinning over a carpet", "negative_prompt": "", "seed": 1, "fps": fps, "frames": count, "model": "bench"}
        write_bytes_atomic(video.with_suffix(".json"), recipe_bytes(recipe))
        row("mp4 (H.264 encode, preset medium; the generator's own step)", best_of(repeats, lambda: encode_mp4(clip, fps, video)), count)
        row("decode the archived mp4 (part of every export below)", best_of(repeats, lambda: read_video(video)), count)
        sizes = {"mp4 (crf 18)": video.stat().st_size}
        for fmt in ("webm", "gif", "frames", "sheet", "pack"):
            row(f"export {fmt} (end to end)", best_of(repeats, lambda: export(video, [fmt])), count)
            sizes[fmt] = export_path(video, fmt).stat().st_size
        report.say()
        report.table(["file", "size"], [[name, f"{size / 1e6:.2f} MB"] for name, size in sizes.items()])
        dense = interpolate(clip, 4)  # 4× the frames: what the GIF size cap does to it
        for cap_mb in (8.0, 2.0):
            start = time.perf_counter()
            data = render_gif(dense, fps * 4, max_bytes=int(cap_mb * 1e6))
            report.say(f"| gif of the ×4 clip ({len(dense)} frames, {fps * 4:g} fps), cap {cap_mb:g} MB | "
                       f"{len(data) / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s |")
    report.say()
    return interp_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="square frame side in px")
    parser.add_argument("--frames", type=int, default=16, help="frames in the speed clip (I2VGen-XL makes 16)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure; the best is kept")
    parser.add_argument("--write", type=Path, help="also write the results as Markdown here")
    args = parser.parse_args()
    MovingShape = load_synthetic()
    side, fps = args.size, 8.0
    report = Report()
    report.say(f"# Post-processing benchmark ({date.today().isoformat()})")
    report.say()
    report.say(f"Command: `.venv/bin/python benchmarks/bench_post.py --size {side} --frames {args.frames} --repeats {args.repeats}`  ")
    report.say(f"Machine: 2-core CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs), "
               f"OpenCV {cv2.__version__} with {cv2.getNumThreads()} threads, Python {platform.python_version()}, no GPU used.  ")
    report.say(f"Clip: synthetic textured star translating and rotating over a static textured background, {side}×{side} px.")
    report.say()

    doubled = interpolation_quality(report, MovingShape, side)
    smoothing_quality(report, MovingShape, side)
    preset_choice(report, MovingShape, side, args.repeats)
    interp_seconds = speeds(report, MOTIONS[0].shape(MovingShape, side).clip(args.frames), fps, args.repeats)

    q2, qv = doubled[MOTIONS[0].name], doubled[MOTIONS[-1].name]
    report.say(f"Summary: on {MOTIONS[0].name} motion at {side}×{side}, ×2 flow interpolation scores {q2['flow']:.1f} dB against "
               f"{q2['crossfade']:.1f} dB for a cross-fade and {q2['duplicate']:.1f} dB for repeating frames "
               f"({q2['flow'] - q2['crossfade']:+.1f} / {q2['flow'] - q2['duplicate']:+.1f} dB); at {MOTIONS[-1].name} motion the gain "
               f"over cross-fade is {qv['flow'] - qv['crossfade']:+.1f} dB and over repeating frames {qv['flow'] - qv['duplicate']:+.1f} dB. "
               f"A {args.frames}-frame clip takes {interp_seconds[2]:.1f} s (×2) or {interp_seconds[4]:.1f} s (×4) on this CPU.")
    report.say()
    report.say("Notes: PSNR is over the whole frame, static background included; frames/s count frames produced "
               "(output frames for interpolation, clip frames otherwise); \"× real time\" is clip duration / processing time. "
               "The machine is shared, so timings carry some noise; each figure is the best of the runs.")
    if args.write:
        write_bytes_atomic(args.write, ("\n".join(report.lines) + "\n").encode("utf-8"))
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
