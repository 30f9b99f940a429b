"""Run a `PostSpec` on frames, or on an archived video to make a new one beside it.

Steps run in one fixed order, smooth → interpolate → loop → speed → labels, because:
smoothing first gives the flow in interpolation steadier frames and never blurs invented ones;
interpolation before looping lets the loop work on the dense sequence, so a cross-fade is
smooth and a ping-pong turns at full frame rate; speed then, as it only re-times the result; labels
last, so they are never blurred or blended and their times are seconds of the clip the class sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from i2v.media import encode_mp4, read_video, save_thumbnail
from i2v.files import write_bytes_atomic
from i2v.post.archive_io import read_recipe, recipe_bytes, recipe_path
from i2v.post.flow import check_frames
from i2v.post.interpolate import interpolate
from i2v.post.loops import change_speed, crossfade_loop, default_overlap, pingpong
from i2v.post.smooth import smooth
from i2v.post.sound import carried_audio
from i2v.post.spec import PostSpec
from i2v.post.labels import overlay_labels


def apply_post(frames: np.ndarray, fps: float, spec: PostSpec) -> tuple[np.ndarray, float]:
    """Apply every step of `spec` that is switched on; returns `(frames, fps)`.

    Interpolation multiplies fps by its factor (same duration); a cross-faded loop overlaps a
    quarter of the frames; speed changes fps, or resamples frames to stay within 4–60 fps.
    Labels are drawn on the final frames. Raises ValueError for a cross-fade on fewer than 3 frames
    (and LabelError, a ValueError, for frames labels cannot be drawn on).
    """
    frames = check_frames(frames)
    if spec.smooth > 0:
        frames = smooth(frames, spec.smooth)
    if spec.interpolate > 1:
        frames, fps = interpolate(frames, spec.interpolate), fps * spec.interpolate
    if spec.loop == "pingpong":
        frames = pingpong(frames)
    elif spec.loop == "crossfade":
        if len(frames) < 3:
            raise ValueError(f"a cross-faded loop needs at least 3 frames, got {len(frames)}")
        frames = crossfade_loop(frames, default_overlap(len(frames)))
    if spec.speed != 1:
        frames, fps = change_speed(frames, fps, spec.speed)
    if spec.labels:
        frames = overlay_labels(frames, fps, spec.labels)
    return frames, fps


def processed_path(source: Path, spec: PostSpec) -> Path:
    """Where `reprocess` puts `source` processed by `spec`: `<stem>-post-<digest>.mp4` beside it."""
    return source.with_name(f"{source.stem}-post-{spec.digest}.mp4")


def generated_source(video_path: Path) -> Path:
    """The generated clip a processed video came from (its recipe's `source_video`, when that file
    is still beside it), else `video_path` itself."""
    video_path = Path(video_path)
    source_name = read_recipe(video_path).get("source_video")
    if isinstance(source_name, str) and source_name == Path(source_name).name:
        candidate = video_path.with_name(source_name)
        if candidate.is_file():
            return candidate
    return video_path


def reprocess(video_path: Path, spec: PostSpec) -> Path:
    """Apply `spec` to an archived video and return the new video's path; the original is only read.

    Steps always start from the generated clip: given a processed video whose source is still
    beside it, the source is used, so a recipe's `post` always says everything done since
    generation and quality does not degrade with each re-encode. Writes `<stem>-post-<digest>.mp4`
    with its recipe `.json` (the source's recipe plus `post`, `source_video`, new `fps`/`frames`)
    and thumbnail `.jpg`; the video is written last, so its presence means the set is complete.
    An existing result for the same spec is returned untouched; an identity spec returns the
    source. Raises FileNotFoundError if the video or its recipe is missing, FileExistsError if a
    file of that name holds a different spec.
    """
    video_path = Path(video_path)
    if not video_path.is_file():
        raise FileNotFoundError(f"no video at {video_path}")
    source = generated_source(video_path)
    if spec.is_identity:
        return source
    target = processed_path(source, spec)
    if target.exists():
        _check_same_spec(target, spec)
        return target
    recipe = read_recipe(source)
    frames, fps = read_video(source)
    seconds_before, fps_before = len(frames) / float(fps), float(fps)
    frames, fps = apply_post(frames, fps, spec)
    audio, audio_note = carried_audio(source, seconds_before, len(frames) / float(fps), fps_before)
    new_recipe = {
        **recipe,
        "post": spec.model_dump(),
        "source_video": source.name,
        "fps": int(fps) if float(fps).is_integer() else round(fps, 3),
        "frames": int(len(frames)),
        **({"audio": audio_note} if audio_note else {}),
    }
    write_bytes_atomic(recipe_path(target), recipe_bytes(new_recipe))
    save_thumbnail(frames[0], target.with_suffix(".jpg"))
    metadata = {"title": str(new_recipe.get("prompt", ""))[:200], "comment": json.dumps(new_recipe, ensure_ascii=False)}
    encode_mp4(frames, fps, target, metadata=metadata, audio=audio)
    return target


def _check_same_spec(target: Path, spec: PostSpec) -> None:
    """Refuse to hand back an existing file made with another spec (an 8-hex name collision)."""
    try:
        recorded = read_recipe(target).get("post")
    except FileNotFoundError:
        return
    try:
        same = recorded is not None and PostSpec.model_validate(recorded) == spec  # tolerates older recipes
    except ValueError:
        same = False
    if not same:
        raise FileExistsError(f"{target.name} exists and was made with post={recorded!r}, not {spec.model_dump()!r}")
