"""Readable text labels and captions drawn over generated frames, after generation.

Diffusion garbles lettering, so the teacher's labels are never part of the model's input: they are
rendered crisply (Pillow, anti-aliased, with a contrasting outline or box) onto the finished frames,
each only while its time window is on screen. Chinese and Latin text use the bundled Noto Sans SC
subset (`i2v/assets/fonts/`, SIL OFL 1.1).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from i2v.errors import InvalidInput

FONT_PATH = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "NotoSansSC-Subset.otf"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_PROBE_SIZE = 24
_NOT_IN_ANY_FONT = "\ue000"  # private use: renders as the font's "missing glyph" box
MAX_LABEL_S = 3600.0  # label times beyond an hour mean nothing for a clip of seconds (and overflow frame arithmetic)
# Noto Sans SC has no sub/superscript digits, so H₂O and 10⁵ are drawn as small, shifted digits.
_SCRIPTS: MappingProxyType[str, tuple[str, int]] = MappingProxyType({
    **{c: (b, -1) for c, b in zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()", strict=True)},
    **{c: (b, 1) for c, b in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", "0123456789+-=()", strict=True)},
})


class LabelError(InvalidInput):
    """Labels or frames that cannot be drawn; the message says what to change."""


class Label(BaseModel):
    """A text shown on the video from `start_s` up to (not including) `end_s`.

    Position and size are fractions of the frame, so a label fits any resolution: (`x`, `y`) is the
    label's centre (0,0 = top left), `size` the text height as a share of the frame height. The
    label is moved inward if it would run off the frame. `end_s` None means until the clip ends.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=200)
    x: float = Field(0.5, ge=0.0, le=1.0)
    y: float = Field(0.9, ge=0.0, le=1.0)
    size: float = Field(0.07, ge=0.02, le=0.3)
    start_s: float = Field(0.0, ge=0.0, le=MAX_LABEL_S, allow_inf_nan=False)
    end_s: float | None = Field(None, gt=0.0, le=MAX_LABEL_S, allow_inf_nan=False)
    colour: str = Field("#ffffff", description="Text colour as #RRGGBB; the outline or box contrasts with it.")
    box: bool = Field(False, description="Draw on a rounded contrasting box instead of outlining the letters.")

    @field_validator("text")
    @classmethod
    def _drawable(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("write the label text")
        missing = unsupported_characters(value)
        if missing:
            raise ValueError(f"the bundled font cannot draw: {' '.join(missing)}")
        return value

    @field_validator("colour")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"colour must look like #RRGGBB (got {value!r})")
        return value.lower()

    @model_validator(mode="after")
    def _window(self) -> Label:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s:g} s) must be after start_s ({self.start_s:g} s)")
        return self

    @property
    def rgb(self) -> tuple[int, int, int]:
        return tuple(int(self.colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]

    @property
    def contrast_rgb(self) -> tuple[int, int, int]:
        """Black for light text, white for dark text."""
        r, g, b = self.rgb
        return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


@functools.lru_cache(maxsize=32)
def _font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT_PATH.is_file():
        return ImageFont.truetype(str(FONT_PATH), pixels)
    return ImageFont.load_default(pixels)  # Latin only; `unsupported_characters` guards the rest


@functools.lru_cache(maxsize=4096)
def _has_glyph(char: str) -> bool:
    if char.isspace():
        return True
    char = _SCRIPTS.get(char, (char, 0))[0]
    if not FONT_PATH.is_file():
        return ord(char) < 0x250  # Pillow's default font: Latin only
    font = _font(_PROBE_SIZE)
    return _mask_bytes(font, char) != _mask_bytes(font, _NOT_IN_ANY_FONT)


def _mask_bytes(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(np.array(mask, dtype=np.uint8).tobytes()) if mask.size[0] else b""


def unsupported_characters(text: str) -> list[str]:
    """Characters of `text` the bundled font lacks (they would show as empty boxes), in order."""
    seen: list[str] = []
    for char in text:
        if char not in seen and not _has_glyph(char):
            seen.append(char)
    return seen


def _index(seconds: float, fps: float) -> int:
    """First frame index i with i/fps >= seconds, robust to float error (0.3 s × 10 fps is frame 3)."""
    value = seconds * fps
    nearest = round(value)
    return nearest if math.isclose(value, nearest, abs_tol=1e-6) else math.ceil(value)


def label_frames(label: Label, fps: float, frame_count: int) -> range:
    """Indices of the frames that show `label`: those whose time i/fps is in [start_s, end_s)."""
    first = min(_index(label.start_s, fps), frame_count)
    last = frame_count if label.end_s is None else min(_index(label.end_s, fps), frame_count)
    return range(first, max(first, last))


def _runs(line: str) -> list[tuple[str, int]]:
    """Split a line into (text, level) runs: level 0 normal, -1 subscript, +1 superscript."""
    runs: list[tuple[str, int]] = []
    for char in line:
        base, level = _SCRIPTS.get(char, (char, 0))
        if runs and runs[-1][1] == level:
            runs[-1] = (runs[-1][0] + base, level)
        else:
            runs.append((base, level))
    return runs


def render_label(label: Label, width: int, height: int) -> tuple[Image.Image, tuple[int, int]]:
    """The label as an RGBA image and the (left, top) where it goes on a `width`×`height` frame."""
    pixels = max(8, round(label.size * height))
    fonts = {0: _font(pixels), 1: _font(max(6, round(pixels * 0.62)))}
    shifts = {0: 0, -1: round(pixels * 0.22), 1: -round(pixels * 0.42)}
    stroke = 0 if label.box else max(1, round(pixels * 0.09))
    pad = (round(pixels * 0.3) if label.box else 1) + stroke
    ascent, descent = fonts[0].getmetrics()
    gap = round(pixels * 0.2)
    lines = [_runs(line) for line in label.text.split("\n")]
    widths = [sum(fonts[abs(level)].getlength(text) for text, level in runs) for runs in lines]
    w = math.ceil(max(widths)) + 2 * pad
    h = len(lines) * (ascent + descent) + (len(lines) - 1) * gap + 2 * pad
    tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    if label.box:
        draw.rounded_rectangle([0, 0, w - 1, h - 1], radius=round(pixels * 0.25), fill=(*label.contrast_rgb, 170))
    for row, (runs, line_width) in enumerate(zip(lines, widths, strict=True)):
        x = pad + (w - 2 * pad - line_width) / 2
        baseline = pad + row * (ascent + descent + gap) + ascent
        for text, level in runs:
            font = fonts[abs(level)]
            draw.text((x, baseline + shifts[level]), text, font=font, anchor="ls", fill=(*label.rgb, 255),
                      stroke_width=stroke if level == 0 else max(1, round(stroke * 0.7)) if stroke else 0,
                      stroke_fill=(*label.contrast_rgb, 255))
            x += font.getlength(text)
    left = min(max(round(label.x * width - w / 2), 0), max(width - w, 0))
    top = min(max(round(label.y * height - h / 2), 0), max(height - h, 0))
    return tile, (left, top)


def overlay_labels(frames: np.ndarray, fps: float, labels: Sequence[Label]) -> np.ndarray:
    """A copy of `frames` (uint8, (T, H, W, 3) RGB) with each label drawn on the frames it covers.

    Frame i shows a label when start_s <= i / fps < end_s. Frames outside every window are returned
    unchanged, pixel for pixel. Raises LabelError for frames of the wrong shape or type, or fps <= 0.
    """
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise LabelError("frames must be a uint8 array shaped (frames, height, width, 3)")
    if not fps > 0:
        raise LabelError(f"fps must be positive (got {fps})")
    out = frames.copy()
    count, height, width = frames.shape[:3]
    for label in labels:
        indices = label_frames(label, fps, count)
        if not indices:
            continue
        tile, (left, top) = render_label(label, width, height)
        rgba = np.asarray(tile, dtype=np.float32)
        rgba = rgba[: height - top, : width - left]  # a label larger than the frame is cut, not an error
        alpha = rgba[..., 3:4] / 255.0
        colour = rgba[..., :3] * alpha
        region = out[indices.start : indices.stop, top : top + rgba.shape[0], left : left + rgba.shape[1]]
        blended = colour + region.astype(np.float32) * (1.0 - alpha)
        region[...] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out
