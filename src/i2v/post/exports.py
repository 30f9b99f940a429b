"""Exports of an archived video for slides and handouts, written beside it in the archive.

`<stem>.mp4` is the video itself; the others are `<stem>.webm` (VP9, with the sound as Opus when the
video has sound), `<stem>.gif` (no sound: GIF has none; shared
palette, under a size cap), `<stem>-frames.zip` (PNGs), `<stem>-sheet.png` (contact sheet with
time stamps), all three silent, and `<stem>-pack.zip` (the lesson pack: the MP4 with its sound). Every
file appears only when complete.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from i2v.errors import InvalidInput
from i2v.files import temporary_sibling, write_bytes_atomic
from i2v.media import AUDIO_LAYOUTS, AUDIO_RATE, Audio, fit_audio, read_audio, read_video
from i2v.post.archive_io import read_recipe, recipe_path
from i2v.post.flow import check_frames


BYTES_PER_MB = 1_000_000  # decimal, as upload limits are quoted: the stricter reading of "8 MB"
GIF_MAX_FPS = 50.0  # browsers play a 1-centisecond delay as 10 cs; 2 cs (50 fps) is the fastest safe
GIF_MIN_FPS = 6.0  # below this motion reads as a slide show; dropping frames stops here
GIF_MIN_SIDE = 96  # px; the last resort before giving up on the size cap
GIF_COMFORT_SIDE = 240  # px; shrink to here before touching frame rate or colours below 128
CAPTION_LINE = 42  # characters per caption line (common subtitle guidance), two lines per cue
ALT_TEXT_LIMIT = 250  # characters; screen readers and slide tools cope badly with longer alt text

# prompt fragments that steer the model but describe nothing a viewer sees
_BOILERPLATE = {
    "masterpiece", "best quality", "high quality", "highest quality", "top quality", "highly detailed",
    "ultra detailed", "detailed", "4k", "8k", "hd", "uhd", "high resolution", "sharp focus",
    "trending on artstation", "award winning",
}  # fmt: skip


class ExportFormatError(InvalidInput):
    """A format name that is not in `FORMATS`; the message lists the allowed ones."""


def check_formats(formats: Iterable[str]) -> list[str]:
    """The requested formats in order without repeats; ValueError naming the allowed ones."""
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in EXPORT_FORMATS]
    if unknown:
        raise ExportFormatError(f"unknown export format(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(EXPORT_FORMATS)}")
    return wanted


def export_path(video_path: Path, fmt: str) -> Path:
    """Where `export` writes `fmt` for `video_path` (the video itself for "mp4")."""
    check_formats([fmt])
    video_path = Path(video_path)
    suffix = FORMATS[fmt].suffix
    return video_path.with_name(video_path.stem + suffix) if suffix else video_path


# ---------------------------------------------------------------- WebM


def export_webm(frames: np.ndarray, fps: float, path: Path, *, crf: int = 32, audio: Audio | None = None) -> Path:
    """VP9 yuv420p WebM at constant quality `crf` (0–63, lower is better), with the video's sound as
    Opus (48 kHz; what WebM carries and every browser plays) when it has sound. Odd sides lose one pixel."""
    frames = check_frames(frames)
    _, height, width, _ = frames.shape
    frames = frames[:, : height - height % 2, : width - width % 2]
    path = Path(path)
    tmp = temporary_sibling(path)
    try:
        with av.open(str(tmp), mode="w", format="webm") as container:
            stream = container.add_stream("libvpx-vp9", rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            # "good" at cpu-used 4 with row threading, measured on the 512² test clip (2 cores): 3× faster
            # than cpu-used 1 for a 4% bigger file at the same PSNR; "realtime" was 40% bigger
            stream.options = {"crf": str(crf), "b": "0", "deadline": "good", "cpu-used": "4", "row-mt": "1"}
            sound = _opus_stream(container, audio.channels) if audio is not None else None  # every stream before any packet
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
            if sound is not None:
                _write_opus(container, sound, fit_audio(audio, len(frames) / fps))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _opus_stream(container: Any, channels: int) -> Any:
    stream = container.add_stream("libopus", rate=AUDIO_RATE)
    stream.layout = AUDIO_LAYOUTS[channels]
    return stream


def _write_opus(container: Any, stream: Any, audio: Audio) -> None:
    layout = AUDIO_LAYOUTS[audio.channels]
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio.samples), format="fltp", layout=layout)
    frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, 0, Fraction(1, AUDIO_RATE)
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=AUDIO_RATE,
                                  frame_size=stream.codec_context.frame_size or 960)
    for piece in [*resampler.resample(frame), *resampler.resample(None), None]:
        for packet in stream.encode(piece):
            container.mux(packet)


# ---------------------------------------------------------------- GIF


@dataclass(frozen=True)
class GifPlan:
    """One attempt at the GIF: scale of the frames, keep every `step`-th frame, palette size."""

    scale: float = 1.0
    step: int = 1
    colours: int = 256

    def describe(self, width: int, height: int, fps: float) -> str:
        return f"{max(1, round(width * self.scale))}×{max(1, round(height * self.scale))} px, {fps / self.step:.1f} fps, {self.colours} colours"


def _gif_delays_ms(count: int, fps: float) -> list[int]:
    """Per-frame delays whose centisecond rounding never drifts from the true clock (e.g. 8 fps →
    120, 130, 120, 130 … ms, averaging 125)."""
    ticks = [round(i * 100 / fps) for i in range(count + 1)]
    return [max(2, b - a) * 10 for a, b in zip(ticks[:-1], ticks[1:])]


def _encode_gif(frames: np.ndarray, fps: float, plan: GifPlan) -> bytes:
    """Quantise every frame to one palette built from a sample of frames, so colours do not
    flicker between frames, then let Pillow store each frame as the rectangle that changed."""
    chosen = frames[:: plan.step]
    height, width = frames.shape[1:3]
    size = (max(1, round(width * plan.scale)), max(1, round(height * plan.scale)))
    images = [Image.fromarray(frame) for frame in chosen]
    if size != (width, height):
        images = [image.resize(size, Image.Resampling.LANCZOS) for image in images]
    sample = images[:: max(1, len(images) // 12)]
    mosaic = Image.new("RGB", (size[0], size[1] * len(sample)))
    for row, image in enumerate(sample):
        mosaic.paste(image, (0, row * size[1]))
    palette = mosaic.quantize(plan.colours, method=Image.Quantize.MEDIANCUT)
    indexed = [image.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for image in images]
    buffer = io.BytesIO()
    indexed[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=_gif_delays_ms(len(indexed), fps / plan.step),
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


def _smaller_plan(plan: GifPlan, ratio: float, frames: np.ndarray, fps: float) -> GifPlan | None:
    """The next, smaller attempt after one that came out `1/ratio` times too big, or None when
    nothing is left to give. Order: 128 colours, shrink to 240 px, halve frame rate down to
    6 fps, 64 then 32 colours, shrink to 96 px."""
    short_side = min(frames.shape[1:3])
    shrink = max(0.5, min(0.95, math.sqrt(ratio) * 0.95))
    if plan.colours > 128:
        return replace(plan, colours=128)
    if short_side * plan.scale > GIF_COMFORT_SIDE:
        return replace(plan, scale=max(plan.scale * shrink, GIF_COMFORT_SIDE / short_side))
    if fps / (plan.step * 2) >= GIF_MIN_FPS and len(frames) > plan.step * 2:
        return replace(plan, step=plan.step * 2)
    if plan.colours > 32:
        return replace(plan, colours=plan.colours // 2)
    if short_side * plan.scale > GIF_MIN_SIDE:
        return replace(plan, scale=max(plan.scale * shrink, GIF_MIN_SIDE / short_side))
    return None


def render_gif(frames: np.ndarray, fps: float, *, max_bytes: int) -> bytes:
    """An endlessly looping GIF of at most `max_bytes`, made smaller step by step (colours, size,
    frame rate) until it fits; frame rate above 50 fps is halved first, as browsers cannot play it.

    Identical consecutive frames are merged by Pillow (their delays add up). Raises ValueError
    when even 96 px, ≥6 fps and 32 colours do not fit.
    """
    frames = check_frames(frames)
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    plan = GifPlan(step=max(1, math.ceil(fps / GIF_MAX_FPS - 1e-9)))
    while True:
        data = _encode_gif(frames, fps, plan)
        if len(data) <= max_bytes:
            return data
        smaller = _smaller_plan(plan, max_bytes / len(data), frames, fps)
        if smaller is None:
            raise ValueError(
                f"cannot fit the GIF under {max_bytes / BYTES_PER_MB:.2f} MB: the smallest try "
                f"({plan.describe(frames.shape[2], frames.shape[1], fps)}) is {len(data) / BYTES_PER_MB:.2f} MB; "
                "raise the size cap or shorten the clip"
            )
        plan = smaller


def export_gif(frames: np.ndarray, fps: float, path: Path, *, max_bytes: int = 8 * BYTES_PER_MB) -> Path:
    """Write `render_gif(frames, fps, max_bytes=max_bytes)` to `path` atomically."""
    return write_bytes_atomic(path, render_gif(frames, fps, max_bytes=max_bytes))


# ---------------------------------------------------------------- frames and contact sheet


def export_frames_zip(frames: np.ndarray, path: Path) -> Path:
    """Every frame as `frame-0001.png`, … in a zip (stored: PNG is compressed already)."""
    frames = check_frames(frames)
    digits = max(4, len(str(len(frames))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, frame in enumerate(frames, start=1):
            png = io.BytesIO()
            # level 1: ~3× faster than Pillow's default 6 for ~10% larger files
            Image.fromarray(frame).save(png, format="PNG", compress_level=1)
            archive.writestr(f"frame-{number:0{digits}d}.png", png.getvalue())
    return write_bytes_atomic(path, buffer.getvalue())


def sheet_indices(count: int, total: int) -> list[int]:
    """`count` evenly spaced frame indices from first to last (fewer if the clip is shorter)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return sorted(set(np.round(np.linspace(0, total - 1, min(count, total))).astype(int).tolist()))


def render_contact_sheet(frames: np.ndarray, fps: float, *, count: int = 12, columns: int = 4, tile_width: int = 320) -> bytes:
    """PNG bytes of `count` evenly spaced frames in a grid, each labelled with its time stamp
    (seconds from the start) and frame number, on white for printing."""
    frames = check_frames(frames)
    indices = sheet_indices(count, len(frames))
    height, width = frames.shape[1:3]
    tile_w = min(width, tile_width)
    tile_h = max(1, round(height * tile_w / width))
    font = ImageFont.load_default(size=max(12, tile_w // 18))
    label_h = round(font.size * 1.6)
    margin = 12
    columns = max(1, min(columns, len(indices)))
    rows = math.ceil(len(indices) / columns)
    sheet = Image.new("RGB", (margin + columns * (tile_w + margin), margin + rows * (tile_h + label_h + margin)), "white")
    draw = ImageDraw.Draw(sheet)
    for slot, index in enumerate(indices):
        left = margin + (slot % columns) * (tile_w + margin)
        top = margin + (slot // columns) * (tile_h + label_h + margin)
        sheet.paste(Image.fromarray(frames[index]).resize((tile_w, tile_h), Image.Resampling.LANCZOS), (left, top))
        draw.text((left, top + tile_h + label_h // 5), f"{index / fps:.2f} s · frame {index + 1}", fill="black", font=font)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    return buffer.getvalue()


def export_contact_sheet(frames: np.ndarray, fps: float, path: Path, *, count: int = 12) -> Path:
    """Write `render_contact_sheet(frames, fps, count=count)` to `path` atomically."""
    return write_bytes_atomic(path, render_contact_sheet(frames, fps, count=count))


# ---------------------------------------------------------------- captions, alt text, lesson pack


def describe_prompt(prompt: str) -> str:
    """The prompt as a sentence for people: weights like `(kite:1.2)` and quality tags removed."""
    text = re.sub(r"\(([^()]*?):\d+(?:\.\d+)?\)", r"\1", prompt or "")
    text = re.sub(r"[()\[\]{}]", "", text)
    parts = [part.strip() for part in text.split(",")]
    parts = [part for part in parts if part and part.lower() not in _BOILERPLATE]
    sentence = re.sub(r"\s+", " ", ", ".join(parts)).strip().rstrip(".,;: ")
    return sentence[:1].upper() + sentence[1:] if sentence else ""


def _duration_of(recipe: dict[str, Any]) -> float | None:
    try:
        frames, fps = float(recipe["frames"]), float(recipe["fps"])
    except (KeyError, TypeError, ValueError):
        return None
    return frames / fps if fps > 0 else None


def alt_text(recipe: dict[str, Any]) -> str:
    """Alt text for slides and web pages, built from the recipe's prompt, length and loop."""
    duration = _duration_of(recipe)
    facts = [f"{duration:.1f} seconds" if duration else None, "looping" if (recipe.get("post") or {}).get("loop", "none") != "none" else None, "no sound"]
    head = f"Short animated clip ({', '.join(fact for fact in facts if fact)})"
    description = describe_prompt(str(recipe.get("prompt", "")))
    text = f"{head}: {description}." if description else f"{head}."
    if len(text) > ALT_TEXT_LIMIT:
        text = text[: ALT_TEXT_LIMIT - 1].rsplit(" ", 1)[0].rstrip(",;: ") + "…"
    return text


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _caption_lines(text: str) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= CAPTION_LINE:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def render_vtt(text: str, duration_s: float) -> str:
    """WebVTT captions showing `text` over the whole clip, two lines per cue, cues sharing the time."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = _caption_lines(escaped) or [""]
    cues = [lines[i : i + 2] for i in range(0, len(lines), 2)]
    out = ["WEBVTT", ""]
    for number, cue in enumerate(cues):
        start, end = duration_s * number / len(cues), duration_s * (number + 1) / len(cues)
        out += [str(number + 1), f"{_vtt_time(start)} --> {_vtt_time(end)}", *cue, ""]
    return "\n".join(out)


def write_vtt(recipe: dict[str, Any], duration_s: float, path: Path) -> Path:
    """Caption file for the clip: the described prompt (or alt text if there is none)."""
    text = describe_prompt(str(recipe.get("prompt", ""))) or alt_text(recipe)
    return write_bytes_atomic(path, render_vtt(text, duration_s).encode("utf-8"))


def export_pack(video_path: Path, path: Path, *, gif: bytes, sheet: bytes, duration_s: float) -> Path:
    """The lesson pack zip: `<stem>.mp4`, `<stem>.gif`, `<stem>-sheet.png`, `<stem>.json` (the
    recipe as stored), `captions.vtt` and `alt-text.txt`. Raises FileNotFoundError without a recipe."""
    video_path = Path(video_path)
    recipe = read_recipe(video_path)
    stem = video_path.stem
    text = describe_prompt(str(recipe.get("prompt", ""))) or alt_text(recipe)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(video_path, f"{stem}.mp4", compress_type=zipfile.ZIP_STORED)
        archive.writestr(f"{stem}.gif", gif, compress_type=zipfile.ZIP_STORED)
        archive.writestr(f"{stem}-sheet.png", sheet, compress_type=zipfile.ZIP_STORED)
        archive.writestr(f"{stem}.json", recipe_path(video_path).read_bytes())
        archive.writestr("captions.vtt", render_vtt(text, duration_s))
        archive.writestr("alt-text.txt", alt_text(recipe) + "\n")
    return write_bytes_atomic(path, buffer.getvalue())


# ---------------------------------------------------------------- everything at once


def export(video_path: Path, formats: Iterable[str], *, gif_max_mb: float = 8.0) -> dict[str, Path]:
    """Write the requested exports beside an archived video; returns format → path.

    "mp4" maps to the video itself. Existing exports are replaced atomically (they are derived
    files). Raises ValueError for an unknown format or a GIF that cannot fit `gif_max_mb`
    (decimal MB), FileNotFoundError for a missing video, or a missing recipe when "pack" is asked.
    """
    wanted = check_formats(formats)
    video_path = Path(video_path)
    if not video_path.is_file():
        raise FileNotFoundError(f"no video at {video_path}")
    if not gif_max_mb > 0:
        raise ValueError(f"gif_max_mb must be positive, got {gif_max_mb!r}")
    if "pack" in wanted and not recipe_path(video_path).is_file():
        raise FileNotFoundError(f"a lesson pack needs the recipe {recipe_path(video_path).name} beside the video")
    frames, fps = read_video(video_path)
    max_bytes = int(gif_max_mb * BYTES_PER_MB)
    rendered: dict[str, bytes] = {}

    def gif_bytes() -> bytes:
        if "gif" not in rendered:
            rendered["gif"] = render_gif(frames, fps, max_bytes=max_bytes)
        return rendered["gif"]

    def sheet_bytes() -> bytes:
        if "sheet" not in rendered:
            rendered["sheet"] = render_contact_sheet(frames, fps)
        return rendered["sheet"]

    source = Source(video_path, frames, fps, gif_bytes, sheet_bytes)
    return {fmt: FORMATS[fmt].render(source, export_path(video_path, fmt)) for fmt in wanted}


# ---------------------------------------------------------------- the one table of formats


@dataclass(frozen=True)
class Source:
    """What a renderer may use: the video, its frames, and the GIF and sheet rendered once for all."""

    video: Path
    frames: np.ndarray
    fps: float
    gif: Any  # () -> bytes, rendered on first use
    sheet: Any  # () -> bytes


@dataclass(frozen=True)
class ExportFormat:
    """One export format. Every front end is built from `FORMATS`: the API (names, media type of the
    download), the studio (its checkbox, labelled by `label_key` in web/strings.json) and the CLI
    (`--export` names). Adding a format is one entry here and its two translations."""

    name: str
    suffix: str  # appended to the video's stem ("" for the video itself)
    media_type: str  # of the download; image/* and video/* are shown inline
    render: Any  # (Source, target Path) -> Path written
    label_key: str | None  # the studio's checkbox label; None: not offered in the studio (the video itself)


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("mp4", "", "video/mp4", lambda s, _t: s.video, None),
    ExportFormat("webm", ".webm", "video/webm", lambda s, t: export_webm(s.frames, s.fps, t, audio=read_audio(s.video)),
                 "ui.export.format.webm"),
    ExportFormat("gif", ".gif", "image/gif", lambda s, t: write_bytes_atomic(t, s.gif()), "ui.export.format.gif"),
    ExportFormat("frames", "-frames.zip", "application/zip", lambda s, t: export_frames_zip(s.frames, t), "ui.export.format.frames"),
    ExportFormat("sheet", "-sheet.png", "image/png", lambda s, t: write_bytes_atomic(t, s.sheet()), "ui.export.format.sheet"),
    ExportFormat("pack", "-pack.zip", "application/zip",
                 lambda s, t: export_pack(s.video, t, gif=s.gif(), sheet=s.sheet(), duration_s=len(s.frames) / s.fps),
                 "ui.export.format.pack"),
)}
EXPORT_FORMATS = tuple(FORMATS)
STUDIO_FORMATS = tuple(f.name for f in FORMATS.values() if f.label_key is not None)
PROCESSED_VIDEO = "video"  # the post-processed clip a job's exports also list (an MP4)


def media_type(name: str) -> str | None:
    """The media type of a job's export `name` (a format, or the processed video); None if unknown."""
    if name == PROCESSED_VIDEO:
        return FORMATS["mp4"].media_type
    fmt = FORMATS.get(name)
    return fmt.media_type if fmt is not None else None
