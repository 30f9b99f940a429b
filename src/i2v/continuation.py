"""Extending a finished video: the continuation starts from the parent's last frame, is brought to the
parent's colours, and is joined to it into one MP4 with no repeated frame and no gap in time.

Chained clips drift in colour (each generation re-imagines the picture's palette a little), which
shows as a jump at the join. The continuation's frames are therefore colour-matched to the parent's
last frame (each channel's mean and spread, one transform for the whole continuation, so its own
motion and lighting changes are kept); `colour_shift` measures what is left at the join.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from i2v.media import Audio, fit_audio, read_audio, read_video
from i2v.request import GenerationRequest, RequestError

JOIN_SHIFT_LIMIT = 3.0  # mean per-channel colour shift (0–255) at the join that the tests hold extension under
_CARRIED = ("model", "prompt", "negative_prompt", "resolution", "fps", "steps", "guidance", "quality", "sound")


class ExtendError(RequestError):
    """A video that cannot be extended (gone, no recipe, not made by i2v, a length out of range); a job
    asking for it fails with this message, the CLI exits 2."""


@dataclass(frozen=True)
class Parent:
    """The finished video a continuation extends."""

    name: str  # its archive name (the recipe records it)
    frames: np.ndarray
    fps: float
    audio: Audio | None
    recipe: dict[str, Any]

    @property
    def last_frame(self) -> Image.Image:
        return Image.fromarray(self.frames[-1])


def load_parent(video: Path) -> Parent:
    """The video and the recipe beside it (`NAME.json`). Raises ParentNotFound / ExtendError."""
    video = Path(video)
    if not video.is_file():
        raise ExtendError(f"There is no video at {video}.")
    recipe_file = video.with_suffix(".json")
    try:
        recipe = json.loads(recipe_file.read_text("utf-8"))
    except (OSError, ValueError):
        raise ExtendError(f"{video.name} has no readable recipe beside it ({recipe_file.name}); only videos i2v made "
                          "can be extended (the recipe says which model and settings continue it).") from None
    frames, fps = read_video(video)
    return Parent(video.stem, frames, fps, read_audio(video), recipe)


def continuation_request(parent: Parent, seconds: float, frames_for: Any, *, prompt: str | None = None,
                         seed: int | None = None) -> GenerationRequest:
    """The request that continues `parent` for about `seconds`: the parent's model, size, frame rate and
    settings (its prompt unless a new one is given), frames by the family's rule (`frames_for(n)`:
    the nearest count it allows), the parent's seed + 1 unless one is given."""
    if not 0 < seconds <= 60:
        raise ExtendError(f"--seconds must be between 0 and 60 (got {seconds:g}).")
    request = parent.recipe.get("request") or parent.recipe
    fields = {key: request[key] for key in _CARRIED if request.get(key) is not None}
    if prompt:
        fields["prompt"] = prompt
    fps = int(round(parent.fps))
    fields["fps"] = fps
    fields["frames"] = int(frames_for(round(seconds * fps) + 1))  # +1: the first frame is the parent's last
    parent_seed = request.get("seed", parent.recipe.get("seed"))
    fields["seed"] = seed if seed is not None else (int(parent_seed) + 1 if parent_seed is not None else None)
    return GenerationRequest.parse({k: v for k, v in fields.items() if v is not None})


def colour_matched(frames: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`frames` with each channel's mean and spread in the first frame moved to `reference`'s, by one
    linear transform applied to every frame (so the continuation keeps its own changes over time)."""
    first = frames[0].reshape(-1, 3).astype(np.float64)
    target = reference.reshape(-1, 3).astype(np.float64)
    scale = (target.std(axis=0) + 1e-6) / (first.std(axis=0) + 1e-6)
    scale = np.clip(scale, 0.5, 2.0)  # a flat first frame must not blow up the noise of the rest
    shifted = (frames.astype(np.float64) - first.mean(axis=0)) * scale + target.mean(axis=0)
    return np.clip(np.round(shifted), 0, 255).astype(np.uint8)


def colour_shift(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of the per-channel means of two frames (0–255 levels)."""
    return float(np.abs(a.reshape(-1, 3).mean(axis=0) - b.reshape(-1, 3).mean(axis=0)).mean())


def joined(parent: Parent, frames: np.ndarray, audio: Audio | None) -> tuple[np.ndarray, Audio | None]:
    """The parent followed by the continuation without its first frame (the parent's last frame
    again), so frame count and timing run on without a seam. The sound follows the same way: the
    parent's, then the continuation's from its second frame on (silence where one of them has none)."""
    if frames.shape[1:] != parent.frames.shape[1:]:
        raise ExtendError(f"the continuation is {frames.shape[2]}×{frames.shape[1]} but the video is "
                          f"{parent.frames.shape[2]}×{parent.frames.shape[1]}")
    video = np.concatenate([parent.frames, frames[1:]])
    if parent.audio is None and audio is None:
        return video, None
    rate = 48_000
    channels = max(a.channels for a in (parent.audio, audio) if a is not None)
    parts = []
    for sound, seconds, skip in ((parent.audio, len(parent.frames) / parent.fps, 0.0),
                                 (audio, (len(frames) - 1) / parent.fps, 1 / parent.fps)):
        if sound is None:
            parts.append(np.zeros((channels, round(seconds * rate)), np.float32))
            continue
        sound = sound.resampled(rate)
        samples = sound.samples[:, round(skip * rate):]
        samples = fit_audio(Audio(np.repeat(samples, channels // sound.channels, axis=0), rate), seconds).samples
        parts.append(samples)
    return video, Audio(np.concatenate(parts, axis=1), rate)
