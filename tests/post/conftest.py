"""A synthetic clip with known motion, renderable at any time t, so the true in-between frame exists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from i2v.samples import MovingShape


@pytest.fixture
def moving_shape() -> MovingShape:
    return MovingShape()


@pytest.fixture
def clip(moving_shape: MovingShape) -> np.ndarray:
    """8 frames, 128×160, the star moving ~5 px and turning 6° per frame."""
    return moving_shape.clip(8)


@pytest.fixture
def shape_factory() -> type[MovingShape]:
    """The `MovingShape` class, for tests that need other sizes or motions."""
    return MovingShape


@pytest.fixture
def recipe() -> dict:
    return {
        "prompt": "masterpiece, a red (star:1.2) spinning over a colourful carpet, 4k",
        "negative_prompt": "blurry",
        "seed": 1234,
        "fps": 8,
        "frames": 8,
        "width": 160,
        "height": 128,
        "model": {"family": "i2vgen-xl", "id": "tiny"},
    }


@pytest.fixture
def archived_video(tmp_path: Path, clip: np.ndarray, recipe: dict) -> Path:
    """An archive entry as the generator leaves it: video, recipe JSON and thumbnail."""
    from i2v.media import encode_mp4, save_thumbnail

    folder = tmp_path / "outputs" / "2026-01-05"
    folder.mkdir(parents=True)
    video = folder / "101500-a-red-star-ab12cd34.mp4"
    video.with_suffix(".json").write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
    save_thumbnail(clip[0], video.with_suffix(".jpg"))
    return encode_mp4(clip, 8, video, metadata={"comment": json.dumps(recipe)}, crf=12, preset="veryfast")
