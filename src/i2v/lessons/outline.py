"""What every input format is parsed into: an ordered list of knowledge points, in sections.

Parsing never touches the filesystem for uploads: a picture an outline names is looked up among the
files that came with it (a zip's members, or the CLI's folder read by `input_files`), never as a path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from i2v.errors import InvalidInput

if TYPE_CHECKING:
    from i2v.lessons.checks import Check

Lang = Literal["en", "zh"]
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# "Prophase: chromosomes condensing" → point "Prophase", description "chromosomes condensing"
_SPLIT = re.compile(r"^(?P<head>[^:：]{1,60}?)\s*(?:[:：]|\s[-–—]\s)\s*(?P<tail>\S.*)$")


class LessonInputError(InvalidInput):
    """Input a teacher can fix (an empty outline, a cycle, a bad zip…). The message says what to
    change; the API answers it as a 4xx `detail`, the CLI with exit code 2."""


@dataclass(frozen=True)
class Picture:
    """A teacher's picture as it arrived: the name they gave it (shown in the end card's sources)
    and its bytes, checked and re-encoded only when the storyboard is made."""

    name: str
    source: bytes | Callable[[], bytes] = field(repr=False, compare=False)  # the bytes, or what reads them

    @property
    def data(self) -> bytes:
        """The picture's bytes; a zip member is inflated only now, after the outline passed its checks."""
        return self.source() if callable(self.source) else self.source


@dataclass(frozen=True)
class Point:
    """One knowledge point: it becomes one scene."""

    text: str
    description: str = ""
    section: str = ""
    picture: Picture | None = None
    lang: Lang | None = None  # None: detected from the text
    prompt: str = ""  # the teacher's own English prompt ("prompt: …" in an outline), used as written
    end_picture: Picture | None = None  # the state after the change: the clip ends on it (families that take one)
    narration: str = ""  # what the teacher says over the scene (a `>` line, a node's `narration`, NAME.txt's 2nd paragraph)
    check: Check | None = None  # the teacher's own check for understanding (else the storyboard drafts one)

    @property
    def language(self) -> Lang:
        return self.lang or detect_lang(self.text + " " + self.description)


@dataclass(frozen=True)
class Outline:
    title: str
    points: tuple[Point, ...]
    source: str  # a `TextInput.kind` (text, markdown, graph), "folder" or "example"
    lang: Lang | None = None  # None: the majority language of the points

    @property
    def language(self) -> Lang:
        if self.lang:
            return self.lang
        langs = [p.language for p in self.points]
        zh = langs.count("zh")
        return "zh" if zh > len(langs) - zh or (zh and zh == len(langs) - zh and langs[0] == "zh") else "en"


def detect_lang(text: str) -> Lang:
    """'zh' when the text holds Chinese characters, else 'en'."""
    return "zh" if _HAN.search(text) else "en"


_PROMPT_LINE = re.compile(r"^\s*(?:prompt|提示词)\s*[:：]\s*(?P<prompt>\S.*)$", re.IGNORECASE)


def prompt_line(text: str) -> str | None:
    """The prompt of a "prompt: chromosomes condensing …" line, else None."""
    match = _PROMPT_LINE.match(text)
    return " ".join(match.group("prompt").split()) if match else None


def join_sentences(lines: list[str]) -> str:
    """Lines of a description as one text, each line ending as a sentence (so the first sentence
    stays the first line)."""
    out = []
    for line in (" ".join(line.split()) for line in lines):
        if line and not line.endswith((".", "!", "?", "。", "！", "？", ";", "；")):
            line += "。" if _HAN.search(line[-1:]) else "."
        if line:
            out.append(line)
    return " ".join(out)


def split_point(text: str) -> tuple[str, str]:
    """Split "Prophase: chromosomes condensing" into the point and its description; a line
    without such a separator is all point."""
    text = " ".join(text.split())
    match = _SPLIT.match(text)
    if match and not match.group("head").lower().startswith(("http", "https")):
        return match.group("head").strip(), match.group("tail").strip()
    return text, ""


def check_points(points: list[Point], max_scenes: int, what: str) -> tuple[Point, ...]:
    """The points, refusing none at all or more than `max_scenes` (I2V_LESSON_MAX_SCENES)."""
    if not points:
        raise LessonInputError(f"The {what} holds no knowledge points. Write one point per line (or per bullet).")
    if len(points) > max_scenes:
        raise LessonInputError(
            f"The {what} has {len(points)} knowledge points, but a lesson holds at most {max_scenes} scenes "
            "(I2V_LESSON_MAX_SCENES). Split it into several lessons."
        )
    for number, point in enumerate(points, start=1):
        if not visible(point.text):
            raise LessonInputError(
                f"Knowledge point {number} of the {what} has no visible characters (only spaces or invisible marks "
                "such as zero-width spaces); write its words or remove it."
            )
    return tuple(points)


def visible(text: str) -> bool:
    """Does `text` hold a character a reader sees? Zero-width and other format marks (Unicode
    category Cf: U+200B, U+200C, U+FEFF, …) and spaces are not."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)
