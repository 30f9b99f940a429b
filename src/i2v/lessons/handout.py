"""The lesson handout: an A4 PDF with, for every scene, the knowledge point, a strip of frames from
its clip and its caption; black on white, pictures in grey, so it prints on any school printer.

Drawn with fpdf2 (a maintained PDF library), the bundled Noto Sans SC subset embedded (only the
glyphs used), so Chinese prints on machines without a CJK font.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class HandoutScene:
    number: int
    section: str
    point: str
    description: str
    caption: str
    frames: Sequence[np.ndarray]
    note: str = ""  # e.g. a common misconception the scene's preset warns about


@dataclass(frozen=True)
class HandoutTexts:
    subtitle: str
    caption: str  # "Caption: {text}" / "字幕：{text}"
    about: str  # heading of the closing note
    note: str
    sources: str
    page: str  # "Page {page} of {pages}" with fpdf2's {nb}


class _Handout(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(80)
        self.cell(0, 5, self.footer_text.replace("{page}", str(self.page_no())), align="C")


def render_handout(title: str, lang: str, scenes: Sequence[HandoutScene], texts: HandoutTexts) -> bytes:
    """The handout PDF's bytes."""
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
        _strip(pdf, scene.frames, strip_h)
        _text(pdf, texts.caption.format(text=scene.caption), 10.5, 5.2)
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
    return bytes(pdf.output())


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


def _strip(pdf: FPDF, frames: Sequence[np.ndarray], height: float) -> None:
    """The frames side by side, in grey with stretched contrast (prints clearly in black and white)."""
    if not frames:
        return
    tile_w = (pdf.w - 2 * MARGIN_MM - STRIP_GAP_MM * (len(frames) - 1)) / len(frames)
    y = pdf.get_y()
    pdf.set_draw_color(0)
    for index, frame in enumerate(frames):
        x = MARGIN_MM + index * (tile_w + STRIP_GAP_MM)
        grey = ImageOps.autocontrast(Image.fromarray(frame).convert("L"), cutoff=1)
        pdf.image(grey, x=x, y=y, w=tile_w, h=height)
        pdf.rect(x, y, tile_w, height)
    pdf.set_y(y + height + 2)
