"""Predict a job's peak accelerator memory before anything is loaded.

peak ≈ the weights a memory plan keeps on the device at the worst moment + the activations of one
denoiser call (fitted to measurements at small sizes on the CPU, see `benchmarks/activations.py`)
or of one VAE decode, whichever moment is worse. The memory plan uses it to pick the cheapest
offload that fits instead of waiting for an out-of-memory error; `benchmarks/gpu.py` compares it
with what a real GPU measures.
"""

from __future__ import annotations

from dataclasses import dataclass

from i2v.engine.spec import ModelSpec

GIB = 2**30
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
TILE_PIXELS = 512 * 512  # what one tile of a tiled VAE decode spans (diffusers' default tile sizes)
CONTEXT_BYTES = int(0.6 * GIB)  # CUDA context, cuBLAS/cuDNN workspaces and allocator slack


@dataclass(frozen=True)
class Prediction:
    """Bytes at the worst moment of each phase, and the overall peak."""

    weights_denoise: int
    activations_denoise: int
    weights_decode: int
    activations_decode: int
    weights_encode: int = 0  # the prompt and picture encoders (their activations are small: not modelled)

    @property
    def denoise(self) -> int:
        return self.weights_denoise + self.activations_denoise

    @property
    def decode(self) -> int:
        return self.weights_decode + self.activations_decode

    @property
    def peak(self) -> int:
        return max(self.denoise, self.decode, self.weights_encode) + CONTEXT_BYTES

    def describe(self) -> str:
        encode = f"encode {self.weights_encode / GIB:.1f}, " if self.weights_encode > max(self.denoise, self.decode) else ""
        return (f"≈{self.peak / GIB:.1f} GiB ({encode}denoise {self.denoise / GIB:.1f}, decode {self.decode / GIB:.1f}, "
                f"+{CONTEXT_BYTES / GIB:.1f} context)")


def predict(
    spec: ModelSpec, *, offload: str, dtype: str, vae_dtype: str, width: int, height: int, frames: int,
    vae_chunk: int = 1, vae_tiling: bool = False,
) -> Prediction | None:
    """Peak memory of one job of `spec` under a plan; None when the family has no measured footprint."""
    footprint, latent = spec.footprint, spec.latent
    if footprint is None or latent is None:
        return None
    size, vae_size = BYTES[dtype], BYTES[vae_dtype]
    weights = {name: count * (vae_size if name == footprint.vae else size) for name, count in footprint.parameters.items()}
    tokens = latent.tokens(width, height, frames) * latent.guided_batch
    act_denoise = int((footprint.act_fixed + footprint.act_per_token * tokens) * size / 4)
    # Video VAEs (temporal > 1) decode every frame in one call unless they go piece by piece
    # (`decode_frames`); 2-D VAEs decode `vae_chunk` frames at once.
    if latent.temporal > 1:
        decoded_frames = min(frames, footprint.decode_frames) if footprint.decode_frames else frames
    else:
        decoded_frames = max(1, vae_chunk)
    pixels = min(width * height, TILE_PIXELS) if vae_tiling else width * height
    act_decode = int(footprint.decode_per_pixel * pixels * decoded_frames * vae_size / 4)
    on_device_denoise, on_device_decode = _resident(offload, weights, footprint.denoiser, footprint.vae,
                                                    footprint.largest_layer * size)
    return Prediction(on_device_denoise, act_denoise, on_device_decode, act_decode,
                      _resident_encoding(offload, weights, footprint.encoders, footprint.encoder_largest_layer * size))


def _resident(offload: str, weights: dict[str, int], denoiser: str, vae: str, layer: int) -> tuple[int, int]:
    """Weight bytes on the device while denoising and while decoding, under each offload mode."""
    if offload == "none":
        total = sum(weights.values())
        return total, total
    if offload == "model":  # one component at a time
        return weights[denoiser], weights[vae]
    if offload == "group":  # a layer computing and the next one arriving on a second stream
        return 2 * layer, min(weights[vae], 2 * layer)
    return layer, min(weights[vae], layer)  # sequential


def _resident_encoding(offload: str, weights: dict[str, int], encoders: tuple[str, ...], layer: int) -> int:
    """Weight bytes on the device while the prompt and picture are encoded. Under model offload
    the biggest encoder is there whole: Wan's UMT5-XXL (10.6 GiB in bf16) and LTX's T5-XXL
    (8.9 GiB) then set the peak on small cards, not the denoiser."""
    if not encoders:
        return 0
    if offload == "none":
        return sum(weights.values())
    if offload == "model":
        return max(weights[name] for name in encoders)
    return 2 * layer if offload == "group" else layer


def cheapest_fitting(
    spec: ModelSpec, free_bytes: int, *, dtype: str, vae_dtype: str, width: int, height: int, frames: int,
    ladder: tuple[str, ...] = ("none", "model", "group", "sequential"), margin: float = 0.9,
) -> tuple[str, bool, Prediction] | None:
    """The first (fastest) offload mode, without then with VAE tiling, whose predicted peak fits in
    `margin` × `free_bytes`; None when no footprint is known or nothing fits."""
    for offload in ladder:
        for tiling in (False, True):
            prediction = predict(spec, offload=offload, dtype=dtype, vae_dtype=vae_dtype, width=width,
                                 height=height, frames=frames, vae_chunk=1 if offload != "none" else 8, vae_tiling=tiling)
            if prediction is None:
                return None
            if prediction.peak <= margin * free_bytes:
                return offload, tiling, prediction
    return None
