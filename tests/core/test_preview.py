"""The live preview's latent→RGB map is fitted to the loaded VAE itself (any latent width)."""

import numpy as np
import torch

from i2v.engine.i2vgenxl.test_model import tiny_components
from i2v.engine.preview import calibration_picture, fit_latent_rgb
from tests.conftest import gradient_picture


def _pixels(picture) -> torch.Tensor:
    return torch.from_numpy(np.asarray(picture, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]


def test_a_fitted_map_recovers_the_colours_of_a_picture_it_never_saw():
    """A latent space that mixes each patch's colour into 48 channels (as a video VAE's roughly does):
    the fit learns to undo the mixing from the calibration picture alone."""
    mixing = torch.randn(3, 48, generator=torch.Generator().manual_seed(1))

    def encode(pixels: torch.Tensor) -> torch.Tensor:
        colour = torch.nn.functional.avg_pool2d(pixels, 16)[0]  # (3, h, w)
        return torch.einsum("chw,cd->dhw", colour, mixing) + 0.3

    mapping = fit_latent_rgb(encode, patch=16, size=(256, 256))
    assert mapping.weights.shape == (48, 3) and mapping.bias.shape == (3,)
    picture = gradient_picture(256, 256, seed=3)
    preview = mapping.image(encode(_pixels(picture)), scale=16)
    truth = np.asarray(picture.reduce(16).resize((256, 256), resample=0), dtype=float)
    error = np.abs(np.asarray(preview, dtype=float) - truth).mean()
    flat = np.abs(truth - truth.mean(axis=(0, 1))).mean()  # a preview that knew only the average colour
    assert preview.size == (256, 256) and error < 0.1 * flat, (error, flat)


def test_fitting_a_real_vae_gives_a_finite_map_and_picture():
    vae = tiny_components().vae.eval()

    def encode(pixels: torch.Tensor) -> torch.Tensor:
        return vae.encode(pixels).latent_dist.mean[0] * vae.config.scaling_factor

    mapping = fit_latent_rgb(encode, patch=8, size=(128, 128))
    assert torch.isfinite(mapping.weights).all() and mapping.weights.shape == (4, 3)
    with torch.no_grad():
        preview = mapping.image(encode(_pixels(gradient_picture(128, 96))), scale=8)
    assert preview.size == (128, 96)


def test_the_calibration_picture_is_deterministic_and_colourful():
    a, b = calibration_picture(64, 64, 8), calibration_picture(64, 64, 8)
    assert torch.equal(a, b) and a.shape == (3, 64, 64)
    assert a.min() >= -1 and a.max() <= 1 and a.reshape(3, -1).T.unique(dim=0).shape[0] >= 4
