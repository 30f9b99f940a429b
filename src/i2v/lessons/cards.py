"""Title, section and end cards of a lesson video, drawn with the bundled Noto Sans SC subset so
Chinese renders on any machine (no system font is ever asked for).

Text is wrapped by measuring it with the font (word by word for Latin text, character by
character for Chinese), and shrunk until the card holds it.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from i2v.post.labels import FONT_PATH

TITLE_S = 3.0
SECTION_S = 2.0
END_S = 5.0
BACKGROUND = (17, 24, 39)
TEXT = (255, 255, 255)
MUTED = (203, 213, 225)
ACCENT = (96, 165, 250)
MIN_PIXELS = 9
_WORD = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+")


@functools.lru_cache(maxsize=64)
def font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), max(MIN_PIXELS, pixels))


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines of `text` no wider than `width` pixels (a single over-long word keeps its own line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _WORD.findall(paragraph.strip()):
            candidate = line + token
            if line and face.getlength(candidate.rstrip()) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def _block(draw: ImageDraw.ImageDraw, blocks: list[tuple[str, float, tuple[int, int, int]]], width: int, height: int) -> None:
    """Draw text blocks (text, size as a share of the height, colour) centred on the card, shrinking
    them together until they fit in 86 % of the height."""
    scale = 1.0
    while True:
        laid = []
        total = 0.0
        for text, share, colour in blocks:
            face = font(round(share * height * scale))
            lines = wrap(text, face, width * 0.86)
            line_h = face.size * 1.3
            laid.append((lines, face, colour, line_h))
            total += line_h * len(lines) + face.size * 0.6
        if total <= height * 0.86 or font(round(min(s for _, s, _ in blocks) * height * scale)).size <= MIN_PIXELS:
            break
        scale *= 0.9
    y = (height - total) / 2
    for lines, face, colour, line_h in laid:
        for line in lines:
            draw.text((width / 2, y + line_h / 2), line, font=face, fill=colour, anchor="mm")
            y += line_h
        y += face.size * 0.6


def card(width: int, height: int, blocks: list[tuple[str, float, tuple[int, int, int]]]) -> np.ndarray:
    """One card frame, uint8 (H, W, 3)."""
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height - max(2, height // 60), width, height], fill=ACCENT)
    _block(draw, [b for b in blocks if b[0].strip()], width, height)
    return np.asarray(image)


def title_card(width: int, height: int, title: str, subtitle: str) -> np.ndarray:
    return card(width, height, [(title, 0.11, TEXT), (subtitle, 0.05, MUTED)])


def section_card(width: int, height: int, heading: str, section: str) -> np.ndarray:
    return card(width, height, [(heading, 0.05, ACCENT), (section, 0.09, TEXT)])


def end_card(width: int, height: int, note: str, sources: str) -> np.ndarray:
    return card(width, height, [(note, 0.055, TEXT), (sources, 0.04, MUTED)])
