"""Synthetic pictures and clips drawn in code: deterministic inputs for tests, benchmarks and demos.

They live in the package (not in tests/) so that benchmarks and the GPU run use the same inputs as
the tests without importing the test suite.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image


def gradient_picture(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """A deterministic picture with structure (gradient + disc + noise), like a simple diagram."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    red = 255 * x / max(width - 1, 1)
    green = 255 * y / max(height - 1, 1)
    disc = ((x - width / 2) ** 2 + (y - height / 2) ** 2) < (min(width, height) / 4) ** 2
    blue = np.where(disc, 230, 40)
    array = np.stack([red, green, blue], axis=-1) + rng.normal(0, 8, (height, width, 3))
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def big_photo_jpeg(side: int = 6000) -> bytes:
    """A photo-like JPEG of `side`² pixels (36 MP by default): smooth light with a little sensor
    noise, the kind of camera picture that tests how uploads are reduced and stored."""
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    array = np.stack([200 * x + 30, 180 * y + 40, 120 * (x + y) / 2 + 60], axis=-1)
    array += np.tile(rng.normal(0, 2.0, (side // 10, side // 10, 3)).astype(np.float32), (10, 10, 1))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


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
