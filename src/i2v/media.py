"""Video files: browser-playable H.264 MP4 out (with an AAC sound track when there is sound),
frames and sound back in. Pure PyAV (its wheels ship libx264 and FFmpeg's AAC encoder).

Frames everywhere in i2v are `uint8` arrays shaped `(T, H, W, 3)`, RGB. Sound everywhere is an
`Audio`: float32 samples in [-1, 1] shaped `(channels, n)` with its sample rate.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from i2v.files import atomic_path, temporary_sibling


AUDIO_RATE = 48_000  # what the MP4's AAC track is written at: every browser plays it
AUDIO_LAYOUTS = {1: "mono", 2: "stereo"}
AUDIO_LAYOUTS_INV = {name: channels for channels, name in AUDIO_LAYOUTS.items()}


@dataclass(frozen=True)
class Audio:
    """Sound that belongs with a video (made by a model, or narration). Kept as float32 samples
    shaped `(channels, n)` so mixing, trimming and fades are plain array work."""

    samples: np.ndarray
    rate: int

    def __post_init__(self) -> None:
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[None]
        if samples.ndim != 2 or samples.shape[0] not in AUDIO_LAYOUTS:
            raise ValueError(f"audio must be (channels, n) with 1 or 2 channels, got {samples.shape}")
        if self.rate <= 0:
            raise ValueError(f"audio sample rate must be positive, got {self.rate}")
        object.__setattr__(self, "samples", samples)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / self.rate

    def resampled(self, rate: int) -> Audio:
        """The same sound at another sample rate (FFmpeg's resampler through PyAV)."""
        if rate == self.rate:
            return self
        layout = AUDIO_LAYOUTS[self.channels]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(self.samples), format="fltp", layout=layout)
        frame.sample_rate = self.rate
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        parts = [f.to_ndarray() for f in [*resampler.resample(frame), *resampler.resample(None)]]
        samples = np.concatenate(parts, axis=1) if parts else np.zeros((self.channels, 0), np.float32)
        return Audio(samples, rate)


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    fps: Fraction
    metadata: dict[str, str]
    audio_codec: str | None = None  # None: the file has no sound track
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_seconds: float | None = None

    @property
    def seconds(self) -> float:
        return self.frames / float(self.fps) if self.fps else 0.0


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


ENCODER_THREADS = 1  # see encode_mp4: the price of bit-identical videos is a slower encode
# x264's own assembly for the macroblock-tree rate control (`mbtree_propagate_*`, on by default with
# B-frames) has AVX-512 versions that read heap memory nobody wrote: on an AVX-512 CPU the same
# frames then encode to different videos depending on what the process's heap held before (seen as
# "same seed, different video" for some picture sizes, issue 26; with MALLOC_PERTURB_ set to two
# values the decoded frames differ, with this parameter they do not). `cpu-independent` makes
# x264 use its portable C code for exactly these functions, so the video depends on the frames
# alone and is the same on every CPU. Cost measured: within the noise of an encode (≈ 5 %).
X264_PARAMS = "cpu-independent=1"


def encode_mp4(
    frames: np.ndarray,
    fps: float,
    path: Path,
    *,
    metadata: dict[str, str] | None = None,
    crf: int = 18,
    preset: str = "medium",
    audio: Audio | None = None,
) -> Path:
    """Write H.264 `yuv420p` MP4 with `+faststart`, playable in Chromium and Firefox. The same
    frames always give the same decoded video (one encoder thread).

    With `audio`, an AAC track at 48 kHz is written beside the video (resampled if needed), cut or
    padded with silence to the video's length so the two streams end together.
    The file appears at `path` only when complete (write-then-rename). `metadata` lands in the
    container's tags (e.g. `comment` holding the recipe JSON). Returns `path`.
    """
    frames = _check_frames(frames)
    channels = audio.channels if audio is not None else None
    with Mp4Writer(path, fps, frames.shape[2], frames.shape[1], metadata=metadata, crf=crf, preset=preset,
                   audio_channels=channels) as writer:
        writer.write(frames)
        if audio is not None:
            writer.write_audio(fit_audio(audio, len(frames) / fps))
    return Path(path)


def fit_audio(audio: Audio, seconds: float, rate: int = AUDIO_RATE) -> Audio:
    """`audio` at `rate`, cut or padded with silence to exactly `seconds` long."""
    audio = audio.resampled(rate)
    want = round(seconds * rate)
    samples = audio.samples[:, :want]
    if samples.shape[1] < want:
        samples = np.pad(samples, ((0, 0), (0, want - samples.shape[1])))
    return Audio(samples, rate)


class Mp4Writer:
    """An MP4 written a few frames at a time, for videos too long to hold in memory at once (a
    lesson of many clips). Same encoding as `encode_mp4`; the file appears at `path` only when the
    `with` block ends without an error, and a failed write leaves nothing behind.

    `width` and `height` must be even (yuv420p); every frame written must have that size.
    """

    def __init__(self, path: Path, fps: float, width: int, height: int, *, metadata: dict[str, str] | None = None,
                 crf: int = 18, preset: str = "medium", audio_channels: int | None = None) -> None:
        if width % 2 or height % 2 or width < 2 or height < 2:
            raise ValueError(f"an H.264 frame needs even sides of at least 2 px, got {width}x{height}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = (width, height)
        self.frames_written = 0
        self._tmp = temporary_sibling(self.path)
        try:
            self._container = av.open(str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
            for key, value in (metadata or {}).items():
                self._container.metadata[key] = value
            self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            self._stream.width, self._stream.height = width, height
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(crf), "preset": preset, "x264-params": X264_PARAMS}
            # One encoder thread, so the file depends on the frames alone. By default PyAV lets
            # libx264 pick its thread count for the machine and asks for sliced threads (one slice
            # per thread), so the bitstream depends on the machine, and an outside probe saw the
            # same frames decode differently across processes on a loaded machine ("same seed,
            # same video" broken). Single-threaded x264 has no such freedom.
            self._stream.codec_context.thread_count = ENCODER_THREADS
            self._audio = None
            self._audio_samples = 0
            if audio_channels is not None:
                self._audio, self._resampler = _aac_stream(self._container, audio_channels)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise

    def write(self, frames: np.ndarray) -> None:
        """Append uint8 RGB frames shaped (T, H, W, 3) (or one frame (H, W, 3)) of the writer's size."""
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[1:] != (self.size[1], self.size[0], 3):
            raise ValueError(f"frames must be uint8 (T, {self.size[1]}, {self.size[0]}, 3), got {frames.dtype} {frames.shape}")
        for frame in frames:
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                self._container.mux(packet)
        self.frames_written += len(frames)

    def write_audio(self, audio: Audio) -> None:
        """Append sound (any rate; resampled to 48 kHz). The writer must have been opened with
        `audio_channels` equal to the sound's channel count."""
        if self._audio is None:
            raise ValueError("this writer was opened without a sound track (audio_channels=None)")
        if audio.channels != AUDIO_LAYOUTS_INV[self._audio.layout.name]:
            raise ValueError(f"the sound track is {self._audio.layout.name}; got {audio.channels} channels")
        audio = audio.resampled(AUDIO_RATE)
        self._encode_audio(self._resampler.resample(_timed_frame(audio, self._audio_samples)))
        self._audio_samples += audio.samples.shape[1]

    def _encode_audio(self, frames: list) -> None:
        for frame in frames:
            for packet in self._audio.encode(frame):
                self._container.mux(packet)

    def close(self) -> Path:
        """Flush the encoders and move the finished file into place."""
        try:
            if self._audio is not None:
                self._encode_audio([*self._resampler.resample(None), None])
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Drop the half-written file."""
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - the container may be broken; the file goes anyway
            pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _aac_stream(container, channels: int):
    """An AAC stream at 48 kHz and the resampler that cuts its input into AAC's 1024-sample frames."""
    stream = container.add_stream("aac", rate=AUDIO_RATE)
    stream.layout = AUDIO_LAYOUTS[channels]
    stream.codec_context.thread_count = ENCODER_THREADS
    return stream, av.AudioResampler(format="fltp", layout=AUDIO_LAYOUTS[channels], rate=AUDIO_RATE, frame_size=1024)


def _timed_frame(audio: Audio, start: int) -> av.AudioFrame:
    """`audio` (at 48 kHz) as one frame starting `start` samples into the track. Timestamps let the AAC
    encoder mark its 1024 priming samples (first packet at pts −1024), so the muxer writes an edit list
    that skips them: without it every player, and every decode, hears the sound 21 ms late."""
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio.samples), format="fltp", layout=AUDIO_LAYOUTS[audio.channels])
    frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
    return frame


def aac_round_trip(audio: Audio) -> Audio:
    """`audio` as a player hears it from an MP4 this module writes: AAC-encoded with the same settings,
    then decoded. Lossy coding moves peaks (up to a few dB for limited speech), so a level promised
    for the file is checked on this."""
    audio = audio.resampled(AUDIO_RATE)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream, resampler = _aac_stream(container, audio.channels)
        for frame in [*resampler.resample(_timed_frame(audio, 0)), *resampler.resample(None), None]:
            for packet in stream.encode(frame):
                container.mux(packet)
    buffer.seek(0)
    with av.open(buffer) as container:
        parts = [frame.to_ndarray() for frame in container.decode(audio=0)]
    return Audio(np.concatenate(parts, axis=1)[:, : audio.samples.shape[1]], AUDIO_RATE)


def probe(path: Path) -> VideoInfo:
    """Container and stream facts, counting frames by decoding (exact, not the header's estimate)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        sound: dict = {}
        if container.streams.audio:
            container.seek(0)
            track = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(track))
            sound = {"audio_codec": track.codec_context.name, "audio_rate": track.codec_context.sample_rate,
                     "audio_channels": track.codec_context.channels, "audio_seconds": samples / track.codec_context.sample_rate}
        return VideoInfo(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt or "",
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            fps=Fraction(stream.average_rate or stream.guessed_rate or 0),
            metadata=dict(container.metadata),
            **sound,
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


def read_audio(path: Path) -> Audio | None:
    """Decode a file's first sound track (any container PyAV reads), or None when it has none."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        track = container.streams.audio[0]
        channels = min(track.codec_context.channels, 2)
        resampler = av.AudioResampler(format="fltp", layout=AUDIO_LAYOUTS[channels], rate=track.codec_context.sample_rate)
        parts = [f.to_ndarray() for frame in container.decode(track) for f in resampler.resample(frame)]
        parts += [f.to_ndarray() for f in resampler.resample(None)]
    samples = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)
    return Audio(samples, track.codec_context.sample_rate)


def save_thumbnail(frame: np.ndarray, path: Path, max_side: int = 320) -> Path:
    """A small JPEG of one frame for history lists; written atomically like the video."""
    image = Image.fromarray(frame)
    image.thumbnail((max_side, max_side))
    with atomic_path(Path(path)) as tmp:
        image.save(tmp, format="JPEG", quality=85)
    return Path(path)
