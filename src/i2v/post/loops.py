"""Loops and playback speed: re-timing a clip without inventing new content."""

from __future__ import annotations

import numpy as np

from i2v.post.flow import check_frames

FPS_RANGE = (4.0, 60.0)  # players and projectors handle these rates; outside it we resample frames


def pingpong(frames: np.ndarray) -> np.ndarray:
    """Forward then backward: 0…N−1 then N−2…1, so looping playback shows no frame twice in a row
    (2N−2 frames; one or two frames come back unchanged)."""
    frames = check_frames(frames)
    if len(frames) < 3:
        return frames.copy()
    return np.concatenate([frames, frames[-2:0:-1]])


def default_overlap(count: int) -> int:
    """Cross-fade length used by the pipeline: a quarter of the clip, at least one frame."""
    return max(1, count // 4)


def crossfade_loop(frames: np.ndarray, overlap: int) -> np.ndarray:
    """A clip that loops without a jump: the last `overlap` frames fade into the first `overlap`.

    Returns N − overlap frames: frame i < overlap is the tail frame N−overlap+i blended into head
    frame i (the tail's share falling from nearly all to nearly none), then frames overlap…N−overlap−1.
    Its last frame is followed naturally by frame N−overlap, which the first frame mostly is.
    Raises ValueError unless 1 ≤ overlap ≤ (N−1)/2.
    """
    frames = check_frames(frames)
    count = len(frames)
    if not 1 <= overlap <= (count - 1) // 2:
        raise ValueError(f"overlap must be between 1 and {(count - 1) // 2} for {count} frames, got {overlap}")
    head = frames[:overlap].astype(np.float32)
    tail = frames[count - overlap :].astype(np.float32)
    head_share = (np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1))[:, None, None, None]
    blended = np.clip(tail * (1 - head_share) + head * head_share + 0.5, 0, 255).astype(np.uint8)
    return np.concatenate([blended, frames[overlap : count - overlap]])


def change_speed(frames: np.ndarray, fps: float, speed: float) -> tuple[np.ndarray, float]:
    """Play `speed` times faster (0.5 = half speed). Returns `(frames, fps)`.

    Changes only the frame rate while it stays within 4–60 fps (no frame lost or repeated);
    otherwise clamps the rate to that range and drops or repeats frames to keep the new duration.
    Raises ValueError for a non-positive fps or speed.
    """
    frames = check_frames(frames)
    if fps <= 0 or speed <= 0:
        raise ValueError(f"fps and speed must be positive, got fps={fps!r}, speed={speed!r}")
    if speed == 1:
        return frames.copy(), fps
    wanted = fps * speed
    low, high = FPS_RANGE
    if low <= wanted <= high:
        return frames.copy(), wanted
    rate = min(max(wanted, low), high)
    duration = len(frames) / wanted
    count = max(1, round(duration * rate))
    # output frame j shows the source frame on screen at its time (j / rate seconds, sped up)
    sources = np.floor(np.arange(count) * wanted / rate + 1e-9).astype(int)
    return frames[np.minimum(sources, len(frames) - 1)], rate
