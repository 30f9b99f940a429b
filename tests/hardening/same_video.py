"""Make a list of videos the way `i2v generate` does, and print one hash of decoded frames per video.

Run as `python -m tests.hardening.same_video FOLDER CASE…` (each CASE a JSON object, see `Case`) by
tests/hardening/test_same_video.py, in several processes, so "same recipe, same video" is checked
across processes. The path is the CLI's own: the request parsed by `parse_request`, the picture read
by `load_image`, `GenerationService` (engine, test banner, MP4 encode, archive) and, when a case asks
for post-processing, `post.deliver` as `--interpolate/--loop/…` run it. One engine host serves all
cases of a process (cases are grouped by model), so a process pays each model's loading once.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TypedDict

from PIL import Image, ImageDraw


class Case(TypedDict, total=False):
    id: str
    size: list[int]  # the picture's (width, height)
    model: str
    quality: str
    resolution: str
    frames: int
    steps: int
    post: dict  # PostSpec fields; absent or empty: the archived video itself


def picture(width: int, height: int) -> Image.Image:
    """The picture of issue 26 at any size: dark blue, a yellow disc in the middle, a grey ellipse
    outline and a small blue disc (hard edges, so resampling differences would show)."""
    image = Image.new("RGB", (width, height), (12, 20, 70))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.05, height * 0.2, width * 0.95, height * 0.8), outline=(140, 140, 140), width=max(1, min(width, height) // 60))
    draw.ellipse((width * 0.4, height * 0.4, width * 0.6, height * 0.6), fill=(250, 215, 40))
    draw.ellipse((width * 0.8, height * 0.45, width * 0.87, height * 0.55), fill=(50, 90, 230))
    return image


def frames_hash(video: Path) -> str:
    from i2v.media import read_video

    frames, _ = read_video(video)
    return f"{frames.shape[0]}x{frames.shape[1]}x{frames.shape[2]}:" + hashlib.sha256(frames.tobytes()).hexdigest()


def main(folder: Path, cases: list[Case]) -> None:
    from i2v.archive import Archive
    from i2v.engine.host import EngineHost
    from i2v.image_input import load_image
    from i2v.post import PostSpec
    from i2v.post.deliver import deliver
    from i2v.engine.registry import parse_request
    from i2v.generation import GenerationService
    from i2v.settings import Settings

    settings = Settings(home=folder / "outputs")
    service = GenerationService(EngineHost(settings), Archive(settings.home))
    for case in cases:
        path = folder / f"{case['id']}.png"
        picture(*case["size"]).save(path)
        fields = {"prompt": "Earth orbiting around the Sun slowly", "model": case["model"], "seed": 7,
                  "quality": case.get("quality", "standard"), "resolution": case["resolution"],
                  "frames": case["frames"], "steps": case["steps"]}
        request = parse_request(fields, case["model"])
        result = service.generate(request, load_image(path))
        video = result.video
        if case.get("post"):
            video = deliver(video, PostSpec(**case["post"])).video
        print(case["id"], frames_hash(video), flush=True)
        print(f"{case['id']}: {time.process_time():.1f} CPU s so far", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), [json.loads(text) for text in sys.argv[2:]])
