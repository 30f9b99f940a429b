"""Files beside an archived video: its recipe, and atomic writes so no half-written file shows."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from i2v.media import _atomic_target


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


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a temporary sibling and a rename; returns `path`."""
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def recipe_bytes(recipe: dict[str, Any]) -> bytes:
    """A recipe as readable UTF-8 JSON, the way it is stored beside the video."""
    return (json.dumps(recipe, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
