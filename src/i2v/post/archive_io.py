"""Files beside an archived video: where its recipe is, reading it, and its bytes as stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from i2v.files import json_bytes


def recipe_path(video_path: Path) -> Path:
    """The recipe `<stem>.json` that sits beside `<stem>.mp4`."""
    return Path(video_path).with_suffix(".json")


def read_recipe(video_path: Path) -> dict[str, Any]:
    """The recipe of an archived video. Raises FileNotFoundError if it is missing and ValueError
    if it is not a JSON object."""
    path = recipe_path(video_path)
    if not path.is_file():
        raise FileNotFoundError(f"no recipe beside {Path(video_path).name}: expected {path.name}")
    recipe = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(recipe, dict):
        raise ValueError(f"{path.name} must hold a JSON object, got {type(recipe).__name__}")
    return recipe


def recipe_bytes(recipe: dict[str, Any]) -> bytes:
    """A recipe as readable UTF-8 JSON, the way it is stored beside the video."""
    return json_bytes(recipe)
