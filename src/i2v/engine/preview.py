"""Cheap live previews for any latent space: a linear latent→RGB map fitted to the model's own VAE.

A full VAE decode per step would cost as much as a denoising step; a linear map from each latent
pixel's channels to the colour of the image patch it stands for is nearly free and good enough to
see the motion forming. I2VGen-XL uses SD-2.1's known 4-channel map; families with wider latents
(Wan 2.2: 48 channels, LTX: 128) fit theirs once per loaded model by encoding a synthetic picture of
known colours and solving a least-squares problem — no numbers copied from elsewhere, and right for
whatever weights are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class LatentRGB:
    """RGB ≈ latent · weights + bias, per latent pixel (weights: (C, 3), bias: (3,), RGB in [-1, 1])."""

    weights: torch.Tensor
    bias: torch.Tensor

    def image(self, latent: torch.Tensor, scale: int) -> Image.Image:
        """A picture of one latent frame (C, h, w), scaled up `scale`× to about the video's size."""
        rgb = torch.einsum("chw,cd->hwd", latent.float().cpu(), self.weights) + self.bias
        pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).nan_to_num(0).to(torch.uint8).numpy()
        picture = Image.fromarray(pixels)
        return picture.resize((picture.width * scale, picture.height * scale), Image.BILINEAR)


def calibration_picture(width: int, height: int, patch: int, seed: int = 0) -> torch.Tensor:
    """A colourful picture (3, H, W) in [-1, 1]: flat patches of many colours, each a few latent
    pixels wide, so every latent pixel sees one known colour, plus gradients between them."""
    rng = np.random.default_rng(seed)
    cells_y, cells_x = max(1, height // (2 * patch)), max(1, width // (2 * patch))
    colours = rng.uniform(-1, 1, size=(cells_y, cells_x, 3)).astype(np.float32)
    grid = np.repeat(np.repeat(colours, 2 * patch, axis=0), 2 * patch, axis=1)[:height, :width]
    canvas = np.zeros((height, width, 3), dtype=np.float32)
    canvas[: grid.shape[0], : grid.shape[1]] = grid
    return torch.from_numpy(canvas).permute(2, 0, 1)


def fit_latent_rgb(
    encode: Callable[[torch.Tensor], torch.Tensor], patch: int, *, size: tuple[int, int] = (256, 256), seed: int = 0
) -> LatentRGB:
    """Fit the map for a VAE. `encode` takes pixels (1, 3, H, W) in [-1, 1] and returns the latent
    (C, H/patch, W/patch) normalised as the denoiser sees it; `patch` is the VAE's spatial factor."""
    width, height = size
    pixels = calibration_picture(width, height, patch, seed)
    with torch.no_grad():
        latent = encode(pixels[None]).float().cpu()
    channels, h, w = latent.shape
    target = torch.nn.functional.avg_pool2d(pixels[None], patch)[0][:, :h, :w]  # (3, h, w)
    inputs = torch.cat([latent.reshape(channels, -1), torch.ones(1, h * w)]).T.double()  # (h·w, C+1)
    outputs = target.reshape(3, -1).T.double()
    # Ridge-regularised least squares: wide latents (128 channels) over few pixels stay stable.
    gram = inputs.T @ inputs + 1e-3 * torch.eye(channels + 1, dtype=torch.float64)
    solution = torch.linalg.solve(gram, inputs.T @ outputs).float()  # (C+1, 3)
    return LatentRGB(weights=solution[:channels], bias=solution[channels])
