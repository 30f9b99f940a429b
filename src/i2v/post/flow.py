"""Dense optical flow and warping shared by interpolation and smoothing (OpenCV DIS, CPU only)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FlowSettings:
    """Which DIS variant to run. The default was chosen by measurement (benchmarks/bench_post.py,
    512×512, 2-core CPU; figures in benchmarks/POST_RESULTS.md): ULTRAFAST refined down to half
    resolution (finest scale 1) scored within 0.15 dB of MEDIUM on interpolated frames and ran
    ~1.5× faster end to end; ULTRAFAST at its own finest scale 2, and FAST, lost ~0.6 dB for only
    ~1.1–1.2× speed, because splatting and warping, not the flow, take most of the time."""

    preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
    finest_scale: int = 1

    def estimator(self) -> cv2.DISOpticalFlow:
        """A fresh estimator: one per call, never shared between threads or jobs."""
        estimator = cv2.DISOpticalFlow_create(self.preset)
        estimator.setFinestScale(self.finest_scale)
        return estimator


DEFAULT_FLOW = FlowSettings()


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Frames as `uint8 (T, H, W, 3)`, or a ValueError that says what arrived instead."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or frames.shape[0] == 0:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T ≥ 1, got {frames.dtype} {frames.shape}")
    return frames


def pixel_grid(height: int, width: int) -> np.ndarray:
    """`(H, W, 2)` float32 (x, y) coordinates of every pixel."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.dstack([xs, ys])


def gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def warp(image: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Sample `image` at float (x, y) `coords` (backward warping), edges clamped."""
    return cv2.remap(image, coords[..., 0], coords[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
