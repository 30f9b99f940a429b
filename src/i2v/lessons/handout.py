"""The lesson handout: an A4 PDF. A first page with what the lesson teaches (objectives, key words,
the misconceptions it corrects, once each, and the checks for understanding when the lesson has
them), then for every scene the knowledge point, a strip of frames from its clip and its caption;
the answers to the checks on a last page for the teacher.

Two prints: in colour, where colour carries meaning (red and blue chromosomes, an indicator's pink,
day and night), and in black and white, where the strip is grey and every strongly coloured part
keeps its difference by a pattern (stripes for red, dots for blue, …) named in a key under the
strip, so a grey photocopy still tells the two parents' chromosomes apart.

Drawn with fpdf2 (a maintained PDF library), the bundled Noto Sans SC subset embedded (only the
glyphs used), so Chinese prints on machines without a CJK font.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from fpdf import FPDF
from PIL import Image, ImageOps

from i2v.post.labels import FONT_PATH

FONT = "noto"
MARGIN_MM = 15
STRIP_GAP_MM = 3
# Noto Sans SC has no sub/superscript digits; the PDF draws them as small raised or lowered digits.
_SCRIPTS = {**{c: (b, "SUB") for c, b in zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()", strict=True)},
            **{c: (b, "SUP") for c, b in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", "0123456789+-=()", strict=True)}}
# Hue bands (PIL's HSV: hue 0-255) → the pattern that stands for the colour in black and white.
PATTERNS = ("red", "yellow", "green", "blue", "purple")
_HUES = {"red": ((0, 12), (234, 256)), "yellow": ((12, 45),), "green": ((45, 120),), "blue": ((120, 195),),
         "purple": ((195, 234),)}
_MIN_SATURATION, _MIN_VALUE = 90, 50
_MIN_SHARE = 0.004  # a colour covering less of the frame than this gets no pattern (anti-aliased edges)


@dataclass(frozen=True)
class HandoutScene:
    number: int
    section: str
    point: str
    description: str
    caption: str
    frames: Sequence[np.ndarray]
    note: str = ""  # a line printed under the scene (misconceptions go on the first page instead)
    narration: str = ""  # what the lesson video says over the scene (narrated lessons only)


@dataclass(frozen=True)
class HandoutTexts:
    subtitle: str
    caption: str  # "Caption: {text}" / "字幕：{text}"
    about: str  # heading of the closing note
    note: str
    sources: str
    page: str  # "Page {page} of {pages}" with fpdf2's {nb}
    objectives: str = "By the end of this lesson pupils can explain:"
    keywords: str = "Key words"
    misconceptions: str = "Common misconceptions this lesson corrects"
    checks: str = "Check your understanding"
    answers: str = "Answers (for the teacher)"
    narration: str = "Narration: {text}"  # "旁白：{text}"
    pattern_key: str = "Pattern key (black-and-white print): {patterns}."
    pattern_names: dict[str, str] = field(default_factory=lambda: {
        "red": "diagonal stripes = red", "yellow": "light grey = yellow or orange", "green": "horizontal lines = green",
        "blue": "dots = blue", "purple": "cross-hatch = purple"})


@dataclass(frozen=True)
class FirstPage:
    """What the lesson teaches, printed once before the scenes."""

    objectives: Sequence[str] = ()
    keywords: Sequence[str] = ()
    misconceptions: Sequence[tuple[str, str]] = ()  # (topic, the wrong idea and the right one), each once
    checks: Sequence[tuple[str, str]] = ()  # (question, answer); answers go on the teacher's last page


class _Handout(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(80)
        self.cell(0, 5, self.footer_text.replace("{page}", str(self.page_no())), align="C")


def render_handout(title: str, lang: str, scenes: Sequence[HandoutScene], texts: HandoutTexts,
                   first: FirstPage | None = None, *, colour: bool = True) -> bytes:
    """The handout PDF's bytes: in colour, or (`colour` False) in black and white with patterns."""
    pdf = _Handout(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM + 5)
    pdf.add_font(FONT, "", str(FONT_PATH))
    pdf.set_title(title)
    pdf.set_creator("i2v")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.footer_text = texts.page
    pdf.add_page()
    pdf.set_text_color(0)
    _text(pdf, title, 20, 9)
    _text(pdf, texts.subtitle, 11, 6, grey=70)
    pdf.ln(3)
    if first is not None and (first.objectives or first.keywords or first.misconceptions or first.checks):
        _first_page(pdf, first, texts)
        pdf.add_page()
    section = None
    for scene in scenes:
        strip_h = _strip_height(pdf, scene.frames)
        if pdf.will_page_break(strip_h + 40):
            pdf.add_page()
        if scene.section and scene.section != section:
            pdf.ln(2)
            _text(pdf, scene.section, 13, 7, grey=40)
            pdf.set_draw_color(0)
            pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
            pdf.ln(2)
        section = scene.section
        _text(pdf, f"{scene.number}. {scene.point}", 14, 7)
        if scene.description and _bare(scene.description) != _bare(scene.caption):
            _text(pdf, scene.description, 10.5, 5.2)
        pdf.ln(1.5)
        shown = _strip(pdf, scene.frames, strip_h, colour=colour)
        if shown:
            names = "; ".join(texts.pattern_names[p] for p in PATTERNS if p in shown)
            _text(pdf, texts.pattern_key.format(patterns=names), 8.5, 4.4, grey=70)
        _text(pdf, texts.caption.format(text=scene.caption), 10.5, 5.2)
        if scene.narration:
            _text(pdf, texts.narration.format(text=scene.narration), 10, 5, grey=40)
        if scene.note:
            _text(pdf, scene.note, 9.5, 4.8, grey=60)
        pdf.ln(4)
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_draw_color(0)
    pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
    pdf.ln(2)
    _text(pdf, texts.about, 12, 6.5)
    _text(pdf, texts.note, 10, 5)
    _text(pdf, texts.sources, 9, 4.6, grey=60)
    if first is not None and first.checks:
        pdf.add_page()
        _text(pdf, texts.answers, 14, 7)
        pdf.ln(1)
        for number, (question, answer) in enumerate(first.checks, start=1):
            _text(pdf, f"{number}. {question}", 10.5, 5.2, grey=60)
            _text(pdf, answer, 10.5, 5.2)
            pdf.ln(1.5)
    return bytes(pdf.output())


def _first_page(pdf: FPDF, first: FirstPage, texts: HandoutTexts) -> None:
    if first.objectives:
        _heading(pdf, texts.objectives)
        for objective in first.objectives:
            _text(pdf, f"•  {objective}", 10.5, 5.4)
        pdf.ln(3)
    if first.keywords:
        _heading(pdf, texts.keywords)
        _text(pdf, " · ".join(first.keywords), 10.5, 5.4)
        pdf.ln(3)
    if first.misconceptions:
        _heading(pdf, texts.misconceptions)
        for topic, text in first.misconceptions:
            _text(pdf, topic, 10.5, 5.4, grey=40)
            _text(pdf, text, 10, 5.0)
            pdf.ln(1.5)
        pdf.ln(1.5)
    if first.checks:
        _heading(pdf, texts.checks)
        for number, (question, _) in enumerate(first.checks, start=1):
            _text(pdf, f"{number}. {question}", 10.5, 5.4)
            pdf.ln(6)  # room to write the answer


def _heading(pdf: FPDF, text: str) -> None:
    _text(pdf, text, 13, 7)
    pdf.set_draw_color(120)
    pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
    pdf.ln(1.5)


def _text(pdf: FPDF, text: str, size: float, line_h: float, grey: int = 0) -> None:
    """A paragraph at the left margin, wrapped; sub/superscript digits drawn small and shifted."""
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(grey)
    pdf.set_x(MARGIN_MM)
    run, level = "", "LINE"
    for char in text:
        base, char_level = _SCRIPTS.get(char, (char, "LINE"))
        if char_level != level and run:
            pdf.char_vpos = level
            pdf.write(line_h, run)
            run = ""
        run += base
        level = char_level
    if run:
        pdf.char_vpos = level
        pdf.write(line_h, run)
    pdf.char_vpos = "LINE"
    pdf.ln(line_h)
    pdf.set_text_color(0)


def _bare(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _strip_height(pdf: FPDF, frames: Sequence[np.ndarray]) -> float:
    if not frames:
        return 0.0
    tile_w = (pdf.w - 2 * MARGIN_MM - STRIP_GAP_MM * (len(frames) - 1)) / len(frames)
    return tile_w * frames[0].shape[0] / frames[0].shape[1]


def _strip(pdf: FPDF, frames: Sequence[np.ndarray], height: float, *, colour: bool) -> set[str]:
    """The frames side by side: as they are, or in grey with stretched contrast and a pattern over
    each strongly coloured part. Returns the patterns drawn (empty in colour)."""
    if not frames:
        return set()
    tile_w = (pdf.w - 2 * MARGIN_MM - STRIP_GAP_MM * (len(frames) - 1)) / len(frames)
    y = pdf.get_y()
    pdf.set_draw_color(0)
    shown: set[str] = set()
    for index, frame in enumerate(frames):
        x = MARGIN_MM + index * (tile_w + STRIP_GAP_MM)
        if colour:
            picture = Image.fromarray(frame).convert("RGB")
        else:
            picture, used = patterned_grey(frame)
            shown |= used
        pdf.image(picture, x=x, y=y, w=tile_w, h=height)
        pdf.rect(x, y, tile_w, height)
    pdf.set_y(y + height + 2)
    return shown


def patterned_grey(frame: np.ndarray) -> tuple[Image.Image, set[str]]:
    """`frame` (H×W×3 uint8) in grey for a black-and-white print, each strongly coloured region
    overlaid with its colour's pattern (see `PATTERNS`), so red and blue of equal brightness stay
    apart. Returns the picture and the names of the colours that got a pattern."""
    rgb = Image.fromarray(frame).convert("RGB")
    hue, saturation, value = (np.asarray(band).astype(np.int32) for band in rgb.convert("HSV").split())
    grey = np.asarray(ImageOps.autocontrast(rgb.convert("L"), cutoff=1)).copy()
    coloured = (saturation >= _MIN_SATURATION) & (value >= _MIN_VALUE)
    yy, xx = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
    marks = {
        "red": (xx + yy) % 6 < 2,
        "yellow": np.zeros_like(coloured),
        "green": yy % 5 < 1,
        "blue": (xx % 4 < 2) & (yy % 4 < 2),
        "purple": ((xx + yy) % 6 < 1) | ((xx - yy) % 6 < 1),
    }
    used = set()
    for name in PATTERNS:
        region = coloured & np.logical_or.reduce([(hue >= lo) & (hue < hi) for lo, hi in _HUES[name]])
        if region.mean() < _MIN_SHARE:
            continue
        used.add(name)
        if name == "yellow":  # light and plain: yellow prints as a pale grey, set apart by having no pattern
            grey[region] = np.maximum(grey[region], 200)
            continue
        mark = region & marks[name]
        grey[mark] = np.where(grey[mark] > 110, 0, 255)
    return Image.fromarray(grey, mode="L"), used
