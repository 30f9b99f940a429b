"""How long a lesson takes to put together on this machine (CPU only, no model): storyboard, then
assembly — cards, every clip conformed to one rate and size with labels, captions, handout PDF,
timeline and pack — from synthetic clips standing in for generated ones.

    .venv/bin/python benchmarks/bench_lessons.py [--scenes 3] [--size 256 512] [--repeats 2]

Clips: 16 frames at 8 fps of moving texture, every other scene at 4 fps (so half the clips are
flow-interpolated ×2 to the common rate, as a lesson mixing scene lengths would be). Prints one line
per size and a final JSON object; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from i2v.archive import Archive
from i2v.lessons.batch import fingerprint
from i2v.lessons.service import LessonService
from i2v.media import encode_mp4
from i2v.settings import Settings

OUTLINE = ("Anaphase: chromosomes pulled to opposite poles by spindle fibres\n光合作用：叶片在光照下释放氧气\n"
           "Why do we have seasons\nEvaporation: water vapour rising from the warm sea\nThe heart pumps blood\n"
           "Ice melting in a warm room")


def synthetic_clip(path: Path, frames: int, fps: int, width: int, height: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(30, 225, (height, width, 3), dtype=np.uint8)
    encode_mp4(np.stack([np.roll(base, 4 * i, axis=1) for i in range(frames)]), fps, path)


def measure(scenes: int, size: int, repeats: int) -> dict:
    best = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), model="tiny")
            service = LessonService(settings, Archive(settings.home), None, lambda: ["tiny"])
            started = time.perf_counter()
            text = "\n".join(OUTLINE.splitlines()[:scenes])
            lesson = service.create_from_text(text, service.options("tiny", "draft"), None)
            storyboard_s = time.perf_counter() - started
            for number, scene in enumerate(lesson.scenes):
                clip = service.files.clip(lesson.id, scene.id, fingerprint(lesson, scene))
                clip.parent.mkdir(parents=True, exist_ok=True)
                synthetic_clip(clip, 16, 8 if number % 2 == 0 else 4, size * 5 // 4, size * 3 // 4, number)
            started = time.perf_counter()
            service.assemble(lesson.id)
            assemble_s = time.perf_counter() - started
            timeline = json.loads(service.files.output(lesson.id, "timeline").read_text())
            sizes = {kind: service.files.output(lesson.id, kind).stat().st_size for kind in ("video", "handout", "pack")}
            run = {"storyboard_s": round(storyboard_s, 2), "assemble_s": round(assemble_s, 2),
                   "video_s": round(timeline["duration_s"], 2), "frame": f"{timeline['width']}x{timeline['height']}",
                   "fps": timeline["fps"], "bytes": sizes}
            if not best or run["assemble_s"] < best["assemble_s"]:
                best = run
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--size", type=int, nargs="+", default=[256, 512], help="short side of the clips (px)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per size; the fastest is kept")
    args = parser.parse_args()
    results = {"machine": f"{platform.machine()}, {platform.processor() or 'cpu'}", "scenes": args.scenes, "runs": {}}
    for size in args.size:
        run = measure(args.scenes, size, args.repeats)
        results["runs"][str(size)] = run
        print(f"{args.scenes} scenes, clips {run['frame']}: storyboard {run['storyboard_s']} s, assembly {run['assemble_s']} s "
              f"for a {run['video_s']} s lesson video", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
