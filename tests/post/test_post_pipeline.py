"""apply_post runs steps in a fixed order; reprocess makes a new archived video and only reads the old."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from i2v.media import probe
from i2v.post import PostSpec, apply_post, interpolate, reprocess, smooth


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_apply_post_counts_and_fps(clip: np.ndarray) -> None:
    frames, fps = apply_post(clip, 8, PostSpec())
    assert fps == 8 and np.array_equal(frames, clip)
    # 8 frames → ×2: 15 at 16 fps → ping-pong: 28 → speed 2: 32 fps, same frames
    frames, fps = apply_post(clip, 8, PostSpec(interpolate=2, loop="pingpong", speed=2))
    assert (len(frames), fps) == (28, 32)
    frames, fps = apply_post(clip, 8, PostSpec(interpolate=4, loop="crossfade"))
    assert (len(frames), fps) == (29 - 29 // 4, 32)


def test_smoothing_runs_before_interpolation(clip: np.ndarray) -> None:
    frames, _ = apply_post(clip[:3], 8, PostSpec(smooth=0.4, interpolate=2))
    np.testing.assert_array_equal(frames, interpolate(smooth(clip[:3], 0.4), 2))


def test_crossfade_needs_three_frames(clip: np.ndarray) -> None:
    with pytest.raises(ValueError, match="at least 3 frames"):
        apply_post(clip[:2], 8, PostSpec(loop="crossfade"))


def test_reprocess_writes_a_new_video_and_leaves_the_original_untouched(archived_video: Path) -> None:
    family = [archived_video, archived_video.with_suffix(".json"), archived_video.with_suffix(".jpg")]
    before = {path: (digest(path), path.stat().st_mtime_ns) for path in family}
    spec = PostSpec(interpolate=2, loop="pingpong")

    result = reprocess(archived_video, spec)

    assert {path: (digest(path), path.stat().st_mtime_ns) for path in family} == before
    assert result == archived_video.with_name(f"{archived_video.stem}-post-{spec.digest}.mp4")
    info = probe(result)
    assert (info.codec, info.pix_fmt, info.frames, info.fps) == ("h264", "yuv420p", 28, 16)
    recipe = json.loads(result.with_suffix(".json").read_text(encoding="utf-8"))
    original = json.loads(archived_video.with_suffix(".json").read_text(encoding="utf-8"))
    assert recipe["post"] == spec.model_dump()
    assert recipe["source_video"] == archived_video.name
    assert (recipe["frames"], recipe["fps"]) == (28, 16)
    assert {k: v for k, v in recipe.items() if k not in ("post", "source_video", "frames", "fps")} == {
        k: v for k, v in original.items() if k not in ("frames", "fps")
    }
    assert json.loads(info.metadata["comment"]) == recipe
    assert result.with_suffix(".jpg").is_file()
    assert not [p for p in archived_video.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_reprocess_same_spec_returns_the_existing_file_untouched(archived_video: Path) -> None:
    spec = PostSpec(speed=2)
    first = reprocess(archived_video, spec)
    stamp = (digest(first), first.stat().st_mtime_ns)
    assert reprocess(archived_video, spec) == first
    assert (digest(first), first.stat().st_mtime_ns) == stamp


def test_reprocess_starts_from_the_generated_clip(archived_video: Path) -> None:
    processed = reprocess(archived_video, PostSpec(interpolate=2))
    again = reprocess(processed, PostSpec(loop="pingpong"))
    recipe = json.loads(again.with_suffix(".json").read_text(encoding="utf-8"))
    assert again.parent == archived_video.parent and again.stem.startswith(archived_video.stem + "-post-")
    assert recipe["source_video"] == archived_video.name
    assert recipe["post"] == PostSpec(loop="pingpong").model_dump()
    assert probe(again).frames == 14  # 8 generated frames ping-ponged, not 15 interpolated ones
    assert reprocess(processed, PostSpec()) == archived_video


def test_reprocess_refuses_a_name_holding_another_spec(archived_video: Path) -> None:
    spec = PostSpec(speed=0.5)
    result = reprocess(archived_video, spec)
    recipe_file = result.with_suffix(".json")
    recipe_file.write_text(json.dumps({"post": PostSpec(speed=3).model_dump()}), encoding="utf-8")
    with pytest.raises(FileExistsError, match="made with post"):
        reprocess(archived_video, spec)


def test_reprocess_needs_video_and_recipe(archived_video: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no video"):
        reprocess(archived_video.with_name("missing.mp4"), PostSpec(speed=2))
    archived_video.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="no recipe"):
        reprocess(archived_video, PostSpec(speed=2))
