"""Flow-guided temporal smoothing: calms flicker and "boiling" texture without smearing motion.

Each frame is averaged with its neighbours after warping them onto it along optical flow. A
neighbour's weight falls off with how badly the warp matches the frame, measured on a locally
averaged signed difference (so random flicker averages out of the error while a misaligned edge
does not): where the flow is wrong, e.g. at moving edges, the frame keeps its own pixels and
stays sharp. It removes temporal noise, not camera shake.
"""

from __future__ import annotations

import cv2
import numpy as np

from i2v.post.flow import DEFAULT_FLOW, FlowSettings, check_frames, gray, pixel_grid, warp

_ERROR_WINDOW = (5, 5)  # px; averages flicker out of the warp error while keeping edge misfits


def _tolerance(strength: float) -> float:
    """Warp error (grey levels, after local averaging) at which a neighbour's weight drops to 1/e."""
    return 3.0 + 9.0 * strength


def smooth(frames: np.ndarray, strength: float, *, flow: FlowSettings = DEFAULT_FLOW) -> np.ndarray:
    """Temporally filter `frames` with `strength` in [0, 1]: 0 returns a copy; 1 blends up to two
    neighbours either side at full weight where their warp fits. Frame count and size are kept.

    Raises ValueError for a strength outside [0, 1] or frames that are not uint8 `(T, H, W, 3)`.
    """
    frames = check_frames(frames)
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength!r}")
    if strength == 0 or len(frames) < 2:
        return frames.copy()
    radius = 1 if strength <= 0.5 else 2
    tolerance = _tolerance(strength)
    estimator = flow.estimator()
    grid = pixel_grid(*frames.shape[1:3])
    grays = [gray(frame) for frame in frames]
    out = np.empty_like(frames)
    for index, frame in enumerate(frames):
        own = frame.astype(np.float32)
        total = own.copy()
        weight_sum = np.ones(frame.shape[:2], np.float32)
        for other in range(max(0, index - radius), min(len(frames), index + radius + 1)):
            if other == index:
                continue
            motion = estimator.calc(grays[index], grays[other], None)
            aligned = warp(frames[other], grid + motion).astype(np.float32)
            misfit = np.linalg.norm(cv2.blur(aligned - own, _ERROR_WINDOW), axis=-1)
            distance_factor = 1.0 if abs(other - index) == 1 else 0.5
            weight = strength * distance_factor * np.exp(-((misfit / tolerance) ** 2))
            total += weight[..., None] * aligned
            weight_sum += weight
        out[index] = np.clip(total / weight_sum[..., None] + 0.5, 0, 255).astype(np.uint8)
    return out
