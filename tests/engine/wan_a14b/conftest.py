"""The tiny Wan 2.2 I2V-A14B (two tiny experts, the real boundary switch), built once per session,
and the small request its tests run: the draft size, 5 frames, 2 steps (one per expert)."""

from __future__ import annotations

import pytest
from PIL import Image

from i2v.request import GenerationRequest
from tests.conftest import gradient_picture

REQUEST = GenerationRequest(prompt="ice melting into water", negative_prompt="blurry", seed=5,
                            resolution="240p", frames=5, steps=2, guidance=3.5)


def end_request(**overrides) -> GenerationRequest:
    return REQUEST.model_copy(update={"keyframes": (1.0,), **overrides})


@pytest.fixture(scope="session")
def a14b_engine():
    """The tiny A14B through the registry, on the CPU in fp32."""
    from i2v.engine.memory_plan import choose_plan
    from i2v.engine.registry import load_engine
    from i2v.engine.wan_a14b import SPEC

    return load_engine(SPEC.test_model, choose_plan(SPEC, device="cpu"))


@pytest.fixture(scope="session")
def start_picture() -> Image.Image:
    return gradient_picture(320, 240)


@pytest.fixture(scope="session")
def end_picture() -> Image.Image:
    return Image.new("RGB", (320, 240), (20, 40, 220))
