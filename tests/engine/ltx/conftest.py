"""Fixtures for the LTX-Video engine: the tiny model loaded once, and checkpoint folders saved from it."""

from __future__ import annotations

import pytest

from i2v.request import GenerationRequest

# The smallest LTX sizes: 256p (384×288 for the 4:3 test picture), 9 frames = two latent frames.
SMALL = {"resolution": "256p", "frames": 9, "fps": 24, "steps": 3}


def request(**overrides) -> GenerationRequest:
    return GenerationRequest(**{"prompt": "a plant cell dividing", "seed": 11, **SMALL, **overrides})


@pytest.fixture(scope="session")
def ltx_engine():
    """The tiny random-weight LTX-Video ("tiny-ltx", LTXImageToVideoPipeline), loaded once on the CPU."""
    from i2v.engine.ltx import SPEC, load_engine
    from i2v.engine.memory_plan import choose_plan

    return load_engine(SPEC.test_model, choose_plan(SPEC, device="cpu"))


@pytest.fixture(scope="session")
def ltx_checkpoint(tmp_path_factory):
    """The tiny model saved as a diffusers folder (safetensors), as `i2v download` leaves one on disk."""
    from i2v.engine.ltx.test_model import tiny_pipeline

    folder = tmp_path_factory.mktemp("ltx") / "LTX-Video"
    tiny_pipeline().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def ltx_condition_checkpoint(tmp_path_factory):
    """The tiny 0.9.5-layout model saved as an `LTXConditionPipeline` folder."""
    from i2v.engine.ltx.test_model import tiny_pipeline

    folder = tmp_path_factory.mktemp("ltx095") / "LTX-Video-0.9.5"
    tiny_pipeline(condition=True).save_pretrained(folder)
    return folder
