"""The lesson video: a title card, a card at each new section, every scene's clip brought to one
frame rate and size with its labels drawn crisply at that size, and an end card saying the motion
is illustrative and where the pictures came from.

Each clip is post-processed like a single clip (`apply_post`: optional smoothing, then flow
interpolation ×2/×4 towards the common frame rate), then re-timed so it keeps its duration, fitted
into the common frame (letterboxed, never stretched) and labelled last. Frames stream into the
encoder one clip at a time, so a long lesson never sits in memory whole. The timeline records
where each part starts and ends; captions and the handout are timed from it.

A narrated part lasts its narration plus a pause, at least its clip or card; a clip shorter than
its narration holds its last frame, slows down or loops (the lesson's `fill`). The narrations and
the clips' own sound become one track (`soundtrack.mix`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np

from i2v.lessons import cards
from i2v.lessons.narration import scene_seconds
from i2v.lessons.soundtrack import Narration, Placed, mix
from i2v.lessons.storyboard import Fill, Lesson, Scene
from i2v.media import Mp4Writer, fit_audio, read_audio, read_video
from i2v.voice import Spoken
from i2v.post.exports import sheet_indices
from i2v.post.labels import Label, overlay_labels
from i2v.post.apply import apply_post
from i2v.post.spec import PostSpec

MAX_FPS = 30
STRIP_FRAMES = 4
STRIP_WIDTH = 320
SegmentKind = Literal["title", "section", "scene", "end"]


@dataclass(frozen=True)
class Segment:
    """One part of the lesson video, in seconds from its start."""

    kind: SegmentKind
    start_s: float
    end_s: float
    text: str
    scene_id: str | None = None
    spoken: tuple[Spoken, ...] = field(default=())  # each narrated sentence, in seconds from the lesson's start


@dataclass(frozen=True)
class CardTexts:
    """The words on the cards, in the lesson's language (from the i18n catalogue)."""

    subtitle: str
    section_heading: Callable[[int, int], str]  # (number, total) → "Part 1 of 3"
    end_note: str
    sources: str


@dataclass
class Assembly:
    video: Path
    fps: float
    width: int
    height: int
    frames: int
    timeline: list[Segment]
    strips: dict[str, list[np.ndarray]]  # scene id → a few frames of its clip, for the handout

    def timeline_json(self) -> bytes:
        data = {"fps": self.fps, "width": self.width, "height": self.height, "frames": self.frames,
                "duration_s": self.frames / self.fps, "segments": [asdict(s) for s in self.timeline]}
        return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def canvas(clips: list[tuple[int, int, float]]) -> tuple[int, int, float]:
    """The common (width, height, fps): the size most clips have (the larger on a tie; even sides),
    so most scenes show without letterboxing, and the highest frame rate, at most 30."""
    sizes = [(w, h) for w, h, _ in clips]
    width, height = max(set(sizes), key=lambda size: (sizes.count(size), size[0] * size[1]))
    fps = min(MAX_FPS, max(c[2] for c in clips))
    return width - width % 2, height - height % 2, float(fps)


def conform(frames: np.ndarray, fps: float, out_fps: float, size: tuple[int, int], smooth: float) -> np.ndarray:
    """A clip at `out_fps` and `size` (width, height), same duration: smoothed and interpolated by
    `apply_post` (×2 or ×4 when that gets closer to `out_fps`), re-timed by nearest earlier frame,
    letterboxed on the card colour."""
    duration = len(frames) / fps
    factor = max((k for k in (1, 2, 4) if fps * k <= out_fps * 1.001), default=1) if len(frames) >= 2 else 1
    if smooth > 0 or factor > 1:
        frames, source_fps = apply_post(frames, fps, PostSpec(smooth=smooth, interpolate=factor))
    else:
        source_fps = fps
    count = max(1, round(duration * out_fps))
    index = np.minimum((np.arange(count) * source_fps / out_fps + 1e-6).astype(int), len(frames) - 1)
    return np.stack([letterbox(frames[i], size) for i in index])


def letterbox(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    scale = min(width / frame.shape[1], height / frame.shape[0])
    w, h = max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale))
    resized = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    out = np.empty((height, width, 3), np.uint8)
    out[:] = cards.BACKGROUND
    top, left = (height - h) // 2, (width - w) // 2
    out[top : top + h, left : left + w] = resized
    return out


def scene_labels(scene: Scene, width: int, height: int, burn_caption: bool) -> list[Label]:
    """The scene's first label at the top; its other key terms low on either side; the caption, when
    burned in, at the bottom, wrapped to the frame."""
    labels = []
    if scene.labels:
        labels.append(Label(text=scene.labels[0], x=0.5, y=0.12, size=0.075, box=True))
    low = 0.70 if burn_caption else 0.86
    for label, x in zip(scene.labels[1:], (0.27, 0.73), strict=False):
        labels.append(Label(text=label, x=x, y=low, size=0.055, box=True))
    if burn_caption and scene.caption:
        face = cards.font(round(0.05 * height))
        text = "\n".join(cards.wrap(scene.caption, face, width * 0.9)[:3])[:200]
        labels.append(Label(text=text, x=0.5, y=0.92, size=0.05, box=True))
    return labels


def narration_key(kind: SegmentKind, number: int = 0, scene_id: str | None = None) -> str:
    """How a part's narration is keyed: "title", "section-2" (the second section), or the scene's id."""
    return scene_id or (f"section-{number}" if kind == "section" else kind)


def stretched(frames: np.ndarray, count: int, fill: Fill, batch: int = 64) -> Iterator[np.ndarray]:
    """`frames` brought to `count` frames, in batches (a long narration never holds its scene in memory):
    as they are, then the last frame held, or slowed down evenly, or looped."""
    n = len(frames)
    if fill == "slow":
        index = np.minimum((np.arange(count) * n) // count, n - 1)
    elif fill == "loop":
        index = np.arange(count) % n
    else:
        index = np.minimum(np.arange(count), n - 1)
    for start in range(0, count, batch):
        yield frames[index[start : start + batch]]


def assemble_video(lesson: Lesson, clips: dict[str, Path], target: Path, texts: CardTexts,
                   narrations: Mapping[str, Narration] | None = None) -> Assembly:
    """Write the lesson video to `target` (atomically) and return its timeline. `clips` maps every
    scene id to its generated clip; `narrations` maps parts (`narration_key`) to what is said over
    them. Raises ValueError for a clip that cannot be read."""
    narrations = narrations or {}
    width, height, fps = canvas([clip_info(clips[scene.id]) for scene in lesson.scenes])
    sounds = {scene.id: read_audio(clips[scene.id]) for scene in lesson.scenes}
    heard = [a for a in sounds.values() if a is not None]
    channels = max([1, *(a.channels for a in heard)]) if narrations or heard else None
    sections = []
    for scene in lesson.scenes:
        if scene.section and (not sections or sections[-1] != scene.section):
            sections.append(scene.section)
    timeline: list[Segment] = []
    strips: dict[str, list[np.ndarray]] = {}
    voices: list[Placed] = []
    clip_sounds: list[Placed] = []
    metadata = {"title": lesson.title[:200], "comment": json.dumps({"lesson": lesson.id, "scenes": len(lesson.scenes)})}
    with Mp4Writer(target, fps, width, height, metadata=metadata, audio_channels=channels) as writer:
        def spoken_over(key: str, start: int) -> tuple[Spoken, ...]:
            said = narrations.get(key)
            if said is None:
                return ()
            voices.append(Placed(start / fps, said.audio))
            return tuple(Spoken(s.text, round(start / fps + s.start, 3), round(start / fps + s.end, 3)) for s in said.spoken)

        def hold(kind: SegmentKind, image: np.ndarray, seconds: float, text: str, key: str) -> None:
            start = writer.frames_written
            said = narrations.get(key)
            count = round(scene_seconds(seconds, said.seconds if said else 0.0) * fps)
            writer.write(np.broadcast_to(image, (count, *image.shape)))
            timeline.append(Segment(kind, start / fps, writer.frames_written / fps, text, spoken=spoken_over(key, start)))

        hold("title", cards.title_card(width, height, lesson.title, texts.subtitle), cards.TITLE_S, lesson.title, "title")
        section_number = 0
        previous = None
        for scene in lesson.scenes:
            if scene.section and scene.section != previous:
                section_number += 1
                heading = texts.section_heading(section_number, len(sections))
                hold("section", cards.section_card(width, height, heading, scene.section), cards.SECTION_S, scene.section,
                     narration_key("section", section_number))
            previous = scene.section
            frames, clip_fps = read_video(clips[scene.id])
            strips[scene.id] = [_thumbnail(frames[i]) for i in sheet_indices(STRIP_FRAMES, len(frames))]
            frames = conform(frames, clip_fps, fps, (width, height), lesson.smooth)
            frames = overlay_labels(frames, fps, scene_labels(scene, width, height, lesson.burn_captions))
            said = narrations.get(scene.id)
            count = max(len(frames), round(scene_seconds(len(frames) / fps, said.seconds if said else 0.0) * fps))
            start = writer.frames_written
            for batch in stretched(frames, count, lesson.fill):
                writer.write(batch)
            if sounds[scene.id] is not None:
                clip_sounds.append(Placed(start / fps, fit_audio(sounds[scene.id], len(frames) / fps)))
            timeline.append(Segment("scene", start / fps, writer.frames_written / fps, scene.caption, scene.id,
                                    spoken=spoken_over(scene.id, start)))
        hold("end", cards.end_card(width, height, texts.end_note, texts.sources), cards.END_S, texts.end_note, "end")
        total = writer.frames_written
        track = mix(voices, clip_sounds, total / fps)
        if track is not None:
            writer.write_audio(fit_audio(track, total / fps))  # mono, or stereo when a clip's sound is
    return Assembly(target, fps, width, height, total, timeline, strips)


def clip_info(path: Path) -> tuple[int, int, float]:
    """(width, height, fps) of a clip from its stream header, without decoding it."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return stream.codec_context.width, stream.codec_context.height, float(stream.average_rate or stream.guessed_rate or 8)
    except (av.FFmpegError, IndexError, OSError) as exc:
        raise ValueError(f"{Path(path).name} is not a readable video ({exc})") from None


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    scale = min(1.0, STRIP_WIDTH / frame.shape[1])
    if scale == 1.0:
        return frame.copy()
    return cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA)
