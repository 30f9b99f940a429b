"""Captions of a lesson (WebVTT, and SRT beside it): one cue per narrated sentence where it is spoken,
or one per scene (its caption) where nothing is said, timed to the assembled video."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

LINE_CHARS = {"en": 42, "zh": 20}  # common subtitle guidance: ~42 Latin or ~20 Chinese characters a line
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def caption_lines(text: str) -> list[str]:
    """Break a caption into subtitle lines: at spaces for Latin text, anywhere for Chinese."""
    limit = LINE_CHARS["zh" if _CJK.search(text) else "en"]
    lines: list[str] = []
    for token in re.findall(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\S+", text):
        joiner = "" if (lines and (_CJK.match(token) or _CJK.match(lines[-1][-1:]))) else " "
        if lines and len(lines[-1]) + len(joiner) + len(token) <= limit:
            lines[-1] += joiner + token
        else:
            lines.append(token)
    return lines


def srt_time(seconds: float) -> str:
    return vtt_time(seconds).replace(".", ",")


def render_srt(cues: Sequence[Cue]) -> str:
    """The same cues as SubRip (players and editors that do not read WebVTT); plain text."""
    out = []
    for number, cue in enumerate(cues, start=1):
        out += [str(number), f"{srt_time(cue.start_s)} --> {srt_time(cue.end_s)}", *(caption_lines(cue.text) or [""]), ""]
    return "\n".join(out)


def render_vtt(cues: Sequence[Cue], note: str = "") -> str:
    """A WebVTT file; text is escaped (a caption is shown as text, never markup). `note` becomes a
    NOTE block (for people reading the file; players do not show it)."""
    out = ["WEBVTT", ""]
    if note:
        out += ["NOTE " + " ".join(note.replace("-->", "->").split()), ""]
    for number, cue in enumerate(cues, start=1):
        escaped = cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out += [str(number), f"{vtt_time(cue.start_s)} --> {vtt_time(cue.end_s)}", *(caption_lines(escaped) or [""]), ""]
    return "\n".join(out)
