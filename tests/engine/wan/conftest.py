"""The tiny Wan 2.2 TI2V, built once per session, and the one small request most tests run.

A tiny-model run at the family's smallest preset (480p, 5 frames, 2 steps) takes a few seconds
on this CPU, mostly in the VAE, so the tests share what they can: one engine, one baseline video.
"""

from __future__ import annotations

import numpy as np
import pytest

from i2v.request import GenerationRequest
from tests.conftest import gradient_picture

REQUEST = GenerationRequest(
    prompt="a paper boat drifting on a pond", negative_prompt="blurry, static", seed=3,
    resolution="480p", frames=5, steps=2, guidance=5.0,
)


@pytest.fixture(scope="session")
def wan_engine():
    """The tiny Wan 2.2 TI2V through the registry, on the CPU in fp32."""
    from i2v.engine.memory_plan import choose_plan
    from i2v.engine.registry import load_engine
    from i2v.engine.wan import SPEC

    return load_engine(SPEC.test_model, choose_plan(SPEC, device="cpu"))


@pytest.fixture(scope="session")
def wan_picture():
    return gradient_picture(320, 240)


@pytest.fixture(scope="session")
def baseline(wan_engine, wan_picture) -> dict:
    """`REQUEST` generated once with progress reports: its uint8 frames and the reports."""
    reports = []
    output = wan_engine.generate(REQUEST, wan_picture, on_progress=reports.append)
    assert output.frames.dtype == np.uint8
    return {"frames": output.frames, "output": output, "progress": reports}
