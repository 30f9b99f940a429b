"""A synthetic clip with known motion, renderable at any time t, so the true in-between frame exists."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest


def _texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Coloured noise at two scales: enough detail for optical flow, nothing periodic to alias on."""
    coarse = cv2.resize(rng.random((max(height // 8, 2), max(width // 8, 2), 3), dtype=np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.random((height, width, 3), dtype=np.float32), (0, 0), 1.5)
    return np.clip((0.65 * coarse + 0.35 * fine - 0.5) * 2.2 + 0.5, 0, 1) * 255


def _star_alpha(side: int, points: int = 5) -> np.ndarray:
    """Anti-aliased star mask in [0, 1], drawn at 4× and area-downsampled."""
    big = side * 4
    angles = np.linspace(0, 2 * np.pi, 2 * points, endpoint=False) - np.pi / 2
    radii = np.where(np.arange(2 * points) % 2 == 0, 0.48, 0.22) * big
    poly = np.stack([big / 2 + radii * np.cos(angles), big / 2 + radii * np.sin(angles)], axis=1)
    mask = np.zeros((big, big), np.float32)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1.0)
    return cv2.resize(mask, (side, side), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class MovingShape:
    """A textured star translating by `velocity` px and rotating by `spin` degrees per frame over a
    static textured background. `frame(t)` renders any real time t (in frames)."""

    height: int = 128
    width: int = 160
    velocity: tuple[float, float] = (5.0, 2.0)
    spin: float = 6.0
    seed: int = 0
    background: np.ndarray = field(init=False, repr=False, compare=False)
    sprite: np.ndarray = field(init=False, repr=False, compare=False)
    alpha: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        side = int(min(self.height, self.width) * 0.45)
        stripes = (np.sin(np.arange(side) / side * 6 * np.pi)[None, :, None] * 60).astype(np.float32)
        tint = np.array([230, 60, 40], np.float32)
        sprite = np.clip(tint + stripes + (_texture(side, side, rng) - 128) * 0.4, 0, 255)
        object.__setattr__(self, "background", _texture(self.height, self.width, rng))
        object.__setattr__(self, "sprite", sprite)
        object.__setattr__(self, "alpha", _star_alpha(side))

    def frame(self, t: float) -> np.ndarray:
        side = self.sprite.shape[0]
        start = np.array([self.width * 0.3, self.height * 0.4])
        centre = start + np.array(self.velocity) * t
        matrix = cv2.getRotationMatrix2D((side / 2, side / 2), self.spin * t, 1.0)
        matrix[:, 2] += centre - side / 2
        size = (self.width, self.height)
        sprite = cv2.warpAffine(self.sprite, matrix, size, flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(self.alpha, matrix, size, flags=cv2.INTER_LINEAR)[..., None]
        return np.clip(self.background * (1 - alpha) + sprite * alpha + 0.5, 0, 255).astype(np.uint8)

    def clip(self, count: int, step: float = 1.0) -> np.ndarray:
        """`count` frames at times 0, step, 2·step, …"""
        return np.stack([self.frame(i * step) for i in range(count)])


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
