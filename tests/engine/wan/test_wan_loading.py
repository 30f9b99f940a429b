"""Loading a Wan checkpoint folder through the real code path (registry → engine), offline, on a
folder saved from the tiny model the way Wan-AI/Wan2.2-TI2V-5B-Diffusers is laid out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from diffusers import WanPipeline

from i2v.engine.base import ModelNotAvailable
from i2v.engine.memory_plan import plan_for
from i2v.engine.registry import load_engine, spec_for
from i2v.engine.wan import SPEC
from i2v.engine.wan.engine import load
from i2v.engine.wan.test_model import tiny_pipeline
from tests.engine.wan.conftest import REQUEST


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """The tiny model saved as the hub checkpoint is: a `WanPipeline` folder (the converter's class)
    with `expand_timesteps` set, one transformer, no image encoder, safetensors weights."""
    folder = tmp_path_factory.mktemp("wan") / "Wan2.2-TI2V-5B-tiny"
    tiny = tiny_pipeline()
    WanPipeline(
        tokenizer=tiny.tokenizer, text_encoder=tiny.text_encoder, vae=tiny.vae, scheduler=tiny.scheduler,
        transformer=tiny.transformer, transformer_2=None, boundary_ratio=None, expand_timesteps=True,
    ).save_pretrained(folder, safe_serialization=True)
    return folder


def _copy(checkpoint: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(checkpoint, folder)
    return folder


def _edit(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_folder_loads_offline_and_makes_the_same_frames_as_the_in_memory_model(checkpoint, wan_picture, baseline):
    index = json.loads((checkpoint / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline" and index["expand_timesteps"] is True
    assert list((checkpoint / "transformer").glob("*.safetensors")) and not list(checkpoint.rglob("*.bin"))
    assert spec_for(str(checkpoint)) is SPEC  # the family from model_index.json

    engine = load_engine(str(checkpoint), plan_for("cpu"))
    assert (engine.info.source, engine.info.family) == ("local", "wan")
    assert engine.info.fingerprint.startswith("sha256:") and not engine.info.is_test_model
    assert engine.pipe.config.expand_timesteps is True and engine.pipe.image_encoder is None
    assert engine.pipe.scheduler.config.flow_shift == 5.0  # the checkpoint's own scheduler config
    frames = engine.generate(REQUEST, wan_picture).frames
    engine.close()
    assert np.array_equal(frames, baseline["frames"])


def test_half_precision_keeps_the_vae_in_fp32_and_says_so_in_the_plan(checkpoint):
    plan = plan_for("cpu", dtype="bf16")
    assert plan.vae_dtype == "bf16"
    engine = load(str(checkpoint), plan)
    try:
        assert engine.plan.dtype == "bf16" and engine.plan.vae_dtype == "fp32"
        assert engine.pipe.vae.dtype.is_floating_point and str(engine.pipe.vae.dtype) == "torch.float32"
        assert str(engine.pipe.transformer.dtype) == "torch.bfloat16"
    finally:
        engine.close()


def test_a_folder_without_its_transformer_is_refused_with_the_download_command(checkpoint, tmp_path):
    folder = _copy(checkpoint, tmp_path)
    shutil.rmtree(folder / "transformer")
    with pytest.raises(ModelNotAvailable, match=r"no transformer/ inside.*i2v download --model Wan-AI/Wan2.2-TI2V-5B-Diffusers"):
        load_engine(str(folder), plan_for("cpu"))


def test_pickled_weights_are_refused_not_unpickled(checkpoint, tmp_path):
    folder = _copy(checkpoint, tmp_path)
    shutil.rmtree(folder / "transformer")
    tiny_pipeline().transformer.save_pretrained(folder / "transformer", safe_serialization=False)
    assert list((folder / "transformer").glob("*.bin"))
    with pytest.raises(ModelNotAvailable, match=r"only pickled weights.*only \.safetensors"):
        load_engine(str(folder), plan_for("cpu"))


@pytest.mark.parametrize(
    ("component", "changes", "reason"),
    [
        ("model_index.json", {"image_encoder": ["transformers", "CLIPVisionModel"]}, "CLIP image encoder"),
        ("model_index.json", {"transformer_2": ["diffusers", "WanTransformer3DModel"], "boundary_ratio": 0.9},
         "two transformers"),
        ("vae/config.json", {"z_dim": 16}, "16-channel latents"),
    ],
)
def test_other_wan_checkpoints_are_refused_naming_the_one_to_use(checkpoint, tmp_path, component, changes, reason):
    """Wan 2.1 image-to-video (CLIP image encoder, 16 latent channels) and Wan 2.2 A14B (two
    transformers) are Wan pipelines too; this engine runs the TI2V-5B and says so before loading."""
    folder = _copy(checkpoint, tmp_path)
    _edit(folder / component, **changes)
    assert spec_for(str(folder)) is SPEC
    with pytest.raises(ModelNotAvailable, match=rf"cannot run: it has .*{reason}.*Wan-AI/Wan2.2-TI2V-5B-Diffusers"):
        load_engine(str(folder), plan_for("cpu"))


def test_a_hub_id_not_downloaded_names_the_download_command(tmp_path, monkeypatch):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelNotAvailable, match=r"about 34 GB.*i2v download --model Wan-AI/Wan2.2-TI2V-5B-Diffusers"):
        load_engine(SPEC.hub_id, plan_for("cpu"))
