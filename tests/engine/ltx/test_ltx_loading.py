"""Loading LTX-Video checkpoints through the real code path, offline: folders saved from the tiny
model with `save_pretrained` (safetensors), picked by the registry from their model_index.json."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from diffusers import LTXConditionPipeline, LTXImageToVideoPipeline

from i2v.engine.base import ModelNotAvailable
from i2v.engine.ltx import SPEC
from i2v.engine.ltx.engine import DECODE_NOISE_SCALE, DECODE_TIMESTEP
from i2v.engine.ltx.test_model import tiny_pipeline
from i2v.engine.memory_plan import plan_for
from i2v.engine.registry import load_engine, spec_for
from i2v.image_input import fit_image
from tests.conftest import gradient_picture
from tests.engine.ltx.conftest import request

PICTURE = gradient_picture(400, 300)


def copy_of(folder, tmp_path):
    target = tmp_path / folder.name
    shutil.copytree(folder, target)
    return target


def test_a_saved_folder_loads_through_the_registry_and_matches_the_in_memory_model(ltx_checkpoint, ltx_engine):
    assert list(ltx_checkpoint.glob("*/*.safetensors")) and not list(ltx_checkpoint.glob("*/*.bin"))
    assert spec_for(str(ltx_checkpoint)) is SPEC  # from model_index.json's _class_name
    engine = load_engine(str(ltx_checkpoint), plan_for("cpu"))
    assert type(engine.pipe) is LTXImageToVideoPipeline
    assert (engine.info.source, engine.info.family, engine.info.is_test_model) == ("local", "ltx", False)
    assert engine.info.fingerprint.startswith("sha256:")
    req = SPEC.complete(request(steps=2))
    picture = fit_image(PICTURE, 384, 288)
    # Equal up to float rounding: the VAE loaded from safetensors convolves in a different summation
    # order than the freshly built one (measured: 3.5e-6 apart), so a few uint8 pixels may round apart.
    assert np.abs(engine.sample(req, picture) - ltx_engine.sample(req, picture)).max() < 1e-4
    loaded = engine.generate(req, PICTURE).frames
    assert np.abs(loaded.astype(int) - ltx_engine.generate(req, PICTURE).frames).max() <= 1


def test_a_0_9_5_folder_runs_the_condition_pipeline_and_matches_a_plain_call(ltx_condition_checkpoint):
    assert json.loads((ltx_condition_checkpoint / "model_index.json").read_text())["_class_name"] == "LTXConditionPipeline"
    engine = load_engine(str(ltx_condition_checkpoint), plan_for("cpu"))
    assert type(engine.pipe) is LTXConditionPipeline
    req = SPEC.complete(request(negative_prompt="blurry"))
    width, height = SPEC.frame_size(req.resolution, PICTURE.width, PICTURE.height)
    seen = []
    ours = engine.sample(req, fit_image(PICTURE, width, height), on_progress=seen.append)
    theirs = engine.pipe(
        image=fit_image(PICTURE, width, height), prompt=req.prompt, negative_prompt=req.negative_prompt,
        width=width, height=height, num_frames=req.frames, frame_rate=req.fps, num_inference_steps=req.steps,
        guidance_scale=req.guidance, generator=torch.Generator().manual_seed(req.seed),
        decode_timestep=DECODE_TIMESTEP, decode_noise_scale=DECODE_NOISE_SCALE,
        max_sequence_length=SPEC.text.max_tokens, output_type="np",
    ).frames[0]
    assert ours.shape == theirs.shape == (9, 288, 384, 3)
    assert np.abs(ours - theirs).max() < 1e-3
    assert [p.step for p in seen] == [1, 2, 3] and seen[-1].preview.size == (384, 288)


def test_an_ltx_pipeline_folder_runs_image_to_video(ltx_checkpoint, tmp_path):
    """0.9.0/0.9.1 folders on the hub name the text-to-video LTXPipeline; the parts are the same."""
    folder = copy_of(ltx_checkpoint, tmp_path)
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTXPipeline"}))
    assert spec_for(str(folder)) is SPEC
    assert type(load_engine(str(folder), plan_for("cpu")).pipe) is LTXImageToVideoPipeline


def test_a_downloaded_hub_id_resolves_from_the_cache_with_its_revision(ltx_checkpoint, tmp_path, monkeypatch):
    from huggingface_hub import constants

    commit = "89abcdef0123456789abcdef0123456789abcdef"
    repo = tmp_path / "hub" / "models--Lightricks--LTX-Video"
    shutil.copytree(ltx_checkpoint, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    engine = load_engine(SPEC.hub_id, plan_for("cpu"))
    assert (engine.info.id, engine.info.source, engine.info.revision) == (SPEC.hub_id, "hub", commit)


def test_missing_weights_name_the_download_command(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(ModelNotAvailable, match="i2v download --model Lightricks/LTX-Video"):
        load_engine(SPEC.hub_id, plan_for("cpu"))


def test_a_folder_without_a_transformer_is_refused(ltx_checkpoint, tmp_path):
    folder = copy_of(ltx_checkpoint, tmp_path)
    shutil.rmtree(folder / "transformer")
    with pytest.raises(ModelNotAvailable, match="not a checkpoint folder of LTX-Video 2B \\(no transformer/ inside\\)"):
        load_engine(str(folder), plan_for("cpu"))


def test_pickled_weights_are_refused_not_unpickled(ltx_checkpoint, tmp_path):
    """A transformer stored as a pickle (`.bin`, which can run code when loaded) is never read."""
    folder = copy_of(ltx_checkpoint, tmp_path)
    shutil.rmtree(folder / "transformer")
    tiny_pipeline().transformer.save_pretrained(folder / "transformer", safe_serialization=False)
    assert list((folder / "transformer").glob("*.bin")) and not list((folder / "transformer").glob("*.safetensors"))
    with pytest.raises(ModelNotAvailable, match="reads only safetensors"):
        load_engine(str(folder), plan_for("cpu"))


def test_ltx_13b_is_refused_with_the_checkpoint_to_use(ltx_checkpoint, tmp_path):
    folder = copy_of(ltx_checkpoint, tmp_path)
    config_file = folder / "transformer" / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**config, "num_layers": 48, "num_attention_heads": 32, "attention_head_dim": 128}))
    with pytest.raises(ModelNotAvailable, match=r"48 layers, width 4096.*2 B checkpoint: \S*i2v download --model Lightricks/LTX-Video"):
        load_engine(str(folder), plan_for("cpu"))


def test_a_folder_of_another_pipeline_is_refused_by_the_engine(ltx_checkpoint, tmp_path):
    from i2v.engine.ltx.engine import load_pipeline

    folder = copy_of(ltx_checkpoint, tmp_path)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LTXLatentUpsamplePipeline"}))
    with pytest.raises(ModelNotAvailable, match="LTXLatentUpsamplePipeline checkpoint"):
        load_pipeline(folder, plan_for("cpu"))
