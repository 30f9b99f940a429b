"""The real loading code (local folder and hub cache) on a checkpoint saved from the tiny model."""

import shutil

import numpy as np
import pytest

from i2v.engine.base import ModelNotAvailable
from i2v.engine.checkpoints import resolve_checkpoint
from i2v.engine.i2vgenxl import SPEC
from i2v.engine.i2vgenxl.engine import I2VGenXLEngine
from i2v.engine.i2vgenxl.test_model import tiny_components
from i2v.engine.memory_plan import plan_for
from i2v.engine.registry import load_engine, spec_for
from i2v.request import GenerationRequest

REQUEST = GenerationRequest(prompt="water molecules vibrating", resolution="256p", frames=8, steps=2, seed=9)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A diffusers-format folder, as `i2v download` leaves on disk."""
    folder = tmp_path_factory.mktemp("ckpt") / "i2vgen-xl"
    parts = tiny_components()
    for name in ("unet", "vae", "text_encoder", "image_encoder", "tokenizer", "feature_extractor"):
        getattr(parts, name).save_pretrained(folder / name)
    from diffusers import DDIMScheduler

    DDIMScheduler.from_config(parts.scheduler_config).save_pretrained(folder / "scheduler")
    (folder / "model_index.json").write_text('{"_class_name": "I2VGenXLPipeline"}')
    return folder


def test_local_folder_loads_and_matches_the_in_memory_model(checkpoint, tiny_engine, picture):
    assert spec_for(str(checkpoint)) is SPEC  # the family comes from model_index.json
    engine = load_engine(str(checkpoint), plan_for("cpu"))
    assert engine.info.source == "local" and engine.info.fingerprint.startswith("sha256:")
    assert engine.info.family == "i2vgenxl"
    loaded = engine.generate(REQUEST, picture).frames
    in_memory = tiny_engine.generate(REQUEST, picture).frames
    assert np.array_equal(loaded, in_memory)


def test_hub_id_resolves_from_the_local_cache_with_its_revision(checkpoint, tmp_path, monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--ali-vilab--i2vgen-xl"
    shutil.copytree(checkpoint, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    folder, info = resolve_checkpoint("ali-vilab/i2vgen-xl", SPEC)
    assert folder.name == commit and info.revision == commit and info.source == "hub"


def test_folder_without_unet_is_refused_with_guidance(tmp_path):
    with pytest.raises(ModelNotAvailable, match="not a checkpoint folder of I2VGen-XL"):
        resolve_checkpoint(str(tmp_path), SPEC)


def test_pickled_weights_are_never_loaded(checkpoint, tmp_path):
    """A folder whose UNet is a pickle (`.bin`, which can run code when loaded) is refused, not unpickled."""
    folder = tmp_path / "pickled"
    shutil.copytree(checkpoint, folder)
    shutil.rmtree(folder / "unet")
    tiny_components().unet.save_pretrained(folder / "unet", safe_serialization=False)
    assert not list((folder / "unet").glob("*.safetensors")) and list((folder / "unet").glob("*.bin"))
    with pytest.raises(OSError, match="safetensors"):
        I2VGenXLEngine.from_hub_or_folder(str(folder), plan_for("cpu"))
