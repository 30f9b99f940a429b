"""`tiny-ltx2`: random-weight LTX-2 of the real architecture at toy size, built in-process (no download).

The real classes — `Gemma3ForConditionalGeneration` (a tiny config built in memory, with the offline
`GemmaTokenizer`), `LTX2TextConnectors`, `LTX2VideoTransformer3DModel` (video and audio streams),
`AutoencoderKLLTX2Video` (32×32 pixels and 8 frames per latent like the real one), `AutoencoderKLLTX2Audio`
and `LTX2Vocoder` — with sizes taken from diffusers' own LTX-2 pipeline tests. What it makes is noise
and a hiss, labelled TEST MODEL: a banner on the frames and a short tone at the start of the sound.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from diffusers import (
    AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, FlowMatchEulerDiscreteScheduler, LTX2ConditionPipeline,
    LTX2ImageToVideoPipeline, LTX2VideoTransformer3DModel,
)
from diffusers.pipelines.ltx2 import LTX2TextConnectors
from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
from transformers import Gemma3Config, Gemma3ForConditionalGeneration

from i2v.engine.base import ModelInfo
from i2v.engine.ltx2.spec import SPEC
from i2v.engine.ltx2.tokenizer import load_gemma_tokenizer

HIDDEN = 32  # Gemma width = the connectors' width (4 heads of 8)
TEXT_LAYERS = 2
AUDIO_RATE = 16000  # the tiny vocoder's output rate (the real one: 24 kHz; i2v writes 48 kHz AAC)

TRANSFORMER_CONFIG: dict[str, Any] = dict(
    in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
    cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2,
    audio_attention_head_dim=4, audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
    caption_channels=HIDDEN, rope_double_precision=False, rope_type="split")
CONNECTORS_CONFIG: dict[str, Any] = dict(
    caption_channels=HIDDEN, text_proj_in_factor=TEXT_LAYERS + 1, video_connector_num_attention_heads=4,
    video_connector_attention_head_dim=8, video_connector_num_layers=1, video_connector_num_learnable_registers=None,
    audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=8, audio_connector_num_layers=1,
    audio_connector_num_learnable_registers=None, connector_rope_base_seq_len=32, rope_theta=10000.0,
    rope_double_precision=False, causal_temporal_positioning=False, rope_type="split")
# patch 4 and three spatio-temporal down/up scalings: 32×32 pixels and 8 frames per latent, as the real VAE.
VAE_CONFIG: dict[str, Any] = dict(
    in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8, 8), decoder_block_out_channels=(8, 8, 8),
    layers_per_block=(1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1), spatio_temporal_scaling=(True, True, True),
    decoder_spatio_temporal_scaling=(True, True, True), decoder_inject_noise=(False, False, False, False),
    downsample_type=("spatiotemporal", "spatiotemporal", "spatiotemporal"), upsample_residual=(False, False, False),
    upsample_factor=(1, 1, 1), timestep_conditioning=False, patch_size=4, patch_size_t=1, encoder_causal=True,
    decoder_causal=False)
AUDIO_VAE_CONFIG: dict[str, Any] = dict(
    base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1, attn_resolutions=None, in_channels=2,
    resolution=32, latent_channels=2, norm_type="pixel", causality_axis="height", dropout=0.0,
    mid_block_add_attention=False, sample_rate=AUDIO_RATE, mel_hop_length=160, is_causal=True, mel_bins=8)
VOCODER_CONFIG: dict[str, Any] = dict(
    in_channels=2 * 8, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[4, 4], upsample_factors=[2, 2],
    resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]], leaky_relu_negative_slope=0.1,
    output_sampling_rate=AUDIO_RATE)


def text_config(vocab_size: int) -> Gemma3Config:
    return Gemma3Config(
        text_config=dict(vocab_size=vocab_size, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=TEXT_LAYERS,
                         num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                         max_position_embeddings=SPEC.text.max_tokens, pad_token_id=0, bos_token_id=2, eos_token_id=1),
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=28, patch_size=14),
        mm_tokens_per_image=4, image_token_index=vocab_size - 1, boi_token_index=vocab_size - 2,
        eoi_token_index=vocab_size - 3)


def tiny_components(seed: int = 0) -> dict[str, Any]:
    """The tiny model's parts; the same `seed` always gives the same weights."""
    tokenizer = load_gemma_tokenizer()
    parts: dict[str, Any] = {"tokenizer": tokenizer, "scheduler": FlowMatchEulerDiscreteScheduler()}
    factories = {
        "text_encoder": lambda: Gemma3ForConditionalGeneration(text_config(len(tokenizer))),
        "connectors": lambda: LTX2TextConnectors(**CONNECTORS_CONFIG),
        "transformer": lambda: LTX2VideoTransformer3DModel(**TRANSFORMER_CONFIG),
        "vae": lambda: AutoencoderKLLTX2Video(**VAE_CONFIG),
        "audio_vae": lambda: AutoencoderKLLTX2Audio(**AUDIO_VAE_CONFIG),
        "vocoder": lambda: LTX2Vocoder(**VOCODER_CONFIG),
    }
    for name, factory in factories.items():
        torch.manual_seed(seed)
        parts[name] = factory().eval()
    parts["vae"].use_framewise_encoding = False
    parts["vae"].use_framewise_decoding = False
    return parts


def tiny_pipeline(seed: int = 0, *, condition: bool = False) -> LTX2ImageToVideoPipeline | LTX2ConditionPipeline:
    """The tiny model as `LTX2ImageToVideoPipeline`, or with `condition` as `LTX2ConditionPipeline`
    (pictures at any frame index) over the same weights."""
    cls = LTX2ConditionPipeline if condition else LTX2ImageToVideoPipeline
    return cls(**tiny_components(seed))


def fingerprint(seed: int = 0) -> str:
    """A short hash of the tiny model's weights: recipes name exactly which weights made a clip."""
    digest = hashlib.sha256()
    for name, part in tiny_components(seed).items():
        if isinstance(part, torch.nn.Module):
            for key, tensor in sorted(part.state_dict().items()):
                digest.update(f"{name}.{key}".encode())
                digest.update(tensor.detach().cpu().float().numpy().tobytes())
    return digest.hexdigest()[:16]


def tiny_info() -> ModelInfo:
    return ModelInfo(id=SPEC.test_model, source="tiny", revision=None, fingerprint="tiny-ltx2-seed0",
                     family=SPEC.family, is_test_model=True)
