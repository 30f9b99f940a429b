"""Shared fixtures. No test may reach the network: the hub is forced offline before any import."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def picture() -> Image.Image:
    return gradient_picture()


@pytest.fixture
def picture_file(tmp_path: Path, picture: Image.Image) -> Path:
    path = tmp_path / "diagram.png"
    picture.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_engine():
    """The tiny random-weight I2VGen-XL, built once per test session on the CPU."""
    from i2v.engine.i2vgenxl import SPEC, load_engine
    from i2v.engine.memory import choose_plan

    return load_engine("tiny", choose_plan(device="cpu", tiers=SPEC.memory_tiers))
