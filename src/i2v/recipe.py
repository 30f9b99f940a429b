"""The recipe: everything needed to know how a video was made and to make it again.

Saved beside the video as JSON and embedded in the MP4's `comment` tag.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from i2v import __version__
from i2v.engine.base import EngineOutput, ModelInfo
from i2v.request import GenerationRequest

RECIPE_VERSION = 1
LIBRARIES = ("torch", "diffusers", "transformers", "av", "numpy", "pillow")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "i2v": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def device_name(device: str) -> str:
    if device == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    if device == "cpu":
        return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    return device


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_recipe(
    *,
    request: GenerationRequest,
    output: EngineOutput,
    model: ModelInfo,
    input_image: Path,
    timings: dict[str, float],
    family_title: str = "",
    keyframe_images: list[Path] | None = None,
    keyframe_frames: list[int] | None = None,
) -> dict[str, Any]:
    """The recipe of a finished generation. `request` must be seeded and completed. Every picture
    after the first is recorded as `keyframes`: file (beside the recipe), checksum, position 0–1
    and the frame it was placed on, in the order of `request.keyframes`."""
    keyframes = [
        {"file": path.name, "sha256": sha256_file(path), "position": position, "frame": frame}
        for path, position, frame in zip(keyframe_images or [], request.keyframes, keyframe_frames or [])
    ]
    return {
        "recipe_version": RECIPE_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "request": request.model_dump(),
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "seed": request.seed,
        "quality": request.quality,
        "width": output.width,
        "height": output.height,
        "resolution_used": output.resolution,
        "frames": int(output.frames.shape[0]),
        "fps": request.fps,
        "model": {
            "family": model.family or "i2vgenxl",  # the engine's family (ModelInfo), not a constant
            "id": model.id,
            "source": model.source,
            "revision": model.revision,
            "fingerprint": model.fingerprint,
            "test_model": model.is_test_model,
        },
        "test_model_notice": "Made by the random-weight test model: the pictures are noise." if model.is_test_model else None,
        "input_image": {"file": input_image.name, "sha256": sha256_file(input_image)},
        "keyframes": keyframes,
        "memory_plan": output.plan.as_dict(),
        "plan_changes": output.plan_changes,
        "device": device_name(output.plan.device),
        "libraries": library_versions(),
        "timings": timings,
        "post": None,
    }


def request_from_recipe(recipe: dict[str, Any]) -> GenerationRequest:
    """The exact request a recipe recorded (seed and model included), validated again.

    Recipes written before model families existed name no model in their request: they were made
    by the model their `model.id` records (I2VGen-XL)."""
    if not isinstance(recipe.get("request"), dict):
        raise ValueError("This JSON file is not an i2v recipe (no 'request' section).")
    fields = dict(recipe["request"])
    recorded = recipe.get("model", {}).get("id") if isinstance(recipe.get("model"), dict) else None
    if fields.get("model") is None and isinstance(recorded, str):
        fields["model"] = recorded
    return GenerationRequest.parse(fields)
