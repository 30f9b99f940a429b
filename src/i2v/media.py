"""Video files: browser-playable H.264 MP4 out, frames back in. Pure PyAV (its wheels ship libx264).

Frames everywhere in i2v are `uint8` arrays shaped `(T, H, W, 3)`, RGB.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    fps: Fraction
    metadata: dict[str, str]


def _even_crop(frames: np.ndarray) -> np.ndarray:
    """yuv420p needs even sides; drop at most one pixel row/column rather than rescale."""
    _, h, w, _ = frames.shape
    return frames[:, : h - h % 2, : w - w % 2]


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if frames.shape[0] == 0 or frames.shape[1] < 2 or frames.shape[2] < 2:
        raise ValueError(f"frames must hold at least one 2×2 frame, got {frames.shape}")
    return _even_crop(frames)


def _atomic_target(path: Path) -> Path:
    """A temporary sibling of `path`: written first, renamed last, so readers never see half a file.

    Created empty with mode 0666 filtered by the process umask, like any file `open()` makes (the
    JSON recipes beside it, for one): `tempfile.mkstemp` would make it 0600, and the rename keeps
    that mode, so a colleague's account or a web server could not read the finished video.
    """
    for _ in range(100):
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(6)}{path.suffix}.part"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {path}")


def encode_mp4(
    frames: np.ndarray,
    fps: float,
    path: Path,
    *,
    metadata: dict[str, str] | None = None,
    crf: int = 18,
    preset: str = "medium",
) -> Path:
    """Write H.264 `yuv420p` MP4 with `+faststart`, playable in Chromium and Firefox.

    The file appears at `path` only when complete (write-then-rename). `metadata` lands in the
    container's tags (e.g. `comment` holding the recipe JSON). Returns `path`.
    """
    frames = _check_frames(frames)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(path)
    try:
        rate = Fraction(fps).limit_denominator(1001)
        options = {"movflags": "+faststart"}
        with av.open(str(tmp), mode="w", format="mp4", options=options) as container:
            for key, value in (metadata or {}).items():
                container.metadata[key] = value
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": preset}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def probe(path: Path) -> VideoInfo:
    """Container and stream facts, counting frames by decoding (exact, not the header's estimate)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return VideoInfo(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt or "",
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            fps=Fraction(stream.average_rate or stream.guessed_rate or 0),
            metadata=dict(container.metadata),
        )


def read_video(path: Path) -> tuple[np.ndarray, float]:
    """Decode every frame of a video to RGB `(T, H, W, 3)` uint8, with its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 8)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    if not frames:
        raise ValueError(f"{path} holds no video frames")
    return np.stack(frames), fps


def save_thumbnail(frame: np.ndarray, path: Path, max_side: int = 320) -> Path:
    """A small JPEG of one frame for history lists; written atomically like the video."""
    image = Image.fromarray(frame)
    image.thumbnail((max_side, max_side))
    tmp = _atomic_target(Path(path))
    try:
        image.save(tmp, format="JPEG", quality=85)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Path(path)
