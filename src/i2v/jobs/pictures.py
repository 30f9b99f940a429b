"""A job's stored pictures: the first (`job.image` under the uploads folder) and those after it.

A job whose request places pictures after the first (`request.keyframes`: an end picture, middle
keyframes) stores each beside the first as `<stem>-keyN.png`, N from 1 in the order of the
positions. Named from the job's own picture, so the job table needs no new column and every place
that removes a job's upload removes these with it (`upload_names`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image


def keyframe_names(image: str, request: dict[str, Any]) -> list[str]:
    """File names (in the uploads folder) of the pictures after the first, in position order."""
    count = len(request.get("keyframes") or ())
    stem = Path(image).stem
    return [f"{stem}-key{n}.png" for n in range(1, count + 1)]


def upload_names(image: str, request: dict[str, Any]) -> list[str]:
    """Every upload a job owns: its picture and the pictures after it."""
    return [image, *keyframe_names(image, request)]


def open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as stored:
        return stored.convert("RGB")


def load_keyframes(uploads: Path, image: str, request: dict[str, Any]) -> list[Image.Image]:
    """The stored pictures after the first, as RGB, in position order."""
    return [open_rgb(uploads / name) for name in keyframe_names(image, request)]
